/**
 * HTTPS and WSS on `parley serve`'s own port: the flags, reading the certificate (given, or self-signed
 * for a LAN), and reading it again on SIGHUP or when its files change, so a renewal needs no restart.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { TlsCredentials } from '@parley/server';
import { type Command, Option } from 'commander';
import type { Logger } from 'pino';
import { compactIp } from './addresses.js';
import { machineNames, selfSignedCertificate } from './self-signed.js';
import { portArg } from './turn.js';

export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsSelfSigned?: boolean;
  stateDir: string;
  httpRedirectPort?: number;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_STATE_HOME ? join(env.XDG_STATE_HOME, 'parley') : join(homedir(), '.local/state/parley');
}

export function addTlsOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--tls-cert <file>',
        'certificate chain (PEM) for HTTPS and WSS on --port, and TURN over TLS; re-read on SIGHUP or when it changes',
      ).env('PARLEY_TLS_CERT'),
    )
    .addOption(new Option('--tls-key <file>', 'private key (PEM) of --tls-cert').env('PARLEY_TLS_KEY'))
    .addOption(
      new Option(
        '--tls-self-signed',
        "HTTPS with a certificate for this machine's addresses, made once and kept in --state-dir (browsers warn about it)",
      )
        .env('PARLEY_TLS_SELF_SIGNED')
        .conflicts(['tlsCert', 'tlsKey']),
    )
    .addOption(
      new Option(
        '--state-dir <dir>',
        'folder for what parley keeps between runs (the self-signed certificate)',
      )
        .env('PARLEY_STATE_DIR')
        .default(defaultStateDir(), '$XDG_STATE_HOME/parley or ~/.local/state/parley'),
    )
    .addOption(
      new Option(
        '--http-redirect-port <port>',
        'with TLS: also take plain HTTP on this port and redirect it to HTTPS',
      )
        .env('PARLEY_HTTP_REDIRECT_PORT')
        .argParser(portArg),
    );
}

/** The certificate being served, and what the banner says about it. */
export interface ServedTls {
  certPath: string;
  keyPath: string;
  credentials: TlsCredentials;
  /** SHA-256 of the certificate, as browsers show it (AB:CD:…). */
  fingerprint: string;
  /** The names and addresses it is for. */
  names: string[];
  validTo: string;
  /** For `--tls-self-signed`: why it was made now, or undefined when kept from an earlier run. */
  selfSigned?: { made: string | undefined };
}

/** Reads (or, for --tls-self-signed, makes) the certificate; undefined without TLS. Throws readable errors. */
export async function loadTls(flags: TlsFlags): Promise<ServedTls | undefined> {
  if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey))
    throw new Error('--tls-cert and --tls-key go together');
  if (!flags.tlsCert && !flags.tlsSelfSigned) {
    if (flags.httpRedirectPort !== undefined)
      throw new Error('--http-redirect-port needs HTTPS: add --tls-self-signed or --tls-cert and --tls-key');
    return undefined;
  }
  if (flags.tlsCert && flags.tlsKey) return { ...readPair(flags.tlsCert, flags.tlsKey) };
  const made = await selfSignedCertificate(flags.stateDir, machineNames());
  return { ...readPair(made.certPath, made.keyPath), selfSigned: { made: made.made } };
}

/** Reads a certificate and key and checks that they make a valid pair. */
export function readPair(certPath: string, keyPath: string): ServedTls {
  const cert = read(certPath, '--tls-cert');
  const key = read(keyPath, '--tls-key');
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(
      `${certPath} and ${keyPath} do not make a valid certificate and key: ${(err as Error).message}`,
    );
  }
  const x509 = new X509Certificate(cert);
  return {
    certPath,
    keyPath,
    credentials: { cert, key },
    fingerprint: x509.fingerprint256,
    names: (x509.subjectAltName ?? '')
      .split(', ')
      .map((s) => (s.startsWith('IP Address:') ? compactIp(s.slice(11)) : s.replace(/^DNS:/, ''))),
    validTo: x509.validTo,
  };
}

function read(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(
      `cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** How long the files must be still before they are read again (a renewal writes the certificate and the key apart). */
const SETTLE_MS = 1000;
const POLL_MS = 1000;

/**
 * Reads the certificate and key again on SIGHUP (at once) and when either file changes (polled, then
 * after SETTLE_MS of quiet), and hands a valid pair to `apply`. A pair that is unreadable or does not fit
 * together is logged and the one being served stays. Returns a function that stops watching.
 */
export function reloadTls(
  served: ServedTls,
  apply: (credentials: TlsCredentials) => void,
  log: Logger,
): () => void {
  let current = served.fingerprint;
  const reload = (trigger: string) => {
    let next: ServedTls;
    try {
      next = readPair(served.certPath, served.keyPath);
      if (next.fingerprint !== current) apply(next.credentials);
    } catch (err) {
      log.warn(
        { trigger, err: (err as Error).message, fingerprint: current },
        'TLS certificate not reloaded; still serving the previous one',
      );
      return;
    }
    if (next.fingerprint === current) return void log.debug({ trigger }, 'TLS certificate unchanged');
    current = next.fingerprint;
    log.info({ trigger, fingerprint: current, validTo: next.validTo }, 'TLS certificate reloaded');
    if (Date.parse(next.validTo) < Date.now())
      log.warn({ validTo: next.validTo }, 'the new TLS certificate has expired');
  };
  let timer: NodeJS.Timeout | undefined;
  const onChange = () => {
    clearTimeout(timer);
    timer = setTimeout(() => reload('file change'), SETTLE_MS);
  };
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  const files = [...new Set([served.certPath, served.keyPath])];
  for (const f of files) watchFile(f, { interval: POLL_MS, persistent: false }, onChange);
  return () => {
    clearTimeout(timer);
    process.off('SIGHUP', onHup);
    for (const f of files) unwatchFile(f, onChange);
  };
}
