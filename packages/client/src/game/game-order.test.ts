/**
 * The game over in-memory links whose opening order the test decides (no WebRTC): what arrives before a
 * player's hello is not lost. The links deliver like the SDK's channels in a browser: a message may arrive
 * before the receiving side's own `open`, and what was sent before `open` goes out before its listeners run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emitter } from '../emitter.js';
import type { Room } from '../room.js';
import { createGame, type Game } from './game.js';
import { schema } from './schema.js';

const pos = schema({ x: 'f32', y: 'f32' });
type Pos = { x: number; y: number };

type Data = string | Uint8Array;

class FakeChannel extends Emitter<{ open: []; message: [data: Data] }> {
  readyState: 'connecting' | 'open' | 'closed' = 'connecting';
  bufferedAmount = 0;
  other: FakeChannel | undefined;
  #queue: Data[] = [];

  send(data: Data): void {
    if (this.readyState !== 'open') {
      this.#queue.push(data);
      return;
    }
    const to = this.other as FakeChannel;
    const copy = typeof data === 'string' ? data : data.slice();
    setTimeout(() => to.emit('message', copy), 1);
  }

  open(): void {
    this.readyState = 'open';
    for (const d of this.#queue.splice(0)) this.send(d);
    this.emit('open');
  }
}

class FakePeer {
  readonly channels = new Map<string, FakeChannel>();
  constructor(readonly id: string) {}
  channel(label: string): FakeChannel {
    let ch = this.channels.get(label);
    if (!ch) {
      ch = new FakeChannel();
      this.channels.set(label, ch);
    }
    return ch;
  }
}

class FakeRoom extends Emitter<{ 'peer-joined': [peer: FakePeer]; 'peer-left': []; rejoined: [] }> {
  readonly peers = new Map<string, FakePeer>();
  constructor(readonly selfId: string) {
    super();
  }
}

const rooms = new Map<string, FakeRoom>();
const room = (id: string) => {
  const r = new FakeRoom(id);
  rooms.set(id, r);
  return r;
};

/** Makes `a` and `b` peers of each other (announced to `a` as a newcomer when `announce`). */
function meet(a: string, b: string, announce: boolean): void {
  const pa = new FakePeer(b);
  const pb = new FakePeer(a);
  rooms.get(a)?.peers.set(b, pa);
  rooms.get(b)?.peers.set(a, pb);
  links.set(`${a}|${b}`, [pa, pb]);
  if (announce) rooms.get(a)?.emit('peer-joined', pa);
}
const links = new Map<string, [FakePeer, FakePeer]>();

/** Pairs the channels between `a` and `b` and opens `a`'s side of them (both sides unless `only`). */
function open(a: string, b: string, only?: 'a' | 'b'): void {
  const [pa, pb] = links.get(`${a}|${b}`) as [FakePeer, FakePeer];
  for (const [label, x] of pa.channels) {
    const y = pb.channel(label);
    x.other = y;
    y.other = x;
    if (only !== 'b') x.open();
    if (only !== 'a') y.open();
  }
}

const game = (r: FakeRoom, id: string) =>
  createGame<Pos>(r as unknown as Room, { state: pos, topology: 'host', playerId: id, info: { name: id } });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(ok: () => boolean, what: string, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(5))
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
}

describe('game: what comes before a hello', () => {
  it('host topology: a player whose link to us opens after the host’s view showed it gets its state from that view', async () => {
    rooms.clear();
    links.clear();
    const ra = room('A');
    const a = game(ra, 'pa');
    const rb = room('B');
    meet('A', 'B', true);
    const b = game(rb, 'pb');
    const rc = room('C');
    meet('A', 'C', true);
    meet('B', 'C', true);
    const c = game(rc, 'pc');
    const games: Game<Pos>[] = [a, b, c];
    try {
      a.setState({ x: 1, y: 1 });
      b.setState({ x: 2, y: 2 });
      c.setState({ x: 3, y: 3 });
      open('A', 'B');
      open('A', 'C');
      await until(() => a.players.get('pc')?.state !== undefined, 'the host has C’s state');
      await sleep(300); // the host's view with each other's entry has reached B and C, and nobody moves
      assert.equal(b.players.has('pc'), false, 'B has not met C yet');
      open('B', 'C');
      await until(
        () => b.players.get('pc')?.state?.x === 3 && c.players.get('pb')?.state?.x === 2,
        'B shows C and C shows B',
      );
    } finally {
      for (const g of games) g.close();
    }
  });

  it('an event a peer sends on hearing our hello, before its own channel opened, reaches us after its hello', async () => {
    rooms.clear();
    links.clear();
    const ra = room('A');
    const a = game(ra, 'pa');
    a.on('player-joined', (p) => a.send({ welcome: p.id }));
    const rc = room('C');
    meet('A', 'C', true);
    const c = game(rc, 'pc');
    const got: [unknown, string][] = [];
    c.on('event', (d, from) => got.push([d, from.id]));
    try {
      // C's side opens first: C's hello reaches A while A's channel is still opening.
      open('A', 'C', 'b');
      await until(() => a.players.has('pc'), 'C’s hello at A');
      open('A', 'C', 'a');
      await until(() => got.length > 0, 'the welcome event at C');
      assert.deepEqual(got, [[{ welcome: 'pc' }, 'pa']]);
    } finally {
      a.close();
      c.close();
    }
  });
});
