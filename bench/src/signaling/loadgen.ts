/**
 * Load-generator process: holds many WebSocket clients in rooms of two and, on request, makes every client
 * send signal frames to its partner at a set total rate, measuring the relay latency on receipt. Both
 * partners live in this process, so sender and receiver share one clock. Driven over IPC by signaling.ts.
 */
import { performance } from 'node:perf_hooks';
import { processTickSeconds } from '../proc-stat.js';
import { Histogram } from './histogram.js';
import type { RunReply, RunRequest, SettleReply, SetupReply, SetupRequest, WorkerRequest } from './ipc.js';
import { RawWs, textFrame } from './raw-ws.js';
import { DIALECTS, type Dialect, TS_DIGITS, TS_MARK } from './systems.js';

/**
 * As the SDK does: acknowledge every 64 frames (BENCH_ACK_EVERY overrides, for investigation), and
 * whatever is still unacknowledged after at most ACK_DELAY_MS (the SDK's default 1 s).
 */
const ACK_EVERY = Number(process.env.BENCH_ACK_EVERY ?? 64);
const ACK_DELAY_MS = 1000;
/** Each client writes every GROUPS ticks (~1 ms each): fewer, bigger writes per client, while the server
 * still gets an even 1/GROUPS of the clients every tick rather than a burst every GROUPS ms. */
const GROUPS = 10;
/** A client whose socket holds this much unsent data skips its turn rather than queue without bound. */
const MAX_BACKLOG = 1 << 20;
const SEQ_MARK = Buffer.from('"seq":');
const ERROR_MARK = Buffer.from('"type":"error"');
const PEERJS_ERROR_MARK = Buffer.from('"type":"ERROR"');

interface Client {
  ws: RawWs;
  id: string;
  /** One frame with zeroed timestamp digits at tsAt; copied and stamped for every send. */
  frame: Buffer;
  tsAt: number;
  credit: number;
  last: number;
  maxSeq: number;
  unacked: number;
}

const clients: Client[] = [];
const hist = new Histogram();
let dialect: Dialect | null = null;
let totalSent = 0;
let totalRecv = 0;
let windowFrom = Number.POSITIVE_INFINITY;
let windowTo = Number.NEGATIVE_INFINITY;
let windowRecv = 0;
let measuring = false;
let arrived = 0;
let closes = 0;
let errorFrames = 0;
const errorSamples: string[] = [];
const closeReasons: string[] = [];

const nowUs = () => Math.round(performance.now() * 1000);

