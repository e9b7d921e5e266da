import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEARD, Liveness, type LivenessRecord, QUIET, slicesFor } from './liveness.js';

/** Open sockets as the core keeps them: a Map of liveness records walked in insertion order. */
class Sockets {
  readonly open = new Map<Sock, LivenessRecord<Sock>>();
  get connectionCount(): number {
    return this.open.size;
  }
  livenessRecords(): Iterator<LivenessRecord<Sock>> {
    return this.open.values();
  }
  add(n: number): Sock[] {
    const made = Array.from({ length: n }, () => new Sock());
    for (const s of made) this.open.set(s, { handle: s, pingAt: QUIET });
    return made;
  }
  /** A pong from `s`, as the core records it. */
  answered(s: Sock): void {
    const r = this.open.get(s);
    if (r) r.pingAt = QUIET;
  }
  /** Any other frame from `s`, as the core records it. */
  heard(s: Sock): void {
    const r = this.open.get(s);
    if (r) r.pingAt = HEARD;
  }
  get pending(): number {
    return [...this.open.values()].filter((r) => r.pingAt >= 0).length;
  }
}

class Sock {
  pings = 0;
  terminated = false;
}

function setup(intervalMs = 1000, slices = 10) {
  const sockets = new Sockets();
  const live = new Liveness(sockets, {
    intervalMs,
    slices,
    ping: (s) => {
      s.pings++;
    },
    terminate: (s) => {
      s.terminated = true;
      sockets.open.delete(s);
    },
  });
  /** One tick, every socket answering its ping (if it has one out) when `answer` says so. */
  const tick = (answer: (s: Sock) => boolean = () => true) => {
    live.tick();
    for (const [s, r] of sockets.open) if (r.pingAt >= 0 && answer(s)) sockets.answered(s);
  };
  return { sockets, tick };
}

test('every socket is pinged once per interval, a tenth of them per tick', () => {
  const { sockets, tick } = setup();
  const all = sockets.add(1000);
  const perTick: number[] = [];
  let before = 0;
  for (let t = 0; t < 30; t++) {
    tick();
    const total = all.reduce((a, s) => a + s.pings, 0);
    perTick.push(total - before);
    before = total;
  }
  assert.deepEqual(new Set(perTick), new Set([100]));
  assert.deepEqual(new Set(all.map((s) => s.pings)), new Set([3]));
  assert.ok(all.every((s) => !s.terminated));
});

test('a socket that never answers is terminated once its ping is half an interval old, and only it', () => {
  const { sockets, tick } = setup();
  const all = sockets.add(50);
  const dead = all[17]!;
  // Five a tick: the dead one is in the 4th slice (at 400 ms), so its timeout ends at the 9th tick.
  for (let t = 0; t < 8; t++) tick((s) => s !== dead);
  assert.equal(dead.pings, 1);
  assert.equal(dead.terminated, false);
  assert.equal(sockets.pending, 1);
  tick((s) => s !== dead);
  assert.equal(dead.terminated, true);
  // Three rounds in all (30 ticks): everyone else pinged three times.
  for (let t = 0; t < 21; t++) tick();
  assert.equal(all.filter((s) => s.terminated).length, 1);
  assert.ok(all.every((s) => s === dead || s.pings === 3));
});

test('a socket that sent something since its last visit is not pinged; once quiet, it is', () => {
  const { sockets, tick } = setup();
  const [chatty, quiet] = sockets.add(2);
  // Two sockets, a tenth of them a tick: both are visited on every 10th tick.
  for (let t = 0; t < 30; t++) {
    sockets.heard(chatty!);
    tick();
  }
  assert.equal(chatty!.pings, 0);
  assert.equal(quiet!.pings, 3);
  // Silent from now on, and answering nothing. Its next visit (tick 31) still finds what it sent before
  // tick 30; the one after (tick 41) pings it, and half an interval later (tick 46) it is dropped.
  for (let t = 0; t < 11; t++) tick((s) => s !== chatty);
  assert.equal(chatty!.pings, 1);
  assert.equal(chatty!.terminated, false);
  for (let t = 0; t < 4; t++) tick((s) => s !== chatty);
  assert.equal(chatty!.terminated, false);
  tick((s) => s !== chatty);
  assert.equal(chatty!.terminated, true);
  assert.equal(quiet!.terminated, false);
});

test('a slow answer within the timeout keeps the socket', () => {
  const { sockets, tick } = setup();
  const [slow] = sockets.add(1);
  tick(() => false);
  for (let t = 0; t < 3; t++) tick(() => false);
  // 400 ms after its ping (the timeout is 500 ms): the answer arrives.
  sockets.answered(slow!);
  for (let t = 0; t < 30; t++) tick();
  assert.equal(slow!.terminated, false);
  assert.equal(slow!.pings, 4);
});

test('sockets that open mid-round are pinged in that round; closed ones are not', () => {
  const { sockets, tick } = setup();
  const first = sockets.add(100);
  for (let t = 0; t < 5; t++) tick();
  const closing = first.slice(80);
  for (const s of closing) sockets.open.delete(s);
  const late = sockets.add(40);
  // 70 left in the round at 12 a tick (a tenth of the 120 open): 6 more ticks finish it.
  for (let t = 0; t < 5; t++) tick();
  assert.ok(late.some((s) => s.pings === 0));
  // That tick is also the 10th of the round, so the next round starts with what the tick has left.
  tick();
  assert.ok(late.every((s) => s.pings === 1));
  assert.ok(closing.every((s) => s.pings === 0));
  assert.deepEqual(
    first.slice(0, 80).map((s) => s.pings),
    [2, 2, ...Array(78).fill(1)],
  );
});

test('a busy round stretches rather than bursting', () => {
  const { sockets, tick } = setup();
  const first = sockets.add(100);
  let max = 0;
  let seen = 0;
  for (let t = 0; t < 10; t++) {
    sockets.add(100);
    tick();
    const total = [...sockets.open.keys()].reduce((a, s) => a + s.pings, 0);
    max = Math.max(max, total - seen);
    seen = total;
  }
  assert.ok(first.every((s) => s.pings === 1));
  // At most a tenth of what is open at each tick.
  assert.ok(max <= Math.ceil(sockets.connectionCount / 10), `${max} pings in one tick`);
});

test('ticks are about four a second', () => {
  assert.equal(slicesFor(10_000), 40);
  assert.equal(slicesFor(100), 1);
  assert.equal(slicesFor(30_000), 120);
});
