/**
 * `npm run soak [-- --clients 10000 --minutes 10 --no-hostile --seed 1]`: a soak of a real `parley serve`.
 *
 * Well-behaved clients (spread over load worker processes and source addresses 127.0.0.10…) join rooms of a
 * few peers and send numbered message/signal frames to each other at a steady rate; some drop their socket
 * at random moments (terminate, no leave) and resume with their token and last seq. Beside them runs a
 * bounded hostile mix (see soak/hostile-worker.ts). Reports frames lost (sent to a peer and not received
 * by it exactly once, counted at the end, after resume replays), duplicates, resumes, relay latency
 * (sender → receiver in one process, one clock), and the server's RSS every second, with a PNG plot.
 * A server crash (process exit) ends the run early and is reported with its stderr. Every phase has a
 * time limit; the script stops by itself and kills what it started.
 * Results: bench/results/soak-<time>.json, a table on stdout, docs/images/soak-rss.png.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleForNode } from './bundle.js';
import { processTickSeconds } from './proc-stat.js';
import { machineBusySeconds, selfCpuSeconds } from './signaling/cpu.js';
import { Child } from './signaling/procs.js';
import type {
  FleetProgress,
  FleetRun,
  FleetSetupReply,
  FleetTotals,
  HostileReply,
  HostileRun,
} from './soak/ipc.js';
import { renderPng, svgChart } from './soak/plot.js';
import { type Merged, mergeTotals, table } from './soak/report.js';
import { procStatusKiB, Sampler } from './soak/sampler.js';
import {
  buildCli,
  freeUdpTcpPort,
  perAddressFlags,
  type ServeFlag,
  type StartedServe,
  serveOptions,
  startServe,
  staticDir,
} from './soak/server.js';
import { snapshotHead } from './soak/snapshot.js';

const HELP = `npm run soak -- [options]   (a benchmark, not a test; runs ~minutes + 1–3 min of setup and drain)

  --clients <n>         well-behaved WebSocket clients (default 10000)
  --minutes <m>         length of the load phase, after every client has joined (default 10)
  --no-hostile          leave out the hostile mix
  --seed <n>            seed for drops, resume delays and the hostile schedule (default 1)
  --rate <f>            frames per second each client sends (default 1)
  --room-size <n>       peers per room (default 4)
  --drop-fraction <f>   share of clients that drop and resume now and then (default 0.1)
  --drop-every <s>      mean seconds between two drops of one such client (default 60)
  --workers <n>         load worker processes (default: one per 2,500 clients)
  --per-address <n>     clients per source address 127.0.0.10… (default 100)
  --png <path>          where the plot goes (default docs/images/soak-rss.png)
  --against <what>      head: run the server from a clean copy of the committed HEAD (git archive in /tmp,
                        built there; default), or checkout: from this working tree, uncommitted edits and all
  --patience <min>      first wait up to this long for other processes to use < 0.6 of a core (default 10;
                        this machine is shared: a starved server measures the machine, not the server)
  --help                this text

The server runs with --turn-secret, --static (a temp folder) and, when \`parley serve --help\` has
per-address connection/session limits, those flags set to 2 × clients per address + 16 (so that the
fleet fits and the connect flood, 300 at once from one address, does not), and a per-address frame
rate to 4 × what one address's clients send.
Open files: the server holds one per client plus ~1,000 for the hostile mix and TURN relays; the soak
starts it (and its workers) with \`ulimit -n 65536\`, or the hard limit when that is lower (20,000 here,
enough for 10,000 clients; above ~18,000 clients raise the hard limit first: \`ulimit -Hn\` as root).
Exit code: 0 when the server survived and no frame was lost or duplicated; 1 otherwise; 2 on a hang.`;

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    minutes: { type: 'string', default: '10' },
    'no-hostile': { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    rate: { type: 'string', default: '1' },
    'room-size': { type: 'string', default: '4' },
    'drop-fraction': { type: 'string', default: '0.1' },
    'drop-every': { type: 'string', default: '60' },
    workers: { type: 'string' },
    'per-address': { type: 'string', default: '100' },
    png: { type: 'string', default: 'docs/images/soak-rss.png' },
    against: { type: 'string', default: 'head' },
    patience: { type: 'string', default: '10' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const num = (name: keyof typeof args, min: number, max: number): number => {
  const v = Number(args[name]);
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`soak: --${name} must be a number from ${min} to ${max}\n\n${HELP}`);
    process.exit(1);
  }
  return v;
};
const CLIENTS = Math.floor(num('clients', 2, 100_000));
const MINUTES = num('minutes', 0.1, 120);
const SEED = Math.floor(num('seed', 0, 2 ** 31));
const RATE = num('rate', 0.01, 50);
const ROOM_SIZE = Math.floor(num('room-size', 2, 50));
const DROP_FRACTION = num('drop-fraction', 0, 1);
const DROP_EVERY = num('drop-every', 1, 3600);
const PER_ADDRESS = Math.floor(num('per-address', 1, 10_000));
const WORKERS = args.workers ? Math.floor(num('workers', 1, 64)) : Math.max(1, Math.ceil(CLIENTS / 2500));
const HOSTILE = !args['no-hostile'];
const PATIENCE_MIN = num('patience', 0, 120);
const AGAINST = args.against;
if (AGAINST !== 'head' && AGAINST !== 'checkout') {
  console.error(`soak: --against is head or checkout\n\n${HELP}`);
  process.exit(1);
}
const RESUME_WINDOW_S = 30;
const TURN_SECRET = 'parley-soak-turn-secret';
const OPEN_FILES = 65_536;

const root = fileURLToPath(new URL('../../', import.meta.url));
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const date = new Date();
const stamp = date.toISOString().replace(/[:.]/g, '-');
const runDir = join(os.tmpdir(), `parley-soak-${stamp}`);
mkdirSync(runDir, { recursive: true });
const t0 = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A promise that gives up after `ms` with `fallback`. */
const within = <T>(p: Promise<T>, ms: number, fallback: T): Promise<T> =>
  Promise.race([p, sleep(ms).then(() => fallback)]);

