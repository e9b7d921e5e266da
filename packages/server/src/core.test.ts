import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { SignalingCore } from './core.js';
import { counterRandom, FakeClock, Wire } from './core-harness.js';
import type { CoreOptions } from './options.js';

let clock: FakeClock;
let wire: Wire;
function makeCore(options: Partial<CoreOptions> = {}) {
  clock = new FakeClock();
  wire = new Wire();
  return new SignalingCore<string>(options, { transport: wire, clock, random: counterRandom() });
}
function join(core: SignalingCore<string>, conn: string, room = 'r', metadata?: Record<string, unknown>) {
  core.open(conn);
  core.receive(conn, JSON.stringify({ type: 'join', room, ...(metadata ? { metadata } : {}) }));
  const joined = wire.take(conn)[0] as Record<string, unknown>;
  assert.equal(joined.type, 'joined');
  return joined as { selfId: string; resumeToken: string; peers: { id: string }[]; seq: number };
}

describe('signaling core', () => {
  let core: SignalingCore<string>;
  beforeEach(() => {
    core = makeCore();
  });

  test('a joining peer gets a server-assigned id, the peers present and a resume token; the others are told', () => {
    const a = join(core, 'A', 'r', { name: 'Ann' });
    assert.deepEqual(a.peers, []);
    const b = join(core, 'B');
    assert.notEqual(a.selfId, b.selfId);
    assert.deepEqual(b.peers, [{ id: a.selfId, metadata: { name: 'Ann' } }]);
    assert.ok(b.resumeToken.length > 0);
    assert.deepEqual(wire.take('A'), [{ seq: 1, type: 'peer-joined', peer: { id: b.selfId, metadata: {} } }]);
  });

  test('a signal is relayed with the sender stamped by the server and its payload untouched', () => {
    const a = join(core, 'A');
    const b = join(core, 'B');
    wire.take('A');
    const data = { description: { type: 'offer', sdp: 'v=0\r\n' } };
    core.receive('B', JSON.stringify({ type: 'signal', to: a.selfId, data }));
    assert.deepEqual(wire.take('A'), [{ seq: 2, from: b.selfId, type: 'signal', to: a.selfId, data }]);
    assert.deepEqual(wire.take('B'), []);
  });

  test('a client cannot forge the sender: a frame carrying "from" is refused as BAD_FRAME', () => {
    const a = join(core, 'A');
    join(core, 'B');
    wire.take('A');
    core.receive(
      'B',
      JSON.stringify({ type: 'signal', to: a.selfId, from: 'evil', data: { candidate: null } }),
    );
    assert.equal(wire.last('B')?.code, 'BAD_FRAME');
    assert.deepEqual(wire.take('A'), []);
  });

  test('a room message goes to everyone else; a directed one only to its target', () => {
    const a = join(core, 'A');
    const b = join(core, 'B');
    join(core, 'C');
    wire.take('A');
    wire.take('B');
    core.receive('A', JSON.stringify({ type: 'message', data: { hi: 1 } }));
    assert.deepEqual(
      wire.take('B').map((f) => f.data),
      [{ hi: 1 }],
    );
    assert.deepEqual(
      wire.take('C').map((f) => [f.from, f.data]),
      [[a.selfId, { hi: 1 }]],
    );
    assert.deepEqual(wire.take('A'), []);
    core.receive('C', JSON.stringify({ type: 'message', to: b.selfId, data: 'psst' }));
    assert.deepEqual(
      wire.take('B').map((f) => f.data),
      ['psst'],
    );
    assert.deepEqual(wire.take('A'), []);
  });

  test('a signal to a peer in another room gets PEER_NOT_FOUND and reaches nobody', () => {
    const a = join(core, 'A', 'room-1');
    join(core, 'B', 'room-2');
    core.receive('B', JSON.stringify({ type: 'signal', to: a.selfId, data: { candidate: null } }));
    assert.equal(wire.last('B')?.code, 'PEER_NOT_FOUND');
    assert.deepEqual(wire.take('A'), []);
  });

  test('frames that need a room before joining get NOT_IN_ROOM; a second join gets ALREADY_IN_ROOM', () => {
    core.open('X');
    core.receive('X', JSON.stringify({ type: 'message', data: 1 }));
    assert.equal(wire.last('X')?.code, 'NOT_IN_ROOM');
    join(core, 'A');
    core.receive('A', JSON.stringify({ type: 'join', room: 'r' }));
    assert.equal(wire.last('A')?.code, 'ALREADY_IN_ROOM');
  });

  test('a full room refuses the next join with ROOM_FULL', () => {
    core = makeCore({ maxPeersPerRoom: 2 });
    join(core, 'A');
    join(core, 'B');
    core.open('C');
    core.receive('C', JSON.stringify({ type: 'join', room: 'r' }));
    assert.equal(wire.last('C')?.code, 'ROOM_FULL');
    assert.equal(core.stats().sessions, 2);
  });

  test('a leave tells the others at once with reason "left"', () => {
    join(core, 'A');
    const b = join(core, 'B');
    wire.take('A');
    core.receive('B', JSON.stringify({ type: 'leave' }));
    assert.deepEqual(wire.take('A'), [{ seq: 2, type: 'peer-left', peerId: b.selfId, reason: 'left' }]);
    assert.equal(core.stats().sessions, 1);
  });

  test('malformed JSON, unknown types, wrong field types and binary frames each get their code', () => {
    core.open('X');
    const cases: [string, string][] = [
      ['{"type":', 'BAD_JSON'],
      ['[1,2]', 'BAD_JSON'],
      ['{"type":"teleport"}', 'UNKNOWN_TYPE'],
      ['{"type":"join","room":42}', 'BAD_FRAME'],
      ['{"type":"join","room":"bad room name!"}', 'BAD_FRAME'],
      ['{"room":"r"}', 'BAD_FRAME'],
      ['{"type":"__proto__"}', 'UNKNOWN_TYPE'],
    ];
    for (const [text, code] of cases) {
      core.receive('X', text);
      assert.equal(wire.last('X')?.code, code, text);
    }
    core.receiveBinary('X');
    assert.equal(wire.last('X')?.code, 'BINARY_NOT_SUPPORTED');
  });

  test('an oversized frame gets FRAME_TOO_LARGE and the connection goes on', () => {
    core = makeCore({ maxFrameBytes: 100 });
    const a = join(core, 'A');
    core.receive('A', JSON.stringify({ type: 'message', data: 'x'.repeat(200) }));
    assert.equal(wire.last('A')?.code, 'FRAME_TOO_LARGE');
    core.receive('A', JSON.stringify({ type: 'ping', id: 7 }));
    assert.deepEqual(wire.last('A'), { type: 'pong', id: 7 });
    assert.ok(a.selfId);
  });

  test('a flood past the rate limit gets RATE_LIMITED, then a close for abuse; the bucket refills with time', () => {
    core = makeCore({ rateLimit: { perSecond: 10, burst: 5 }, maxRateStrikes: 3 });
    core.open('X');
    for (let i = 0; i < 5; i++) core.receive('X', '{"type":"ping"}');
    assert.equal(wire.take('X').filter((f) => f.type === 'pong').length, 5);
    core.receive('X', '{"type":"ping"}');
    assert.equal(wire.last('X')?.code, 'RATE_LIMITED');
    clock.advance(100); // one token back
    core.receive('X', '{"type":"ping"}');
    assert.equal(wire.last('X')?.type, 'pong');
    for (let i = 0; i < 4; i++) core.receive('X', '{"type":"ping"}');
    assert.deepEqual(wire.closes, [{ conn: 'X', code: 1008, reason: 'RATE_LIMITED' }]);
  });

  test('the authorize hook can refuse a join with UNAUTHORIZED', () => {
    core = makeCore({ authorize: ({ token }) => token === 'secret' });
    core.open('X');
    core.receive('X', JSON.stringify({ type: 'join', room: 'r', token: 'wrong' }));
    assert.equal(wire.last('X')?.code, 'UNAUTHORIZED');
    core.receive('X', JSON.stringify({ type: 'join', room: 'r', token: 'secret' }));
    assert.equal(wire.last('X')?.type, 'joined');
  });
});

