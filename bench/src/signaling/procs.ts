/** Child processes pinned to a CPU with `taskset`, spoken to over IPC with request/reply pairs. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../bundle.js';
import { processTickSeconds } from '../proc-stat.js';
import type { AllocReply, SetupReply } from './ipc.js';
import type { SystemName } from './systems.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
// Inside the repo so the bundles resolve `ws`, `peer`, `pino`… from node_modules; ignored by git and biome.
const bundleDir = here('../../node_modules/.cache/parley-bench');
const bundles = new Map<string, string>();

/**
 * Child processes run plain JavaScript bundled from the TypeScript sources (our workspace packages
 * included, third-party ones left in node_modules), as the CLI's build does: no loader thread in the
 * server's memory, CPU or profile.
 */
export async function prepareBundles(): Promise<void> {
  const root = here('../../../');
  await Promise.all(
    ['serve', 'loadgen'].map(async (name) => {
      const outfile = join(bundleDir, `${name}.mjs`);
      await bundleForNode(here(`./${name}.ts`), outfile, root);
      bundles.set(name, outfile);
    }),
  );
}

export class Child {
  private rid = 0;
  private readonly waiting = new Map<number, (v: unknown) => void>();
  private exited = false;
  readonly ready: Promise<{ port: number }>;

  constructor(
    readonly proc: ChildProcess,
    readonly kind: 'server' | 'worker',
  ) {
    this.ready = new Promise((resolve, reject) => {
      proc.on('message', (m: { rid?: number; reply?: unknown; ready?: boolean; port?: number }) => {
        if (m.ready) resolve({ port: m.port ?? 0 });
        else if (m.rid !== undefined) {
          this.waiting.get(m.rid)?.(m.reply);
          this.waiting.delete(m.rid);
        }
      });
      proc.on('exit', (code, signal) => {
        this.exited = true;
        const err = new Error(`child ${proc.pid} exited (${code ?? signal})`);
        reject(err);
        for (const w of this.waiting.values()) w(Promise.reject(err));
        this.waiting.clear();
      });
    });
    this.ready.catch(() => {});
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  request<T>(msg: object): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`child ${this.pid} has exited`));
    const rid = ++this.rid;
    return new Promise<T>((resolve) => {
      this.waiting.set(rid, resolve as (v: unknown) => void);
      this.proc.send({ ...msg, rid });
    });
  }

  /** CPU seconds (user + system) the process has used so far, from /proc. */
  cpuSeconds(): number {
    return processTickSeconds(this.pid);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    await Promise.race([this.request({ op: this.kind === 'server' ? 'exit' : 'close' }), gone]).catch(
      () => {},
    );
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
}

function launch(script: 'serve' | 'loadgen', args: string[], cpu: string | null, nodeFlags: string[]): Child {
  const file = bundles.get(script);
  if (!file) throw new Error(`prepareBundles() has not built ${script}`);
  const argv = [...nodeFlags, file, ...args];
  const [cmd, cmdArgs] =
    cpu === null ? [process.execPath, argv] : ['taskset', ['-c', cpu, process.execPath, ...argv]];
  const proc = spawn(cmd, cmdArgs, {
    cwd: here('../../../'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, PARLEY_LOG_LEVEL: process.env.PARLEY_LOG_LEVEL ?? 'warn' },
  });
  return new Child(proc, script === 'serve' ? 'server' : 'worker');
}

/** A server under test; BENCH_SERVER_FLAGS adds node flags while investigating (e.g. --trace-gc). */
export function startServerProcess(system: string, cpu: string | null): Child {
  const debug = process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? [];
  return launch('serve', [system], cpu, ['--expose-gc', ...debug]);
}

export function startWorker(cpu: string | null, nodeFlags: string[] = []): Child {
  return launch('loadgen', [], cpu, nodeFlags);
}

/**
 * What each server allocates while `work` runs (V8's sampling heap profiler in the server, garbage
 * included; see serve.ts).
 */
export async function allocationDuring(
  servers: Child[],
  work: () => Promise<unknown>,
): Promise<AllocReply[]> {
  await Promise.all(servers.map((s) => s.request({ op: 'alloc-start' })));
  await work();
  return Promise.all(servers.map((s) => s.request<AllocReply>({ op: 'alloc-stop' })));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One server under test and one load worker holding `pairs` joined rooms of two. */
export interface Rig {
  system: SystemName;
  server: Child;
  worker: Child;
  setup: SetupReply;
  stop(): Promise<void>;
}

export interface RigOptions {
  serverCpu: string | null;
  clientCpu: string | null;
  /** Rooms of two to join; 0 leaves the server without clients. */
  pairs: number;
  /** Unique per rig, so room names and client IDs never collide. */
  prefix: string;
  concurrency?: number;
  /** Whether the clients send their system's keep-alive on its timer (default true). */
  keepAlive?: boolean;
}

export async function startRig(system: SystemName, o: RigOptions): Promise<Rig> {
  const server = startServerProcess(system, o.serverCpu);
  const worker = startWorker(o.clientCpu);
  const stop = async () => {
    await Promise.all([worker.stop(), server.stop()]);
  };
  try {
    const { port } = await server.ready;
    const setup: SetupReply = o.pairs
      ? await worker.request<SetupReply>({
          op: 'setup',
          system,
          host: '127.0.0.1',
          port,
          pairs: o.pairs,
          prefix: o.prefix,
          concurrency: o.concurrency ?? 20,
          ...(o.keepAlive === undefined ? {} : { keepAlive: o.keepAlive }),
        })
      : { connected: 0, failed: 0, ms: 0, errors: [] };
    return { system, server, worker, setup, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
