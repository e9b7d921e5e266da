// coturn (Debian's `turnserver`) started by a test on a free loopback port: REST credentials
// (use-auth-secret), loopback peers allowed, no CLI, its log and SQLite file in a temporary folder.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpUdpPort } from '../ports.js';

export interface CoturnOptions {
  /** The static-auth-secret it checks REST credentials with. */
  secret: string;
  realm?: string;
  /** A certificate and key (PEM files) for TURN over TLS on a port of its own. */
  tls?: { cert: string; key: string };
}

export interface Coturn {
  /** UDP and TCP. */
  readonly port: number;
  /** TURN over TLS, when asked for. */
  readonly tlsPort: number | undefined;
  /** What coturn has logged so far (sessions, allocations with their usernames, refusals). */
  log(): string;
  stop(): Promise<void>;
}

/** Throws a readable error when coturn's `turnserver` is not installed. */
export function requireCoturn(): void {
  const r = spawnSync('sh', ['-c', 'command -v turnserver']);
  if (r.status !== 0) throw new Error('turnserver is missing: install coturn with "apt-get install coturn"');
}

/** Resolves once a STUN Binding to 127.0.0.1:port gets an answer; rejects when `exited` settles first. */
async function answers(port: number, exited: Promise<void>, stderr: () => string): Promise<void> {
  const s = createSocket('udp4');
  s.on('error', () => {});
  const req = Buffer.from('000100002112a442000000000000000000000001', 'hex');
  const timer = setInterval(() => s.send(req, port, '127.0.0.1'), 100);
  let deadline: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      once(s, 'message'),
      new Promise((_, reject) => {
        deadline = setTimeout(() => reject(new Error(`turnserver silent on ${port}: ${stderr()}`)), 15_000);
      }),
      exited.then(() => {
        throw new Error(`turnserver exited at start: ${stderr()}`);
      }),
    ]);
  } finally {
    clearInterval(timer);
    clearTimeout(deadline);
    s.close();
  }
}

/** Starts coturn; tries other ports when one was taken between choosing and binding it. */
export async function startCoturn(o: CoturnOptions): Promise<Coturn> {
  requireCoturn();
  for (let attempt = 0; ; attempt++) {
    try {
      return await startOnce(o);
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

async function startOnce(o: CoturnOptions): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-coturn-'));
  const port = await freeTcpUdpPort();
  const tlsPort = o.tls ? await freeTcpUdpPort() : undefined;
  const args = [
    '-n',
    '--listening-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--relay-ip=127.0.0.1',
    '--use-auth-secret',
    `--static-auth-secret=${o.secret}`,
    `--realm=${o.realm ?? 'coturn'}`,
    '--no-dtls',
    '--allow-loopback-peers',
    '--no-cli',
    '--no-rfc5780',
    '--no-software-attribute',
    '--no-stdout-log',
    `--log-file=${join(dir, 'turn.log')}`,
    '--simple-log',
    '--verbose',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
    ...(o.tls
      ? [`--tls-listening-port=${tlsPort}`, `--cert=${o.tls.cert}`, `--pkey=${o.tls.key}`]
      : ['--no-tls']),
  ];
  const proc: ChildProcess = spawn('turnserver', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await answers(port, exited, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  const log = () => {
    try {
      return readdirSync(dir)
        .filter((f) => f.startsWith('turn') && f.endsWith('.log'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('');
    } catch {
      return '';
    }
  };
  return { port, tlsPort, log, stop };
}
