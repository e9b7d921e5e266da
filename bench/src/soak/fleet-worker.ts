/**
 * Soak load worker: holds whole rooms of well-behaved `ws` clients (so sender and receiver share one
 * clock), joins them, then makes every client send numbered `message`/`signal` frames to its room's
 * peers in turn at a steady rate, while some clients drop their socket (terminate, no leave) at random
 * moments and resume with their resume token and last `seq`. Every frame carries (sender, target, number,
 * send time), so the receiver counts loss, duplicates and latency. Driven over IPC by ../soak.ts.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Histogram } from '../signaling/histogram.js';
import type { FleetProgress, FleetRun, FleetSetup, FleetSetupReply, FleetTotals } from './ipc.js';
import { mulberry32 } from './rng.js';

const SUBPROTOCOL = 'parley.v1';
/** As the SDK does: acknowledge every 32 frames, and whatever is unacknowledged after 1 s. */
const ACK_EVERY = 32;
const ACK_DELAY_MS = 1000;
/** A client whose socket holds this much unsent data skips its turn rather than queue without bound. */
const MAX_BACKLOG = 1 << 20;
/** Tries per drop to get the session back (each: connect, `resume`, wait for `resumed`). */
const RESUME_TRIES = 3;
/** As the SDK: an attempt that gets no answer is given up after its heartbeat timeout, 30 s. */
const RESUME_TIMEOUT_MS = 30_000;
const TICK_MS = 20;
const CANDIDATE_TAIL = ' 1 udp 2122260223 192.0.2.2 54321 typ host';

type State = 'joining' | 'open' | 'down' | 'resuming' | 'dead';

interface Client {
  idx: number;
  room: Client[];
  addr: string;
  ws: WebSocket | null;
  state: State;
  selfId: string;
  token: string;
  /** Incremented on every join: a failed resume makes the client a new peer. */
  session: number;
  /** Highest `seq` processed on the current session, and the last one acknowledged. */
  lastSeq: number;
  acked: number;
  unacked: number;
  /** Frames with a `seq` up to this arrived as a resume's replay (0 on a fresh join). */
  replayUpTo: number;
  dropper: boolean;
  nextDropAt: number;
  nextSendAt: number;
  turn: number;
  sends: number;
  /** Per target idx: frames numbered so far, and (session, first number) whenever the target's session changed. */
  sentTo: Map<number, { n: number; sessions: Array<[number, number]> }>;
  /** Per sender idx: which frame numbers arrived (0, 1, or more for duplicates). */
  got: Map<number, Uint8Array>;
  resumeStarted: number;
  resumeTries: number;
  /** Whether the current resume attempt's socket completed its upgrade (to tell where a timeout hung). */
  resumeUpgraded: boolean;
  roomName: string;
  joinFailure: string;
}

const clients: Client[] = [];
const liveHist = new Histogram();
const replayHist = new Histogram();
let liveMaxUs = 0;
let replayMaxUs = 0;
let workerIdx = 0;
let url = '';
let rand = Math.random;
const t: FleetTotals = {
  clients: 0,
  aliveAtEnd: 0,
  sent: 0,
  sentMessage: 0,
  sentSignal: 0,
  receivedUnique: 0,
  duplicates: 0,
  lost: 0,
  lostToFailedResume: 0,
  misdelivered: 0,
  seqGaps: 0,
  seqRepeats: 0,
  replayed: 0,
  drops: 0,
  resumesOk: 0,
  resumesFailed: 0,
  resumeFailReasons: {},
  resumeRetryReasons: {},
  resumeMsSum: 0,
  resumeMsMax: 0,
  rejoins: 0,
  unexpectedCloses: 0,
  closeReasons: {},
  errorFrames: {},
  errorSamples: [],
  resumeTimeoutSamples: [],
  skippedBackpressure: 0,
  liveHist: [],
  replayHist: [],
  liveMaxUs: 0,
  replayMaxUs: 0,
  elu: 0,
};
/** While false, a closed socket is not resumed (setup, and after the run). */
let resuming = false;
let running = false;
let run: FleetRun | null = null;

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};
const nowUs = () => Math.round(performance.now() * 1000);

