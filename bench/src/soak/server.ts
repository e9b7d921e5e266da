/**
 * The server under test: a real `parley serve` process (apps/cli/bin/parley.js, built first), started on
 * free ports with a raised open-file limit, its stdout banner parsed for the port and its stderr kept (a
 * tail in memory for the report, all of it in a log file) so that a crash is reported with its stack.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export interface ServeFlag {
  flag: string;
  description: string;
}

export interface StartedServe {
  proc: ChildProcess;
  pid: number;
  port: number;
  turnPort: number;
  args: string[];
  /** Resolves when the process exits, whenever that is. */
  exited: Promise<ServeExit>;
  exit: ServeExit | null;
  stderrTail(): string;
  stdoutTail(): string;
  stop(): Promise<ServeExit>;
}

export interface ServeExit {
  code: number | null;
  signal: string | null;
  /** Milliseconds since the process was started. */
  atMs: number;
}

export function buildCli(root: string): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-needed'], {
    cwd: root,
    stdio: 'inherit',
    timeout: 300_000,
  });
}

/** `parley serve --help`, split into options (a flag and its description, continuation lines joined). */
export function serveOptions(root: string): ServeFlag[] {
  const text = execFileSync(process.execPath, ['apps/cli/bin/parley.js', 'serve', '--help'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  const out: ServeFlag[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s{2}(-\w, )?(--[\w-]+(?: <[^>]+>)?)\s{2,}(.*)$/.exec(line);
    if (m) out.push({ flag: m[2]!, description: m[3]! });
    else if (out.length && /^\s{10,}\S/.test(line)) out.at(-1)!.description += ` ${line.trim()}`;
    else if (line.trim() === '' || /^\S/.test(line)) {
      if (out.length && !/^\s/.test(line)) break;
    }
  }
  return out;
}

/**
 * Signaling options that limit connections, sessions or frame rate per source address, if `parley serve`
 * has any by now (TURN's per-IP limits are left at their defaults: the TURN flood is meant to meet them).
 */
export function perAddressFlags(options: ServeFlag[]): Array<ServeFlag & { kind: 'count' | 'rate' }> {
  const perAddr =
    /per[- ](ip|address|addr|source|client address|remote)|each (ip|address)|one (ip|address)|one client address/i;
  return options
    .filter(
      (o) =>
        /<(n|tokens|frames)>/.test(o.flag) &&
        !o.flag.startsWith('--turn') &&
        (perAddr.test(o.flag) || perAddr.test(o.description)),
    )
    .flatMap((o): Array<ServeFlag & { kind: 'count' | 'rate' }> => {
      if (/rate/i.test(o.flag)) return [{ ...o, kind: 'rate' }];
      if (/conn|session/i.test(o.flag)) return [{ ...o, kind: 'count' }];
      return [];
    });
}

/** A port free for both UDP and TCP on 127.0.0.1 (TURN listens on both). */
export async function freeUdpTcpPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const tcpOk = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!tcpOk) continue;
    const udpOk = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpOk) return port;
  }
  throw new Error('no free port for TURN');
}

/** A folder with one file for `--static`, so the Range requests hit a real file (sirv). */
export function staticDir(runDir: string): { dir: string; path: string } {
  const dir = join(runDir, 'static');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><title>soak</title>\n${'<p>parley soak</p>\n'.repeat(500)}`,
  );
  return { dir, path: '/index.html' };
}

/** Keeps the last `max` characters of a stream. */
class Tail {
  private buf = '';
  constructor(private readonly max: number) {}
  push(s: string): void {
    this.buf += s;
    if (this.buf.length > this.max * 2) this.buf = this.buf.slice(-this.max);
  }
  get text(): string {
    return this.buf.slice(-this.max);
  }
}

export async function startServe(
  root: string,
  args: string[],
  logFile: string,
  openFiles: number,
  turnPort: number,
): Promise<StartedServe> {
  const started = Date.now();
  // Raise the open-file limit for the server only (as root the hard limit can be raised too).
  const sh = `ulimit -n ${openFiles} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const proc = spawn('sh', ['-c', sh, process.execPath, 'apps/cli/bin/parley.js', 'serve', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const log = createWriteStream(logFile);
  let logged = 0;
  const LOG_CAP = 50 << 20;
  const errTail = new Tail(16_384);
  const outTail = new Tail(4096);
  proc.stderr!.setEncoding('utf8');
  proc.stdout!.setEncoding('utf8');
  proc.stderr!.on('data', (s: string) => {
    errTail.push(s);
    if (logged < LOG_CAP) {
      log.write(s);
      logged += s.length;
    }
  });
  let resolvePort: (p: number) => void = () => {};
  const portFound = new Promise<number>((r) => {
    resolvePort = r;
  });
  proc.stdout!.on('data', (s: string) => {
    outTail.push(s);
    const m = /signaling\s+ws:\/\/[^:]+:(\d+)\/ws/.exec(outTail.text);
    if (m) resolvePort(Number(m[1]));
  });
  const s: StartedServe = {
    proc,
    pid: proc.pid ?? -1,
    port: 0,
    turnPort,
    args,
    exit: null,
    exited: new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        s.exit = { code, signal, atMs: Date.now() - started };
        log.end();
        resolve(s.exit);
      });
    }),
    stderrTail: () => errTail.text,
    stdoutTail: () => outTail.text,
    stop: async () => {
      if (s.exit) return s.exit;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 8000);
      const e = await s.exited;
      clearTimeout(t);
      return e;
    },
  };
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('parley serve printed no banner in 30 s')), 30_000).unref(),
  );
  const died = s.exited.then((e) => {
    throw new Error(
      `parley serve exited at start (${e.code ?? e.signal}):\n${errTail.text.slice(-2000)}${outTail.text}`,
    );
  });
  s.port = await Promise.race([portFound, timeout, died]);
  return s;
}