function readDigits(buf: Buffer, at: number, max: number): number {
  let v = 0;
  for (let i = at; i < at + max && i < buf.length; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return v;
}

function onSignal(c: Client, payload: Buffer): void {
  if (dialect?.acks) {
    // Every sequenced frame counts (presence too), as in the SDK.
    const s = payload.indexOf(SEQ_MARK);
    if (s >= 0) {
      c.maxSeq = Math.max(c.maxSeq, readDigits(payload, s + SEQ_MARK.length, 16));
      if (++c.unacked >= ACK_EVERY) ack(c);
    }
  }
  const at = payload.indexOf(TS_MARK);
  if (at < 0) {
    // Anything but a relayed candidate during a run (presence aside) is a server complaint: count it.
    if (payload.indexOf(ERROR_MARK) >= 0 || payload.indexOf(PEERJS_ERROR_MARK) >= 0) {
      errorFrames++;
      if (errorSamples.length < 3) errorSamples.push(payload.toString().slice(0, 200));
    }
    return;
  }
  const ts = readDigits(payload, at + TS_MARK.length, TS_DIGITS);
  totalRecv++;
  if (measuring) arrived++;
  if (ts >= windowFrom && ts < windowTo) {
    windowRecv++;
    hist.record(nowUs() - ts);
  }
}

function ack(c: Client): void {
  c.unacked = 0;
  if (c.ws.isOpen) c.ws.sendText(`{"type":"ack","seq":${c.maxSeq}}`);
}

// The SDK's ack timer, for all clients at once: nothing waits unacknowledged longer than ACK_DELAY_MS.
setInterval(() => {
  if (!dialect?.acks || process.env.BENCH_NO_IDLE_ACK) return;
  for (const c of clients) if (c.unacked > 0) ack(c);
}, ACK_DELAY_MS).unref();

// The system's own keep-alive, if its client has one: every client once per `everyMs`, spread evenly
// (real clients connect at different times), a slice of them every HEARTBEAT_TICK_MS.
const HEARTBEAT_TICK_MS = 100;
let beatAt = 0;
let keepAlive = true;
setInterval(() => {
  const beat = keepAlive ? dialect?.heartbeat : undefined;
  if (!beat || clients.length === 0) return;
  let n = Math.ceil((clients.length * HEARTBEAT_TICK_MS) / beat.everyMs);
  while (n-- > 0) {
    if (beatAt >= clients.length) beatAt = 0;
    const c = clients[beatAt++]!;
    if (c.ws.isOpen) c.ws.sendText(beat.frame);
  }
}, HEARTBEAT_TICK_MS).unref();

/** One keep-alive frame from every client, at once (for measuring what each costs the server). */
function beatAll(): number {
  const frame = dialect?.heartbeat?.frame;
  if (!frame) return 0;
  let sent = 0;
  for (const c of clients)
    if (c.ws.isOpen) {
      c.ws.sendText(frame);
      sent++;
    }
  return sent;
}

function onClose(why: string): void {
  closes++;
  if (closeReasons.length < 5) closeReasons.push(why);
}

/** Opens one client and resolves with its peer ID once the server has welcomed it. */
function open(req: SetupRequest, d: Dialect, id: string, room: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    let client: Client | null = null;
    let welcomed = false;
    RawWs.connect({
      host: req.host,
      port: req.port,
      path: d.path(id),
      ...(d.subprotocol ? { protocol: d.subprotocol } : {}),
      onText: (payload) => {
        if (welcomed) return onSignal(client!, payload);
        let frame: { type?: unknown; selfId?: unknown };
        try {
          frame = JSON.parse(payload.toString());
        } catch {
          return;
        }
        const self = d.welcome(frame, id);
        if (self === null) {
          if (frame.type === 'error' || frame.type === 'ERROR') reject(new Error(payload.toString()));
          return;
        }
        welcomed = true;
        client!.id = self;
        resolve(client!);
      },
      onClose: (why) => {
        if (!welcomed) reject(new Error(`closed before welcome: ${why}`));
        else onClose(why);
      },
    }).then((ws) => {
      client = { ws, id, frame: Buffer.alloc(0), tsAt: 0, credit: 0, last: 0, maxSeq: 0, unacked: 0 };
      const hello = d.hello(id, room);
      if (hello) ws.sendText(hello);
    }, reject);
  });
}

function stamp(c: Client, to: string, d: Dialect): void {
  const { prefix, suffix } = d.signal(to);
  const frame = textFrame(prefix + '0'.repeat(TS_DIGITS) + suffix);
  c.frame = frame;
  c.tsAt = frame.length - Buffer.byteLength(suffix) - TS_DIGITS;
}

