/**
 * Idle-connection phases: open many joined clients against one or more server processes and read the
 * servers' memory after a full GC. Used for memory per idle connection and for the 50k-connection run,
 * where neither side may exceed 20,000 open files per process.
 */
import { readdirSync } from 'node:fs';
import { Histogram } from './histogram.js';
import type { MemReply, RunReply, SetupReply } from './ipc.js';
import { type Child, startServerProcess, startWorker } from './procs.js';
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
   * Also read memory after this fraction of the clients has joined (0: don't), so the result has a
   * marginal cost per connection (the slope between the two readings) beside the cost from empty. The
   * slope leaves out one-off growth, such as V8 enlarging its young generation while clients connect.
   */
  midpoint?: number;
  log: (line: string) => void;
}

export interface ServerMemory {
  pid: number;
  connections: number;
  openFiles: number;
  before: MemReply;
  /** After `midpoint` of this server's clients joined; absent without a midpoint. */
  mid?: MemReply & { connections: number };
  after: MemReply;
}

export interface FleetResult {
  system: SystemName;
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
  /** The same, between the midpoint reading and the last one (null without a midpoint). */
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
    const frac = o.midpoint ?? 0;
    const setupAll = (part: number, tag: string) =>
      Promise.all(
        workers.map((w, k) => {
          const first = Math.round(w.pairs * frac);
          const pairs = part === 0 ? first : w.pairs - first;
          return w.child.request<SetupReply>({
            op: 'setup',
            system: o.system,
            host: '127.0.0.1',
            port: ports[w.server]!,
            pairs,
            prefix: `f${k}${tag}r`,
            concurrency: 32,
          });
        }),
      );
    let mid: MemReply[] | undefined;
    let midSetups: SetupReply[] | undefined;
    if (frac > 0) {
      midSetups = await setupAll(0, 'a');
      await new Promise((r) => setTimeout(r, 1500));
      mid = await Promise.all(servers.map((s) => s.request<MemReply>({ op: 'mem' })));
    }
    // `connected` in a setup reply counts every client the worker holds, earlier setups included.
    const setups = await setupAll(1, 'b');
    const setupMs = Math.round(performance.now() - started);
    const connected = setups.reduce((a, s) => a + s.connected, 0);
    const failed = [...(midSetups ?? []), ...setups].reduce((a, s) => a + s.failed, 0);
    o.log(`  ${o.system}: ${connected} connected, ${failed} failed in ${(setupMs / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 1500));
    const after = await Promise.all(servers.map((s) => s.request<MemReply>({ op: 'mem' })));
    const perServer = servers.map(
      (s, i): ServerMemory => ({
        pid: s.pid,
        connections: setups.reduce((a, r, k) => a + (workers[k]!.server === i ? r.connected : 0), 0),
        openFiles: openFiles(s.pid),
        before: before[i]!,
        ...(mid && midSetups
          ? {
              mid: {
                ...mid[i]!,
                connections: midSetups.reduce(
                  (a, r, k) => a + (workers[k]!.server === i ? r.connected : 0),
                  0,
                ),
              },
            }
          : {}),
        after: after[i]!,
      }),
    );
    const sum = (f: (m: ServerMemory) => number) => perServer.reduce((a, m) => a + f(m), 0);
    const rss = sum((m) => m.after.rss - m.before.rss);
    const heap = sum((m) => m.after.heapUsed + m.after.external - m.before.heapUsed - m.before.external);
    const midConns = sum((m) => m.mid?.connections ?? 0);
    const marginal =
      mid && connected > midConns
        ? {
            rssPerConn: sum((m) => m.after.rss - (m.mid?.rss ?? 0)) / (connected - midConns),
            heapPerConn:
              sum(
                (m) => m.after.heapUsed + m.after.external - (m.mid?.heapUsed ?? 0) - (m.mid?.external ?? 0),
              ) /
              (connected - midConns),
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
      requested: o.connections,
      connected,
      failed,
      errors: [...(midSetups ?? []), ...setups].flatMap((s) => s.errors).slice(0, 5),
      setupMs,
      servers: perServer,
      workers: workers.length,
      maxWorkerOpenFiles: Math.max(...workers.map((w) => openFiles(w.child.pid))),
      rssPerConn: connected ? rss / connected : Number.NaN,
      heapPerConn: connected ? heap / connected : Number.NaN,
      marginal,
      check,
    };
  } finally {
    await Promise.all([...workers.map((w) => w.child.stop()), ...servers.map((s) => s.stop())]);
  }
}