/** Sends on `ws` if it is open (ws throws on a socket still connecting); false when it could not. */
function send(ws: WebSocket | null, text: string): boolean {
  if (ws?.readyState !== WebSocket.OPEN) return false;
  ws.send(text);
  return true;
}

/** Opens the client's socket; `onOpen` gets this very socket (the client may have moved on to another). */
function connect(c: Client, onOpen: (ws: WebSocket) => void): void {
  const ws = new WebSocket(url, SUBPROTOCOL, {
    localAddress: c.addr,
    perMessageDeflate: false,
    handshakeTimeout: RESUME_TIMEOUT_MS,
  });
  c.ws = ws;
  ws.on('open', () => {
    if (c.ws === ws) onOpen(ws);
  });
  ws.on('message', (data, isBinary) => {
    if (c.ws === ws && !isBinary) onFrame(c, data.toString());
  });
  let lastError = '';
  ws.on('error', (e) => {
    lastError = e.message.replace(/\d{4,}/g, 'N').slice(0, 60);
  });
  ws.on('close', (code, reason) => {
    if (c.ws !== ws) return;
    c.ws = null;
    const why = reason.length ? reason.toString().slice(0, 40) : lastError;
    onLost(c, `close ${code}${why ? ` ${why}` : ''}`);
  });
}

/** The socket went away without the client asking (or a connect/resume attempt failed). */
function onLost(c: Client, why: string): void {
  if (c.state === 'open') {
    t.unexpectedCloses++;
    bump(t.closeReasons, why);
    if (resuming) startResume(c, 0);
    else c.state = 'dead';
  } else if (c.state === 'resuming') {
    failResumeTry(c, `socket: ${why}`);
  } else if (c.state === 'joining') {
    c.joinFailure = why;
    c.state = 'dead';
  }
}

function onFrame(c: Client, text: string): void {
  let f: {
    type?: string;
    seq?: number;
    to?: string;
    data?: { k?: number; r?: number; n?: number; t?: number; candidate?: { candidate?: string } };
    selfId?: string;
    resumeToken?: string;
    code?: string;
  };
  try {
    f = JSON.parse(text);
  } catch {
    bump(t.errorFrames, 'unparseable-from-server');
    return;
  }
  if (typeof f.seq === 'number' && f.type !== 'joined' && f.type !== 'resumed') {
    if (f.seq <= c.lastSeq) t.seqRepeats++;
    else {
      if (f.seq !== c.lastSeq + 1) t.seqGaps++;
      c.lastSeq = f.seq;
    }
    if (++c.unacked >= ACK_EVERY) ack(c);
  }
  switch (f.type) {
    case 'message':
    case 'signal':
      return onRelayed(c, f);
    case 'joined':
      c.selfId = f.selfId ?? '';
      c.token = f.resumeToken ?? '';
      c.lastSeq = f.seq ?? 0;
      c.acked = c.lastSeq;
      c.replayUpTo = 0;
      c.session++;
      if (c.state === 'resuming') t.rejoins++;
      c.state = 'open';
      return;
    case 'resumed':
      c.token = f.resumeToken ?? c.token;
      c.replayUpTo = f.seq ?? 0;
      if (c.state === 'resuming') {
        const ms = performance.now() - c.resumeStarted;
        t.resumesOk++;
        t.resumeMsSum += ms;
        t.resumeMsMax = Math.max(t.resumeMsMax, ms);
        c.state = 'open';
      }
      return;
    case 'error': {
      const code = f.code ?? '?';
      bump(t.errorFrames, code);
      if (t.errorSamples.length < 8) t.errorSamples.push(text.slice(0, 200));
      if (code === 'RESUME_FAILED' && c.state === 'resuming') {
        t.resumesFailed++;
        bump(t.resumeFailReasons, 'RESUME_FAILED');
        // As the SDK does: join again, as a new peer of the same room.
        send(c.ws, JSON.stringify({ type: 'join', room: c.roomName }));
      }
      return;
    }
    default:
      return;
  }
}

