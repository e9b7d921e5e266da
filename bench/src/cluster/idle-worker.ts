/**
 * Load worker of bench:cluster's idle phase: holds rooms of two whose members are on different nodes,
 * records what each member hears of the other (`joined`'s peers, `peer-joined`, `peer-left`), acks
 * sequenced frames as the SDK does and sends the SDK's keep-alive. Driven over IPC by cluster.ts
 * (requests and replies in ./ipc.ts).
 */
import { performance } from 'node:perf_hooks';
import { Histogram } from '../signaling/histogram.js';
import { RawWs } from '../signaling/raw-ws.js';
import { DIALECTS } from '../signaling/systems.js';
import type { CheckReply, IdleRequest, IdleSetup, IdleSetupReply, LeaveReply } from './ipc.js';

const PARLEY = DIALECTS.parley;
const SEQ_MARK = Buffer.from('"seq":');
const PRESENCE_MARK = Buffer.from('"type":"peer-');

interface Member {
  ws: RawWs;
  selfId: string;
  /** Peer ids this member was told of: `joined`'s list and `peer-joined`. */
  seen: Set<string>;
  left: Set<string>;
  maxSeq: number;
  unacked: number;
}

const pairs: Array<[Member, Member]> = [];
const joinHist = new Histogram();
let closes = 0;
const closeReasons: string[] = [];

