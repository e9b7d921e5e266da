/**
 * Two signaling nodes in this process sharing rooms through a real redis-server: presence, relay and
 * every check across nodes, and a resume on the other node. (Whole `parley serve` processes, node death,
 * Redis restarts and draining: apps/cli/test/cluster-*.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mintRoomToken, type RunningServer, roomTokenAuthorizer, startServer } from '@parley/server';
import { startRedis, type TestRedis, until } from '@parley/testing';
import { pino } from 'pino';
import { connect, joined } from './ws-client.js';

describe('two nodes over Redis', () => {
  let redis: TestRedis;
  let a: RunningServer;
  let b: RunningServer;
  const node = (redisUrl: string) =>
    startServer({
      port: 0,
      logger: pino({ level: 'silent' }),
      maxPeersPerRoom: 3,
      resumeWindowMs: 20_000,
      cluster: { redisUrl, secret: 'test-cluster-secret' },
    });
  before(async () => {
    redis = await startRedis();
    a = await node(redis.url);
    b = await node(redis.url);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.kill();
  });

  test('peers on different nodes see each other join and leave, and relay with `from` stamped', async () => {
    const p = await joined(a.wsUrl, 'span');
    await until(async () => (await fetch(`${b.httpUrl}/metrics`)).ok, 'b up');
    const q = await joined(b.wsUrl, 'span');
    const joinedQ = q.frames.find((f) => f.type === 'joined');
    void joinedQ;
    const pj = await p.next((f) => f.type === 'peer-joined', 5000);
    assert.equal((pj.peer as { id: string }).id, q.id);
    q.send({ type: 'signal', to: p.id, data: { candidate: null } });
    const sig = await p.next((f) => f.type === 'signal', 5000);
    assert.equal(sig.from, q.id);
    assert.deepEqual(sig.data, { candidate: null });
    p.send({ type: 'message', data: 'hello b' });
    const msg = await q.next((f) => f.type === 'message', 5000);
    assert.equal(msg.from, p.id);
    q.send({ type: 'leave' });
    const left = await p.next((f) => f.type === 'peer-left', 5000);
    assert.deepEqual([left.peerId, left.reason], [q.id, 'left']);
    p.ws.close();
  });

  test('frames with newlines and multi-byte text cross nodes intact, many in one tick', async () => {
    const p = await joined(a.wsUrl, 'bytes');
    const q = await joined(b.wsUrl, 'bytes');
    await p.next((f) => f.type === 'peer-joined', 5000);
    const data = 'línea 1\nzweite Zeile ✓ 🚀\n\n{"not":"a frame"}\n';
    // Raw JSON text with newlines between its tokens too, and a burst that shares ticks.
    for (let i = 0; i < 50; i++)
      q.ws.send(`{"type":"message",\n"to":${JSON.stringify(p.id)},\n"data":${JSON.stringify({ i, data })}}`);
    for (let i = 0; i < 50; i++) {
      const m = await p.next((f) => f.type === 'message', 5000);
      assert.deepEqual([m.from, m.data], [q.id, { i, data }]);
    }
    p.ws.close();
    q.ws.close();
  });

  test('a peer in another room cannot be reached across nodes; the room size holds across nodes', async () => {
    const remoteBefore = b.core.stats().cluster?.remoteSessions ?? 0;
    const r1 = await joined(a.wsUrl, 'room-one');
    const r2 = await joined(b.wsUrl, 'room-two');
    // Wait until b knows r1 (presence is told asynchronously).
    const probe = await joined(b.wsUrl, 'room-one');
    await until(() => r1.frames.some((f) => f.type === 'peer-joined'), 'r1 sees the probe', 5000);
    r2.send({ type: 'signal', to: r1.id, data: { candidate: null } });
    assert.equal((await r2.next((f) => f.type === 'error', 5000)).code, 'PEER_NOT_FOUND');
    const third = await joined(a.wsUrl, 'room-one');
    await until(
      () => b.core.stats().cluster?.remoteSessions === remoteBefore + 2,
      'b knows both peers of a',
      5000,
    );
    const fourth = await connect(b.wsUrl);
    fourth.send({ type: 'join', room: 'room-one' });
    assert.equal((await fourth.next((f) => f.type === 'error', 5000)).code, 'ROOM_FULL');
    for (const c of [r1, r2, probe, third, fourth]) c.ws.close();
  });

  test('a client whose socket dropped resumes on the other node with the same id and every frame once', async () => {
    const p = await joined(a.wsUrl, 'move');
    const q = await joined(b.wsUrl, 'move');
    await p.next((f) => f.type === 'peer-joined', 5000);
    const lastSeq = 1; // peer-joined was seq 1
    const droppedBefore = a.core.stats().dropped;
    const closed = p.closed;
    assert.ok(a.terminate(p.id));
    await closed;
    for (let i = 0; i < 5; i++) q.send({ type: 'message', to: p.id, data: i });
    await until(() => (a.core.stats().cluster?.framesFromNodes ?? 0) >= 5, 'a stamped the five', 5000);
    const back = await connect(b.wsUrl);
    back.send({ type: 'resume', token: p.token, lastSeq });
    const resumed = await back.next((f) => f.type === 'resumed', 5000);
    assert.equal(resumed.selfId, p.id);
    const got: unknown[] = [];
    for (let i = 0; i < 5; i++) got.push((await back.next((f) => f.type === 'message', 5000)).data);
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    // Sent after the move: straight to b, numbered after the replay.
    q.send({ type: 'message', to: p.id, data: 'after' });
    const after = await back.next((f) => f.type === 'message', 5000);
    assert.equal(after.data, 'after');
    assert.equal(after.seq, 7);
    // a holds the session no more (and will never time it out): it is not among its dropped sessions.
    await until(() => a.core.stats().dropped === droppedBefore, 'a let the session go', 5000);
    assert.ok(!q.frames.some((f) => f.type === 'peer-left'), 'nobody saw peer-left');
    back.ws.close();
    q.ws.close();
  });

  test('a forged or foreign resume token takes no session over; the nodes keep serving', async () => {
    const p = await joined(a.wsUrl, 'forged');
    const q = await joined(b.wsUrl, 'forged');
    await p.next((f) => f.type === 'peer-joined', 5000);
    const [id, secret = ''] = [
      p.token.slice(0, p.token.lastIndexOf('.')),
      p.token.slice(p.token.lastIndexOf('.') + 1),
    ];
    const flipped = `${id}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const foreign = `${id}.${'x'.repeat(secret.length)}`;
    for (const token of [flipped, foreign, `${q.id}.${secret}`, 'no-dot-at-all', `${id}.`]) {
      const x = await connect(b.wsUrl);
      x.send({ type: 'resume', token, lastSeq: 0 });
      assert.equal((await x.next((f) => f.type === 'error', 5000)).code, 'RESUME_FAILED', token);
      x.ws.close();
    }
    // The real session is untouched: p still gets what q sends, and nobody left.
    q.send({ type: 'message', to: p.id, data: 'still here' });
    assert.equal((await p.next((f) => f.type === 'message', 5000)).data, 'still here');
    assert.equal((await fetch(`${b.httpUrl}/healthz`)).status, 200);
    assert.ok(!q.frames.some((f) => f.type === 'peer-left'));
    p.ws.close();
    q.ws.close();
  });
});

describe('room tokens across nodes', () => {
  let redis: TestRedis;
  let a: RunningServer;
  let b: RunningServer;
  const secret = 'room-token-secret';
  before(async () => {
    redis = await startRedis();
    const node = () =>
      startServer({
        port: 0,
        logger: pino({ level: 'silent' }),
        authorize: roomTokenAuthorizer([secret]),
        cluster: { redisUrl: redis.url, secret: 'test-cluster-secret' },
      });
    a = await node();
    b = await node();
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.kill();
  });

  test('every node checks the token of a join, and a joined peer meets the peers of the other node', async () => {
    const token = mintRoomToken(secret, 'vip', 60);
    const p = await connect(a.wsUrl);
    p.send({ type: 'join', room: 'vip', token });
    const pj = await p.next((f) => f.type === 'joined', 5000);
    const intruder = await connect(b.wsUrl);
    intruder.send({ type: 'join', room: 'vip' });
    assert.equal((await intruder.next((f) => f.type === 'error', 5000)).code, 'UNAUTHORIZED');
    const wrong = await connect(b.wsUrl);
    wrong.send({ type: 'join', room: 'vip', token: mintRoomToken('not the secret', 'vip', 60) });
    assert.equal((await wrong.next((f) => f.type === 'error', 5000)).code, 'UNAUTHORIZED');
    const q = await connect(b.wsUrl);
    q.send({ type: 'join', room: 'vip', token });
    const qj = await q.next((f) => f.type === 'joined', 5000);
    assert.deepEqual(
      (qj.peers as { id: string }[]).map((x) => x.id),
      [pj.selfId],
    );
    for (const c of [p, intruder, wrong, q]) c.ws.close();
  });
});
