/**
 * The harness for hostile-input tests: a real `parley serve` process started as a user would start it,
 * a bystander pair in a room of its own, and the check that a hostile input cost nobody else anything
 * (the process is alive, /healthz answers, the bystanders still exchange messages).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { fileURLToPath } from 'node:url';
import { type ClientOptions, WebSocket } from 'ws';

// PARLEY_SERVE_BIN runs the same tests against another checkout's `parley` (say, the commit before a fix).
const bin = process.env.PARLEY_SERVE_BIN ?? fileURLToPath(new URL('../../bin/parley.js', import.meta.url));

export interface Serve {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly host: string;
  readonly port: number;
  /** The STUN/TURN UDP and TCP port, when TURN runs. */
  readonly turnPort: number | undefined;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  alive(): boolean;
  /** Resident set size of the process in bytes, from /proc. */
  rss(): number;
  /** Status of GET /healthz (0 when it does not answer within 2 s). */
  healthz(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `parley serve --port 0 --turn-port 0` plus `args`, and resolves once it prints its URLs. */
export async function startServe(
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  /**
   * `fdLimit`: the process's open-file limit (prlimit), to meet descriptor exhaustion early. `ca`: the
   * certificate authority (PEM) that /healthz over HTTPS is checked against (with --tls-cert).
   */
  opts: { fdLimit?: number; ca?: string } = {},
): Promise<Serve> {
  const argv = [bin, 'serve', '--port', '0', '--turn-port', '0', '--log-level', 'warn', ...args];
  const [cmd, cmdArgs] = opts.fdLimit
    ? ['prlimit', [`--nofile=${opts.fdLimit}`, process.execPath, ...argv]]
    : [process.execPath, argv];
  const child = spawn(cmd, cmdArgs as string[], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 15_000;
  while (!/signaling\s+(wss?:\S+)/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`parley serve did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const wsUrl = /signaling\s+(wss?:\S+)/.exec(out)![1]!;
  const httpUrl = wsUrl.replace(/^ws/, 'http').replace(/\/ws$/, '');
  const url = new URL(httpUrl);
  const turn = /stun\/turn\s+udp (\d+)/.exec(out);
  return {
    child,
    pid: child.pid!,
    httpUrl,
    wsUrl,
    host: url.hostname,
    port: Number(url.port),
    turnPort: turn ? Number(turn[1]) : undefined,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    rss: () => rssOf(child.pid!),
    async healthz() {
      if (httpUrl.startsWith('https:')) return httpsStatus(`${httpUrl}/healthz`, opts.ca);
      try {
        const r = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        return r.status;
      } catch {
        return 0;
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 6000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A GET over HTTPS trusting `ca`: its status and body (status 0 when it does not answer within 2 s). */
export function httpsGetText(url: string, ca: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const failed = () => resolve({ status: 0, body: '' });
    const req = httpsGet(url, { ...(ca ? { ca } : {}), signal: AbortSignal.timeout(2000) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', failed);
    });
    req.on('error', failed);
  });
}

/** Status of a GET over HTTPS trusting `ca` (0 when it does not answer within 2 s). */
export async function httpsStatus(url: string, ca: string | undefined): Promise<number> {
  return (await httpsGetText(url, ca)).status;
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)/.exec(status);
  return kb ? Number(kb[1]) * 1024 : 0;
}

/** Two well-behaved peers in a room of their own, whose messages must keep flowing whatever else happens. */
export interface Bystanders {
  /** Sends one message from one to the other and resolves with the round trip in ms; rejects after `timeoutMs`. */
  roundTrip(timeoutMs?: number): Promise<number>;
  close(): void;
}

export async function bystanders(
  wsUrl: string,
  room = `calm-${process.pid}-${Date.now()}`,
  join: Record<string, unknown> = {},
  /** Options for `ws` (a `ca` for wss://). */
  wsOptions: ClientOptions = {},
): Promise<Bystanders> {
  const a = await joinedSocket(wsUrl, room, join, wsOptions);
  const b = await joinedSocket(wsUrl, room, join, wsOptions);
  let n = 0;
  return {
    async roundTrip(timeoutMs = 5000) {
      const id = `rt-${++n}`;
      const started = performance.now();
      const got = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          b.ws.off('message', onMessage);
          reject(new Error(`bystander message ${id} not delivered within ${timeoutMs} ms`));
        }, timeoutMs);
        const onMessage = (data: unknown) => {
          const f = JSON.parse(String(data)) as { type: string; data?: unknown; from?: string; seq?: number };
          if (f.seq !== undefined) b.ws.send(JSON.stringify({ type: 'ack', seq: f.seq }));
          if (f.type === 'message' && f.data === id && f.from === a.id) {
            clearTimeout(timer);
            b.ws.off('message', onMessage);
            resolve();
          }
        };
        b.ws.on('message', onMessage);
      });
      a.ws.send(JSON.stringify({ type: 'message', to: b.id, data: id }));
      await got;
      return performance.now() - started;
    },
    close() {
      a.ws.close();
      b.ws.close();
    },
  };
}

async function joinedSocket(
  wsUrl: string,
  room: string,
  join: Record<string, unknown>,
  wsOptions: ClientOptions,
): Promise<{ ws: WebSocket; id: string }> {
  const ws = new WebSocket(wsUrl, ['parley.v1'], wsOptions);
  ws.on('error', () => {});
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'join', room, ...join }));
  const [data] = await once(ws, 'message');
  const f = JSON.parse(String(data)) as { type: string; selfId: string };
  assert.equal(f.type, 'joined', `bystander could not join: ${String(data)}`);
  return { ws, id: f.selfId };
}

/**
 * The check after every hostile input: the process is alive, /healthz answers 200, and the bystanders
 * still exchange a message. Resolves with the bystanders' round trip in ms.
 */
export async function assertSurvived(serve: Serve, pair: Bystanders): Promise<number> {
  assert.ok(serve.alive(), `parley serve exited:\n${serve.output().slice(-3000)}`);
  assert.equal(await serve.healthz(), 200, `/healthz did not answer:\n${serve.output().slice(-3000)}`);
  const ms = await pair.roundTrip();
  assert.ok(serve.alive(), 'parley serve exited after the bystander round trip');
  console.log(
    `# bystanders: message delivered, round trip ${ms.toFixed(1)} ms; RSS ${(serve.rss() / 2 ** 20).toFixed(0)} MiB`,
  );
  return ms;
}

/** Runs `fn` with a fresh `parley serve` and bystander pair, checks survival after it, and stops the process. */
export async function withServe<T>(
  args: string[],
  fn: (serve: Serve, pair: Bystanders) => Promise<T>,
  env: NodeJS.ProcessEnv = {},
): Promise<T> {
  const serve = await startServe(args, env);
  let pair: Bystanders | undefined;
  try {
    pair = await bystanders(serve.wsUrl);
    const result = await fn(serve, pair);
    await assertSurvived(serve, pair);
    return result;
  } finally {
    pair?.close();
    await serve.stop();
  }
}
