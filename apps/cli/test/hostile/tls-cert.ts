/** A throwaway self-signed certificate for TLS tests, made by openssl (no key material in the repo). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes `cert.pem` and `key.pem` (P-256, one day, CN=localhost) into `dir`; returns their paths. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync('openssl', [
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
    '/CN=localhost',
  ]);
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${String(made.stderr)}`);
  return { cert, key };
}
