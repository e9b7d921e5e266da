/**
 * Idle-connection phases: open many joined clients against one or more server processes and read the
 * servers' memory after a full GC. Used for memory per idle connection and for the 50k-connection run,
 * where neither side may exceed 20,000 open files per process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Histogram } from './histogram.js';
import type { AllocReply, MemReply, RunReply, SetupReply } from './ipc.js';
import { allocationDuring, type Child, sleep, startServerProcess, startWorker } from './procs.js';
import type { SystemName } from './systems.js';

/** Clients per load worker: well under the 20,000-file limit with room for the process's own files. */
export const MAX_CLIENTS_PER_WORKER = 18_000;

export interface FleetOptions {
  system: SystemName;
  connections: number;
  servers: number;
  serverCpu: string | null;
  clientCpu: string | null;
  /** Offered rate (frames/s over all clients) for a short relay check once everyone is connected; 0: none. */
  checkRate: number;
  /**
   * Also read memory after these fractions of the clients have joined, so the result has a marginal
   * cost per connection (the least-squares slope over those readings and the last one) beside the cost
   * from empty. The slope leaves out one-off growth, such as V8 enlarging its young generation or
   * compiling code while the first clients connect.
   */
  checkpoints?: number[];
  /** Also read memory this long after the last reading, once the idle servers have settled (0: don't). */
  settleMs?: number;
  /** Whether clients send their system's own keep-alive (SDK ping, PeerJS HEARTBEAT); default true. */
  keepAlive?: boolean;
  /** After the last memory reading, measure what each idle server allocates over this long (0: don't). */
  allocWindowMs?: number;
  log: (line: string) => void;
}

export interface ServerMemory {
  pid: number;
  connections: number;
  openFiles: number;
  before: MemReply;
  /** After each checkpoint's share of this server's clients joined. */
  checkpoints: Array<MemReply & { connections: number }>;
  after: MemReply;
  /** `settleMs` after `after`, when asked for. */
  settled?: MemReply;
  /** RSS read from /proc every few seconds while settling (no GC forced), ms after `after`. */
  settleCurve?: Array<{ ms: number; rss: number }>;
  /** What the idle server allocated over `allocWindowMs`, after the last reading. */
  idleAlloc?: AllocReply;
}

export interface FleetResult {
  system: SystemName;
  keepAlive: boolean;
  requested: number;
  connected: number;
  failed: number;
  errors: string[];
  setupMs: number;
  servers: ServerMemory[];
  workers: number;
  maxWorkerOpenFiles: number;
  /** Per connection, summed over servers: RSS delta and JS heap + external delta, in bytes. */
  rssPerConn: number;
  heapPerConn: number;
  /** RSS per connection from the settled reading (null without one), `settleMs` after the last client joined. */
  settledRssPerConn: number | null;
  settleMs: number;
  /**
   * Allocation rate of an idle server process (mean over servers, bytes/ms) and its young generation
   * then; V8 shrinks the young generation only below 1,000 bytes/ms. Null unless measured.
   */
  idleAlloc: { bytesPerMs: number; youngGen: number } | null;
  /** The same, as the slope over the checkpoints and the last reading (null without checkpoints). */
  marginal: { rssPerConn: number; heapPerConn: number } | null;
  check: { offered: number; achieved: number; delivered: number; p50Ms: number; p99Ms: number } | null;
}

