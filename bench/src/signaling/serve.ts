/**
 * Server process for one system under test: `serve.ts <parley|peerjs|ws-relay>`. Prints nothing; tells the
 * orchestrator its port over IPC, answers memory probes (after a full GC, so run with --expose-gc) and
 * exits cleanly on request, so a --cpu-prof profile gets written.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { WebSocketServer } from 'ws';
import type { AllocReply, GcReply, MemReply, ServerRequest } from './ipc.js';
import type { SystemName } from './systems.js';

/** High enough that the benchmark measures relay cost, never the limiter (default: 100/s per connection). */
const BENCH_RATE_LIMIT = { perSecond: 1_000_000, burst: 1_000_000 };

/**
 * Per-address and idle bounds lifted: every benchmark client comes from 127.0.0.1, and the benchmark
 * measures relay cost and memory, not the bounds (docs/security.md covers those).
 */
const BENCH_LIMITS = {
  connectionLimits: { perAddress: 1_000_000, total: 1_000_000 },
  maxSessionsPerAddress: 1_000_000,
  maxRooms: 1_000_000,
  idleTimeoutMs: 0,
  addressRateLimit: BENCH_RATE_LIMIT,
} as const;

type Started = { port: number; close: () => Promise<void> };

async function startParleyWith(options: import('@parley/server').ServerOptions = {}): Promise<Started> {
  const { startServer } = await import('@parley/server');
  const s = await startServer({
    port: 0,
    host: '127.0.0.1',
    rateLimit: BENCH_RATE_LIMIT,
    ...BENCH_LIMITS,
    ...options,
  });
  return { port: Number(new URL(s.wsUrl).port), close: () => s.close() };
}

const startParley = () => startParleyWith();

/** Experiment, not a product setting: (almost) no liveness pings, to see what they cost an idle server. */
const startParleyNoPing = () => startParleyWith({ pingIntervalMs: 3_600_000 });

/**
 * Experiment, not a product setting: no replay buffer (so no resume), to measure what keeping every
 * unacknowledged frame alive costs in GC and latency.
 */
const startParleyNoReplay = () => startParleyWith({ replay: { maxFrames: 0, maxBytes: 0 } });

function startPeerJs(): Promise<{ port: number; close: () => Promise<void> }> {
  return import('peer').then(
    ({ PeerServer }) =>
      new Promise((resolve) => {
        // concurrent_limit defaults to 5000. The benchmark's clients send PeerJS's HEARTBEAT every 5 s, as
        // its client does, except in the memory phase's silent run, which outlasts the default
        // alive_timeout (90 s without a HEARTBEAT); hence 1 h.
        PeerServer(
          { port: 0, host: '127.0.0.1', concurrent_limit: 1_000_000, alive_timeout: 3_600_000 },
          (server) => {
            const port = (server.address() as AddressInfo).port;
            resolve({ port, close: () => new Promise((r) => server.close(() => r())) });
          },
        );
      }),
  );
}