function onRelayed(
  c: Client,
  f: {
    seq?: number;
    data?: { k?: number; r?: number; n?: number; t?: number; candidate?: { candidate?: string } };
  },
): void {
  let k: number;
  let r: number;
  let n: number;
  let ts: number;
  const cand = f.data?.candidate?.candidate;
  if (typeof cand === 'string') {
    const p = cand.slice('candidate:'.length).split(' ');
    [k, r, n, ts] = [Number(p[0]), Number(p[1]), Number(p[2]), Number(p[3])];
  } else {
    k = Number(f.data?.k);
    r = Number(f.data?.r);
    n = Number(f.data?.n);
    ts = Number(f.data?.t);
  }
  if (r !== c.idx) {
    t.misdelivered++;
    return;
  }
  let got = c.got.get(k);
  if (!got || got.length <= n) {
    const bigger = new Uint8Array(Math.max(64, (n + 1) * 2));
    if (got) bigger.set(got);
    got = bigger;
    c.got.set(k, got);
  }
  if (got[n]! > 0) t.duplicates++;
  else t.receivedUnique++;
  if (got[n]! < 255) got[n]! += 1;
  const us = nowUs() - ts;
  if (typeof f.seq === 'number' && f.seq <= c.replayUpTo) {
    t.replayed++;
    replayHist.record(us);
    if (us > replayMaxUs) replayMaxUs = us;
  } else {
    liveHist.record(us);
    if (us > liveMaxUs) liveMaxUs = us;
  }
}

function ack(c: Client): void {
  c.unacked = 0;
  if (c.ws?.readyState === WebSocket.OPEN && c.state === 'open' && c.lastSeq > c.acked) {
    c.acked = c.lastSeq;
    send(c.ws, `{"type":"ack","seq":${c.lastSeq}}`);
  }
}
setInterval(() => {
  for (const c of clients) if (c.unacked > 0) ack(c);
}, ACK_DELAY_MS).unref();

function join(c: Client, room: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.state = 'dead';
      c.ws?.terminate();
      reject(new Error('join timeout'));
    }, timeoutMs);
    const poll = setInterval(() => {
      if (c.state === 'open' || c.state === 'dead') {
        clearInterval(poll);
        clearTimeout(timer);
        if (c.state === 'open') resolve();
        else reject(new Error(`closed before joined (${c.joinFailure || '?'})`));
      }
    }, 5);
    c.state = 'joining';
    connect(c, (ws) => send(ws, JSON.stringify({ type: 'join', room })));
  });
}

async function setup(req: FleetSetup): Promise<FleetSetupReply> {
  workerIdx = req.worker;
  url = `ws://${req.host}:${req.port}/ws`;
  rand = mulberry32(req.seed);
  const started = performance.now();
  const rooms: Client[][] = [];
  for (let i = 0; i < req.clients; i++) {
    if (i % req.roomSize === 0) rooms.push([]);
    const room = rooms.at(-1)!;
    const c: Client = {
      idx: i,
      room,
      addr: req.localAddresses[i % req.localAddresses.length]!,
      ws: null,
      state: 'joining',
      selfId: '',
      token: '',
      session: 0,
      lastSeq: 0,
      acked: 0,
      unacked: 0,
      replayUpTo: 0,
      dropper: false,
      nextDropAt: Number.POSITIVE_INFINITY,
      nextSendAt: 0,
      turn: 0,
      sends: 0,
      sentTo: new Map(),
      got: new Map(),
      resumeStarted: 0,
      resumeTries: 0,
      resumeUpgraded: false,
      roomName: `soak-w${req.worker}-r${rooms.length - 1}`,
      joinFailure: '',
    };
    room.push(c);
    clients.push(c);
  }
  let failed = 0;
  const errors: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < rooms.length) {
      const r = next++;
      for (const c of rooms[r]!) {
        try {
          await join(c, c.roomName, req.joinTimeoutMs);
        } catch (err) {
          failed++;
          if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
        }
      }
    }
  };
  const progress = setInterval(() => sendProgress(), 2000);
  await Promise.all(Array.from({ length: Math.max(1, req.concurrency) }, lane));
  clearInterval(progress);
  t.clients = clients.filter((c) => c.state === 'open').length;
  sendProgress();
  return { connected: t.clients, failed, ms: Math.round(performance.now() - started), errors };
}

