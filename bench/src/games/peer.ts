/**
 * One side of the games benchmark, run in a network namespace: argv <signaling url> <room> <player id>.
 * Commands on stdin (JSON lines): `send` (60 updates/s for `ms` on `lane`: the game API's state lane, or a
 * reliable ordered channel with the same bytes) and `measure` (samples, every 2 ms for `ms`, the age of the
 * freshest update received on `lane`, and notes the gaps between fresher updates; reports them).
 * Ages use the wall clock both processes share (same machine), not the game's room clock.
 */
import { createInterface } from 'node:readline';
import { joinRoom, type Peer } from '@parley/client';
import { createGame, schema } from '@parley/client/game';
import { cleanup } from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { WebSocket } from 'ws';

/** ~100 bytes: a counter, the send time, and 22 floats (a few entities' positions). */
export const benchState = schema({
  n: 'u32',
  sentAt: 'f64',
  ...Object.fromEntries(Array.from({ length: 22 }, (_, i) => [`f${i}`, 'f32' as const])),
});
type Lane = 'game' | 'reliable';
type Command = { cmd: 'send' | 'measure'; lane: Lane; ms: number; warmupMs?: number } | { cmd: 'leave' };

const wall = () => performance.timeOrigin + performance.now();
const [url, roomName, playerId] = process.argv.slice(2);
const out = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const room = await joinRoom({
  url: url!,
  room: roomName!,
  rtc: { RTCPeerConnection },
  WebSocket,
  iceServers: [],
});
const game = createGame(room, { state: benchState, playerId: playerId! });
const freshest: Record<Lane, { sentAt: number; at: number }> = {
  game: { sentAt: 0, at: 0 },
  reliable: { sentAt: 0, at: 0 },
};
const gaps: Record<Lane, number[]> = { game: [], reliable: [] };
function arrived(lane: Lane, sentAt: number): void {
  const f = freshest[lane];
  if (sentAt <= f.sentAt) return;
  const now = wall();
  if (f.at) gaps[lane].push(now - f.at);
  f.sentAt = sentAt;
  f.at = now;
}
game.on('state', (_p, s) => arrived('game', s.sentAt));
const reliableOf = (peer: Peer) => peer.channel('bench-reliable');
const watch = (peer: Peer) =>
  reliableOf(peer).on('message', (d) => {
    if (typeof d !== 'string') arrived('reliable', benchState.decode(d.subarray(13)).sentAt);
  });
for (const p of room.peers.values()) watch(p);
room.on('peer-joined', watch);
game.on('player-joined', (p) => out({ ev: 'player', id: p.id }));
out({ ev: 'joined' });

const fill = Object.fromEntries(Array.from({ length: 22 }, (_, i) => [`f${i}`, i * 1.5]));
let n = 0;

function send(lane: Lane, ms: number): Promise<void> {
  const peer = [...room.peers.values()][0]!;
  const reliable = reliableOf(peer);
  const start = performance.now();
  let due = start;
  return new Promise((done) => {
    // A self-correcting 60 Hz tick (setInterval drifts).
    const tick = () => {
      const now = performance.now();
      if (now - start >= ms) return done();
      n++;
      const state = { ...fill, n, sentAt: wall() };
      if (lane === 'game') game.setState(state);
      else {
        const bytes = new Uint8Array(13 + benchState.size); // the game's 13-byte header, for equal sizes
        bytes.set(benchState.encode(state), 13);
        reliable.send(bytes);
      }
      due += 1000 / 60;
      setTimeout(tick, Math.max(0, due - performance.now()));
    };
    tick();
  });
}

function measure(lane: Lane, ms: number, warmupMs: number): Promise<Record<string, unknown>> {
  return new Promise((done) => {
    setTimeout(() => {
      const ages: number[] = [];
      gaps[lane] = [];
      const start = performance.now();
      const timer = setInterval(() => {
        const f = freshest[lane];
        if (f.sentAt) ages.push(wall() - f.sentAt);
        if (performance.now() - start >= ms) {
          clearInterval(timer);
          done({ ev: 'measured', lane, ages, gaps: gaps[lane] });
        }
      }, 2);
    }, warmupMs);
  });
}

createInterface({ input: process.stdin }).on('line', async (line) => {
  const cmd = JSON.parse(line) as Command;
  if (cmd.cmd === 'send') {
    await send(cmd.lane, cmd.ms);
    out({ ev: 'sent', lane: cmd.lane, rates: Object.fromEntries(game.laneStats()) });
  } else if (cmd.cmd === 'measure') out(await measure(cmd.lane, cmd.ms, cmd.warmupMs ?? 0));
  else {
    game.close();
    await room.leave();
    cleanup();
    process.exit(0);
  }
});
process.stdin.on('end', () => process.exit(0));