/** The bare relay the issue measured: parse, stamp the sender, re-serialise, send. */
function startWsRelay(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  const peers = new Map<string, import('ws').WebSocket>();
  wss.on('connection', (ws, req) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id');
    if (!id || peers.has(id)) return ws.close(1008);
    peers.set(id, ws);
    ws.on('close', () => peers.delete(id));
    ws.on('message', (raw) => {
      try {
        const msg = JSON.parse(raw.toString()) as { to?: string; data?: unknown };
        peers.get(msg.to ?? '')?.send(JSON.stringify({ from: id, data: msg.data }));
      } catch {
        ws.close(1007);
      }
    });
    ws.send('{"type":"open"}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

const system = process.argv[2] as SystemName;
const starters: Record<SystemName, () => Promise<{ port: number; close: () => Promise<void> }>> = {
  parley: startParley,
  'parley-noreplay': startParleyNoReplay,
  'parley-noping': startParleyNoPing,
  peerjs: startPeerJs,
  'ws-relay': startWsRelay,
};
const started = await starters[system]();

/** Resident bytes of the process's `[heap]` mapping: what malloc holds in its main arena (Linux). */
function brkHeapRss(): number {
  let smaps: string;
  try {
    smaps = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return 0;
  }
  const at = smaps.indexOf('[heap]');
  if (at < 0) return 0;
  const rss = /\nRss:\s+(\d+) kB/.exec(smaps.slice(at));
  return rss ? Number(rss[1]) * 1024 : 0;
}

function mem(): MemReply {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const v8stats = getHeapStatistics();
  return {
    rss: m.rss,
    heapPhysical: v8stats.total_physical_size,
    mallocedV8: v8stats.malloced_memory,
    nativeHeap: brkHeapRss(),
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

// GC pauses, for the throughput steps: a server that keeps relayed frames alive pays in scavenges.
let gcPauses: number[] = [];
let gcMajorMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcPauses.push(e.duration);
    else gcMajorMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

// How late the server's event loop ran timers: a stall of the whole process (GC, a long tick, being
// descheduled) shows here, while a stall in the load generator does not.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

function gcStats(): GcReply {
  const s = [...gcPauses].sort((a, b) => a - b);
  const q = (f: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(f * s.length))]! : 0);
  const reply = {
    scavenges: s.length,
    scavengeMs: s.reduce((a, b) => a + b, 0),
    scavengeP50Ms: q(0.5),
    scavengeMaxMs: q(1),
    majorMs: gcMajorMs,
    loopDelayMaxMs: loopDelay.max / 1e6,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
  };
  loopDelay.reset();
  gcPauses = [];
  gcMajorMs = 0;
  return reply;
}

let profiler: Session | null = null;

/** Starts the V8 sampling profiler, so a profile covers the measured load only, not start-up. */
function profileStart(): void {
  profiler = new Session();
  profiler.connect();
  profiler.post('Profiler.enable');
  profiler.post('Profiler.setSamplingInterval', { interval: 250 });
  profiler.post('Profiler.start');
}

function profileStop(file: string): Promise<null> {
  return new Promise((resolve, reject) => {
    if (!profiler) return reject(new Error('profiler not started'));
    profiler.post('Profiler.stop', (err, { profile }) => {
      if (err) return reject(err);
      writeFileSync(file, JSON.stringify(profile));
      profiler?.disconnect();
      profiler = null;
      resolve(null);
    });
  });
}

let sampler: { session: Session; since: number } | null = null;

/**
 * Starts V8's sampling heap profiler with dead objects kept in the profile, so its total is what the
 * process allocated meanwhile (each sample stands for `samplingInterval` bytes on average). V8 gives its
 * young generation back only while allocation stays under 1,000 bytes/ms (heap.cc, ShouldResizeNewSpace),
 * which is what this rate is compared with.
 */
function allocStart(): null {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  sampler = { session, since: performance.now() };
  return null;
}

type SampledNode = { selfSize: number; children: SampledNode[] };

function allocStop(): Promise<AllocReply> {
  return new Promise((resolve, reject) => {
    const s = sampler;
    if (!s) return reject(new Error('allocation sampling not started'));
    s.session.post('HeapProfiler.stopSampling', (err, res) => {
      s.session.disconnect();
      sampler = null;
      if (err) return reject(err);
      let bytes = 0;
      const stack: SampledNode[] = [res.profile.head as SampledNode];
      for (let n = stack.pop(); n; n = stack.pop()) {
        bytes += n.selfSize;
        stack.push(...n.children);
      }
      const young = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
      resolve({ bytes, ms: performance.now() - s.since, youngGen: young?.space_size ?? 0 });
    });
  });
}

process.on('message', async (msg: ServerRequest & { rid: number }) => {
  if (msg.op === 'mem') process.send?.({ rid: msg.rid, reply: mem() });
  else if (msg.op === 'gc-stats') process.send?.({ rid: msg.rid, reply: gcStats() });
  else if (msg.op === 'heap-snapshot') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ rid: msg.rid, reply: writeHeapSnapshot(msg.file) });
  } else if (msg.op === 'prof-start') process.send?.({ rid: msg.rid, reply: profileStart() ?? null });
  else if (msg.op === 'prof-stop') process.send?.({ rid: msg.rid, reply: await profileStop(msg.file) });
  else if (msg.op === 'alloc-start') process.send?.({ rid: msg.rid, reply: allocStart() });
  else if (msg.op === 'alloc-stop') process.send?.({ rid: msg.rid, reply: await allocStop() });
  else {
    await Promise.race([started.close(), new Promise((r) => setTimeout(r, 2000))]);
    process.send?.({ rid: msg.rid, reply: null }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true, port: started.port });