async function setup(req: SetupRequest): Promise<SetupReply> {
  const d = DIALECTS[req.system];
  dialect = d;
  keepAlive = req.keepAlive ?? true;
  const started = performance.now();
  let next = 0;
  let failed = 0;
  const errors: string[] = [];
  const lane = async () => {
    while (next < req.pairs) {
      const p = next++;
      const room = `${req.prefix}${p}`;
      try {
        const a = await open(req, d, `${room}a`, room);
        const b = await open(req, d, `${room}b`, room);
        stamp(a, b.id, d);
        stamp(b, a.id, d);
        clients.push(a, b);
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push(String(err instanceof Error ? err.message : err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, req.concurrency) }, lane));
  return {
    connected: clients.length,
    failed: failed * 2,
    ms: Math.round(performance.now() - started),
    errors,
  };
}

function sendBatch(c: Client, n: number, ts: number): void {
  const len = c.frame.length;
  const out = Buffer.allocUnsafe(len * n);
  for (let k = 0; k < n; k++) {
    const base = k * len;
    c.frame.copy(out, base);
    let v = ts;
    for (let i = c.tsAt + base + TS_DIGITS - 1; i >= c.tsAt + base; i--) {
      out[i] = 48 + (v % 10);
      v = Math.floor(v / 10);
    }
  }
  c.ws.write(out);
}

function run(req: RunRequest): Promise<RunReply> {
  return new Promise((resolve) => {
    const live = clients.filter((c) => c.ws.isOpen);
    const perClientPerMs = live.length ? req.rate / live.length / 1000 : 0;
    const t0 = performance.now();
    const from = t0 + req.warmupMs;
    const to = from + req.windowMs;
    windowFrom = Math.round(from * 1000);
    windowTo = Math.round(to * 1000);
    windowRecv = 0;
    hist.reset();
    errorFrames = 0;
    errorSamples.length = 0;
    closes = 0;
    closeReasons.length = 0;
    let sent = 0;
    let skipped = 0;
    let tick = 0;
    let elu0: ReturnType<typeof performance.eventLoopUtilization> | null = null;
    let elu = 0;
    let cpu0 = Number.NaN;
    let cpuUsed = Number.NaN;
    let t1 = from;
    let prevTick = Number.NaN;
    let maxTickGapMs = 0;
    arrived = 0;
    for (const c of live) {
      c.last = t0;
      // A random phase: at rates below one frame per client per run, clients still send their share.
      c.credit = Math.random();
    }
    const loop = () => {
      const now = performance.now();
      if (now >= to) {
        elu = elu0 ? performance.eventLoopUtilization(elu0).utilization : 0;
        measuring = false;
        cpuUsed = processTickSeconds(req.serverPid) - cpu0;
        t1 = now;
        setTimeout(finish, req.drainMs);
        return;
      }
      if (elu0 === null && now >= from) {
        elu0 = performance.eventLoopUtilization();
        measuring = true;
        cpu0 = processTickSeconds(req.serverPid);
      }
      const inWindow = now >= from;
      if (inWindow && now - prevTick > maxTickGapMs) maxTickGapMs = now - prevTick;
      prevTick = now;
      const ts = Math.round(now * 1000);
      for (let i = tick % GROUPS; i < live.length; i += GROUPS) {
        const c = live[i]!;
        const due = c.credit + perClientPerMs * (now - c.last);
        const n = Math.floor(due);
        c.credit = due - n;
        c.last = now;
        if (n === 0) continue;
        if (c.ws.backlog > MAX_BACKLOG || !c.ws.isOpen) {
          if (inWindow) skipped += n;
          continue;
        }
        sendBatch(c, n, ts);
        totalSent += n;
        if (inWindow) sent += n;
      }
      tick++;
      setTimeout(loop, 1);
    };
    const finish = () => {
      const received = windowRecv;
      hist.recordLost(Math.max(0, sent - received));
      windowFrom = Number.POSITIVE_INFINITY;
      resolve({
        offered: req.rate,
        sent,
        skipped,
        received,
        windowMs: req.windowMs,
        arrivedInWindow: arrived,
        serverCpu: cpuUsed / ((t1 - from) / 1000),
        serverCpuSeconds: cpuUsed,
        hist: hist.toSparse(),
        elu,
        maxTickGapMs,
        closes,
        closeReasons,
        errorFrames,
        errorSamples,
      });
    };
    loop();
  });
}

async function settle(timeoutMs: number): Promise<SettleReply> {
  const started = performance.now();
  let last = -1;
  while (performance.now() - started < timeoutMs) {
    const inflight = totalSent - totalRecv;
    if (inflight <= 0 || inflight === last) break;
    last = inflight;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { inflight: totalSent - totalRecv, ms: Math.round(performance.now() - started) };
}

process.on('message', async (msg: WorkerRequest & { rid: number }) => {
  let reply: unknown;
  if (msg.op === 'setup') reply = await setup(msg);
  else if (msg.op === 'run') reply = await run(msg);
  else if (msg.op === 'settle') reply = await settle(msg.timeoutMs);
  else if (msg.op === 'beat') reply = beatAll();
  else {
    for (const c of clients) c.ws.close();
    process.send?.({ rid: msg.rid, reply: null }, () => process.exit(0));
    return;
  }
  process.send?.({ rid: msg.rid, reply });
});
process.on('disconnect', () => process.exit(0));
