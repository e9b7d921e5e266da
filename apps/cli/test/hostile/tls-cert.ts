/** Throwaway certificates for TLS tests, made by openssl (no key material in the repo). */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `openssl req -x509` for a new P-256 key, valid one day, self-signed with `subject`. */
export function selfSigned(key: string, cert: string, subject: string, ...extra: string[]): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    subject,
    ...extra,
  ]);
}

/** Writes `cert.pem` and `key.pem` (P-256, one day, CN=localhost) into `dir`; returns their paths. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  selfSigned(key, cert, '/CN=localhost');
  return { cert, key };
}

export interface TestCa {
  /** The CA's certificate: what a client trusts (`curl --cacert`, `ws` `ca`). */
  cert: string;
  key: string;
  dir: string;
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${String(r.stderr)}`);
}

/** A throwaway certificate authority (P-256, one day) in `dir`, as a company or a test lab would run one. */
export function testCa(dir: string): TestCa {
  const cert = join(dir, 'ca.pem');
  const key = join(dir, 'ca-key.pem');
  selfSigned(
    key,
    cert,
    '/CN=Parley test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  return { cert, key, dir };
}

/**
 * A server certificate signed by `ca` for `names` (IP addresses and DNS names), with its key, as
 * `<name>-cert.pem` (the certificate followed by the CA's: a chain) and `<name>-key.pem`.
 */
export function issueCert(
  ca: TestCa,
  name: string,
  names: string[],
  days = 1,
): { cert: string; key: string } {
  const cert = join(ca.dir, `${name}-cert.pem`);
  const key = join(ca.dir, `${name}-key.pem`);
  const csr = join(ca.dir, `${name}.csr`);
  const ext = join(ca.dir, `${name}.ext`);
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    `/CN=${name}`,
  ]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    String(days),
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  writeFileSync(cert, readFileSync(cert, 'utf8') + readFileSync(ca.cert, 'utf8'));
  return { cert, key };
}
