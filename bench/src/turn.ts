/**
 * `npm run bench:turn [-- --quick]`: Parley's TURN server against coturn (`turnserver`) on loopback.
 *
 * Both servers run in their own process pinned to CPU 0 with the same configuration (UDP on 127.0.0.1,
 * realm, REST secret, loopback peers allowed). One load generator built on @parley/stun drives both: worker
 * processes and an echo peer, pinned to CPU 1. Rounds alternate between the servers (ours, coturn, coturn,
 * ours, …) and every figure is a median over rounds with its spread:
 * 1. relay: 100-byte ChannelData at a paced rate through a channel to the echo peer and back;
 * 2. alloc: Allocate (401 → nonce → authenticated Allocate) then Refresh LIFETIME 0, closed loop;
 * 3. binding: Binding requests, closed loop.
 * The fair figure on a shared 2-core machine is the server's CPU time per unit of work (all its threads,
 * from /proc). With --profile (on by default in a full run) our server is profiled under each load.
 * Results: bench/results/turn-<time>.json and turn-latest.json, plus a Markdown table on stdout.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freeUdpPort } from '@parley/testing';
import { NodeChild, prepareBundles, repoRoot } from './turn/procs.js';
import { type ProfileSummary, profileParley } from './turn/profile.js';
import { summarize, table } from './turn/report.js';
import {
  type Load,
  runAlloc,
  runBinding,
  runRelay,
  type Sample,
  type ScenarioName,
  setupRelay,
  teardownRelay,
} from './turn/scenarios.js';
import {
  coturnVersion,
  findTurnserver,
  parleyUdpDataPath,
  type RunningServer,
  type ServerConfig,
  startCoturn,
  startParley,
} from './turn/servers.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    rate: { type: 'string' },
    workers: { type: 'string' },
    clients: { type: 'string' },
    seconds: { type: 'string' },
    profile: { type: 'boolean' },
    dgram: { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
  },
});
const quick = args.quick === true;
const num = (v: string | undefined, full: number, q: number) =>
  v === undefined ? (quick ? q : full) : Number(v);
const scenarios = new Set((args.only ?? 'relay,alloc,binding').split(',') as ScenarioName[]);
const rounds = num(args.rounds, 5, 2);
const seconds = num(args.seconds, 4, 2);
/** Unmeasured run per server before the rounds, so V8 has compiled the hot paths. */
const warmMs = quick ? 500 : 1000;
const workerCount = num(args.workers, 2, 2);
const relayRate = num(args.rate, 40_000, 40_000);
const relayClients = num(args.clients, 8, 8);
const profile = args['no-profile'] ? false : (args.profile ?? !quick);
const PAYLOAD = 100;
const SERVER_CPU = '0';
const LOAD_CPU = '1';
const SECRET = 'parley-bench-secret';
const REALM = 'parley.bench';
const started = Date.now();
const log = (line: string) => console.log(line);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

const turnserver = findTurnserver();
if (!turnserver) {
  console.error(
    'bench:turn compares against coturn, and `turnserver` is not on PATH.\n' +
      'Install it (Debian/Ubuntu: `sudo apt-get install coturn`) and run `npm run bench:turn` again.',
  );
  process.exit(2);
}

/** A short hash of the server's sources (packages/turn and packages/stun), which change between commits. */
function sourceHash(): string {
  const h = createHash('sha1');
  for (const dir of ['packages/turn/src', 'packages/stun/src', 'packages/turn/native']) {
    const files = readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => (f.endsWith('.ts') && !f.endsWith('.test.ts')) || /^[^/]+\.(c|h|gyp)$/.test(f))
      .sort();
    for (const f of files) h.update(f).update(readFileSync(join(repoRoot, dir, f)));
  }
  return h.digest('hex').slice(0, 12);
}

