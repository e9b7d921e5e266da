/**
 * bench:cluster's idle phase: many idle connections over several nodes of one cluster, in rooms of two
 * whose members are on different nodes. Measures the join storm (rate, time until all joined, latency,
 * Redis commands per join), memory (RSS per node, Redis INFO memory) per connection, the CPU the idle
 * cluster burns on keep-alives; checks presence (each member knows the other; after one leaves, the other
 * hears `peer-left`), and says what bounds the run (open files, source ports, memory, Redis CPU).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestRedis } from '@parley/testing';
import { bundleForNode } from '../bundle.js';
import { processTickSeconds } from '../proc-stat.js';
import { machineBusySeconds, selfCpuSeconds } from '../signaling/cpu.js';
import { MAX_CLIENTS_PER_WORKER } from '../signaling/fleet.js';
import { Histogram } from '../signaling/histogram.js';
import { Child } from '../signaling/procs.js';
import { memoryTrust } from '../signaling/trust.js';
import type { CheckReply, IdleSetupReply, LeaveReply } from './ipc.js';
import { type Node, redisCalls, redisMemory, startNode } from './nodes.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

export interface IdleOptions {
  connections: number;
  nodes: number;
  holdMs: number;
  /**
   * Wait this long after the nodes start before the first memory reading: a fresh node's RSS falls for
   * a while (V8 shrinks its heap once it looks idle), which would otherwise pass for negative memory.
   */
  settleMs: number;
  /** Rooms whose first member leaves at the end, to check `peer-left` (spread over all workers). */
  leaveRooms: number;
  /** Clients per source address (127.0.0.10, .11, …): well under the ~28,000 ephemeral ports of one. */
  perAddress: number;
  concurrency: number;
  /** Clients per load worker (default MAX_CLIENTS_PER_WORKER, under the default 20,000 open files). */
  perWorker?: number;
  log: (line: string) => void;
}

interface Cpu {
  nodes: number[];
  redis: number;
  workers: number;
  orchestrator: number;
  /** Everything else on the machine (other processes), cores. */
  others: number;
}

export interface IdleResult {
  requested: number;
  nodes: number;
  workers: number;
  sourceAddresses: number;
  perAddress: number;
  connected: number;
  failed: number;
  errors: string[];
  joinStorm: {
    ms: number;
    joinsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    /** Cores over the storm. */
    cpu: Cpu;
    /** CPU seconds of all nodes and Redis over the storm per connection joined, in ms. */
    cpuPerJoinMs: number;
    /** Commands Redis ran per join (inside scripts too), its background rate without clients subtracted. */
    redisCommandsPerJoin: number;
    /** The same without subtracting anything. */
    redisCommandsPerJoinRaw: number;
    /** Commands per second Redis ran before any client connected (the nodes' liveness keys). */
    redisBackgroundPerSecond: number;
    redisScriptCallsPerJoin: number;
  };
  perNode: Array<{
    pid: number;
    connections: number;
    openFiles: number;
    openFileLimit: number;
    rssBefore: number;
    rssJoined: number;
    rssAfterHold: number;
  }>;
  memory: {
    /** Summed over nodes, RSS growth per connection once all joined, and after the hold. */
    nodeRssPerConn: number;
    nodeRssPerConnAfterHold: number;
    nodeRssTrust: string;
    nodeRssAfterHoldTrust: string;
    redisUsedBefore: number;
    redisUsedJoined: number;
    redisUsedPerConn: number;
    redisRssPerConn: number;
    redisTrust: string;
  };
  idle: { holdMs: number; cpu: Cpu; redisCommandsPerSecond: number };
  presence: {
    joinedCheck: CheckReply;
    afterHoldCheck: CheckReply;
    leave: LeaveReply;
  };
  bounds: string[];
}

