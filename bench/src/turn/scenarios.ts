/**
 * The three measurements. Each run reads the server's CPU time (all threads) right before and right after
 * the load, so the figure per unit of work depends far less than a rate on how busy the machine is.
 */
import type { TransportAddress } from '@parley/stun';
import { processUserSys } from '../proc-stat.js';
import type { Endpoint } from './client.js';
import { machineBusySeconds } from './machine.js';
import { type NodeChild, processCpuSeconds, processWaitSeconds } from './procs.js';
import type { RunningServer, SystemName } from './servers.js';

export type ScenarioName = 'relay' | 'alloc' | 'binding';

/** One measured run of one scenario against one server. */
export interface Sample {
  scenario: ScenarioName;
  system: SystemName;
  round: number;
  /** Units of work done: relayed datagrams, allocations, or Binding responses. */
  units: number;
  /** The whole CPU window, including the idle wait at the end. */
  wallSec: number;
  /** The time load was applied; rates are over this. */
  activeSec: number;
  serverCpuSec: number;
  /** Busy CPU seconds of the whole machine during the run (both cores), to show the noise. */
  machineBusySec: number;
  /** Seconds the server's threads were runnable but waited for CPU 0 (others' processes, its own threads). */
  serverWaitSec: number;
  /** units per second of the run. */
  perSec: number;
  /** Server CPU microseconds per unit. */
  cpuUsPerUnit: number;
  /** The same split into user space and kernel (syscalls, loopback delivery), from 10 ms ticks. */
  userUsPerUnit: number;
  sysUsPerUnit: number;
  /** Server CPU use in % of one core. */
  serverCpuPct: number;
  extra: Record<string, number | string>;
}

export interface Load {
  workers: NodeChild[];
  echo: NodeChild;
  secret: string;
}

async function measure(
  scenario: ScenarioName,
  server: RunningServer,
  round: number,
  run: () => Promise<{ units: number; activeSec?: number; extra: Record<string, number | string> }>,
): Promise<Sample> {
  const cpu0 = processCpuSeconds(server.pid);
  const wait0 = processWaitSeconds(server.pid);
  const us0 = processUserSys(server.pid);
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  const out = await run();
  const { units, extra } = out;
  const wallSec = (performance.now() - t0) / 1000;
  // Rates are over the time load was applied (runs end with an idle wait so late work is counted).
  const activeSec = out.activeSec ?? wallSec;
  const serverCpuSec = processCpuSeconds(server.pid) - cpu0;
  const us1 = processUserSys(server.pid);
  const per = (sec: number) => (units > 0 ? (sec * 1e6) / units : Number.NaN);
  return {
    scenario,
    system: server.name,
    round,
    units,
    wallSec,
    serverCpuSec,
    machineBusySec: machineBusySeconds() - busy0,
    serverWaitSec: processWaitSeconds(server.pid) - wait0,
    activeSec,
    perSec: units / activeSec,
    cpuUsPerUnit: per(serverCpuSec),
    userUsPerUnit: per(us1.user - us0.user),
    sysUsPerUnit: per(us1.sys - us0.sys),
    serverCpuPct: (serverCpuSec / wallSec) * 100,
    extra,
  };
}

const endpoint = (s: RunningServer): Endpoint => ({ host: '127.0.0.1', port: s.port });

/** Allocations with a permission and a channel to the echo peer, `clients` per worker, tagged by server. */
export async function setupRelay(load: Load, server: RunningServer, clients: number): Promise<void> {
  const tag = server.name;
  const relays = await Promise.all(
    load.workers.map((w) =>
      w.request<TransportAddress[]>({
        op: 'relaySetup',
        tag,
        server: endpoint(server),
        secret: load.secret,
        clients,
      }),
    ),
  );
  await Promise.all(
    load.workers.map(async (w, i) => {
      const mine = relays[i]!.map((r) => ({ host: r.address, port: r.port }));
      const ports = await load.echo.request<number[]>({ op: 'open', tag, relays: mine });
      await w.request({ op: 'relayBind', tag, peers: ports.map((port) => ({ host: '127.0.0.1', port })) });
    }),
  );
}

export async function teardownRelay(load: Load, server: RunningServer): Promise<void> {
  await Promise.all(load.workers.map((w) => w.request({ op: 'relayTeardown', tag: server.name })));
  await load.echo.request({ op: 'close', tag: server.name });
}

/** Relayed datagrams seen so far: at the echo peer (client → peer) and back at the clients (peer → client). */
async function relayCounts(load: Load): Promise<{ atPeer: number; back: number }> {
  const [atPeer, ...back] = await Promise.all([
    load.echo.request<number>({ op: 'count' }),
    ...load.workers.map((w) => w.request<number>({ op: 'relayCount' })),
  ]);
  return { atPeer: atPeer!, back: back.reduce((x, y) => x + y, 0) };
}