function gitRev(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const method = {
  servers: `each server in its own process pinned to CPU ${SERVER_CPU} (taskset); same realm, REST secret, UDP listener on 127.0.0.1, loopback peers allowed`,
  load: `${workerCount} load-generator processes and 1 echo-peer process (Node, @parley/stun), pinned to CPU ${LOAD_CPU}`,
  relay: `${relayClients} allocations per worker, each with a permission and a channel to its own echo socket; ${PAYLOAD}-byte ChannelData payloads paced at ${relayRate} datagrams/s in total from the clients; a relayed datagram is one forwarded by the server in either direction (counted at the echo peer and back at the clients); each run starts and ends with empty queues (no datagram for 200 ms)`,
  alloc:
    'closed loop, 8 lanes per worker: fresh socket, Allocate (no credentials → 401 with nonce), Allocate with MESSAGE-INTEGRITY, Refresh LIFETIME 0; all with FINGERPRINT; each cycle from a new loopback source address (127.x.y.z) because coturn keeps a freed 5-tuple ~1.5 s; the CPU window ends 2 s after the load so deferred clean-up is counted',
  binding: 'closed loop, 4 sockets per worker with 16 Binding requests in flight each (no attributes)',
  cpu: 'server CPU time of all threads, from /proc/<pid>/task/*/schedstat (ns), read right before and right after each run; the user/kernel split from /proc/<pid>/stat (10 ms ticks)',
  floor:
    'the echo peer is a bare node:dgram echo on connected sockets; its CPU per datagram is the cost of one Node receive + send with no JS work',
  rounds: `${rounds} rounds per scenario of ${seconds} s each; the order alternates (ours first on even rounds, coturn first on odd)`,
  parleyConfig:
    'quotas raised to 1,000,000 and the 401 rate limit off, as coturn has neither by default (the per-user quota of 10 would refuse the load)',
  coturnConfig:
    'turnserver -n, UDP only, --no-tls --no-dtls --no-tcp --no-cli --no-rfc5780 --no-software-attribute, logs to /dev/null, default relay threads',
};

async function main(): Promise<void> {
  log(`# bench:turn ${quick ? '(quick) ' : ''}— ${new Date().toISOString()}`);
  await prepareBundles();
  const coturnPort = await freeUdpPort();
  const parleyCfg: ServerConfig = { port: 0, realm: REALM, secret: SECRET, minPort: 38000, maxPort: 59999 };
  const coturnCfg: ServerConfig = {
    port: coturnPort,
    realm: REALM,
    secret: SECRET,
    minPort: 10000,
    maxPort: 31999,
  };
  const list: RunningServer[] = [
    await startParley(parleyCfg, SERVER_CPU),
    await startCoturn(turnserver!, coturnCfg, SERVER_CPU),
  ];
  if (args.dgram) list.splice(1, 0, await startParley({ ...parleyCfg, dgram: true }, SERVER_CPU));
  const workers = Array.from({ length: workerCount }, () => new NodeChild('loadgen', LOAD_CPU));
  const echo = new NodeChild('echo', LOAD_CPU);
  await Promise.all([...workers.map((w) => w.ready), echo.ready]);
  const load: Load = { workers, echo, secret: SECRET };
  const samples: Sample[] = [];
  // Alternate: ours, coturn | coturn, ours | … (with --dgram the three rotate).
  const order = (round: number) =>
    list.length === 2
      ? round % 2 === 0
        ? list
        : [...list].reverse()
      : list.map((_, i) => list[(i + round) % list.length]!);
  const record = (s: Sample) => {
    samples.push(s);
    const extra = Object.entries(s.extra)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v) : v}`)
      .join(' ');
    log(
      `  [${elapsed()}] ${s.scenario} round ${s.round} ${s.system}: ${Math.round(s.perSec)}/s, ` +
        `${s.cpuUsPerUnit.toFixed(2)} µs CPU/unit, server ${s.serverCpuPct.toFixed(0)}% of a core, ` +
        `waited ${((s.serverWaitSec / s.wallSec) * 100).toFixed(0)}% for CPU, machine ${((s.machineBusySec / s.wallSec) * 100).toFixed(0)}% busy ${extra}`,
    );
  };
  const ms = seconds * 1000;
  let profiles: ProfileSummary[] = [];
  try {
    if (scenarios.has('relay')) {
      log(`\n## relay: ${relayRate} ChannelData/s offered`);
      for (const s of list) await setupRelay(load, s, relayClients);
      for (const s of list) await runRelay(load, s, -1, relayRate, warmMs, PAYLOAD);
      for (let r = 0; r < rounds; r++)
        for (const s of order(r)) record(await runRelay(load, s, r, relayRate, ms, PAYLOAD));
      for (const s of list) await teardownRelay(load, s);
    }
    if (scenarios.has('alloc')) {
      log('\n## alloc: Allocate + Refresh 0, closed loop');
      for (const s of list) await runAlloc(load, s, -1, 8, warmMs);
      for (let r = 0; r < rounds; r++) for (const s of order(r)) record(await runAlloc(load, s, r, 8, ms));
    }
    if (scenarios.has('binding')) {
      log('\n## binding: closed loop');
      for (const s of list) await runBinding(load, s, -1, 4, 16, warmMs);
      for (let r = 0; r < rounds; r++)
        for (const s of order(r)) record(await runBinding(load, s, r, 4, 16, ms));
    }
  } finally {
    await Promise.all(list.map((s) => s.stop()));
  }
  if (profile) {
    log('\n## profiling our server (--cpu-prof)');
    profiles = await profileParley(load, parleyCfg, SERVER_CPU, scenarios, {
      relayRate,
      relayClients,
      seconds,
    });
  }
  await Promise.all([...workers.map((w) => w.stop()), echo.stop()]);

  const summaries = summarize(samples, PAYLOAD);
  const result = {
    meta: {
      benchmark: 'turn',
      date: new Date().toISOString(),
      git: gitRev(),
      serverSources: sourceHash(),
      parleyUdpDataPath: parleyUdpDataPath(),
      node: process.version,
      coturn: coturnVersion(turnserver!),
      cpus: os.cpus().map((c) => c.model),
      loadavg: os.loadavg(),
      quick,
      durationSec: (Date.now() - started) / 1000,
      method,
    },
    summaries,
    samples,
    profiles,
  };
  const dir = join(repoRoot, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `turn-${result.meta.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(dir, 'turn-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  log(`\n## results\n\n${table(summaries)}\n`);
  for (const p of profiles) log(`\n### our server's hot functions under ${p.scenario}\n\n${p.table}\n`);
  log(`wrote ${file} (${elapsed()})`);
}

await main();
