import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignalingCore } from './core.js';
import { counterRandom, FakeClock, Wire } from './core-harness.js';
import type { CoreOptions } from './options.js';

function setup(options: Partial<CoreOptions> = {}) {
  const clock = new FakeClock();
  const wire = new Wire();
  const core = new SignalingCore<string>(options, { transport: wire, clock, random: counterRandom() });
  const join = (conn: string, room: string, address = '192.0.2.1', extra: Record<string, unknown> = {}) => {
    core.open(conn, { address });
    core.receive(conn, JSON.stringify({ type: 'join', room, ...extra }));
    return wire.take(conn)[0] as Record<string, unknown>;
  };
  return { clock, wire, core, join };
}

test('a join that fails midway leaves no trace: the room stays empty and the next join works', () => {
  let fail = true;
  const { core, join } = setup({
    iceServers: () => {
      if (fail) throw new Error('minting failed');
      return [];
    },
  });
  const first = join('A', 'r');
  assert.equal(first.code, 'INTERNAL');
  assert.equal(core.stats().sessions, 0);
  assert.equal(core.stats().rooms, 0);
  fail = false;
  const second = join('B', 'r');
  assert.equal(second.type, 'joined');
  assert.deepEqual(second.peers, []);
  // A's connection holds no session: it may join again.
  const again = join('A', 'r');
  assert.equal(again.type, 'joined');
});

test('sessions per address count dropped sessions until their window ends', () => {
  const { core, join, clock } = setup({ maxSessionsPerAddress: 2, resumeWindowMs: 1000 });
  assert.equal(join('A', 'r1').type, 'joined');
  assert.equal(join('B', 'r2').type, 'joined');
  core.closed('A');
  assert.equal(join('C', 'r3').code, 'TOO_MANY_SESSIONS');
  assert.equal(join('D', 'r3', '192.0.2.2').type, 'joined');
  clock.advance(1001);
  assert.equal(join('E', 'r3').type, 'joined');
  assert.equal(core.stats().dropped, 0);
});

test('an IPv6 client counts by its /64, an IPv4-mapped one as IPv4', async () => {
  const { addressKey } = await import('./address-key.js');
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:db8:1:2:ffff:1:2:3'));
  assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
  assert.equal(addressKey('::ffff:198.51.100.7'), '198.51.100.7');
  assert.equal(addressKey('2001:DB8:0001:0002::'), addressKey('2001:db8:1:2::'));
});

test('rooms are bounded; a join into an existing room still works at the bound', () => {
  const { join } = setup({ maxRooms: 2 });
  join('A', 'r1', '192.0.2.1');
  join('B', 'r2', '192.0.2.2');
  assert.equal(join('C', 'r3', '192.0.2.3').code, 'TOO_MANY_ROOMS');
  assert.equal(join('D', 'r1', '192.0.2.4').type, 'joined');
});

test('in a full room the longest-dropped seat goes to a newcomer; live seats never do', () => {
  const { core, join, clock, wire } = setup({ maxPeersPerRoom: 3 });
  const a = join('A', 'r', '192.0.2.1');
  join('B', 'r', '192.0.2.2');
  join('C', 'r', '192.0.2.3');
  core.closed('C');
  clock.advance(10);
  core.closed('B');
  wire.take('A');
  const d = join('D', 'r', '192.0.2.4');
  assert.equal(d.type, 'joined');
  assert.equal((d.peers as unknown[]).length, 2, 'the newcomer sees A and B, not the evicted C');
  const left = wire.take('A').find((f) => f.type === 'peer-left');
  assert.equal(left?.reason, 'timeout');
  assert.notEqual(left?.peerId, a.selfId);
  assert.equal(join('E', 'r', '192.0.2.5').type, 'joined', "B's seat goes next");
  assert.equal(join('F', 'r', '192.0.2.6').code, 'ROOM_FULL');
  assert.equal(core.stats().seatsReclaimed, 2);
});

test('sessions per token: a token reused past its bound gets TOKEN_IN_USE; a leave frees its seat', () => {
  const { core, join } = setup({ maxSessionsPerToken: 1, authorize: () => true });
  assert.equal(join('A', 'r', '192.0.2.1', { token: 't' }).type, 'joined');
  assert.equal(join('B', 'r', '192.0.2.2', { token: 't' }).code, 'TOKEN_IN_USE');
  core.receive('A', JSON.stringify({ type: 'leave' }));
  assert.equal(join('C', 'r', '192.0.2.3', { token: 't' }).type, 'joined');
});

test('the replay budget is shared: past it buffers keep nothing, and it is given back when sessions end', () => {
  const { core, join, clock } = setup({ replayTotalBytes: 64 * 1024, resumeWindowMs: 60_000 });
  join('S', 'r', '192.0.2.1');
  for (let i = 0; i < 4; i++) join(`V${i}`, 'r', `192.0.2.${10 + i}`);
  for (let i = 0; i < 4; i++) core.closed(`V${i}`);
  for (let i = 0; i < 20; i++) core.receive('S', JSON.stringify({ type: 'message', data: 'z'.repeat(4000) }));
  const stats = core.stats();
  assert.ok(stats.replayBytes <= 64 * 1024, `${stats.replayBytes} bytes kept`);
  assert.ok(stats.replayOverBudget > 0);
  core.receive('S', JSON.stringify({ type: 'leave' }));
  clock.advance(60_001);
  assert.equal(core.stats().sessions, 0);
  assert.equal(core.stats().replayBytes, 0, 'every ring went back to the budget');
});

test('a connection in no room is closed with 4006 after the idle timeout: before its join and after a leave', () => {
  const { core, join, clock, wire } = setup({ idleTimeoutMs: 1000 });
  core.open('idle', { address: '192.0.2.9' });
  join('busy', 'r');
  clock.advance(999);
  assert.equal(wire.closes.length, 0);
  clock.advance(2);
  assert.deepEqual(wire.closes, [{ conn: 'idle', code: 4006, reason: 'IDLE' }]);
  core.receive('busy', JSON.stringify({ type: 'leave' }));
  clock.advance(1001);
  assert.equal(wire.closes.at(-1)?.conn, 'busy');
  assert.equal(core.stats().idleClosed, 2);
});

test('metadata past its bound is refused with METADATA_TOO_LARGE and nobody hears of the join', () => {
  const { core, join, wire } = setup({ maxMetadataBytes: 100 });
  join('A', 'r');
  const big = join('B', 'r', '192.0.2.2', { metadata: { bio: 'x'.repeat(200) } });
  assert.equal(big.code, 'METADATA_TOO_LARGE');
  assert.deepEqual(wire.take('A'), []);
  assert.equal(join('C', 'r', '192.0.2.3', { metadata: { name: 'Cy' } }).type, 'joined');
  assert.equal(core.stats().sessions, 2);
});