describe('resume', () => {
  test('a peer that reconnects within the resume window keeps its id and gets what it missed, in order, once', () => {
    const core = makeCore({ resumeWindowMs: 30_000 });
    const a = join(core, 'A');
    join(core, 'B');
    assert.equal(wire.take('A').length, 1); // peer-joined, seq 1
    core.closed('A');
    for (let i = 0; i < 3; i++) core.receive('B', JSON.stringify({ type: 'message', data: i }));
    clock.advance(29_000);
    core.open('A2');
    core.receive('A2', JSON.stringify({ type: 'resume', token: a.resumeToken, lastSeq: 1 }));
    const frames = wire.take('A2');
    assert.equal(frames[0]?.type, 'resumed');
    assert.equal(frames[0]?.selfId, a.selfId);
    assert.notEqual(frames[0]?.resumeToken, a.resumeToken);
    assert.deepEqual(
      frames.slice(1).map((f) => [f.seq, f.data]),
      [
        [2, 0],
        [3, 1],
        [4, 2],
      ],
    );
    clock.advance(10_000);
    assert.deepEqual(wire.take('B'), []); // nobody was told A left
    core.receive('B', JSON.stringify({ type: 'message', data: 'live' }));
    assert.deepEqual(
      wire.take('A2').map((f) => [f.seq, f.data]),
      [[5, 'live']],
    );
  });

  test('frames the client already saw are not replayed, and the old resume token stops working once the new session is used', () => {
    const core = makeCore();
    const a = join(core, 'A');
    join(core, 'B');
    core.receive('B', JSON.stringify({ type: 'message', data: 'x' }));
    core.closed('A');
    core.open('A2');
    core.receive('A2', JSON.stringify({ type: 'resume', token: a.resumeToken, lastSeq: 2 }));
    assert.deepEqual(
      wire.take('A2').map((f) => f.type),
      ['resumed'],
    );
    core.receive('A2', JSON.stringify({ type: 'ack', seq: 2 }));
    core.closed('A2');
    core.open('A3');
    core.receive('A3', JSON.stringify({ type: 'resume', token: a.resumeToken, lastSeq: 2 }));
    assert.equal(wire.last('A3')?.code, 'RESUME_FAILED');
  });

  test('acknowledged frames are forgotten: a resume from the last one replays nothing, from before it fails', () => {
    const core = makeCore();
    const a = join(core, 'A');
    join(core, 'B');
    core.receive('B', JSON.stringify({ type: 'message', data: 'x' }));
    assert.deepEqual(
      wire.take('A').map((f) => f.seq),
      [1, 2],
    );
    core.receive('A', JSON.stringify({ type: 'ack', seq: 2 })); // a quiet session: its buffer goes
    core.closed('A');
    core.open('A2');
    core.receive('A2', JSON.stringify({ type: 'resume', token: a.resumeToken, lastSeq: 2 }));
    const resumed = wire.take('A2');
    assert.deepEqual(
      resumed.map((f) => f.type),
      ['resumed'],
    );
    core.receive('B', JSON.stringify({ type: 'message', data: 'y' }));
    assert.deepEqual(
      wire.take('A2').map((f) => [f.seq, f.data]),
      [[3, 'y']],
    );
    core.receive('A2', JSON.stringify({ type: 'ack', seq: 3 }));
    core.closed('A2');
    core.open('A3');
    core.receive('A3', JSON.stringify({ type: 'resume', token: resumed[0]?.resumeToken, lastSeq: 1 }));
    assert.equal(wire.last('A3')?.code, 'RESUME_FAILED');
  });

  test("a resume token works only whole: another peer's id, a wrong secret or no id all fail", () => {
    const core = makeCore();
    const a = join(core, 'A');
    const b = join(core, 'B');
    core.closed('A');
    const secretOf = (token: string) => token.slice(token.lastIndexOf('.') + 1);
    const forged = [
      `${b.selfId}.${secretOf(a.resumeToken)}`,
      `${a.selfId}.${secretOf(b.resumeToken)}`,
      `${a.selfId}.${secretOf(a.resumeToken)}x`,
      secretOf(a.resumeToken),
      `.${secretOf(a.resumeToken)}`,
    ];
    for (const [i, token] of forged.entries()) {
      core.open(`X${i}`);
      core.receive(`X${i}`, JSON.stringify({ type: 'resume', token, lastSeq: 0 }));
      assert.equal(wire.last(`X${i}`)?.code, 'RESUME_FAILED', token);
    }
    core.open('A2');
    core.receive('A2', JSON.stringify({ type: 'resume', token: a.resumeToken, lastSeq: 1 }));
    assert.equal(wire.take('A2')[0]?.type, 'resumed');
  });

  test('after the resume window the peer is gone: the room hears "timeout" and the token fails', () => {
    const core = makeCore({ resumeWindowMs: 5000 });
    const a = join(core, 'A');
    join(core, 'B');
    core.closed('A');
    clock.advance(5001);
    assert.deepEqual(
      wire.take('B').map((f) => [f.type, f.peerId, f.reason]),
      [['peer-left', a.selfId, 'timeout']],
    );
    core.open('A2');
    core.receive('A2', JSON.stringify({ type: 'resume', token: a.resumeToken, lastSeq: 0 }));
    assert.equal(wire.last('A2')?.code, 'RESUME_FAILED');
  });

  test('a resume that needs frames no longer kept fails, rather than break exactly-once', () => {
    const core = makeCore({ replay: { maxFrames: 2, maxBytes: 1 << 20 } });
    const a = join(core, 'A');
    join(core, 'B');
    core.closed('A');
    for (let i = 0; i < 5; i++) core.receive('B', JSON.stringify({ type: 'message', data: i }));
    core.open('A2');
    core.receive('A2', JSON.stringify({ type: 'resume', token: a.resumeToken, lastSeq: 1 }));
    assert.equal(wire.last('A2')?.code, 'RESUME_FAILED');
    assert.deepEqual(
      wire.take('B').map((f) => f.reason),
      ['timeout'],
    );
  });

  test('acked frames are forgotten and a resume on a live connection replaces the old socket', () => {
    const core = makeCore();
    const a = join(core, 'A');
    join(core, 'B');
    core.receive('B', JSON.stringify({ type: 'message', data: 1 }));
    core.receive('A', JSON.stringify({ type: 'ack', seq: 2 }));
    core.open('A2');
    core.receive('A2', JSON.stringify({ type: 'resume', token: a.resumeToken, lastSeq: 0 }));
    assert.equal(wire.last('A2')?.code, 'RESUME_FAILED', 'seq 1..2 were acked and dropped');
    const c = join(core, 'C');
    core.open('C2');
    core.receive('C2', JSON.stringify({ type: 'resume', token: c.resumeToken, lastSeq: 0 }));
    assert.equal(wire.last('C2')?.type, 'resumed');
    assert.deepEqual(wire.closes.at(-1), {
      conn: 'C',
      code: 4002,
      reason: 'session resumed on another connection',
    });
  });
});
