/**
 * `npm run bench:signaling [-- --quick]`: Parley's signaling relay against PeerJS's server in the same run.
 *
 * 1. Throughput: 2 × pairs raw WebSocket clients in rooms of two send trickled ICE candidates to each other
 *    at a rising offered rate; each server runs in its own process pinned to CPU 0, the load on CPU 1.
 *    Result: the highest rate with p99 relay latency ≤ 10 ms and ≥ 95% delivered, median over rounds.
 * 2. Memory per idle connection: N joined, idle clients; the server's RSS and JS heap delta / N after GC,
 *    right after they joined and again after 2 minutes of idling (RSS sampled from /proc meanwhile).
 * 3. Scale: 50,000 connections on one machine over several server and client processes (each process here
 *    may hold at most 20,000 open files), with a light relay check across all of them.
 * 4. A CPU profile of our server under load, reduced to its hot functions.
 * Results: bench/results/signaling-<time>.json and signaling-latest.json, plus Markdown tables on stdout.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type FleetResult, runFleet } from './signaling/fleet.js';
import { type HeapBreakdown, heapBreakdown } from './signaling/heap.js';
import { type KeepAliveCost, keepAliveCost } from './signaling/keepalive.js';
import { prepareBundles } from './signaling/procs.js';
import { type ProfileResult, profileServer } from './signaling/profile.js';
import { type Results, tables } from './signaling/report.js';
import { DIALECTS, EXPERIMENTS, type SystemName } from './signaling/systems.js';
import { type SearchResult, searchThroughput } from './signaling/throughput.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'with-ws-relay': { type: 'boolean', default: false },
    /** Adds diagnostic variants of our server (see EXPERIMENTS and serve.ts), comma-separated. */
    experiment: { type: 'string' },
    only: { type: 'string' },
    pairs: { type: 'string' },
    rounds: { type: 'string' },
    idle: { type: 'string' },
    /** Seconds the idle servers are left alone before the settled memory reading. */
    settle: { type: 'string' },
    /** Seconds over which each idle server's allocation rate is sampled, after the settled reading. */
    'alloc-window': { type: 'string' },
    /** Idle clients with their system's keep-alive (on), silent (off), or one run of each (both). */
    'idle-keepalive': { type: 'string', default: 'both' },
    scale: { type: 'string' },
    'scale-servers': { type: 'string' },
    'scale-peerjs': { type: 'boolean', default: false },
    /** Seconds the throughput search may spend in all waiting for other processes to go quiet. */
    patience: { type: 'string' },
  },
});
const quick = args.quick === true;
const num = (v: string | undefined, full: number, q: number) =>
  v === undefined ? (quick ? q : full) : Number(v);
// --quick skips the heap snapshots and shrinks every phase, for a ~30 s smoke run.
const phases = new Set(
  (args.only ?? `throughput,memory,${quick ? '' : 'heap,'}keepalive,scale,profile`).split(','),
);
const systems: SystemName[] = [
  'parley',
  'peerjs',
  ...(args['with-ws-relay'] ? (['ws-relay'] as const) : []),
  ...((args.experiment?.split(',') ?? []) as SystemName[]),
];
for (const x of systems.slice(2))
  if (x !== 'ws-relay' && !(EXPERIMENTS as readonly string[]).includes(x))
    throw new Error(`unknown --experiment ${x}; one of ${EXPERIMENTS.join(', ')}`);
const pairs = num(args.pairs, 100, 100);
const idleConns = num(args.idle, 19_000, 1_000);
const scaleConns = num(args.scale, 50_000, 2_000);
const scaleServers = num(args['scale-servers'], 3, 2);
const SERVER_CPU = '0';
const CLIENT_CPU = '1';
const root = new URL('../../', import.meta.url).pathname;
const started = Date.now();
const log = (line: string) => console.log(line);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