const procRss = (pid: number) => Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}
function fdLimit(pid: number): number {
  const m = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** Source address k: 127.0.0.10 … 127.0.0.249, then 127.0.1.1 …; all of 127/8 is the loopback. */
const sourceAddress = (k: number) =>
  k < 240 ? `127.0.0.${10 + k}` : `127.0.${1 + Math.floor((k - 240) / 250)}.${1 + ((k - 240) % 250)}`;

function memAvailable(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

async function startWorkers(n: number): Promise<Child[]> {
  const outfile = here('../../node_modules/.cache/parley-bench/cluster-idle-worker.mjs');
  await bundleForNode(here('./idle-worker.ts'), outfile, here('../../../'));
  return Array.from({ length: n }, () => {
    const proc = spawn(process.execPath, [outfile], {
      cwd: here('../../../'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Child(proc, 'worker');
  });
}

export async function runIdle(redis: TestRedis, o: IdleOptions): Promise<IdleResult> {
  const totalPairs = Math.floor(o.connections / 2);
  const perNode = Math.ceil((totalPairs * 2) / o.nodes);
  // Open files per node: its share of connections, the pipes, Redis and a margin for listening sockets.
  const nodeFiles = perNode + 1024;
  const nodes: Node[] = [];
  const workers: Child[] = [];
  const bounds: string[] = [];
  try {
    for (let i = 0; i < o.nodes; i++)
      nodes.push(
        await startNode(
          redis.url,
          {
            '--max-conns': String(perNode + 256),
            '--max-conns-per-ip': String(o.perAddress + 256),
            '--max-sessions-per-ip': String(o.perAddress + 256),
            '--max-rooms': String(Math.max(100_000, totalPairs + 1000)),
          },
          nodeFiles,
        ),
      );
    const pids = nodes.map((n) => n.child.pid as number);
    for (const pid of pids) {
      const limit = fdLimit(pid);
      if (limit < perNode + 64)
        throw new Error(
          `a node may open ${limit} files but would hold ${perNode} connections: run as root, raise the hard limit (ulimit -Hn), or use more --nodes`,
        );
    }
    const nWorkers = Math.ceil(
      (totalPairs * 2) / Math.min(o.perWorker ?? MAX_CLIENTS_PER_WORKER, MAX_CLIENTS_PER_WORKER),
    );
    workers.push(...(await startWorkers(nWorkers)));
    // Redis's own background (each node's liveness key, every second) before any client: subtracted below.
    await new Promise((r) => setTimeout(r, Math.max(0, o.settleMs - 2000)));
    const callsBase = await redisCalls(redis.port);
    const baseT = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const rssBefore = pids.map(procRss);
    const redisMem0 = await redisMemory(redis.port);
    const calls0 = await redisCalls(redis.port);
    const baselinePerSecond = (calls0.all - callsBase.all) / ((performance.now() - baseT) / 1000);
    const cpuNow = () => ({
      nodes: pids.map(processTickSeconds),
      redis: processTickSeconds(redis.pid),
      workers: workers.reduce((a, w) => a + w.cpuSeconds(), 0),
      self: selfCpuSeconds(),
      machine: machineBusySeconds(),
      t: performance.now(),
    });
    const cpuOver = (a: ReturnType<typeof cpuNow>, b: ReturnType<typeof cpuNow>): Cpu => {
      const s = (b.t - a.t) / 1000;
      const nodesCpu = b.nodes.map((v, i) => v - (a.nodes[i] as number));
      const redisCpu = b.redis - a.redis;
      const workersCpu = b.workers - a.workers;
      const self = b.self - a.self;
      const sum = nodesCpu.reduce((x, y) => x + y, 0);
      return {
        nodes: nodesCpu.map((v) => v / s),
        redis: redisCpu / s,
        workers: workersCpu / s,
        orchestrator: self / s,
        others: Math.max(0, (b.machine - a.machine - sum - redisCpu - workersCpu - self) / s),
      };
    };

    // The join storm: every worker opens its rooms at once, `concurrency` rooms at a time each.
    const c0 = cpuNow();
    let firstPair = 0;
    let addr = 0;
    const setups = await Promise.all(
      workers.map((w, k) => {
        const pairs = Math.floor(totalPairs / nWorkers) + (k < totalPairs % nWorkers ? 1 : 0);
        const nAddr = Math.ceil((pairs * 2) / o.perAddress);
        const req = {
          op: 'setup',
          host: '127.0.0.1',
          ports: nodes.map((n) => n.port),
          pairs,
          firstPair,
          prefix: 'idle-',
          localAddresses: Array.from({ length: nAddr }, (_, j) => sourceAddress(addr + j)),
          perAddress: o.perAddress,
          concurrency: o.concurrency,
          keepAlive: true,
        };
        firstPair += pairs;
        addr += nAddr;
        return w.request<IdleSetupReply>(req);
      }),
    );
    const c1 = cpuNow();
    const stormMs = c1.t - c0.t;
    const connected = setups.reduce((a, s) => a + s.connected, 0);
    const failed = setups.reduce((a, s) => a + s.failed, 0);
    const joinHist = new Histogram();
    for (const s of setups) joinHist.addSparse(s.joinHist);
    o.log(
      `  ${connected} joined, ${failed} failed in ${(stormMs / 1000).toFixed(1)} s over ${o.nodes} nodes, ${nWorkers} workers, ${addr} source addresses`,
    );
    const calls1 = await redisCalls(redis.port);
    // Let presence frames and acks land, then read memory.
    await new Promise((r) => setTimeout(r, 3000));
    const rssJoined = pids.map(procRss);
    const fdsJoined = pids.map(fdCount);
    const redisMem1 = await redisMemory(redis.port);
    const joinedChecks = await Promise.all(
      workers.map((w) => w.request<CheckReply>({ op: 'check', every: 1 })),
    );

    // Idle hold: keep-alives only (the SDK's ping every 20 s per client, the server's WebSocket pings).
    o.log(`  holding ${connected} idle connections for ${(o.holdMs / 1000).toFixed(0)} s`);
    const calls2 = await redisCalls(redis.port);
    const h0 = cpuNow();
    await new Promise((r) => setTimeout(r, o.holdMs));
    const h1 = cpuNow();
    const calls3 = await redisCalls(redis.port);
    const rssAfterHold = pids.map(procRss);
    const holdChecks = await Promise.all(
      workers.map((w) => w.request<CheckReply>({ op: 'check', every: 1 })),
    );

    // Leaves: in a sample of rooms the first member leaves; its partner (on another node) must hear it.
    const every = Math.max(1, Math.ceil(totalPairs / Math.max(1, o.leaveRooms)));
    const leaves = await Promise.all(
      workers.map((w) => w.request<LeaveReply>({ op: 'leave', every, timeoutMs: 30_000 })),
    );
    const sumCheck = (cs: CheckReply[]): CheckReply => ({
      rooms: cs.reduce((a, c) => a + c.rooms, 0),
      mismatches: cs.reduce((a, c) => a + c.mismatches, 0),
      samples: cs.flatMap((c) => c.samples).slice(0, 5),
      closes: cs.reduce((a, c) => a + c.closes, 0),
      closeReasons: cs.flatMap((c) => c.closeReasons).slice(0, 5),
    });
    const leave: LeaveReply = {
      rooms: leaves.reduce((a, l) => a + l.rooms, 0),
      missing: leaves.reduce((a, l) => a + l.missing, 0),
      ms: Math.max(...leaves.map((l) => l.ms)),
      samples: leaves.flatMap((l) => l.samples).slice(0, 5),
    };

    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const nodeRssPerConn = connected ? (sum(rssJoined) - sum(rssBefore)) / connected : Number.NaN;
    const nodeTrust = memoryTrust(nodeRssPerConn, connected);
    const nodeRssPerConnAfterHold = connected ? (sum(rssAfterHold) - sum(rssBefore)) / connected : Number.NaN;
    const holdTrust = memoryTrust(nodeRssPerConnAfterHold, connected);
    const redisUsedPerConn = connected ? (redisMem1.used - redisMem0.used) / connected : Number.NaN;
    const redisTrust = memoryTrust(redisUsedPerConn, connected);
    // Connections each node got: room g has its members on nodes g % n and (g + 1) % n (failed joins aside).
    const planned = pids.map(() => 0);
    for (let g = 0; g < totalPairs; g++) {
      planned[g % o.nodes]!++;
      planned[(g + 1) % o.nodes]!++;
    }
    const perNodeOut = pids.map((pid, i) => ({
      pid,
      connections: planned[i] as number,
      openFiles: fdsJoined[i] as number,
      openFileLimit: fdLimit(pid),
      rssBefore: rssBefore[i] as number,
      rssJoined: rssJoined[i] as number,
      rssAfterHold: rssAfterHold[i] as number,
    }));
    const stormCpu = cpuOver(c0, c1);
    const idleCpu = cpuOver(h0, h1);

    // What bounds it, from what this run saw.
    const maxFds = Math.max(...perNodeOut.map((n) => n.openFiles));
    bounds.push(
      `open files: a node held up to ${maxFds} (all joined) of its limit ${Math.min(...perNodeOut.map((n) => n.openFileLimit))} ` +
        `(raised per node to its share + 1024; a load worker holds at most ${MAX_CLIENTS_PER_WORKER} clients under the default 20,000)`,
    );
    bounds.push(
      `source ports: ${o.perAddress} clients per source address over ${addr} addresses (127.0.0.10…); ` +
        `one address has ${ephemeralPorts()} ephemeral ports`,
    );
    const avail = memAvailable();
    const perConnAll = nodeRssPerConn + Math.max(0, redisUsedPerConn);
    bounds.push(
      `memory: ${(perConnAll / 1024).toFixed(1)} KiB per connection (nodes + Redis) → 100,000 need ~${((perConnAll * 100_000) / 2 ** 30).toFixed(2)} GiB; ` +
        `${(avail / 2 ** 30).toFixed(1)} GiB available now`,
    );
    bounds.push(
      `join storm: ${(connected / (stormMs / 1000)).toFixed(0)} joins/s with Redis at ${stormCpu.redis.toFixed(2)} cores, ` +
        `nodes ${stormCpu.nodes.map((c) => c.toFixed(2)).join('/')} cores, load workers ${stormCpu.workers.toFixed(2)}, others ${stormCpu.others.toFixed(2)}` +
        ` (the machine has ${navigatorCores()} cores): ${(((sum(stormCpu.nodes) + stormCpu.redis) * stormMs) / Math.max(1, connected)).toFixed(2)} ms of CPU per connection joined`,
    );
    bounds.push(
      `idle: nodes ${idleCpu.nodes.map((c) => c.toFixed(3)).join('/')} cores, Redis ${idleCpu.redis.toFixed(3)} cores for ${connected} connections`,
    );
    return {
      requested: o.connections,
      nodes: o.nodes,
      workers: nWorkers,
      sourceAddresses: addr,
      perAddress: o.perAddress,
      connected,
      failed,
      errors: setups.flatMap((s) => s.errors).slice(0, 5),
      joinStorm: {
        ms: Math.round(stormMs),
        joinsPerSecond: connected / (stormMs / 1000),
        p50Ms: joinHist.quantileMs(0.5),
        p99Ms: joinHist.quantileMs(0.99),
        cpu: stormCpu,
        cpuPerJoinMs: ((sum(stormCpu.nodes) + stormCpu.redis) * stormMs) / Math.max(1, connected),
        redisCommandsPerJoin:
          (calls1.all - calls0.all - (baselinePerSecond * stormMs) / 1000) / Math.max(1, connected),
        redisCommandsPerJoinRaw: (calls1.all - calls0.all) / Math.max(1, connected),
        redisBackgroundPerSecond: baselinePerSecond,
        redisScriptCallsPerJoin: (calls1.scripts - calls0.scripts) / Math.max(1, connected),
      },
      perNode: perNodeOut,
      memory: {
        nodeRssPerConn,
        nodeRssPerConnAfterHold,
        nodeRssTrust: nodeTrust.ok ? 'ok' : nodeTrust.why,
        nodeRssAfterHoldTrust: holdTrust.ok ? 'ok' : holdTrust.why,
        redisUsedBefore: redisMem0.used,
        redisUsedJoined: redisMem1.used,
        redisUsedPerConn,
        redisRssPerConn: connected ? (redisMem1.rss - redisMem0.rss) / connected : Number.NaN,
        redisTrust: redisTrust.ok ? 'ok' : redisTrust.why,
      },
      idle: {
        holdMs: o.holdMs,
        cpu: idleCpu,
        redisCommandsPerSecond: (calls3.all - calls2.all) / ((h1.t - h0.t) / 1000),
      },
      presence: { joinedCheck: sumCheck(joinedChecks), afterHoldCheck: sumCheck(holdChecks), leave },
      bounds,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    for (const n of nodes) {
      n.child.kill('SIGKILL');
      if (n.child.exitCode === null) await once(n.child, 'exit');
    }
  }
}

function ephemeralPorts(): number {
  const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  return (hi as number) - (lo as number) + 1;
}

function navigatorCores(): number {
  return readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('processor')).length;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const kib = (b: number) => `${(b / 1024).toFixed(2)} KiB`;
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '> 2000 ms');
const cores = (c: Cpu) =>
  `nodes ${c.nodes.map((v) => v.toFixed(3)).join(' / ')}, Redis ${c.redis.toFixed(3)}, load workers ${c.workers.toFixed(3)}, others ${c.others.toFixed(2)}`;

/** The idle phase's results as a Markdown table, then what bounds it. */
export function printIdle(r: IdleResult): void {
  const m = r.memory;
  const p = r.presence;
  const rows: Array<[string, string]> = [
    ['connections joined (failed)', `${r.connected} of ${r.requested} (${r.failed} failed)`],
    [
      'nodes / load workers / source addresses',
      `${r.nodes} / ${r.workers} / ${r.sourceAddresses} (${r.perAddress} clients each)`,
    ],
    ['time until all joined', `${(r.joinStorm.ms / 1000).toFixed(1)} s`],
    ['join rate', `${r.joinStorm.joinsPerSecond.toFixed(0)} joins/s`],
    ['join latency (connect → joined) p50 / p99', `${ms(r.joinStorm.p50Ms)} / ${ms(r.joinStorm.p99Ms)}`],
    ['CPU during the join storm, cores', cores(r.joinStorm.cpu)],
    ['CPU per connection joined (nodes + Redis)', `${r.joinStorm.cpuPerJoinMs.toFixed(2)} ms`],
    [
      'Redis per join: commands, background subtracted (script calls)',
      `${r.joinStorm.redisCommandsPerJoin.toFixed(2)} (${r.joinStorm.redisScriptCallsPerJoin.toFixed(2)})`,
    ],
    [
      'node RSS per connection, all joined (after the hold)',
      `${kib(m.nodeRssPerConn)}${m.nodeRssTrust === 'ok' ? '' : ` (untrustworthy: ${m.nodeRssTrust})`} ` +
        `(${kib(m.nodeRssPerConnAfterHold)}${m.nodeRssAfterHoldTrust === 'ok' ? '' : `, untrustworthy: ${m.nodeRssAfterHoldTrust}`})`,
    ],
    [
      'RSS per node: before → joined → after hold',
      r.perNode.map((n) => `${mib(n.rssBefore)} → ${mib(n.rssJoined)} → ${mib(n.rssAfterHold)}`).join('; '),
    ],
    [
      'Redis used_memory per connection (RSS)',
      `${kib(m.redisUsedPerConn)} (${kib(m.redisRssPerConn)}); ${mib(m.redisUsedBefore)} → ${mib(m.redisUsedJoined)}${m.redisTrust === 'ok' ? '' : ` — untrustworthy: ${m.redisTrust}`}`,
    ],
    [`CPU while idle for ${(r.idle.holdMs / 1000).toFixed(0)} s, cores`, cores(r.idle.cpu)],
    [
      'Redis commands/s while idle (before any client)',
      `${r.idle.redisCommandsPerSecond.toFixed(1)} (${r.joinStorm.redisBackgroundPerSecond.toFixed(1)})`,
    ],
    [
      'presence after the storm: rooms checked, mismatches',
      `${p.joinedCheck.rooms}, ${p.joinedCheck.mismatches}`,
    ],
    [
      'presence after the hold: mismatches, sockets closed',
      `${p.afterHoldCheck.mismatches}, ${p.afterHoldCheck.closes}`,
    ],
    [
      'peer-left across nodes: rooms, missing, time',
      `${p.leave.rooms}, ${p.leave.missing}, ${p.leave.ms} ms`,
    ],
    [
      'open files per node once all joined (limit)',
      r.perNode.map((n) => `${n.openFiles} (${n.openFileLimit})`).join(' / '),
    ],
  ];
  console.log('\n| idle phase | |');
  console.log('| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  const problems = [
    ...r.errors.map((e) => `join error: ${e}`),
    ...p.joinedCheck.samples.map((s) => `presence mismatch: ${s}`),
    ...p.afterHoldCheck.samples.map((s) => `after hold: ${s}`),
    ...p.afterHoldCheck.closeReasons.map((s) => `closed while idle: ${s}`),
    ...p.leave.samples,
  ];
  if (problems.length) console.log(`\n${problems.join('\n')}`);
  console.log('\nWhat bounds it:');
  for (const b of r.bounds) console.log(`- ${b}`);
}
