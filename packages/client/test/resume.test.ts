import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '@parley/server';
import type { Peer, Room } from '../src/index.js';
import { collect, join, next, releaseNative, startTestServer, text, until } from './helpers.js';

async function connectedPair(
  server: RunningServer,
  room: string,
  extra = {},
): Promise<[Room, Room, Peer, Peer]> {
  const a = await join(server.wsUrl, room, extra);
  const joined = next(a, 'peer-joined');
  const b = await join(server.wsUrl, room);
  const [bOnA] = await joined;
  const aOnB = b.peers.get(a.selfId)!;
  await until(() => bOnA.state === 'connected' && aOnB.state === 'connected', 'p2p connected', 10_000);
  await until(() => aOnB.channels.get('parley')?.readyState === 'open', 'default channel open', 10_000);
  return [a, b, bOnA, aOnB];
}

describe('signaling drops and resume', () => {
  let server: RunningServer;
  const rooms: Room[] = [];
  before(async () => {
    server = await startTestServer({ resumeWindowMs: 5000 });
  });
  after(async () => {
    for (const r of rooms) await r.leave();
    await server.close();
    releaseNative();
  });

  it('a peer whose socket is cut resumes with its id, gets the missed frames once and in order, and its data channel keeps working', async () => {
    const [a, b, bOnA, aOnB] = await connectedPair(server, 'resume', {
      reconnect: { minDelayMs: 300, maxDelayMs: 1000 },
    });
    rooms.push(a, b);
    const idBefore = a.selfId;
    const states = collect(a, 'state');
    const roomMessages = collect(a, 'message');
    const p2p = collect(bOnA, 'message');
    const leftOnB = collect(b, 'peer-left');
    const peerStates = collect(bOnA, 'state');

    const reconnecting = next(a, 'state', (s) => s === 'reconnecting');
    assert.equal(server.terminate(a.selfId), true);
    await reconnecting;
    // While a is away: room messages through the server, and data-channel messages peer to peer.
    for (let i = 0; i < 5; i++) b.broadcast({ n: i });
    for (let i = 0; i < 5; i++) aOnB.send(`dc ${i}`);
    await until(() => p2p.length === 5, 'data-channel messages during the gap', 5000);
    assert.equal(a.state, 'reconnecting', 'the data channel delivered while signaling was still down');

    await next(a, 'state', (s) => s === 'connected');
    await until(() => roomMessages.length === 5, 'replayed room messages', 5000);
    assert.equal(a.selfId, idBefore, 'the resumed session keeps its peer id');
    assert.deepEqual(
      roomMessages.map(([data, from]) => [data, from]),
      [0, 1, 2, 3, 4].map((n) => [{ n }, b.selfId]),
    );
    assert.deepEqual(
      p2p.map(([d, ch]) => [text(d), ch]),
      [0, 1, 2, 3, 4].map((n) => [`dc ${n}`, 'parley']),
    );
    assert.deepEqual(
      states.map(([s]) => s),
      ['reconnecting', 'connected'],
    );
    assert.deepEqual(peerStates, [], 'the peer connection never noticed');
    assert.deepEqual(leftOnB, [], 'the others never saw it leave');

    // After the resume, everything flows both ways again, exactly once.
    const more = next(a, 'message');
    b.sendTo(a.selfId, 'after');
    assert.deepEqual(await more, ['after', b.selfId]);
    const back = next(b, 'message');
    a.broadcast('back');
    assert.deepEqual(await back, ['back', a.selfId]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(roomMessages.length, 6, 'no frame was delivered twice');
  });

  it('a peer that comes back after the resume window joins again with a new id and reconnects to the others', async () => {
    const short = await startTestServer({ resumeWindowMs: 200 });
    try {
      const [a, b] = await connectedPair(short, 'late', {
        reconnect: { minDelayMs: 1500, maxDelayMs: 1500 },
      });
      const oldId = a.selfId;
      const rejoined = next(a, 'rejoined', () => true, 15_000);
      const bSeesNew = next(b, 'peer-joined', () => true, 15_000);
      short.terminate(a.selfId);
      const [newId] = await rejoined;
      assert.notEqual(newId, oldId);
      assert.equal(a.selfId, newId);
      assert.equal(a.state, 'connected');
      const [fresh] = await bSeesNew;
      assert.equal(fresh.id, newId);
      const bOnA = a.peers.get(b.selfId)!;
      assert.ok(bOnA, 'the peer that stayed is still listed');
      const states = { a: collect(bOnA, 'state'), b: collect(fresh, 'state') };
      await until(
        () => bOnA.state === 'connected' && fresh.state === 'connected',
        'reconnected p2p',
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; a→b states ${states.a.join(',')}; b→a states ${states.b.join(',')}`);
      });
      const got = next(fresh, 'message');
      bOnA.send('hello again');
      assert.equal(text((await got)[0]), 'hello again');
      await a.leave();
      await b.leave();
    } finally {
      await short.close();
    }
  });
});