function sendProgress(): void {
  const p: FleetProgress = {
    progress: true,
    worker: workerIdx,
    connected: clients.filter((c) => c.state === 'open').length,
    sent: t.sent,
    drops: t.drops,
    resumesOk: t.resumesOk,
    resumesFailed: t.resumesFailed,
  };
  process.send?.(p);
}

function startResume(c: Client, delayMs: number): void {
  c.state = 'resuming';
  c.resumeTries = 0;
  c.resumeStarted = 0;
  setTimeout(() => resumeTry(c), delayMs);
}

function resumeTry(c: Client): void {
  if (c.state !== 'resuming') return;
  c.resumeTries++;
  c.resumeUpgraded = false;
  c.resumeStarted = performance.now();
  const tryNo = c.resumeTries;
  connect(c, (ws) => {
    c.resumeUpgraded = true;
    send(ws, JSON.stringify({ type: 'resume', token: c.token, lastSeq: c.lastSeq }));
  });
  setTimeout(() => {
    if (c.state !== 'resuming' || c.resumeTries !== tryNo) return;
    const where = c.resumeUpgraded ? 'upgraded, no answer to resume' : 'upgrade not completed';
    if (t.resumeTimeoutSamples.length < 40)
      t.resumeTimeoutSamples.push(
        `attempt started ${((c.resumeStarted - runT0) / 1000).toFixed(1)} s into the run, try ${tryNo}: ${where}`,
      );
    failResumeTry(c, `timeout (${where})`);
  }, RESUME_TIMEOUT_MS);
}

function failResumeTry(c: Client, why: string): void {
  if (c.state !== 'resuming') return;
  const ws = c.ws;
  c.ws = null;
  ws?.terminate();
  bump(t.resumeRetryReasons, why.replace(/\d{4,}/g, 'N'));
  if (c.resumeTries < RESUME_TRIES && resuming) {
    setTimeout(() => resumeTry(c), 500 + rand() * 1000);
    return;
  }
  t.resumesFailed++;
  bump(t.resumeFailReasons, why.replace(/\d{4,}/g, 'N'));
  c.state = 'dead';
}

function sendOne(c: Client, now: number): void {
  const peers = c.room.filter((p) => p !== c && p.state !== 'dead');
  if (peers.length === 0 || !c.ws || c.ws.readyState !== WebSocket.OPEN) return;
  if (c.ws.bufferedAmount > MAX_BACKLOG) {
    t.skippedBackpressure++;
    return;
  }
  const p = peers[c.turn++ % peers.length]!;
  let s = c.sentTo.get(p.idx);
  if (!s) {
    s = { n: 0, sessions: [] };
    c.sentTo.set(p.idx, s);
  }
  if (s.sessions.at(-1)?.[0] !== p.session) s.sessions.push([p.session, s.n]);
  const n = s.n++;
  const ts = Math.round(now * 1000);
  const signal = c.sends++ % 4 === 3;
  if (signal) {
    t.sentSignal++;
    c.ws.send(
      `{"type":"signal","to":${JSON.stringify(p.selfId)},"data":{"candidate":{"candidate":"candidate:${c.idx} ${p.idx} ${n} ${ts}${CANDIDATE_TAIL}","sdpMid":"0","sdpMLineIndex":0}}}`,
    );
  } else {
    t.sentMessage++;
    c.ws.send(
      `{"type":"message","to":${JSON.stringify(p.selfId)},"data":{"k":${c.idx},"r":${p.idx},"n":${n},"t":${ts}}}`,
    );
  }
  t.sent++;
}

function exp(meanMs: number): number {
  return -Math.log(1 - rand()) * meanMs;
}