function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const servers: Child[] = [];
  const workers: Array<{ child: Child; server: number; pairs: number }> = [];
  try {
    for (let i = 0; i < o.servers; i++) servers.push(startServerProcess(o.system, o.serverCpu));
    const ports = await Promise.all(servers.map((s) => s.ready.then((r) => r.port)));
    const before = await Promise.all(servers.map((s) => s.request<MemReply>({ op: 'mem' })));
    // Split the pairs over servers, then each server's share over as many workers as the file limit needs.
    const totalPairs = Math.floor(o.connections / 2);
    for (let i = 0; i < o.servers; i++) {
      const share = Math.floor(totalPairs / o.servers) + (i < totalPairs % o.servers ? 1 : 0);
      const n = Math.ceil((share * 2) / MAX_CLIENTS_PER_WORKER);
      for (let w = 0; w < n; w++) {
        const pairs = Math.floor(share / n) + (w < share % n ? 1 : 0);
        workers.push({ child: startWorker(o.clientCpu), server: i, pairs });
      }
    }
    const started = performance.now();
    // Join the clients in parts, reading memory after each part but the last (that is `after`).
    const fractions = [...(o.checkpoints ?? []).filter((f) => f > 0 && f < 1).sort(), 1];
    const partReadings: Array<{ mem: MemReply[]; setups: SetupReply[] }> = [];
    let setups: SetupReply[] = [];
    let prev = 0;
    for (const [n, frac] of fractions.entries()) {
      const from = prev;
      setups = await Promise.all(
        workers.map((w, k) =>
          w.child.request<SetupReply>({
            op: 'setup',
            system: o.system,
            host: '127.0.0.1',
            port: ports[w.server]!,
            pairs: Math.round(w.pairs * frac) - Math.round(w.pairs * from),
            prefix: `f${k}p${n}r`,
            concurrency: 32,
            keepAlive: o.keepAlive ?? true,
          }),
        ),
      );
      prev = frac;
      if (frac < 1) {
        await new Promise((r) => setTimeout(r, 1500));
        partReadings.push({
          mem: await Promise.all(servers.map((s) => s.request<MemReply>({ op: 'mem' }))),
          setups,
        });
      }
    }
    const setupMs = Math.round(performance.now() - started);
    // `connected` in a setup reply counts every client the worker holds, earlier setups included.
    const connected = setups.reduce((a, s) => a + s.connected, 0);
    const failed =
      setups.reduce((a, s) => a + s.failed, 0) +
      partReadings.reduce((a, p) => a + p.setups.reduce((b, s) => b + s.failed, 0), 0);
    o.log(
      `  ${o.system} (keep-alive ${(o.keepAlive ?? true) ? 'on' : 'off'}): ${connected} connected, ${failed} failed in ${(setupMs / 1000).toFixed(1)} s`,
    );
    const after = await memoryAfter(servers, 1500);
    // Right after a connection storm V8's young generation is still grown and its old generation not
    // compacted: tens of MiB that its memory reducer gives back once the process looks idle to it (it
    // checks every 8 s whether the allocation rate, averaged over its last ~10 GCs, is low). `settled`
    // is read `settleMs` later, with RSS sampled from /proc meanwhile so the curve shows when that was.
    const curves = servers.map(() => [] as Array<{ ms: number; rss: number }>);
    const settled = o.settleMs
      ? await memoryAfter(servers, o.settleMs, (ms) => {
          for (const [i, s] of servers.entries()) curves[i]!.push({ ms, rss: procRss(s.pid) });
        })
      : undefined;
    const windowMs = o.allocWindowMs ?? 0;
    const allocs = windowMs ? await allocationDuring(servers, () => sleep(windowMs)) : undefined;
    const connsOn = (i: number, reps: SetupReply[]) =>
      reps.reduce((a, r, k) => a + (workers[k]!.server === i ? r.connected : 0), 0);
    const perServer = servers.map(
      (s, i): ServerMemory => ({
        pid: s.pid,
        connections: connsOn(i, setups),
        openFiles: openFiles(s.pid),
        before: before[i]!,
        checkpoints: partReadings.map((p) => ({ ...p.mem[i]!, connections: connsOn(i, p.setups) })),
        after: after[i]!,
        ...(settled ? { settled: settled[i]!, settleCurve: curves[i]! } : {}),
        ...(allocs ? { idleAlloc: allocs[i]! } : {}),
      }),
    );
    const sum = (f: (m: ServerMemory) => number) => perServer.reduce((a, m) => a + f(m), 0);
    const rss = sum((m) => m.after.rss - m.before.rss);
    const heap = sum((m) => m.after.heapUsed + m.after.external - m.before.heapUsed - m.before.external);
    // The slope over the checkpoints and the last reading (summed over servers at each point).
    const points = [...partReadings.map((_, j) => j), -1].map((j) => {
      const at = (m: ServerMemory) =>
        j < 0 ? { ...m.after, connections: m.connections } : m.checkpoints[j]!;
      return {
        conns: sum((m) => at(m).connections),
        rss: sum((m) => at(m).rss),
        heap: sum((m) => at(m).heapUsed + at(m).external),
      };
    });
    const marginal =
      points.length >= 2
        ? {
            rssPerConn: slope(points.map((p) => [p.conns, p.rss])),
            heapPerConn: slope(points.map((p) => [p.conns, p.heap])),
          }
        : null;
    let check: FleetResult['check'] = null;
    if (o.checkRate > 0 && connected > 0) {
      const reps = await Promise.all(
        workers.map((w) =>
          w.child.request<RunReply>({
            op: 'run',
            rate: (o.checkRate * w.pairs * 2) / connected,
            warmupMs: 500,
            windowMs: 2000,
            drainMs: 500,
          }),
        ),
      );
      const h = new Histogram();
      for (const r of reps) h.addSparse(r.hist);
      const got = reps.reduce((a, r) => a + r.received, 0);
      const sent = reps.reduce((a, r) => a + r.sent, 0);
      check = {
        offered: o.checkRate,
        achieved: Math.round(got / 2),
        delivered: sent ? got / sent : 0,
        p50Ms: h.quantileMs(0.5),
        p99Ms: h.quantileMs(0.99),
      };
    }
    return {
      system: o.system,
      keepAlive: o.keepAlive ?? true,
      requested: o.connections,
      connected,
      failed,
      errors: [...partReadings.flatMap((p) => p.setups), ...setups].flatMap((s) => s.errors).slice(0, 5),
      setupMs,
      servers: perServer,
      workers: workers.length,
      maxWorkerOpenFiles: Math.max(...workers.map((w) => openFiles(w.child.pid))),
      rssPerConn: connected ? rss / connected : Number.NaN,
      settledRssPerConn:
        settled && connected ? sum((m) => (m.settled?.rss ?? 0) - m.before.rss) / connected : null,
      heapPerConn: connected ? heap / connected : Number.NaN,
      settleMs: o.settleMs ?? 0,
      idleAlloc: allocs
        ? {
            bytesPerMs: allocs.reduce((a, x) => a + x.bytes / x.ms, 0) / allocs.length,
            youngGen: allocs.reduce((a, x) => a + x.youngGen, 0) / allocs.length,
          }
        : null,
      marginal,
      check,
    };
  } finally {
    await Promise.all([...workers.map((w) => w.child.stop()), ...servers.map((s) => s.stop())]);
  }
}

/**
 * Memory readings (each after two full GCs) of every server, `waitMs` from now; `sample` is called every
 * SAMPLE_MS meanwhile.
 */
async function memoryAfter(
  servers: Child[],
  waitMs: number,
  sample?: (ms: number) => void,
): Promise<MemReply[]> {
  const SAMPLE_MS = 5000;
  for (let ms = 0; ms < waitMs; ) {
    const step = Math.min(SAMPLE_MS, waitMs - ms);
    await new Promise((r) => setTimeout(r, step));
    ms += step;
    sample?.(ms);
  }
  return Promise.all(servers.map((s) => s.request<MemReply>({ op: 'mem' })));
}

/** A process's resident set from /proc, read from outside so that reading it changes nothing inside. */
function procRss(pid: number): number {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return pages * 4096;
  } catch {
    return Number.NaN;
  }
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den > 0 ? num / den : Number.NaN;
}
