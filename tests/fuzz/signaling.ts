/**
 * Fuzzer (b): signaling at the JSON level over real `ws` clients. A case is one session, generated from
 * its seed as it goes (peer ids, sequence numbers and resume tokens come from the server): frames of
 * every client type, valid and mutated field by field, in every state: before join, joined, after leave,
 * resumed with the real token and with forged ones. Some sessions flood past the rate limit; some leave a
 * peer in the room that stops reading while messages pile up for it.
 */
import { once } from 'node:events';
import { until } from '@parley/testing';
import { WebSocket } from 'ws';
import type { Case, Fuzzer, RunOptions, RunResult } from './driver.js';
import { runFuzzer } from './driver.js';
import { mutateFrame } from './json-mutate.js';
import { Rng } from './random.js';
import { loopbackSource, pool } from './raw-socket.js';
import type { Target } from './target.js';

export interface SignalingCase extends Case {
  /** What the case did, filled in as it ran. */
  note?: string;
  /**
   * Every connection it opened and every frame it sent, filled in as it ran. A committed case replays
   * this script (the frames as they were, without waiting for answers), so that it still means the same
   * after the generator changes; a case with only a seed is generated afresh.
   */
  script?: ScriptConnection[];
}

export interface ScriptConnection {
  protocols: string[];
  /** Text frames as `t`; text that is not UTF-8, and binary frames, as `hex`. */
  frames: { t?: string; hex?: string; binary?: true }[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Session {
  ws: WebSocket;
  selfId?: string;
  token?: string;
  seq: number;
  peers: Set<string>;
  closed: boolean;
  /** Frames received so far. */
  received: number;
  /** A join was refused (ROOM_FULL, UNAUTHORIZED…). */
  refused: boolean;
  /** The last frames sent, for a note when the server answers INTERNAL. */
  recent: string[];
  log: ScriptConnection;
  /** The case's script, shared by all its connections. */
  script: ScriptLog;
}

/** A case's script as it is written, up to 200 kB (past that a case replays from its seed). */
interface ScriptLog {
  conns: ScriptConnection[];
  bytes: number;
  over: boolean;
}

/** Counts of what the server answered, across a run: a fuzzer that only ever gets BAD_JSON is no use. */
export const signalingStats: Record<string, number> = {};
/** The first few INTERNAL errors, each with the frames its session sent just before. */
export const signalingNotes: string[] = [];
const count = (k: string) => {
  signalingStats[k] = (signalingStats[k] ?? 0) + 1;
};

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

function validFrame(r: Rng, type: string, s: Session, room: string): Record<string, Json> {
  const peer = () => (s.peers.size && r.chance(0.8) ? r.pick([...s.peers]) : (s.selfId ?? 'nobody'));
  switch (type) {
    case 'join':
      return {
        type,
        room,
        ...(r.chance(0.3) ? { metadata: { name: r.text(20), n: r.int(100) } } : {}),
        ...(r.chance(0.1) ? { token: r.text(40) || 't' } : {}),
      };
    case 'resume':
      return { type, token: s.token ?? 'x.y', lastSeq: s.seq };
    case 'signal':
      return {
        type,
        to: peer(),
        data: r.chance(0.5)
          ? { description: { type: r.pick(['offer', 'answer', 'pranswer', 'rollback']), sdp: SDP } }
          : {
              candidate: r.chance(0.8)
                ? {
                    candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host',
                    sdpMid: '0',
                    sdpMLineIndex: 0,
                  }
                : null,
            },
      };
    case 'message':
      return {
        type,
        ...(r.chance(0.6) ? { to: peer() } : {}),
        data: r.chance(0.5) ? r.text(50) : { n: r.int(1e6) },
      };
    case 'ack':
      return { type, seq: s.seq };
    case 'ping':
      return r.chance(0.7) ? { type, id: r.int(1e9) } : { type };
    default:
      return { type };
  }
}

const TYPES = ['join', 'resume', 'signal', 'message', 'leave', 'ack', 'ping'];

/**
 * Opens a connection. `first` runs inside the 'open' event, as a browser's `onopen` would: frames sent
 * there leave before the client has read anything the server sent right after the handshake.
 */
function open(
  target: Target,
  r: Rng,
  script: ScriptLog,
  first?: (s: Session) => void,
): Promise<Session | undefined> {
  const protocols = r.weighted<string[]>([
    [20, ['parley.v1']],
    [1, []],
    [1, ['parley.v2']],
    [1, ['parley.v2', 'parley.v1']],
    [1, ['garbage']],
  ]);
  const ws = new WebSocket(target.serve.wsUrl, protocols, {
    localAddress: loopbackSource(r),
    handshakeTimeout: 3000,
  });
  const s: Session = {
    ws,
    seq: 0,
    peers: new Set(),
    closed: false,
    received: 0,
    refused: false,
    recent: [],
    log: { protocols, frames: [] },
    script,
  };
  script.conns.push(s.log);
  ws.on('error', () => {});
  if (first) ws.once('open', () => first(s));
  ws.on('close', (code) => {
    s.closed = true;
    count(`close ${code}`);
  });
  ws.on('message', (data) => {
    s.received++;
    let f: {
      type?: string;
      code?: string;
      seq?: number;
      selfId?: string;
      resumeToken?: string;
      peers?: { id: string }[];
      peer?: { id: string };
      peerId?: string;
    };
    try {
      f = JSON.parse(String(data));
    } catch {
      count('unparseable server frame');
      return;
    }
    count(f.type === 'error' ? `error ${f.code}` : `${f.type}`);
    if (f.type === 'error' && (f as { ref?: string }).ref === 'join') s.refused = true;
    if (f.code === 'INTERNAL' && signalingNotes.length < 10)
      // The server logs what failed; the note keeps the end of its output beside the frames.
      setTimeout(() => {
        const log = target.serve.output().slice(-800).replace(/\s+/g, ' ');
        signalingNotes.push(
          `INTERNAL ${String(data).slice(0, 200)} after: ${s.recent.join(' | ')} ; server log: ${log}`,
        );
      }, 50);
    if (typeof f.seq === 'number' && f.seq > s.seq) s.seq = f.seq;
    if (f.type === 'joined' || f.type === 'resumed') {
      s.selfId = f.selfId;
      s.token = f.resumeToken;
      for (const p of f.peers ?? []) s.peers.add(p.id);
    }
    if (f.type === 'peer-joined' && f.peer) s.peers.add(f.peer.id);
    if (f.type === 'peer-left' && f.peerId) s.peers.delete(f.peerId);
  });
  return Promise.race([
    once(ws, 'open').then(() => s),
    once(ws, 'close').then(() => undefined),
    new Promise<undefined>((res) => setTimeout(() => res(undefined), 4000)),
  ]).catch(() => undefined);
}

/** Waits until `cond` or `ms` passed, whichever comes first (@parley/testing's until, polled every 5 ms, never failing). */
function settle(cond: () => boolean, ms: number): Promise<void> {
  return until(cond, 'a fuzz session to settle', ms, 5).catch(() => {});
}

function send(s: Session, payload: string | Buffer, binary = false): boolean {
  if (s.closed || s.ws.readyState !== WebSocket.OPEN) return false;
  s.ws.send(payload, { binary });
  // The script is kept up to 200 kB a session (past that a case replays from its seed).
  const log = s.script;
  if (log.bytes < 200_000) {
    log.bytes += payload.length * (typeof payload === 'string' ? 1 : 2);
    s.log.frames.push(
      typeof payload === 'string' && !binary
        ? { t: payload }
        : { hex: Buffer.from(payload).toString('hex'), ...(binary ? { binary: true as const } : {}) },
    );
  } else log.over = true;
  s.recent.push(String(payload).slice(0, 300));
  if (s.recent.length > 3) s.recent.shift();
  return true;
}

/** `n` frames of any type, each valid or mutated field by field. Returns how many went out. */
function burst(r: Rng, s: Session, room: string, n: number): number {
  let sent = 0;
  for (let i = 0; i < n; i++) {
    const frame = validFrame(r, r.pick(TYPES), s, room);
    const mutations = r.weighted<number>([
      [3, 0],
      [4, 1],
      [2, 2],
      [1, 3],
    ]);
    const wire =
      mutations === 0 && r.chance(0.9)
        ? JSON.stringify(frame)
        : mutateFrame(r, frame, Math.max(1, mutations));
    if (send(s, wire, r.chance(0.02))) sent++;
  }
  return sent;
}

async function session(target: Target, c: SignalingCase): Promise<number> {
  const r = new Rng(c.seed);
  const room = `fz${r.int(100)}`;
  let inputs = 0;
  const notes: string[] = [];
  const script: ScriptLog = { conns: [], bytes: 0, over: false };
  let s = await open(target, r, script, (s) => {
    // Before join, then join (valid, so that the next states are reached), as soon as the socket opens.
    if (r.chance(0.5)) inputs += burst(r, s, room, r.range(1, 30));
    send(s, JSON.stringify(validFrame(r, 'join', s, room)));
    inputs++;
  });
  if (!s) return 0;
  const stalled: WebSocket[] = [];
  try {
    await settle(() => s!.selfId !== undefined || s!.closed || s!.refused, 1500);
    notes.push(s.selfId ? 'joined' : 'not joined');
    if (r.chance(0.05)) {
      // A peer of the same room that stops reading, while this session sends it messages in bulk.
      const slow = await open(target, r, script);
      if (slow) {
        stalled.push(slow.ws);
        send(slow, JSON.stringify({ type: 'join', room }));
        await settle(() => slow.selfId !== undefined || slow.closed || slow.refused, 1500);
        (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
        const big = JSON.stringify({ type: 'message', to: slow.selfId ?? 'x', data: 'm'.repeat(60_000) });
        const n = r.range(50, 250);
        for (let i = 0; i < n; i++) if (send(s, big)) inputs++;
        notes.push(`stalled reader, ${n} x 60 kB`);
        // Did the server give up on the reader that stopped (a bounded send queue), or keep queueing?
        await settle(() => false, 300);
        (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
        await settle(() => slow.closed, 500);
        count(slow.closed ? 'stalled reader dropped by server' : 'stalled reader kept');
      }
    }
    const flood = r.chance(0.04);
    inputs += burst(r, s, room, flood ? r.range(300, 700) : r.range(10, 200));
    if (flood) notes.push('flood');
    await settle(() => s!.closed, r.pick([0, 0, 10]));
    if (r.chance(0.4)) {
      send(s, JSON.stringify({ type: 'leave' }));
      inputs++;
      inputs += burst(r, s, room, r.range(1, 40));
      notes.push('left');
    }
    if (r.chance(0.4) && s.token) {
      // Drop the socket and resume on a new one, with the real token or a forged one.
      const token = s.token;
      const lastSeq = s.seq;
      if (r.chance(0.5)) s.ws.terminate();
      else s.ws.close();
      const forged = r.chance(0.5);
      const dot = token.indexOf('.');
      const use = forged
        ? r.pick([
            `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
            token.slice(0, dot + 1),
            `${r.pick([...s.peers, 'x'])}${token.slice(dot)}`,
            token.slice(dot),
            `${token}${token}`,
            'a'.repeat(r.pick([1, 256, 257])),
          ])
        : token;
      const next = await open(target, r, script);
      if (next) {
        s = next;
        const seq = r.chance(0.7) ? lastSeq : r.pick([-1, 0, lastSeq + 1, 2 ** 53, 1.5]);
        send(
          s,
          r.chance(0.8)
            ? JSON.stringify({ type: 'resume', token: use, lastSeq: seq })
            : mutateFrame(r, { type: 'resume', token: use, lastSeq: seq }, 1),
        );
        inputs++;
        await settle(() => s!.closed || s!.received > 0, 1000);
        inputs += burst(r, s, room, r.range(1, 60));
        notes.push(forged ? 'resume forged' : 'resume real');
      }
    }
    await settle(() => s!.closed, r.pick([0, 0, 20]));
  } finally {
    if (r.chance(0.7)) s.ws.close();
    else s.ws.terminate();
    for (const w of stalled) w.terminate();
  }
  c.note = notes.join(', ');
  if (!script.over) c.script = script.conns;
  return inputs;
}

/** Replays a committed case's script: each connection in turn, its frames sent at once. */
async function replay(target: Target, c: SignalingCase): Promise<number> {
  let inputs = 0;
  for (const conn of c.script ?? []) {
    if (!target.alive()) break;
    const ws = new WebSocket(target.serve.wsUrl, conn.protocols, { handshakeTimeout: 3000 });
    ws.on('error', () => {});
    let inOpen = 0;
    ws.once('open', () => {
      // As the session did: its first frames leave as soon as the socket opens.
      for (const f of conn.frames) {
        if (ws.readyState !== WebSocket.OPEN) break;
        ws.send(f.t ?? Buffer.from(f.hex ?? '', 'hex'), { binary: f.binary === true });
        inOpen++;
      }
    });
    const opened = await Promise.race([
      once(ws, 'open').then(() => true),
      once(ws, 'close').then(() => false),
      new Promise<boolean>((res) => setTimeout(() => res(false), 4000)),
    ]).catch(() => false);
    if (opened) inputs += inOpen;
    await Promise.race([once(ws, 'close'), new Promise((res) => setTimeout(res, 200))]);
    ws.terminate();
  }
  return inputs;
}

export const signaling: Fuzzer<SignalingCase> = {
  name: 'signaling',
  batch: 64,
  stats: signalingStats,
  notes: signalingNotes,
  serveArgs: () => ({ args: [] }),
  generate: (seed) => ({ seed }),
  async execute(target: Target, cases) {
    let inputs = 0;
    await pool(cases, 32, async (c) => {
      if (target.alive()) inputs += await (c.script ? replay(target, c) : session(target, c));
    });
    return inputs;
  },
};

export function run(o: RunOptions): Promise<RunResult> {
  return runFuzzer(signaling, o);
}
