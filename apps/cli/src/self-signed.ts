/**
 * `--tls-self-signed`: a certificate for every address and name of this machine, made once and kept in
 * the state folder, so that browsers on the LAN can reach the web app over HTTPS (they warn about it, but
 * camera and microphone work once the user goes on). The key is kept when the certificate is made again
 * (new addresses, or less than 30 days left), so the key's fingerprint stays the same.
 */
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { compactIp, interfaceAddresses } from './addresses.js';

/** What the certificate names: IP addresses and DNS names. */
export interface CertificateNames {
  ips: string[];
  dns: string[];
}

export interface SelfSigned {
  certPath: string;
  keyPath: string;
  /** Why it was made now ('new', 'addresses changed', 'expiring'), or undefined when an old one was kept. */
  made: string | undefined;
}

/** Certificates are made for 397 days (what Apple's and Chrome's rules accept) and made again 30 days before they end. */
const VALID_DAYS = 397;
const RENEW_DAYS = 30;
const DAY_MS = 86_400_000;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** This machine's addresses (every interface, loopback included), localhost, its hostname and hostname.local. */
export function machineNames(): CertificateNames {
  const ips = [...new Set(interfaceAddresses().map((a) => a.address))];
  const host = hostname().toLowerCase();
  const dns = ['localhost'];
  if (
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(host) &&
    host !== 'localhost'
  )
    dns.push(host, ...(host.includes('.') ? [] : [`${host}.local`]));
  return { ips, dns };
}

/** The kept certificate when it still fits `names` and has 30 days left, else a new one (keeping the key). */
export async function selfSignedCertificate(
  stateDir: string,
  names: CertificateNames = machineNames(),
  now = Date.now(),
): Promise<SelfSigned> {
  const dir = join(stateDir, 'tls');
  const certPath = join(dir, 'self-signed-cert.pem');
  const keyPath = join(dir, 'self-signed-key.pem');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPem = existsSync(keyPath) ? usableKey(readFileSync(keyPath, 'utf8')) : undefined;
  let made: string | undefined = keyPem ? undefined : 'new';
  if (!made) {
    const old = existsSync(certPath) ? parse(readFileSync(certPath, 'utf8')) : undefined;
    if (!old?.checkPrivateKey(createPrivateKey(keyPem as string))) made = 'new';
    else if (Date.parse(old.validTo) - now < RENEW_DAYS * DAY_MS) made = 'expiring';
    else if (!covers(old, names)) made = 'addresses changed';
  }
  if (!made) return { certPath, keyPath, made };
  const key = keyPem ?? (await newKeyPem());
  const cert = await issue(key, names, now);
  writeAtomically(keyPath, key, 0o600);
  writeAtomically(certPath, cert, 0o644);
  return { certPath, keyPath, made };
}

function parse(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** The PEM when it holds a P-256 private key (what this module makes), else undefined. */
function usableKey(pem: string): string | undefined {
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      ? pem
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the certificate's subjectAltName holds every IP and DNS name. */
function covers(cert: X509Certificate, names: CertificateNames): boolean {
  const sans = new Set(
    (cert.subjectAltName ?? '').split(', ').map((entry) => {
      const at = entry.indexOf(':');
      const kind = entry.slice(0, at);
      const value = entry.slice(at + 1);
      return kind === 'IP Address' ? `ip:${compactIp(value)}` : `${kind}:${value}`.toLowerCase();
    }),
  );
  return (
    names.ips.every((ip) => sans.has(`ip:${compactIp(ip)}`)) && names.dns.every((d) => sans.has(`dns:${d}`))
  );
}

async function newKeyPem(): Promise<string> {
  const pair = await webcrypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
}

async function issue(keyPem: string, names: CertificateNames, now: number): Promise<string> {
  // @peculiar/x509 resolves its parts with tsyringe, which needs the Reflect metadata polyfill first.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const priv = createPrivateKey(keyPem);
  const keys = {
    privateKey: await webcrypto.subtle.importKey(
      'pkcs8',
      priv.export({ type: 'pkcs8', format: 'der' }),
      ECDSA,
      false,
      ['sign'],
    ),
    publicKey: await webcrypto.subtle.importKey(
      'spki',
      createPublicKey(priv).export({ type: 'spki', format: 'der' }),
      ECDSA,
      true,
      ['verify'],
    ),
  };
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f; // a positive serial number (RFC 5280)
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=Parley on ${names.dns[1] ?? 'localhost'}, O=Parley self-signed`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + VALID_DAYS * DAY_MS),
    keys: keys as CryptoKeyPair,
    signingAlgorithm: ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return cert.toString('pem');
}

function writeAtomically(path: string, text: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}