function git(...a: string[]): string | null {
  try {
    return execFileSync('git', a, { cwd: root, encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

/**
 * Source address k of the fleet: 127.0.0.10 … 127.0.0.199, then 127.0.1.1 … 127.0.1.250, 127.0.2.1 …
 * (127.0.0.1 reads /healthz; the hostile kinds use 127.0.0.201 … 207).
 */
const fleetAddress = (k: number) =>
  k < 190 ? `127.0.0.${10 + k}` : `127.0.${1 + Math.floor((k - 190) / 250)}.${1 + ((k - 190) % 250)}`;
const ADDRESS_COUNT = Math.max(1, Math.ceil(CLIENTS / PER_ADDRESS));
const HOSTILE_ADDR: HostileRun['addresses'] = {
  paused: '127.0.0.201',
  flood: '127.0.0.202',
  malformed: '127.0.0.203',
  oversized: '127.0.0.204',
  http: '127.0.0.205',
  slowloris: '127.0.0.206',
  turn: '127.0.0.207',
};

// Everything started here, so that every way out kills it.
const children: ChildProcess[] = [];
let server: StartedServe | null = null;
const killAll = () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (server && !server.exit) server.proc.kill('SIGKILL');
};
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    log(`${sig}: stopping everything`);
    killAll();
    process.exit(130);
  });

const bundleDir = join(root, 'node_modules/.cache/parley-bench');
async function bundle(name: string): Promise<string> {
  const out = join(bundleDir, `soak-${name}.mjs`);
  await bundleForNode(here(`./soak/${name}.ts`), out, root);
  return out;
}

/** The soft open-file limit a process really got (raising it needs CAP_SYS_RESOURCE past the hard one). */
function procOpenFileLimit(pid: number): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function startChild(file: string, kind: 'worker'): Child {
  const sh = `ulimit -n ${OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const proc = spawn('sh', ['-c', sh, process.execPath, file], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(proc);
  return new Child(proc, kind);
}

// ---------------------------------------------------------------------------------------------------------

const budgetMs = (PATIENCE_MIN + 6 + MINUTES + 5) * 60_000 + CLIENTS * 20;
const watchdog = setTimeout(() => {
  log(`watchdog: the soak ran past its ${Math.round(budgetMs / 60_000)} min budget; killing everything`);
  hung = true;
  void finish()
    .catch((err) => console.error('soak: could not write the partial results:', err))
    .finally(() => {
      killAll();
      process.exit(2);
    });
}, budgetMs);
watchdog.unref();
let hung = false;

log(
  `soak: ${CLIENTS} clients in rooms of ${ROOM_SIZE}, ${RATE} frame/s each, ${MINUTES} min, ` +
    `${Math.round(DROP_FRACTION * 100)}% dropping every ~${DROP_EVERY} s, hostile ${HOSTILE ? 'on' : 'off'}, seed ${SEED}`,
);
log(`logs in ${runDir}`);
// The server runs from a clean copy of HEAD (--against head), or from this checkout as it is.
const snapshot = AGAINST === 'head' ? snapshotHead(root, log) : null;
const serveRoot = snapshot?.dir ?? root;
if (!snapshot) buildCli(root);
const helpOptions = serveOptions(serveRoot);
const limitFlags = perAddressFlags(helpOptions);
const perAddr = Math.ceil(CLIENTS / ADDRESS_COUNT);
/** Connections/sessions: every client, and as many again for resumes whose old socket still looks open. */
const limitValue = 2 * perAddr + 16;
/** Frame tokens per second: 4 × what the address's clients send (their frames, an ack a second each). */
const rateValue = Math.ceil(4 * perAddr * (RATE + 1));
const limitFor = (f: { kind: 'count' | 'rate' }) => (f.kind === 'rate' ? rateValue : limitValue);
const st = staticDir(runDir);
const turnPort = await freeUdpTcpPort();
const serveArgs = [
  '--port',
  '0',
  '--host',
  '127.0.0.1',
  '--log-level',
  'warn',
  '--resume-window',
  String(RESUME_WINDOW_S),
  '--turn-port',
  String(turnPort),
  '--turn-secret',
  TURN_SECRET,
  '--static',
  st.dir,
  ...limitFlags.flatMap((f) => [f.flag.split(' ')[0]!, String(limitFor(f))]),
];
log(
  limitFlags.length
    ? `per-address limits found in serve --help: ${limitFlags.map((f) => `${f.flag.split(' ')[0]} ${limitFor(f)}`).join(', ')}`
    : 'no per-address limit flag in `parley serve --help` yet: none set',
);
const [fleetFile, hostileFile] = await Promise.all([bundle('fleet-worker'), bundle('hostile-worker')]);
const meta = {
  benchmark: 'soak',
  date: date.toISOString(),
  /** The commit the server was built from. */
  git: snapshot?.rev ?? git('rev-parse', 'HEAD'),
  gitShort: (snapshot?.rev ?? git('rev-parse', 'HEAD') ?? '?').slice(0, 7),
  against: snapshot ? `HEAD, from a clean copy (git archive) in ${snapshot.dir}` : 'this checkout as it is',
  /** Uncommitted changes in product code at run time (others work in this checkout): the build ran them. */
  uncommittedProductChanges: (snapshot ? '' : (git('status', '--porcelain', '--', 'packages', 'apps') ?? ''))
    .split('\n')
    .filter(Boolean),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  loadavgBefore: os.loadavg(),
  options: {
    clients: CLIENTS,
    minutes: MINUTES,
    hostile: HOSTILE,
    seed: SEED,
    ratePerClient: RATE,
    roomSize: ROOM_SIZE,
    dropFraction: DROP_FRACTION,
    dropEverySec: DROP_EVERY,
    resumeDelayMs: [200, 5000] as [number, number],
    workers: WORKERS,
    sourceAddresses: ADDRESS_COUNT,
    perAddress: PER_ADDRESS,
  },
  serve: {
    command: `node apps/cli/bin/parley.js serve ${serveArgs.join(' ')}`,
    /** Asked for; what the process got is server.openFileLimit. */
    openFileLimitAsked: OPEN_FILES,
    perAddressFlags: limitFlags,
    perAddressValues: Object.fromEntries(limitFlags.map((f) => [f.flag.split(' ')[0], limitFor(f)])),
    helpFlags: helpOptions.map((o: ServeFlag) => o.flag),
  },
  method: {
    lost: 'a frame sent by a peer and not received by its target exactly once, counted after the run (resume replays included)',
    drops:
      'a dropping client terminates its socket (no leave) only once its own sends have left its process, then resumes after 0.2–5 s with its resume token and the highest seq it processed',
    latency:
      'sender → receiver, both in the same load worker (one clock); live frames apart from frames replayed after a resume (seq ≤ the seq in `resumed`)',
    rss: 'VmRSS of the server process from /proc/PID/status every second; connections/sessions from /healthz',
    acks: 'every 32 sequenced frames, or after 1 s (as the SDK)',
  },
};

/** Waits (bounded) until other processes use less than `limit` cores over a 10 s window. */
async function waitForQuiet(maxMs: number, limit: number) {
  const from = Date.now();
  const readings: number[] = [];
  for (;;) {
    const m0 = machineBusySeconds();
    const s0 = selfCpuSeconds();
    await sleep(10_000);
    const others = (machineBusySeconds() - m0 - (selfCpuSeconds() - s0)) / 10;
    readings.push(Math.round(others * 100) / 100);
    const waitedS = Math.round((Date.now() - from) / 1000);
    if (others < limit || Date.now() - from >= maxMs) return { quiet: others < limit, waitedS, readings };
    log(
      `waiting for a quieter machine: other processes use ${others.toFixed(2)} cores (${waitedS} s so far)`,
    );
  }
}
const quietWait = PATIENCE_MIN > 0 ? await waitForQuiet(PATIENCE_MIN * 60_000, 0.6) : null;
if (quietWait)
  log(
    quietWait.quiet
      ? `machine quiet enough after ${quietWait.waitedS} s (other processes ${quietWait.readings.at(-1)} cores)`
      : `machine still busy after ${quietWait.waitedS} s (other processes ${quietWait.readings.at(-1)} cores): starting anyway`,
  );

const started = Date.now();
server = await startServe(serveRoot, serveArgs, join(runDir, 'server.stderr.log'), OPEN_FILES, turnPort);
const srv = server;
log(`parley serve pid ${srv.pid} on port ${srv.port} (TURN ${turnPort})`);
const sampler = new Sampler(srv.pid, srv.port, started);
sampler.start();
const metricsStart = await sampler.scrape();
const serverCpu0 = processTickSeconds(srv.pid);
const machine0 = machineBusySeconds();

/** Resolves with a description once the server process has exited. */
const serverDied = srv.exited.then(
  (e) => `exited ${e.signal ? `on ${e.signal}` : `with code ${e.code}`} at ${(e.atMs / 1000).toFixed(1)} s`,
);

const fleet = Array.from({ length: WORKERS }, () => startChild(fleetFile, 'worker'));
const hostile = HOSTILE ? startChild(hostileFile, 'worker') : null;
sampler.ourPids.push(...[...fleet, ...(hostile ? [hostile] : [])].map((c) => c.pid));
const progress = new Map<number, FleetProgress>();
for (const w of fleet)
  w.proc.on('message', (m: FleetProgress) => {
    if (!m.progress) return;
    progress.set(m.worker, m);
    sampler.fleetOpen = [...progress.values()].reduce((a, p) => a + p.connected, 0);
  });
await Promise.all([...fleet, ...(hostile ? [hostile] : [])].map((c) => c.ready));

// Setup: every worker joins its share of whole rooms.
const share = (i: number) => {
  const rooms = Math.ceil(CLIENTS / ROOM_SIZE);
  const mine = Math.floor(rooms / WORKERS) + (i < rooms % WORKERS ? 1 : 0);
  const before = Array.from(
    { length: i },
    (_, k) => Math.floor(rooms / WORKERS) + (k < rooms % WORKERS ? 1 : 0),
  ).reduce((a, b) => a + b, 0);
  const first = before * ROOM_SIZE;
  return { first, count: Math.max(0, Math.min(CLIENTS, (before + mine) * ROOM_SIZE) - first) };
};
log(`setup: ${WORKERS} workers joining ${CLIENTS} clients from ${ADDRESS_COUNT} source addresses`);
const setupT0 = Date.now();
const setupTimeoutMs = 120_000 + CLIENTS * 15;
let crash: string | null = null;
/** A load or hostile worker that died (a bug of the soak, or the machine): the run is not to be trusted. */
let workerFailure: string | null = null;
/** Set once the run is being wound up: workers stopped from here on are not failures. */
let finishing = false;
const setups = await Promise.race([
  Promise.all(
    fleet.map((w, i) => {
      const { first, count } = share(i);
      // Addresses by global client index, so a worker's clients spread over all of them.
      const addrs = Array.from({ length: Math.min(ADDRESS_COUNT, count) }, (_, k) =>
        fleetAddress((first + k) % ADDRESS_COUNT),
      );
      return w.request<FleetSetupReply>({
        op: 'setup',
        worker: i,
        host: '127.0.0.1',
        port: srv.port,
        clients: count,
        roomSize: ROOM_SIZE,
        localAddresses: addrs,
        concurrency: 32,
        seed: SEED * 1000 + i,
        joinTimeoutMs: 30_000,
      });
    }),
  ).catch((err: Error) => {
    workerFailure = `a load worker died during setup: ${err.message}`;
    return null;
  }),
  serverDied.then((why) => {
    crash = why;
    return null;
  }),
  sleep(setupTimeoutMs).then(() => null),
]);
const setupMs = Date.now() - setupT0;
const reached = setups ? setups.reduce((a, s) => a + s.connected, 0) : sampler.fleetOpen;
const setupErrors = setups ? setups.flatMap((s) => s.errors).slice(0, 8) : [];
const afterSetupRss = Math.round(procStatusKiB(srv.pid, 'VmRSS') / 102.4) / 10;
log(
  setups
    ? `setup: ${reached}/${CLIENTS} joined in ${(setupMs / 1000).toFixed(1)} s${setupErrors.length ? `; errors: ${setupErrors.slice(0, 3).join(' | ')}` : ''}`
    : `setup did not finish: ${crash ?? `timed out after ${setupTimeoutMs / 1000} s`}`,
);

let totals: FleetTotals[] | null = null;
let hostileStats: HostileReply | null = null;
const loadStart = (Date.now() - started) / 1000;
let loadEnd = loadStart;
const durationMs = Math.round(MINUTES * 60_000);
if (setups && !crash) {
  log(`load: ${MINUTES} min${HOSTILE ? ' with the hostile mix' : ''}`);
  const runReq: FleetRun = {
    op: 'run',
    rate: RATE,
    durationMs,
    dropFraction: DROP_FRACTION,
    dropEverySec: DROP_EVERY,
    resumeDelayMs: meta.options.resumeDelayMs,
    quietTailMs: 15_000,
  };
  const hostileReq: HostileRun = {
    op: 'hostile',
    host: '127.0.0.1',
    port: srv.port,
    turnPort,
    turnSecret: TURN_SECRET,
    durationMs: Math.max(0, durationMs - 10_000),
    addresses: HOSTILE_ADDR,
    seed: SEED,
    staticPath: st.path,
  };
  const ticker = setInterval(() => {
    const s = sampler.samples.at(-1);
    const p = [...progress.values()];
    const sum = (f: (x: FleetProgress) => number) => p.reduce((a, x) => a + f(x), 0);
    log(
      `  rss ${s?.rssMiB ?? '?'} MiB, server cpu ${s?.cpu ?? '?'}, conns ${s?.connections ?? '?'}, sessions ${s?.sessions ?? '?'}; ` +
        `fleet open ${sum((x) => x.connected)}, sent ${sum((x) => x.sent)}, drops ${sum((x) => x.drops)}, resumes ${sum((x) => x.resumesOk)} ok / ${sum((x) => x.resumesFailed)} failed`,
    );
  }, 30_000);
  const fleetRun = Promise.all(fleet.map((w) => w.request<FleetTotals>(runReq)));
  const fleetSafe = fleetRun.catch((err: Error) => {
    if (!finishing) workerFailure = `a load worker died: ${err.message}`;
    return null;
  });
  const hostileRun = (hostile ? hostile.request<HostileReply>(hostileReq) : Promise.resolve(null)).catch(
    (err: Error) => {
      if (!finishing) workerFailure = `the hostile worker died: ${err.message}`;
      return null;
    },
  );
  // The workers end on their own after durationMs plus at most ~100 s of resume settling and drain.
  const outcome = await Promise.race([
    fleetSafe.then(async (f) =>
      f ? { f, h: await hostileRun } : { why: workerFailure ?? 'load worker died' },
    ),
    serverDied.then((why) => ({ why })),
    sleep(durationMs + 180_000).then(() => ({ why: 'hang: load workers did not report 3 min past the end' })),
  ]);
  clearInterval(ticker);
  loadEnd = (Date.now() - started) / 1000;
  if ('f' in outcome && outcome.f) {
    totals = outcome.f;
    hostileStats = outcome.h ?? null;
  } else {
    const why = 'why' in outcome ? outcome.why : 'load worker died';
    crash = srv.exit ? why : null;
    log(`load ended early: ${why}`);
    // Ask what they have; each answer is bounded in time.
    await Promise.all(
      fleet.map((w) =>
        within(
          w.request({ op: 'abort' }).catch(() => null),
          5000,
          null,
        ),
      ),
    );
    totals = (await within(fleetSafe, 20_000, null)) ?? null;
    hostileStats = hostile
      ? await within(
          hostile.request<HostileReply>({ op: 'stats' }).catch(() => null),
          5000,
          null,
        )
      : null;
  }
}
await finish();

async function finish(): Promise<void> {
  clearTimeout(watchdog);
  finishing = true;
  const survived = !!server && !server.exit;
  const metricsEnd = survived ? await sampler.scrape() : sampler.lastMetrics;
  const openFileLimit = survived ? procOpenFileLimit(srv.pid) : null;
  const hwmKiB = survived ? procStatusKiB(srv.pid, 'VmHWM') : null;
  await sleep(survived ? 1500 : 0);
  sampler.stop();
  const serverTicks = processTickSeconds(srv.pid);
  const serverCpu = (Number.isFinite(serverTicks) ? serverTicks : sampler.serverCpuTotal) - serverCpu0;
  const machineBusy = machineBusySeconds() - machine0;
  const workersCpu = [...fleet, ...(hostile ? [hostile] : [])].reduce(
    (a, c) => a + processTickSeconds(c.pid),
    0,
  );
  const wallS = (Date.now() - started) / 1000;
  // Stop the workers, then the server with SIGTERM: a clean shutdown is part of surviving.
  await Promise.all(
    [...fleet, ...(hostile ? [hostile] : [])].map((c) => within(c.stop(), 10_000, undefined)),
  );
  const shutdown = survived ? await srv.stop() : srv.exit;
  killAll();
  const merged: Merged | null = totals ? mergeTotals(totals) : null;
  const rssValues = sampler.samples.map((s) => s.rssMiB).filter(Number.isFinite);
  const rss = {
    startMiB: rssValues[0] ?? Number.NaN,
    afterSetupMiB: afterSetupRss,
    peakMiB: Math.max(...rssValues),
    endMiB: rssValues.at(-1) ?? Number.NaN,
  };
  const runSeconds = totals ? Math.min(loadEnd - loadStart, durationMs / 1000) : loadEnd - loadStart;
  const trust: string[] = [];
  if (reached < CLIENTS)
    trust.push(
      `the fleet reached ${reached} of ${CLIENTS} clients (setup errors: ${setupErrors.join(' | ') || 'none reported'})`,
    );
  if (!survived)
    trust.push(`the server died (${crash ?? srv.exit?.code}); every figure covers the run up to then`);
  if (hung) trust.push('the soak hit its watchdog: figures are partial');
  if (workerFailure) trust.push(workerFailure);
  if (merged) {
    if (merged.latency.live.samples < 10_000)
      trust.push(
        `only ${merged.latency.live.samples} live latency samples: p99 rests on fewer than 100 frames past it`,
      );
    if (merged.workerElu.some((e) => e > 0.9))
      trust.push(
        `a load worker was busy ${Math.max(...merged.workerElu) * 100}% of the time: latency includes its own queueing`,
      );
    if (merged.resumesFailed > 0)
      trust.push(`${merged.resumesFailed} resumes failed: frames to those sessions are lost by design`);
    if (merged.drops === 0 && DROP_FRACTION > 0)
      trust.push('no client dropped: the resume path was not exercised');
    if (merged.skippedBackpressure > 0)
      trust.push(`${merged.skippedBackpressure} sends skipped because a client socket held > 1 MiB unsent`);
  } else trust.push('no fleet totals: the load phase did not report');
  const gaps = sampler.samples.filter((s) => s.connections === null).length;
  const stalls = sampler.stalls();
  if (gaps > 2)
    trust.push(
      `/healthz did not answer within 900 ms in ${gaps} of ${sampler.samples.length} samples: ` +
        stalls
          .slice(0, 6)
          .map((x) => `${x.fromS}–${x.toS} s (server ${x.serverCpu} cores, other processes ${x.othersCpu})`)
          .join('; '),
    );
  const othersCores = (machineBusy - serverCpu - workersCpu) / wallS;
  const synDrops = sampler.samples.at(-1)?.listenDrops ?? Number.NaN;
  if (synDrops > 0)
    trust.push(
      `${synDrops} SYNs were dropped on full listen queues during the soak (TcpExt ListenDrops, machine-wide): ` +
        'a client whose SYN is dropped waits 1, 3, 7, 15… s for its kernel to retry, which is counted in resume and join times',
    );
  if (othersCores > 0.5)
    trust.push(
      `other processes on this machine used ${othersCores.toFixed(2)} cores on average during the soak`,
    );
  const lossFree = !!merged && merged.lost === 0 && merged.duplicates === 0 && merged.misdelivered === 0;
  const pass = survived && lossFree && reached === CLIENTS && !hung && !workerFailure;
  const verdict = pass
    ? 'PASS: the server survived, 0 frames lost or duplicated'
    : `FAIL: ${[
        !survived && `server ${crash ?? 'died'}`,
        merged && merged.lost > 0 && `${merged.lost} frames lost`,
        merged && merged.duplicates > 0 && `${merged.duplicates} duplicated`,
        merged && merged.misdelivered > 0 && `${merged.misdelivered} misdelivered`,
        reached < CLIENTS && `fleet short of its target (${reached}/${CLIENTS})`,
        !merged && 'no fleet totals',
        hung && 'watchdog',
        workerFailure,
      ]
        .filter(Boolean)
        .join(', ')}`;
  const pngPath = resolve(root, args.png ?? 'docs/images/soak-rss.png');
  mkdirSync(join(pngPath, '..'), { recursive: true });
  const marks = [
    { t: loadStart, label: 'load + hostile mix start', color: '#555' },
    { t: loadEnd, label: 'load end', color: '#555' },
    ...(srv.exit && srv.exit.code !== 0 && !survived
      ? [{ t: srv.exit.atMs / 1000, label: 'SERVER DIED', color: '#c00' }]
      : []),
  ];
  if (!HOSTILE) marks[0]!.label = 'load start';
  const svg = svgChart({
    samples: sampler.samples,
    title: `parley serve soak: ${reached.toLocaleString('en-US')} clients, ${MINUTES} min${HOSTILE ? ' + hostile mix' : ''}`,
    subtitle: `${meta.gitShort ?? '?'} · ${meta.date.slice(0, 16).replace('T', ' ')} UTC · ${verdict.split(':')[0]}${merged ? ` · lost ${merged.lost} · p99 ${merged.latency.live.p99Ms ?? '>2000'} ms` : ''} · RSS peak ${rss.peakMiB.toFixed(0)} MiB · other processes ${othersCores.toFixed(1)} of ${os.cpus().length} cores`,
    marks,
  });
  const svgPath = join(runDir, 'soak-rss.svg');
  const pngError = await within(renderPng(svg, pngPath, svgPath), 120_000, 'render timed out');
  if (pngError) trust.push(`PNG not rendered: ${pngError}`);
  else copyFileSync(pngPath, join(runDir, 'soak-rss.png'));
  const result = {
    meta: { ...meta, quietWait, loadavgAfter: os.loadavg(), durationS: (Date.now() - t0) / 1000 },
    verdict: { pass, text: verdict },
    fleet: {
      requested: CLIENTS,
      reached,
      workers: WORKERS,
      sourceAddresses: ADDRESS_COUNT,
      setupMs,
      setupErrors,
      aliveAtEnd: merged?.aliveAtEnd ?? null,
    },
    load: { startS: loadStart, endS: loadEnd, runSeconds },
    frames: merged
      ? {
          sent: merged.sent,
          sentMessage: merged.sentMessage,
          sentSignal: merged.sentSignal,
          receivedExactlyOnce: merged.receivedUnique,
          lost: merged.lost,
          lostToFailedResume: merged.lostToFailedResume,
          duplicated: merged.duplicates,
          misdelivered: merged.misdelivered,
          seqGaps: merged.seqGaps,
          seqRepeats: merged.seqRepeats,
          replayed: merged.replayed,
          skippedBackpressure: merged.skippedBackpressure,
        }
      : null,
    resumes: merged
      ? {
          drops: merged.drops,
          ok: merged.resumesOk,
          failed: merged.resumesFailed,
          failReasons: merged.resumeFailReasons,
          attemptsGoneWrong: merged.resumeRetryReasons,
          timeoutSamples: merged.resumeTimeoutSamples,
          meanMs: merged.resumesOk ? merged.resumeMsSum / merged.resumesOk : null,
          maxMs: merged.resumeMsMax,
          rejoins: merged.rejoins,
        }
      : null,
    latency: merged?.latency ?? null,
    fleetSaw: merged
      ? {
          unexpectedCloses: merged.unexpectedCloses,
          closeReasons: merged.closeReasons,
          errorFrames: merged.errorFrames,
          errorSamples: merged.errorSamples,
          workerEventLoopUse: merged.workerElu,
        }
      : null,
    server: {
      pid: srv.pid,
      port: srv.port,
      survived,
      exit: srv.exit,
      crash,
      shutdown,
      stderrTail: srv.stderrTail().slice(survived ? -2000 : -12_000),
      stdoutTail: srv.stdoutTail(),
      metricsStart,
      metricsEnd,
      cpuSeconds: serverCpu,
      openFileLimit,
      healthzStalls: stalls,
      listenDrops: synDrops,
    },
    machine: {
      wallSeconds: wallS,
      serverCores: serverCpu / wallS,
      soakWorkersCores: workersCpu / wallS,
      otherProcessesCores: othersCores,
    },
    rss: {
      ...rss,
      hwmKiB,
      samples: sampler.samples.length,
    },
    hostile: hostileStats,
    trust,
    png: relative(root, pngPath),
    pngCopy: pngError ? null : join(runDir, 'soak-rss.png'),
    svg: svgPath,
    logs: runDir,
    samples: sampler.samples,
  };
  const resultsDir = join(root, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonPath = join(resultsDir, `soak-${stamp}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `\n${table({
      requested: CLIENTS,
      reached,
      minutes: MINUTES,
      runSeconds,
      merged,
      rss,
      serverSurvived: survived,
      commit: `${meta.git ?? '?'}${meta.uncommittedProductChanges.length ? ` + uncommitted changes in ${meta.uncommittedProductChanges.length} product files` : ''}`,
      cores: {
        server: serverCpu / wallS,
        workers: workersCpu / wallS,
        others: othersCores,
        of: os.cpus().length,
      },
      serverExit: crash ?? `${srv.exit?.code ?? srv.exit?.signal}`,
      hostile: hostileStats,
      trust,
      verdict,
    })}`,
  );
  if (!survived) console.log(`server stderr (tail):\n${srv.stderrTail().slice(-4000)}`);
  console.log(`\nresults: ${relative(root, jsonPath)}; plot: ${relative(root, pngPath)}; logs: ${runDir}`);
  if (!hung) process.exit(pass ? 0 : 1);
}
