/**
 * The process under fuzzing: a real `parley serve` (any checkout's bin), restarted after it dies, and the
 * check between batches (alive, /healthz and a bystander round trip within a bound, RSS sampled).
 * Built on apps/cli/test/hostile/harness.ts (its Serve shape, bystanders and rssOf), with the bin as a
 * parameter so that a campaign can run against another checkout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type Bystanders, bystanders, rssOf, type Serve } from '../../apps/cli/test/hostile/harness.js';

export const defaultBin = fileURLToPath(new URL('../../apps/cli/bin/parley.js', import.meta.url));

/** How long /healthz or a bystander round trip may take before the process counts as hung. */
export const HANG_MS = 5000;
const OUTPUT_KEPT = 64 * 1024;

export interface FuzzServe extends Serve {
  readonly turnTcpPort: number | undefined;
  readonly turnTlsPort: number | undefined;
}

export interface TargetOptions {
  bin?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Every server this process started and has not seen exit: killed if this process ends first. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `parley serve` from `bin`; resolves once it prints its URLs. Keeps the last 64 KiB of output. */
export async function startFuzzServe(o: TargetOptions = {}): Promise<FuzzServe> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      o.bin ?? defaultBin,
      'serve',
      '--port',
      '0',
      '--turn-port',
      '0',
      '--log-level',
      'warn',
      ...(o.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  const keep = (d: Buffer) => {
    out += d;
    if (out.length > 2 * OUTPUT_KEPT) out = out.slice(-OUTPUT_KEPT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + 20_000;
  while (!/signaling\s+(ws:\S+)/.test(out) || !/Press Ctrl\+C/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`parley serve did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const wsUrl = /signaling\s+(ws:\S+)/.exec(out)![1]!;
  const httpUrl = wsUrl.replace(/^ws:/, 'http:').replace(/\/ws$/, '');
  const url = new URL(httpUrl);
  const port = (re: RegExp) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  return {
    child,
    pid: child.pid!,
    httpUrl,
    wsUrl,
    host: url.hostname,
    port: Number(url.port),
    turnPort: port(/stun\/turn\s+udp (\d+)/),
    turnTcpPort: port(/stun\/turn\s+udp [\d,]+, tcp (\d+)/),
    turnTlsPort: port(/stun\/turn\s+udp [\d,]+, tcp [\d,]+, tls (\d+)/),
    output: () => out.slice(-OUTPUT_KEPT),
    alive: () => child.exitCode === null && child.signalCode === null,
    rss: () => {
      try {
        return rssOf(child.pid!);
      } catch {
        return 0;
      }
    },
    healthz: () => healthz(httpUrl, 2000),
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

async function healthz(httpUrl: string, timeoutMs: number): Promise<number> {
  try {
    const r = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

export type Health =
  | { ok: true }
  | { ok: false; kind: 'crash'; exit: string; stderrTail: string }
  | { ok: false; kind: 'hang'; what: string; stderrTail: string };

/**
 * One fuzzing target: the current process and its bystander pair, a restart after a death or a hang,
 * and RSS sampled every 100 ms (peak kept across restarts).
 */
export class Target {
  serve!: FuzzServe;
  private pair: Bystanders | undefined;
  private sampler: NodeJS.Timeout | undefined;
  peakRss = 0;
  restarts = 0;
  private onExit: (() => void) | undefined;

  private constructor(readonly options: TargetOptions) {}

  static async start(options: TargetOptions = {}): Promise<Target> {
    const t = new Target(options);
    await t.launch();
    return t;
  }

  private async launch(): Promise<void> {
    this.serve = await startFuzzServe(this.options);
    this.serve.child.on('exit', () => this.onExit?.());
    this.pair = await bystanders(this.serve.wsUrl, `calm-fuzz-${this.restarts}`);
    clearInterval(this.sampler);
    this.sampler = setInterval(() => this.sample(), 100);
    this.sampler.unref();
    this.sample();
  }

  sample(): number {
    const rss = this.serve.alive() ? this.serve.rss() : 0;
    if (rss > this.peakRss) this.peakRss = rss;
    return rss;
  }

  /** Called (once per process) when the current process exits; fuzzers use it to stop a batch early. */
  whenExits(fn: (() => void) | undefined): void {
    this.onExit = fn;
  }

  alive(): boolean {
    return this.serve.alive();
  }

  /** Whether the process is alive and answers /healthz and a bystander round trip within HANG_MS. */
  async check(): Promise<Health> {
    this.sample();
    if (!this.alive()) return this.crashed();
    const status = await healthz(this.serve.httpUrl, HANG_MS);
    // A process that just died may not have been reaped yet: give its exit a moment to arrive.
    if (status !== 200) await this.settle(500);
    if (!this.alive()) return this.crashed();
    if (status !== 200)
      return {
        ok: false,
        kind: 'hang',
        what: `/healthz answered ${status || 'nothing'}`,
        stderrTail: this.tail(),
      };
    try {
      await this.pair!.roundTrip(HANG_MS);
    } catch (err) {
      await this.settle(500);
      if (!this.alive()) return this.crashed();
      return { ok: false, kind: 'hang', what: (err as Error).message, stderrTail: this.tail() };
    }
    this.sample();
    return { ok: true };
  }

  /** Waits up to `ms` for the process to die (a crash takes a moment to land after its input). */
  async settle(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && this.alive()) await new Promise((r) => setTimeout(r, 10));
    return this.alive();
  }

  private crashed(): Health {
    const c = this.serve.child;
    return {
      ok: false,
      kind: 'crash',
      exit: c.signalCode ? `signal ${c.signalCode}` : `exit code ${c.exitCode}`,
      stderrTail: this.tail(),
    };
  }

  tail(): string {
    return this.serve.output().slice(-4000);
  }

  /** Kills what is left of the current process and starts a fresh one. */
  async restart(): Promise<void> {
    this.pair?.close();
    if (this.alive()) {
      const exited = once(this.serve.child, 'exit');
      this.serve.child.kill('SIGKILL');
      await exited;
    }
    this.restarts++;
    await this.launch();
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    this.pair?.close();
    await this.serve.stop();
  }
}