function tick(): void {
  if (!running || !run) return;
  const now = performance.now();
  const interval = 1000 / run.rate;
  for (const c of clients) {
    if (c.state === 'open' && now >= c.nextSendAt) {
      sendOne(c, now);
      c.nextSendAt = Math.max(c.nextSendAt + interval, now);
    }
    if (c.dropper && c.state === 'open' && now >= c.nextDropAt) {
      // Drop only once our own frames have left the process, so every frame counted as sent reached the
      // server's socket: loss then counts what the server failed to deliver, not the client's unsent queue.
      if (c.ws && c.ws.bufferedAmount === 0) {
        const ws = c.ws;
        c.ws = null;
        ws.terminate();
        t.drops++;
        c.nextDropAt = Number.POSITIVE_INFINITY;
        startResume(c, run.resumeDelayMs[0] + rand() * (run.resumeDelayMs[1] - run.resumeDelayMs[0]));
      }
    }
    if (c.dropper && c.state === 'open' && c.nextDropAt === Number.POSITIVE_INFINITY && dropsOpen)
      c.nextDropAt = now + exp(run.dropEverySec * 1000);
  }
}
let dropsOpen = false;
/** When the load phase started (performance.now()), for the timestamps of resume timeouts. */
let runT0 = 0;

async function runLoad(req: FleetRun): Promise<FleetTotals> {
  run = req;
  running = true;
  resuming = true;
  dropsOpen = true;
  const t0 = performance.now();
  runT0 = t0;
  const elu0 = performance.eventLoopUtilization();
  const interval = 1000 / req.rate;
  for (const c of clients) {
    c.nextSendAt = t0 + rand() * interval;
    c.dropper = rand() < req.dropFraction;
    c.nextDropAt = c.dropper ? t0 + exp(req.dropEverySec * 1000) : Number.POSITIVE_INFINITY;
  }
  const ticker = setInterval(tick, TICK_MS);
  const progress = setInterval(sendProgress, 1000);
  const quietAt = Math.max(0, req.durationMs - req.quietTailMs);
  await abortable(quietAt);
  dropsOpen = false;
  for (const c of clients) c.nextDropAt = Number.POSITIVE_INFINITY;
  await abortable(req.durationMs - quietAt);
  running = false;
  clearInterval(ticker);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  // Let the last resumes finish (each is bounded by its tries and timeouts), then drain the relay.
  const settleUntil = performance.now() + RESUME_TRIES * (RESUME_TIMEOUT_MS + 1500) + 2000;
  while (
    !aborted &&
    clients.some((c) => c.state === 'resuming' || c.state === 'joining') &&
    performance.now() < settleUntil
  )
    await sleep(100);
  if (!aborted) await sleep(3000);
  resuming = false;
  clearInterval(progress);
  sendProgress();
  return totals(elu);
}

function totals(elu: number): FleetTotals {
  for (const c of clients) {
    if (c.state === 'open') t.aliveAtEnd++;
    for (const [target, s] of c.sentTo) {
      const p = clients[target]!;
      const got = p.got.get(c.idx);
      for (let n = 0; n < s.n; n++) {
        if (got && n < got.length && got[n]! > 0) continue;
        t.lost++;
        // Which of the target's sessions this frame was sent to: lost with a session that ended.
        let session = s.sessions[0]?.[0] ?? p.session;
        for (const [sess, first] of s.sessions) if (n >= first) session = sess;
        if (session !== p.session || p.state === 'dead') t.lostToFailedResume++;
      }
    }
  }
  t.liveHist = liveHist.toSparse();
  t.replayHist = replayHist.toSparse();
  t.liveMaxUs = liveMaxUs;
  t.replayMaxUs = replayMaxUs;
  t.elu = elu;
  return t;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Set by an `abort` request (the server died): the run ends now and reports what it has. */
let aborted = false;
async function abortable(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (!aborted && performance.now() < until) await sleep(Math.min(200, until - performance.now()));
}

process.on('message', async (msg: (FleetSetup | FleetRun | { op: 'close' | 'abort' }) & { rid: number }) => {
  if (msg.op === 'abort') {
    aborted = true;
    resuming = false;
    process.send?.({ rid: msg.rid, reply: null });
  } else if (msg.op === 'setup') process.send?.({ rid: msg.rid, reply: await setup(msg) });
  else if (msg.op === 'run') process.send?.({ rid: msg.rid, reply: await runLoad(msg) });
  else {
    resuming = false;
    for (const c of clients) c.ws?.terminate();
    process.send?.({ rid: msg.rid, reply: null }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
// A bug of this load generator must show in the results, not silently end the worker's share of the run.
process.on('uncaughtException', (err) => {
  bump(t.errorFrames, `load worker exception: ${err.message.slice(0, 80)}`);
});
process.send?.({ ready: true });
