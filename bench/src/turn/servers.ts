/** The two servers under test, each in its own process pinned to one CPU, configured alike. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeChild, pinned } from './procs.js';

/** `parley-dgram` is our server forced onto node:dgram (see our-server.ts), run only with `--dgram`. */
export type SystemName = 'parley' | 'parley-dgram' | 'coturn';

export interface ServerConfig {
  port: number;
  realm: string;
  secret: string;
  minPort: number;
  maxPort: number;
  /** Force the node:dgram data path (PARLEY_TURN_NATIVE=0's equivalent). */
  dgram?: boolean;
}

export interface RunningServer {
  readonly name: SystemName;
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

/** The coturn binary, or null when it is not installed. */
export function findTurnserver(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v turnserver'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export function coturnVersion(bin: string): string {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Resolves once a Binding request to 127.0.0.1:port gets any answer; rejects after `timeoutMs`. */
export async function waitForStun(port: number, timeoutMs = 10_000): Promise<void> {
  const s = createSocket('udp4');
  const req = Buffer.from('000100002112a442000000000000000000000001', 'hex');
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => s.send(req, port, '127.0.0.1'), 100);
      const give = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`no STUN answer on 127.0.0.1:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.on('error', () => {});
      s.on('message', () => {
        clearInterval(timer);
        clearTimeout(give);
        resolve();
      });
      s.send(req, port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

let dataPath: string | undefined;

/** The UDP data path the headline `parley` server ran ('native' or 'dgram'), once one has started. */
export function parleyUdpDataPath(): string | undefined {
  return dataPath;
}

/** Parley's server: bench/src/turn/our-server.ts bundled, in a Node process of its own. */
export async function startParley(
  c: ServerConfig,
  cpu: string | null,
  nodeFlags: string[] = [],
): Promise<RunningServer> {
  const child = new NodeChild('our-server', cpu, [JSON.stringify(c)], nodeFlags);
  const info = (await child.ready) as { port: number; udpDataPath: string };
  await waitForStun(info.port);
  const name = c.dgram ? 'parley-dgram' : 'parley';
  if (!c.dgram) dataPath = info.udpDataPath;
  return { name, pid: child.pid, port: info.port, stop: () => child.stop() };
}

/**
 * coturn with explicit flags and no config file: UDP only on loopback, REST secret, loopback peers allowed,
 * logging to /dev/null, its own SQLite file in a temporary directory (coturn opens one even when unused).
 */
export async function startCoturn(bin: string, c: ServerConfig, cpu: string | null): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-coturn-'));
  const args = [
    '-n',
    `--listening-ip=127.0.0.1`,
    `--listening-port=${c.port}`,
    `--relay-ip=127.0.0.1`,
    `--min-port=${c.minPort}`,
    `--max-port=${c.maxPort}`,
    '--use-auth-secret',
    `--static-auth-secret=${c.secret}`,
    `--realm=${c.realm}`,
    '--no-tls',
    '--no-dtls',
    '--no-tcp',
    '--allow-loopback-peers',
    '--no-cli',
    '--no-rfc5780',
    '--no-software-attribute',
    '--no-stdout-log',
    '--log-file=/dev/null',
    '--simple-log',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
  ];
  const [cmd, cmdArgs] = pinned(cpu, bin, args);
  const proc: ChildProcess = spawn(cmd, cmdArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForStun(c.port),
      exited.then(() => {
        throw new Error(`turnserver exited at start: ${stderr}`);
      }),
    ]);
  } catch (err) {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    name: 'coturn',
    pid: proc.pid ?? -1,
    port: c.port,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
