/**
 * A Node peer for the NAT lab, run inside a host's namespace and driven over stdin/stdout (JSON lines).
 * One process per host joins as many rooms as the test asks, so the matrix starts each host's process once.
 *
 * Commands: join {room, relayOnly?}, info {room, to}, send {room, to, data}, ticks {room, to, everyMs},
 * gaps {room, from, since?}, leave {room}, exit. Events: joined, open, state, message, info, gaps, error.
 */
import { createInterface } from 'node:readline';
import { joinRoom, type Peer, type Room } from '@parley/client';
import { cleanup } from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { WebSocket } from 'ws';

const [url] = process.argv.slice(2);
const debug = process.env.PARLEY_LAB_DEBUG === '1';
const report = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`);

/** The polyfill, reporting every local candidate it gathers when debugging. */
class Pc extends RTCPeerConnection {
  constructor(config: RTCConfiguration) {
    super(config);
    if (debug) {
      process.stderr.write(`[agent ${process.pid}] config ${JSON.stringify(config.iceServers)}\n`);
      this.addEventListener('icecandidate', (e) => {
        const c = (e as unknown as { candidate: { candidate: string } | null }).candidate;
        if (c) process.stderr.write(`[agent ${process.pid}] local ${c.candidate}\n`);
      });
    }
  }
}

const rooms = new Map<string, Room>();
/** Arrival times of tick messages, by room and sender. */
const arrivals = new Map<string, number[]>();
const tickers = new Map<string, NodeJS.Timeout>();

function watch(roomName: string, peer: Peer): void {
  peer.on('open', () => report({ ev: 'open', room: roomName, peer: peer.id }));
  peer.on('state', (state) => report({ ev: 'state', room: roomName, peer: peer.id, state }));
  peer.on('message', (data) => {
    const text = String(data);
    if (text.startsWith('tick:')) {
      const key = `${roomName}/${peer.id}`;
      const list = arrivals.get(key) ?? [];
      list.push(Date.now());
      arrivals.set(key, list);
    } else report({ ev: 'message', room: roomName, from: peer.id, data: text });
  });
}

type Command =
  | { cmd: 'join'; room: string; relayOnly?: boolean }
  | { cmd: 'info'; room: string; to: string }
  | { cmd: 'send'; room: string; to: string; data: string }
  | { cmd: 'ticks'; room: string; to: string; everyMs: number }
  | { cmd: 'gaps'; room: string; from: string; since: number }
  | { cmd: 'leave'; room: string }
  | { cmd: 'exit' };

async function handle(c: Command): Promise<void> {
  switch (c.cmd) {
    case 'join': {
      const room = await joinRoom({
        url: url!,
        room: c.room,
        rtc: { RTCPeerConnection: Pc },
        WebSocket,
        ...(c.relayOnly ? { iceTransportPolicy: 'relay' as const } : {}),
        iceRecovery: { disconnectedTimeoutMs: 2000, connectTimeoutMs: 8000 },
        heartbeat: { intervalMs: 5000, timeoutMs: 10_000 },
      });
      rooms.set(c.room, room);
      for (const peer of room.peers.values()) watch(c.room, peer);
      room.on('peer-joined', (peer) => {
        report({ ev: 'peer-joined', room: c.room, peer: peer.id });
        watch(c.room, peer);
      });
      room.on('peer-left', (peer, reason) =>
        report({ ev: 'peer-left', room: c.room, peer: peer.id, reason }),
      );
      room.on('state', (state) => report({ ev: 'room-state', room: c.room, state }));
      room.on('rejoined', (selfId) => report({ ev: 'rejoined', room: c.room, selfId }));
      report({ ev: 'joined', room: c.room, selfId: room.selfId });
      return;
    }
    case 'info': {
      const info = await rooms.get(c.room)?.peers.get(c.to)?.connectionInfo();
      report({ ev: 'info', room: c.room, to: c.to, info: info ?? null });
      return;
    }
    case 'send':
      rooms.get(c.room)?.peers.get(c.to)?.send(c.data);
      return;
    case 'ticks': {
      let n = 0;
      tickers.set(
        c.room,
        setInterval(() => {
          try {
            rooms.get(c.room)?.peers.get(c.to)?.send(`tick:${n++}`);
          } catch {
            // The send queue is full while the connection is down: that tick is lost, like a frame would be.
          }
        }, c.everyMs),
      );
      return;
    }
    case 'gaps': {
      const times = (arrivals.get(`${c.room}/${c.from}`) ?? []).filter((t) => t >= c.since);
      let maxGapMs = 0;
      let gapEndedAt = 0;
      for (let i = 1; i < times.length; i++) {
        const gap = times[i]! - times[i - 1]!;
        if (gap > maxGapMs) {
          maxGapMs = gap;
          gapEndedAt = times[i]!;
        }
      }
      report({ ev: 'gaps', room: c.room, from: c.from, count: times.length, maxGapMs, gapEndedAt });
      return;
    }
    case 'leave': {
      clearInterval(tickers.get(c.room));
      await rooms.get(c.room)?.leave();
      rooms.delete(c.room);
      report({ ev: 'left', room: c.room });
      return;
    }
    case 'exit': {
      for (const t of tickers.values()) clearInterval(t);
      await Promise.all([...rooms.values()].map((r) => r.leave().catch(() => undefined)));
      cleanup();
      process.exit(0);
    }
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as Command;
  handle(c).catch((err: Error) =>
    report({ ev: 'error', cmd: c.cmd, room: 'room' in c ? c.room : undefined, message: err.message }),
  );
});
process.stdin.on('end', () => process.exit(0));
report({ ev: 'ready' });