function gitRev(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const meta = {
  benchmark: 'signaling',
  date: new Date().toISOString(),
  git: gitRev(),
  node: process.version,
  cpus: os.cpus().map((c) => c.model),
  loadavgBefore: os.loadavg(),
  quick,
  method: {
    clients: `${pairs * 2} raw WebSocket clients in ${pairs} rooms of two, each sending ICE candidates to its partner`,
    pinning: `server process on CPU ${SERVER_CPU} (taskset), load generator on CPU ${CLIENT_CPU}`,
    pass: 'p99 relay latency <= 10 ms and >= 95% of the frames sent in the window delivered within the drain',
    rateLimit:
      "Parley's per-connection rate limit raised to 1,000,000/s (default 100/s) so the limiter is not measured",
    peerjs:
      "PeerServer with concurrent_limit 1,000,000 and alive_timeout 1 h; its clients send PeerJS's HEARTBEAT every 5 s, as its client does (but for the silent memory run)",
    noise:
      'other engineers run builds and tests on this 2-core machine; systems alternate at every step; before each step the run waits ' +
      `(≤ ${args.patience ? 10 : quick ? 1 : 3} s, ≤ ${num(args.patience, 60, 5)} s in all) for other processes to use < 30% of a core; ` +
      'a failed step is re-run (3 tries if others used > 20% of a core); medians over rounds',
  },
};

console.log(
  `signaling benchmark${quick ? ' (quick)' : ''}: ${systems.join(' vs ')}, load ${os.loadavg()[0]!.toFixed(2)}`,
);

await prepareBundles();
let throughput: SearchResult | null = null;
if (phases.has('throughput')) {
  console.log(`\n[${elapsed()}] throughput: step-load search, ${pairs * 2} clients`);
  throughput = await searchThroughput({
    systems,
    pairs,
    rounds: num(args.rounds, 3, 1),
    warmupMs: quick ? 300 : 1000,
    windowMs: quick ? 800 : 1200,
    drainMs: 300,
    p99LimitMs: 10,
    minDelivered: 0.95,
    noisyCpu: 0.2,
    quietCpu: 0.3,
    quietWaitMs: args.patience ? 10_000 : quick ? 1000 : 3000,
    quietBudgetMs: num(args.patience, 60, 5) * 1000,
    firstRate: 20_000,
    costRate: 40_000,
    overloadRate: quick ? 0 : 250_000,
    maxRate: quick ? 200_000 : 400_000,
    serverCpu: SERVER_CPU,
    clientCpu: CLIENT_CPU,
    log,
  });
}
const knee = (s: SystemName) => throughput?.systems.find((x) => x.system === s)?.medianKnee ?? Number.NaN;
const ratio = throughput && knee('peerjs') > 0 ? knee('parley') / knee('peerjs') : null;
const cost = (s: SystemName) => throughput?.systems.find((x) => x.system === s)?.medianCostUs ?? Number.NaN;
const costRatio = throughput ? cost('peerjs') / cost('parley') : null;

const idle: FleetResult[] = [];
if (phases.has('memory')) {
  console.log(`\n[${elapsed()}] memory per idle connection: ${idleConns} joined clients per system`);
  const keepAlives = { both: [true, false], on: [true], off: [false] }[args['idle-keepalive'] ?? 'both'];
  if (!keepAlives) throw new Error('--idle-keepalive is one of on, off, both');
  for (const keepAlive of keepAlives)
    for (const system of systems) {
      idle.push(
        await runFleet({
          system,
          keepAlive,
          connections: idleConns,
          servers: 1,
          serverCpu: SERVER_CPU,
          clientCpu: CLIENT_CPU,
          checkRate: 0,
          checkpoints: [0.25, 0.5, 0.75],
          settleMs: num(args.settle, 120, 5) * 1000,
          allocWindowMs: num(args['alloc-window'], 20, 5) * 1000,
          log,
        }),
      );
    }
}

const heap: HeapBreakdown[] = [];
if (phases.has('heap')) {
  const n = quick ? 1000 : 2000;
  console.log(`\n[${elapsed()}] heap per idle connection by constructor (snapshots at 0 and ${n} clients)`);
  for (const system of systems)
    heap.push(await heapBreakdown(system, n, join(os.tmpdir(), 'parley-bench-heap')));
}

const keepAlive: KeepAliveCost[] = [];
if (phases.has('keepalive')) {
  const n = quick ? 1000 : 4000;
  console.log(
    `\n[${elapsed()}] allocation per keep-alive message (${n} idle clients, each sending one per round)`,
  );
  for (const system of systems.filter((s) => DIALECTS[s].heartbeat)) {
    const k = await keepAliveCost(system, n, SERVER_CPU, CLIENT_CPU);
    log(`  ${system}: ${Math.round(k.bytesPerMessage)} bytes per keep-alive message (${k.messages} sent)`);
    keepAlive.push(k);
  }
}

const scale: FleetResult[] = [];
if (phases.has('scale')) {
  for (const system of ['parley', ...(args['scale-peerjs'] ? ['peerjs'] : [])] as SystemName[]) {
    console.log(
      `\n[${elapsed()}] scale: ${scaleConns} ${system} connections over ${scaleServers} server processes`,
    );
    scale.push(
      await runFleet({
        system,
        connections: scaleConns,
        servers: scaleServers,
        serverCpu: null,
        clientCpu: null,
        checkRate: 10_000,
        log,
      }),
    );
  }
}

let profile: ProfileResult | null = null;
if (phases.has('profile')) {
  const rate =
    Number.isFinite(knee('parley')) && knee('parley') > 0 ? Math.round(knee('parley') * 0.8) : 40_000;
  console.log(`\n[${elapsed()}] cpu profile of parley at ${rate} msgs/s`);
  profile = await profileServer(
    'parley',
    rate,
    pairs,
    quick ? 1 : 4,
    join(os.tmpdir(), 'parley-bench-prof'),
    {
      server: SERVER_CPU,
      client: CLIENT_CPU,
    },
  );
}

const results: Results = { throughput, ratio, costRatio, idle, heap, keepAlive, scale, profile };
const out = {
  meta: { ...meta, loadavgAfter: os.loadavg(), durationS: (Date.now() - started) / 1000 },
  ...results,
};
const dir = join(root, 'bench/results');
mkdirSync(dir, { recursive: true });
const stamp = meta.date.replace(/[:.]/g, '-');
const json = `${JSON.stringify(out, (_k, v) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v), 2)}\n`;
writeFileSync(join(dir, `signaling-${stamp}.json`), json);
writeFileSync(join(dir, 'signaling-latest.json'), json);
console.log(`\n[${elapsed()}] done; results in bench/results/signaling-${stamp}.json\n`);
console.log(tables(results));
