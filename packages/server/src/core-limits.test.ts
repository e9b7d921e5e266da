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

test('before a join nothing past a join-sized frame is parsed; after it the frame limit applies', () => {
  const { core, wire } = setup({ maxMetadataBytes: 1000 });
  core.open('A', { address: '192.0.2.1' });
  const big = JSON.stringify({ type: 'message', data: 'x'.repeat(20_000) });
  core.receive('A', big);
  assert.equal(wire.take('A')[0]?.code, 'FRAME_TOO_LARGE');
  core.receive('A', JSON.stringify({ type: 'join', room: 'r' }));
  assert.equal(wire.take('A')[0]?.type, 'joined');
  core.receive('A', big);
  assert.deepEqual(wire.take('A'), [], 'a joined peer may send a 20 KB message to its empty room');
});

test('connections from one address share a rate bucket, and big frames cost more tokens', () => {
  const { core, wire } = setup({
    rateLimit: { perSecond: 10, burst: 100 },
    addressRateLimit: { perSecond: 10, burst: 150 },
  });
  for (const c of ['A', 'B', 'C']) core.open(c, { address: '192.0.2.7' });
  core.open('D', { address: '192.0.2.8' });
  let limited = 0;
  for (let i = 0; i < 60; i++)
    for (const c of ['A', 'B', 'C']) {
      core.receive(c, '{"type":"ping"}');
      if (wire.take(c).some((f) => f.code === 'RATE_LIMITED')) limited++;
    }
  // 180 frames, each connection under its own 100, the address over its 150.
  assert.equal(limited, 30);
  core.receive('D', '{"type":"ping"}');
  assert.equal(wire.take('D')[0]?.type, 'pong', 'another address has its own bucket');
  // A 40 KB frame costs 1 + 9 tokens (one per whole 4 KiB): the 98 D has left buy 9 of them.
  core.receive('D', JSON.stringify({ type: 'join', room: 'r' }));
  wire.take('D');
  let sent = 0;
  const frame = JSON.stringify({ type: 'message', data: 'y'.repeat(40_000) });
  for (let i = 0; i < 20; i++) {
    core.receive('D', frame);
    if (!wire.take('D').some((f) => f.code === 'RATE_LIMITED')) sent++;
  }
  assert.equal(sent, 9);
});

test('a connection the server closed is ignored from then on: no join after an IDLE close', () => {
  const { core, clock, wire } = setup({ idleTimeoutMs: 1000 });
  core.open('A', { address: '192.0.2.1' });
  clock.advance(1001);
  assert.equal(wire.closes[0]?.code, 4006);
  core.receive('A', JSON.stringify({ type: 'join', room: 'r' }));
  assert.deepEqual(wire.take('A'), []);
  assert.equal(core.stats().sessions, 0);
});

test('a session resumed over and over is refused past its resume bucket, then allowed again', () => {
  const { core, join, clock, wire } = setup({ resumeRate: { burst: 2, everyMs: 5000 } });
  let token = join('A', 'r').resumeToken as string;
  const resume = (conn: string) => {
    core.open(conn, { address: '192.0.2.1' });
    core.receive(conn, JSON.stringify({ type: 'resume', token, lastSeq: 0 }));
    const reply = wire.take(conn)[0] as Record<string, unknown>;
    if (reply.type === 'resumed') token = reply.resumeToken as string;
    return reply;
  };
  assert.equal(resume('A1').type, 'resumed');
  assert.equal(resume('A2').type, 'resumed');
  const third = resume('A3');
  assert.equal(third.code, 'RATE_LIMITED');
  assert.equal(wire.closes.at(-1)?.code, 1008);
  clock.advance(5000);
  assert.equal(resume('A4').type, 'resumed');
});

test('metadata is measured in UTF-8 bytes, and a "__proto__" key is refused', () => {
  const { join } = setup({ maxMetadataBytes: 100 });
  assert.equal(join('A', 'r', '192.0.2.1', { metadata: { n: 'é'.repeat(60) } }).code, 'METADATA_TOO_LARGE');
  assert.equal(join('B', 'r', '192.0.2.2', { metadata: { n: 'e'.repeat(60) } }).type, 'joined');
  const proto = join('C', 'r', '192.0.2.3', { metadata: JSON.parse('{"__proto__":{"admin":true}}') });
  assert.equal(proto.code, 'BAD_FRAME');
});

test('a resume whose answer was lost can be retried with the same token, until the client uses the new one', () => {
  const { core, join, wire } = setup();
  const token = join('A', 'r').resumeToken as string;
  core.closed('A');
  const resume = (conn: string, t: string) => {
    core.open(conn, { address: '192.0.2.1' });
    core.receive(conn, JSON.stringify({ type: 'resume', token: t, lastSeq: 0 }));
    return wire.take(conn)[0] as Record<string, unknown>;
  };
  const first = resume('A1', token);
  assert.equal(first.type, 'resumed');
  core.closed('A1'); // the connection died before the client read `resumed`
  const again = resume('A2', token);
  assert.equal(again.type, 'resumed', 'the old token still resumes');
  core.receive('A2', JSON.stringify({ type: 'ack', seq: 0 }));
  core.closed('A2');
  assert.equal(
    resume('A3', token).code,
    'RESUME_FAILED',
    'once the new token is in use, the old one is gone',
  );
  assert.equal(resume('A4', again.resumeToken as string).type, 'resumed');
});
