/**
 * `npm run bench:transfer [-- --only node|chromium --mib 256 --rounds 3 --warmup-mib 16]`: the file transfer
 * engine against the raw data channel pump on the same kind of connection, in the same run, round by round
 * (after a warm-up round of every phase on `--warmup-mib`, not recorded; phases in reverse order on odd
 * rounds, so that a drift over a round does not always favour the same phase).
 *
 * Every peer runs in a process of its own and joins a room of a Parley server in this process (loopback,
 * host candidates); each phase of each round gets a fresh room and connection:
 *  - Node↔Node: two node-datachannel child processes (transfer/node-peer.ts, bundled to plain JS).
 *    raw: 64 KiB messages on a reliable ordered channel while `bufferedAmount` < 1 MiB, resumed at
 *    `bufferedamountlow` (256 KiB), no disk, no hashing; engine (disk): `sendFiles` of a random file on
 *    disk into `nodeSink`, SHA-256 per block (Web Crypto) and per file (node:crypto) on both sides.
 *  - Chromium page↔page: two Chromium instances (Debian's, through playwright-core), one page each with
 *    the SDK and the engine bundled in (transfer/page.ts), served by the same server. raw: the same pump;
 *    engine (OPFS): `sendFiles` of a synthetic file into `opfsSink()` (the default browser sink: staging),
 *    hashing on (Web Crypto per block, @noble/hashes per file, as in the web app); engine (memory): the
 *    same into `memorySink()`, to tell the engine's cost from the staging's.
 * A phase is timed by the sender, from its first byte to the receiver's word that it has everything (raw:
 * a message back; engine: `done`, after the receiver verified the file). The receiver notes its memory
 * every 100 ms (Node: RSS; page: used JS heap, and this process reads the receiving renderer's RSS), and
 * this process reads every measured process's CPU time per thread from /proc.
 * Results: bench/results/transfer-<time>.json and transfer-latest.json, and Markdown tables on stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer } from '@parley/server';
import { build } from 'esbuild';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../tests/e2e/harness/chromium.js';
import { bundleForNode } from './bundle.js';
import type { Ceilings, PageMode, PagePrepare } from './transfer/page.js';
import {
  children,
  cmdline,
  cpuShare,
  descendants,
  rssBytes,
  type ThreadCpu,
  threadCpu,
  udpCounters,
} from './transfer/procs.js';
import {
  bytesAt,
  MiB,
  markdown,
  memoryProfile,
  type PathResult,
  type Phase,
  type Round,
  summarize,
} from './transfer/report.js';
import type { Received } from './transfer/rounds.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    mib: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '3' },
    'warmup-mib': { type: 'string', default: '16' },
  },
});
const only = args.only;
if (only !== undefined && only !== 'node' && only !== 'chromium') {
  console.error('bench:transfer: --only is node or chromium');
  process.exit(1);
}
const bytes = Math.round(Number(args.mib) * MiB);
const rounds = Number(args.rounds);
/** Each path first runs every phase once on this many bytes, not recorded (JIT, caches, first connections). */
const warmBytes = Math.min(bytes, Math.round(Number(args['warmup-mib']) * MiB));
if (!(bytes > 0) || !(rounds >= 1)) {
  console.error('bench:transfer: --mib and --rounds must be positive');
  process.exit(1);
}
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const repoRoot = here('../../');
const log = (line: string) => process.stderr.write(`${line}\n`);
const cores = availableParallelism();
const loadAtStart = loadavg()[0] as number;
/** A phase that takes longer than this has stalled (at least 1 MB/s, at least a minute). */
const phaseTimeoutMs = Math.max(60_000, bytes / 1e3);

function withTimeout<T>(p: Promise<T>, what: string, ms = phaseTimeoutMs): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench:transfer: ${what} took over ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---- the page, served by the server with the SDK bundled in ----

const pagesDir = await mkdtemp(join(tmpdir(), 'parley-bench-transfer-pages-'));
{
  const result = await build({
    entryPoints: [here('./transfer/page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    conditions: ['@parley/source'],
    external: ['node-datachannel', 'node-datachannel/*', 'ws'],
    logLevel: 'warning',
  });
  writeFileSync(join(pagesDir, 'transfer.js'), result.outputFiles[0]?.text ?? '');
  writeFileSync(
    join(pagesDir, 'transfer.html'),
    '<!doctype html><meta charset="utf-8"><title>parley bench:transfer</title><link rel="icon" href="data:,">' +
      '<script type="module" src="/transfer.js"></script><body></body>',
  );
}

const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  staticDir: pagesDir,
  logger: pino({ level: 'silent' }),
});
const work = await mkdtemp(join(tmpdir(), 'parley-bench-transfer-'));
let roomN = 0;
const newRoom = () => `bench-transfer-${process.pid}-${roomN++}`;
const MBps = (n: number, ms: number) => n / 1e6 / (ms / 1000);
/** Rounds to run: -1 is the warm-up (when there is one), never recorded. */
const roundNumbers = [...(warmBytes > 0 ? [-1] : []), ...Array.from({ length: rounds }, (_, i) => i)];
/** Phases in their order on even rounds and reversed on odd ones, so that drift over a round cancels. */
const inOrder = <T>(round: number, phases: readonly T[]): readonly T[] =>
  round % 2 === 1 ? [...phases].reverse() : phases;
