/** Child processes for the TURN benchmark: esbuild bundles, CPU pinning, IPC request/reply, CPU time. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../bundle.js';
import { processTickSeconds } from '../proc-stat.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
export const repoRoot = here('../../../');
// Inside the repo so bundles resolve third-party packages from node_modules; ignored by git and biome.
const bundleDir = here('../../node_modules/.cache/parley-bench-turn');
const bundles = new Map<string, string>();

/** Path of a built bundle (for mapping profile lines back to sources). */
export function bundlePath(script: Script): string {
  return join(bundleDir, `${script}.mjs`);
}

export type Script = 'our-server' | 'loadgen' | 'echo';

/**
 * Child processes run plain JavaScript bundled from the TypeScript sources (workspace packages included),
 * so no TypeScript loader sits in the measured server's CPU time or profile.
 */
export async function prepareBundles(): Promise<void> {
  const names: Script[] = ['our-server', 'loadgen', 'echo'];
  await Promise.all(
    names.map(async (name) => {
      const outfile = join(bundleDir, `${name}.mjs`);
      await bundleForNode(here(`./${name}.ts`), outfile, repoRoot);
      bundles.set(name, outfile);
    }),
  );
}

/** Seconds a process's threads spent runnable but waiting for a CPU (schedstat field 2): the noise from others. */
export function processWaitSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    }
    return ns / 1e9;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time of a process and all its threads, in seconds. Sums /proc/<pid>/task/<tid>/schedstat (ns) for
 * precision; falls back to utime + stime from /proc/<pid>/stat (10 ms ticks).
 */
export function processCpuSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const s = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
      ns += Number(s.slice(0, s.indexOf(' ')));
    }
    return ns / 1e9;
  } catch {
    return processTickSeconds(pid);
  }
}

/** Wraps a command in `taskset -c <cpu>` when a CPU is given. */
export function pinned(cpu: string | null, cmd: string, args: string[]): [string, string[]] {
  return cpu === null ? [cmd, args] : ['taskset', ['-c', cpu, cmd, ...args]];
}

interface Reply {
  rid?: number;
  reply?: unknown;
  error?: string;
  ready?: boolean;
  info?: unknown;
}

/** A Node child process that answers `{ op, rid, … }` requests with `{ rid, reply }` over IPC. */
export class NodeChild {
  private rid = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;
  readonly ready: Promise<unknown>;
  readonly proc: ChildProcess;

  constructor(script: Script, cpu: string | null, args: string[] = [], nodeFlags: string[] = []) {
    const file = bundles.get(script);
    if (!file) throw new Error(`prepareBundles() has not built ${script}`);
    const [cmd, cmdArgs] = pinned(cpu, process.execPath, [...nodeFlags, file, ...args]);
    this.proc = spawn(cmd, cmdArgs, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.proc.on('message', (m: Reply) => {
        if (m.ready) resolve(m.info);
        else if (m.rid !== undefined) {
          const w = this.waiting.get(m.rid);
          this.waiting.delete(m.rid);
          if (m.error !== undefined) w?.reject(new Error(m.error));
          else w?.resolve(m.reply);
        }
      });
      this.proc.on('exit', (code, signal) => {
        this.exited = true;
        const err = new Error(`${script} (pid ${this.proc.pid}) exited (${code ?? signal})`);
        reject(err);
        for (const w of this.waiting.values()) w.reject(err);
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
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(rid, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ ...msg, rid });
    });
  }

  /** Asks the child to exit (so `--cpu-prof` gets written), then kills it if it lingers. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.request({ op: 'exit' }).catch(() => {});
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }
}

/** The child side of NodeChild: routes `{ op }` requests to handlers and replies. */
export function serveIpc(handlers: Record<string, (msg: Record<string, unknown>) => unknown>): void {
  process.on('message', async (m: Record<string, unknown>) => {
    const rid = m.rid as number;
    if (m.op === 'exit') {
      process.send?.({ rid, reply: null }, () => process.exit(0));
      return;
    }
    const h = handlers[m.op as string];
    try {
      if (!h) throw new Error(`unknown op ${String(m.op)}`);
      process.send?.({ rid, reply: await h(m) });
    } catch (err) {
      process.send?.({ rid, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