function readDigits(buf: Buffer, at: number): number {
  let v = 0;
  for (let i = at; i < buf.length; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return v;
}

function ack(m: Member): void {
  m.unacked = 0;
  if (m.ws.isOpen) m.ws.sendText(`{"type":"ack","seq":${m.maxSeq}}`);
}

function onFrame(m: Member, payload: Buffer): void {
  const s = payload.indexOf(SEQ_MARK);
  if (s >= 0) {
    m.maxSeq = Math.max(m.maxSeq, readDigits(payload, s + SEQ_MARK.length));
    if (++m.unacked >= 64) ack(m);
  }
  if (payload.indexOf(PRESENCE_MARK) < 0) return;
  const f = JSON.parse(payload.toString()) as { type: string; peer?: { id: string }; peerId?: string };
  if (f.type === 'peer-joined' && f.peer) m.seen.add(f.peer.id);
  else if (f.type === 'peer-left' && f.peerId) m.left.add(f.peerId);
}

// The SDK's ack timer: nothing stays unacknowledged longer than 1 s.
setInterval(() => {
  for (const [a, b] of pairs) {
    if (a.unacked > 0) ack(a);
    if (b.unacked > 0) ack(b);
  }
}, 1000).unref();

// The SDK's keep-alive (a ping every 20 s of silence), spread evenly over the clients.
const BEAT_TICK_MS = 100;
let beatAt = 0;
let keepAlive = true;
setInterval(() => {
  const beat = PARLEY.heartbeat;
  const n0 = pairs.length * 2;
  if (!keepAlive || !beat || n0 === 0) return;
  let n = Math.ceil((n0 * BEAT_TICK_MS) / beat.everyMs);
  while (n-- > 0) {
    if (beatAt >= n0) beatAt = 0;
    const pair = pairs[beatAt >> 1]!;
    const m = pair[beatAt & 1]!;
    beatAt++;
    if (m.ws.isOpen) m.ws.sendText(beat.frame);
  }
}, BEAT_TICK_MS).unref();

function join(host: string, port: number, localAddress: string, room: string): Promise<Member> {
  return new Promise((resolve, reject) => {
    let m: Member | null = null;
    let welcomed = false;
    const t0 = performance.now();
    RawWs.connect({
      host,
      port,
      path: '/ws',
      protocol: 'parley.v1',
      localAddress,
      onText: (payload) => {
        if (welcomed) return onFrame(m!, payload);
        const f = JSON.parse(payload.toString()) as {
          type?: string;
          selfId?: string;
          peers?: Array<{ id: string }>;
          seq?: number;
        };
        if (f.type === 'error') return reject(new Error(payload.toString().slice(0, 200)));
        if (f.type !== 'joined' || typeof f.selfId !== 'string') return;
        welcomed = true;
        m!.selfId = f.selfId;
        for (const p of f.peers ?? []) m!.seen.add(p.id);
        m!.maxSeq = f.seq ?? 0;
        joinHist.record((performance.now() - t0) * 1000);
        resolve(m!);
      },
      onClose: (why) => {
        if (!welcomed) reject(new Error(`closed before joined: ${why}`));
        else {
          closes++;
          if (closeReasons.length < 5) closeReasons.push(why);
        }
      },
    }).then((ws) => {
      m = { ws, selfId: '', seen: new Set(), left: new Set(), maxSeq: 0, unacked: 0 };
      ws.sendText(JSON.stringify({ type: 'join', room }));
    }, reject);
  });
}

async function setup(req: IdleSetup): Promise<IdleSetupReply> {
  keepAlive = req.keepAlive;
  const started = performance.now();
  let next = 0;
  let failed = 0;
  const errors: string[] = [];
  const lane = async () => {
    while (next < req.pairs) {
      const p = next++;
      const g = req.firstPair + p;
      // The two members of a room on two different nodes, the pair's nodes rotating over all of them.
      const na = g % req.ports.length;
      const nb = (g + 1) % req.ports.length;
      const room = `${req.prefix}${g}`;
      const addr = (k: number) =>
        req.localAddresses[Math.floor((2 * p + k) / req.perAddress) % req.localAddresses.length]!;
      try {
        const a = await join(req.host, req.ports[na]!, addr(0), room);
        const b = await join(req.host, req.ports[nb]!, addr(1), room);
        pairs.push([a, b]);
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push(String(err instanceof Error ? err.message : err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, req.concurrency) }, lane));
  return {
    connected: pairs.length * 2,
    failed: failed * 2,
    ms: Math.round(performance.now() - started),
    errors,
    joinHist: joinHist.toSparse(),
  };
}

/** Every `every`-th room: does each member know the other? */
function check(every: number): CheckReply {
  let rooms = 0;
  let mismatches = 0;
  const samples: string[] = [];
  for (let i = 0; i < pairs.length; i += every) {
    const [a, b] = pairs[i]!;
    rooms++;
    const bad = !a.seen.has(b.selfId) || !b.seen.has(a.selfId) || a.seen.size !== 1 || b.seen.size !== 1;
    if (bad) {
      mismatches++;
      if (samples.length < 5)
        samples.push(`${a.selfId} sees [${[...a.seen]}], ${b.selfId} sees [${[...b.seen]}]`);
    }
  }
  return { rooms, mismatches, samples, closes, closeReasons };
}

/** In every `every`-th room the first member leaves; waits until each partner heard `peer-left`. */
async function leave(every: number, timeoutMs: number): Promise<LeaveReply> {
  const sampled: Array<[Member, Member]> = [];
  for (let i = 0; i < pairs.length; i += every) sampled.push(pairs[i]!);
  const t0 = performance.now();
  for (const [a] of sampled) a.ws.sendText('{"type":"leave"}');
  const missing = () => sampled.filter(([a, b]) => !b.left.has(a.selfId));
  while (missing().length > 0 && performance.now() - t0 < timeoutMs)
    await new Promise((r) => setTimeout(r, 50));
  const ms = Math.round(performance.now() - t0);
  const left = missing();
  for (const [a] of sampled) a.ws.close();
  return {
    rooms: sampled.length,
    missing: left.length,
    ms,
    samples: left.slice(0, 5).map(([a, b]) => `${b.selfId} did not hear ${a.selfId} leave`),
  };
}

process.on('message', async (msg: IdleRequest & { rid: number }) => {
  let reply: unknown;
  if (msg.op === 'setup') reply = await setup(msg);
  else if (msg.op === 'check') reply = check(msg.every);
  else if (msg.op === 'leave') reply = await leave(msg.every, msg.timeoutMs);
  else {
    for (const [a, b] of pairs) {
      a.ws.close();
      b.ws.close();
    }
    process.send?.({ rid: msg.rid, reply: null }, () => process.exit(0));
    return;
  }
  process.send?.({ rid: msg.rid, reply });
});
process.on('disconnect', () => process.exit(0));