const roundName = (round: number) => (round < 0 ? 'warm-up' : `round ${round}`);

const udpDelta = (a: ReturnType<typeof udpCounters>, b: ReturnType<typeof udpCounters>) => ({
  datagrams: b.datagrams - a.datagrams,
  rcvbufDrops: b.rcvbufDrops - a.rcvbufDrops,
});

/** Every thread of `pids`, keyed by pid and thread id. */
function cpuOf(pids: readonly number[]): ThreadCpu {
  const out: ThreadCpu = new Map();
  for (const pid of pids) for (const [tid, t] of threadCpu(pid)) out.set(`${pid}/${tid}`, t);
  return out;
}

// ---- Node↔Node: two child processes ----

/** Extra node flags for the peer processes (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) from PARLEY_BENCH_PEER_ARGS. */
const peerArgs = (process.env.PARLEY_BENCH_PEER_ARGS ?? '').split(' ').filter(Boolean);

class NodePeer {
  readonly lines: Record<string, unknown>[] = [];
  readonly proc: ChildProcess;
  constructor(
    bundle: string,
    readonly name: string,
  ) {
    this.proc = spawn(process.execPath, [...peerArgs, bundle], {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: repoRoot,
    });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        log(`${this.name}: ${l}`);
      }
    });
  }
  /** Sends a command; resolves with the first event named `ev` after it (an `error` event rejects). */
  async ask(cmd: Record<string, unknown>, ev: string): Promise<Record<string, unknown>> {
    const mark = this.lines.length;
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return this.next(ev, mark);
  }
  async next(ev: string, from: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + phaseTimeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find((l) => l.ev === ev || l.ev === 'error');
      if (found?.ev === 'error') throw new Error(`${this.name}: ${String(found.message)}`);
      if (found) return found;
      if (Date.now() > deadline || this.proc.exitCode !== null)
        throw new Error(`bench:transfer: the ${this.name} process stalled or exited waiting for "${ev}"`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin!.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

async function runNode(): Promise<PathResult> {
  const bundle = join(repoRoot, 'node_modules/.cache/parley-bench/transfer-node-peer.mjs');
  await bundleForNode(here('./transfer/node-peer.ts'), bundle, repoRoot);
  const writeFile = async (name: string, n: number) => {
    const path = join(work, name);
    const h = await open(path, 'w');
    for (let done = 0; done < n; done += 8 * MiB) await h.write(randomBytes(Math.min(8 * MiB, n - done)));
    await h.close();
    return path;
  };
  const file = await writeFile('src.bin', bytes);
  const warmFile = warmBytes > 0 ? await writeFile('warm.bin', warmBytes) : file;
  const receiver = new NodePeer(bundle, 'receiver');
  const sender = new NodePeer(bundle, 'sender');
  const out: Round[] = [];
  try {
    for (const round of roundNumbers) {
      const phases: Phase[] = [];
      const n = round < 0 ? warmBytes : bytes;
      for (const mode of inOrder(round, ['raw', 'engine'] as const)) {
        const room = newRoom();
        const common = { cmd: 'prepare', mode, url: server.wsUrl, room, bytes: n };
        const outDir = join(work, `out-${round}`);
        const mark = receiver.lines.length;
        await receiver.ask({ ...common, role: 'receiver', out: outDir }, 'ready');
        const ready = await sender.ask(
          { ...common, role: 'sender', file: round < 0 ? warmFile : file },
          'ready',
        );
        const pids = { sender: sender.proc.pid as number, receiver: receiver.proc.pid as number };
        const before = { sender: threadCpu(pids.sender), receiver: threadCpu(pids.receiver) };
        const udp0 = udpCounters();
        const t0 = performance.now();
        const sent = await sender.ask({ cmd: 'go' }, 'sent');
        const wall = performance.now() - t0;
        const udp1 = udpCounters();
        const cpu = {
          receiver: cpuShare(before.receiver, threadCpu(pids.receiver), wall),
          sender: cpuShare(before.sender, threadCpu(pids.sender), wall),
        };
        const got = (await receiver.next('received', mark)) as unknown as Received;
        await Promise.all([receiver.ask({ cmd: 'leave' }, 'left'), sender.ask({ cmd: 'leave' }, 'left')]);
        const ms = sent.ms as number;
        const phase: Phase = {
          name: mode === 'raw' ? 'raw' : 'engine (disk)',
          connection: ready.connection as string | undefined,
          ms,
          MBps: MBps(n, ms),
          memory: memoryProfile(got.before, got.samples, n),
          udp: udpDelta(udp0, udp1),
          cpu,
        };
        phases.push(phase);
        log(
          `node ${roundName(round)} ${phase.name}: ${phase.MBps.toFixed(1)} MB/s, receiver RSS peak ${(phase.memory.peak / MiB).toFixed(0)} MiB, CPU receiver ${cpu.receiver.total} % sender ${cpu.sender.total} %, UDP drops ${phase.udp?.rcvbufDrops}`,
        );
      }
      if (round >= 0) out.push({ round, phases });
    }
  } finally {
    await Promise.all([receiver.stop(), sender.stop()]);
  }
  return summarize('node', bytes, out, loadAtStart, cores);
}

// ---- Chromium page↔page: two browser instances ----

interface BrowserSide {
  browser: Browser;
  page: Page;
  /** The processes this browser instance started (its launcher, the browser, its helpers). */
  roots: number[];
}

async function launchSide(name: string): Promise<BrowserSide> {
  const beforeKids = new Set(children(process.pid));
  const browser = await launchChromium(['--enable-precise-memory-info']);
  const roots = children(process.pid).filter((p) => !beforeKids.has(p) && /chrom/i.test(cmdline(p)));
  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log(`${name} page ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => log(`${name} page error: ${e.stack ?? e.message}`));
  await page.goto(`${server.httpUrl}/transfer.html`);
  await page.waitForFunction(() => window.bench !== undefined, undefined, { timeout: 30_000 });
  return { browser, page, roots };
}

/** The side's processes: renderers (its page) and the rest (browser, GPU, network service, zygotes). */
function processes(side: BrowserSide): { renderers: number[]; others: number[] } {
  const all = [...side.roots, ...side.roots.flatMap((r) => descendants(r))];
  const renderers = all.filter((p) => cmdline(p).includes('--type=renderer'));
  return { renderers, others: all.filter((p) => !renderers.includes(p)) };
}

async function runChromium(): Promise<PathResult & { ceilings: Ceilings; version: string }> {
  const rx = await launchSide('receiver');
  const tx = await launchSide('sender');
  const version = rx.browser.version();
  const out: Round[] = [];
  try {
    const rxProcs = processes(rx);
    const txProcs = processes(tx);
    log(
      `chromium ${version}: receiver renderer(s) ${rxProcs.renderers.join(',')}, sender renderer(s) ${txProcs.renderers.join(',')}`,
    );
    const modes: [PageMode, string][] = [
      ['raw', 'raw'],
      ['engine-opfs', 'engine (OPFS)'],
      ['engine-memory', 'engine (memory)'],
    ];
    for (const round of roundNumbers) {
      const phases: Phase[] = [];
      const n = round < 0 ? warmBytes : bytes;
      for (const [mode, name] of inOrder(round, modes)) {
        const common = {
          mode,
          url: server.wsUrl,
          room: newRoom(),
          bytes: n,
          path: `bench-${round}-${mode}.bin`,
        };
        await withTimeout(
          rx.page.evaluate((p: PagePrepare) => window.bench!.prepare(p), {
            ...common,
            role: 'receiver' as const,
          }),
          'receiver prepare',
        );
        const connection = await withTimeout(
          tx.page.evaluate((p: PagePrepare) => window.bench!.prepare(p), {
            ...common,
            role: 'sender' as const,
          }),
          'sender prepare',
        );
        const rss: { t: number; rss: number }[] = [];
        const readRss = () => {
          const total = rxProcs.renderers.reduce((n, p) => n + rssBytes(p), 0);
          rss.push({ t: Date.now(), rss: total });
        };
        readRss();
        const sampler = setInterval(readRss, 100);
        const roles = {
          'receiver renderer': rxProcs.renderers,
          'receiver browser+helpers': rxProcs.others,
          'sender renderer': txProcs.renderers,
          'sender browser+helpers': txProcs.others,
        };
        const before = Object.fromEntries(Object.entries(roles).map(([k, pids]) => [k, cpuOf(pids)]));
        const udp0 = udpCounters();
        const t0 = performance.now();
        let ms: number;
        try {
          ms = await withTimeout(
            tx.page.evaluate(() => window.bench!.go()),
            `${name} in round ${round}`,
          );
        } finally {
          clearInterval(sampler);
        }
        const wall = performance.now() - t0;
        const udp1 = udpCounters();
        readRss();
        const cpu = Object.fromEntries(
          Object.entries(roles).map(([k, pids]) => [k, cpuShare(before[k] as ThreadCpu, cpuOf(pids), wall)]),
        );
        const got = await withTimeout(
          rx.page.evaluate(() => window.bench!.collect()),
          'receiver collect',
        );
        await Promise.all([
          rx.page.evaluate(() => window.bench!.leave()),
          tx.page.evaluate(() => window.bench!.leave()),
        ]);
        const rssSamples = rss.map((s) => ({ t: s.t, bytes: bytesAt(got.samples, s.t), mem: s.rss }));
        const phase: Phase = {
          name,
          connection,
          ms,
          MBps: MBps(n, ms),
          memory: memoryProfile(got.before, got.samples, n),
          rendererRss: memoryProfile(rss[0]?.rss ?? Number.NaN, rssSamples, n),
          udp: udpDelta(udp0, udp1),
          cpu,
        };
        phases.push(phase);
        log(
          `chromium ${roundName(round)} ${name}: ${phase.MBps.toFixed(1)} MB/s, receiver heap peak ${(phase.memory.peak / MiB).toFixed(0)} MiB, renderer RSS peak ${((phase.rendererRss?.peak ?? 0) / MiB).toFixed(0)} MiB, CPU rx renderer ${cpu['receiver renderer']?.total} % tx renderer ${cpu['sender renderer']?.total} %, UDP drops ${phase.udp?.rcvbufDrops}`,
        );
      }
      if (round >= 0) out.push({ round, phases });
    }
    const ceilingBytes = Math.min(bytes, 64 * MiB);
    const ceilings = await withTimeout(
      rx.page.evaluate((b: number) => window.bench!.ceilings(b), ceilingBytes),
      'ceilings',
    );
    log(
      `chromium ceilings (receiver page, ${ceilingBytes / MiB} MiB): opfsSink alone ${ceilings.opfsSinkMBps.toFixed(1)} MB/s, @noble/hashes SHA-256 ${ceilings.nobleSha256MBps.toFixed(1)} MB/s, Web Crypto 1 MiB blocks ${ceilings.webCryptoBlockMBps.toFixed(1)} MB/s`,
    );
    return { ...summarize('chromium', bytes, out, loadAtStart, cores), ceilings, version };
  } finally {
    await Promise.allSettled([rx.browser.close(), tx.browser.close()]);
  }
}

// ---- run, write, print ----

const results: PathResult[] = [];
let chromiumVersion: string | undefined;
let ceilings: Ceilings | undefined;
/** A path that failed: the other's figures are still written, and the run exits with 1. */
const failures: Record<string, string> = {};
const attempt = async (path: string, run: () => Promise<void>) => {
  try {
    await run();
  } catch (err) {
    failures[path] = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`bench:transfer: the ${path} path failed: ${failures[path]}`);
  }
};
try {
  if (only !== 'chromium')
    await attempt('node', async () => {
      results.push(await runNode());
    });
  if (only !== 'node')
    await attempt('chromium', async () => {
      const c = await runChromium();
      chromiumVersion = c.version;
      ceilings = c.ceilings;
      const { ceilings: _c, version: _v, ...path } = c;
      results.push(path);
    });
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
  await rm(pagesDir, { recursive: true, force: true });
}

const result = {
  benchmark: 'transfer',
  time: new Date().toISOString(),
  node: process.version,
  chromium: chromiumVersion,
  cores,
  bytes,
  rounds,
  warmupBytes: warmBytes,
  loadavgAtStart: loadAtStart,
  loadavgAtEnd: loadavg(),
  results,
  chromiumCeilings: ceilings,
  failures,
};
const resultsDir = join(repoRoot, 'bench/results');
mkdirSync(resultsDir, { recursive: true });
const stamp = result.time.replace(/[:.]/g, '-');
writeFileSync(join(resultsDir, `transfer-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(resultsDir, 'transfer-latest.json'), `${JSON.stringify(result, null, 2)}\n`);

console.log(markdown(results));
if (ceilings)
  console.log(
    `Chromium receiving page, ${(ceilings.bytes / MiB).toFixed(0)} MiB each: opfsSink() alone ${ceilings.opfsSinkMBps.toFixed(1)} MB/s; @noble/hashes SHA-256 ${ceilings.nobleSha256MBps.toFixed(1)} MB/s; Web Crypto SHA-256 of 1 MiB blocks ${ceilings.webCryptoBlockMBps.toFixed(1)} MB/s\n`,
  );
console.log(
  `load average at the start ${loadAtStart.toFixed(1)}, at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')} (${cores} cores)`,
);
console.log(`results: bench/results/transfer-${stamp}.json`);
for (const [path, why] of Object.entries(failures))
  console.log(`\n**the ${path} path failed**: ${why.split('\n')[0]}`);
if (Object.keys(failures).length) process.exitCode = 1;