/** Waits until no relayed datagram has arrived for 200 ms (at most `maxMs`): queues are empty. */
async function quiesce(load: Load, maxMs = 3000): Promise<{ atPeer: number; back: number }> {
  const until = performance.now() + maxMs;
  let last = await relayCounts(load);
  for (;;) {
    await sleep(200);
    const now = await relayCounts(load);
    if ((now.atPeer === last.atPeer && now.back === last.back) || performance.now() > until) return now;
    last = now;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALLOC_SETTLE_MS = 2000;

/**
 * ChannelData relay at `rate` client datagrams/s in total. A relayed datagram is one the server forwarded:
 * client → peer (counted at the echo peer) plus peer → client (counted back at the load generator). The
 * run starts with empty queues and ends when they are empty again, so every counted datagram's CPU is in.
 */
export async function runRelay(
  load: Load,
  server: RunningServer,
  round: number,
  rate: number,
  durationMs: number,
  payload: number,
): Promise<Sample> {
  const before = await quiesce(load);
  const echoCpu0 = processCpuSeconds(load.echo.pid);
  const echoUs0 = processUserSys(load.echo.pid);
  return measure('relay', server, round, async () => {
    const per = rate / load.workers.length;
    const replies = await Promise.all(
      load.workers.map((w) =>
        w.request<{ sent: number }>({ op: 'relayRun', tag: server.name, rate: per, durationMs, payload }),
      ),
    );
    const after = await quiesce(load);
    const sent = replies.reduce((a, r) => a + r.sent, 0);
    const atPeer = after.atPeer - before.atPeer;
    const back = after.back - before.back;
    // The echo peer is a bare Node UDP echo (connected sockets, no JS work): the floor for a Node relay hop.
    const echoUs1 = processUserSys(load.echo.pid);
    const perEcho = (sec: number) => (atPeer > 0 ? (sec * 1e6) / atPeer : Number.NaN);
    return {
      units: atPeer + back,
      activeSec: durationMs / 1000,
      extra: {
        offeredPerSec: rate,
        sent,
        atPeer,
        backAtClient: back,
        roundTripPct: sent > 0 ? (back / sent) * 100 : 0,
        echoCpuUsPerDatagram: perEcho(processCpuSeconds(load.echo.pid) - echoCpu0),
        echoUserUs: perEcho(echoUs1.user - echoUs0.user),
        echoSysUs: perEcho(echoUs1.sys - echoUs0.sys),
      },
    };
  });
}

interface AllocReply {
  allocations: number;
  errors: number;
  firstErrors: string[];
  ms: number;
}

/**
 * Allocate (401, then authenticated) + Refresh LIFETIME 0, closed loop, `concurrency` lanes per worker. The
 * CPU window ends 2 s after the load, so deferred clean-up is in it; the rate is over the loaded time.
 */
export function runAlloc(
  load: Load,
  server: RunningServer,
  round: number,
  concurrency: number,
  durationMs: number,
): Promise<Sample> {
  return measure('alloc', server, round, async () => {
    const replies = await Promise.all(
      load.workers.map((w, worker) =>
        w.request<AllocReply>({
          op: 'allocRun',
          worker,
          server: endpoint(server),
          secret: load.secret,
          concurrency,
          durationMs,
        }),
      ),
    );
    // coturn frees a deleted allocation's session about 1.5 s later: wait so that work is counted too.
    await sleep(ALLOC_SETTLE_MS);
    const errors = replies.reduce((a, r) => a + r.errors, 0);
    const firstError = replies.flatMap((r) => r.firstErrors)[0];
    return {
      units: replies.reduce((a, r) => a + r.allocations, 0),
      activeSec: Math.max(...replies.map((r) => r.ms)) / 1000,
      extra: { errors, ...(firstError ? { firstError } : {}) },
    };
  });
}

/** Binding requests, closed loop: `sockets` sockets per worker with `window` requests in flight each. */
export function runBinding(
  load: Load,
  server: RunningServer,
  round: number,
  sockets: number,
  window: number,
  durationMs: number,
): Promise<Sample> {
  return measure('binding', server, round, async () => {
    const replies = await Promise.all(
      load.workers.map((w) =>
        w.request<{ responses: number; ms: number }>({
          op: 'bindingRun',
          server: endpoint(server),
          sockets,
          window,
          durationMs,
        }),
      ),
    );
    return { units: replies.reduce((a, r) => a + r.responses, 0), extra: {} };
  });
}
