/**
 * A node killed with SIGKILL mid-session: its peers resume on the other node (they were given both URLs)
 * with the same ids, every frame sent to them meanwhile arrives once and in order, their data channels
 * keep flowing, and nobody sees `peer-left`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterNode, pairAcross, useCluster } from './cluster-harness.js';
import { collect, next, text, until } from './helpers.js';

describe('a node killed with SIGKILL', () => {
  const t = useCluster(2, 10);

  it('its peers resume on the other node with their ids and every frame once, in order', async () => {
    const [one, two] = t.cluster.nodes as [ClusterNode, ClusterNode];
    const { a, b, bOnA, aOnB } = await pairAcross([one.wsUrl, two.wsUrl], [two.wsUrl, one.wsUrl], 'failover');
    t.rooms.push(a, b);
    const idA = a.selfId;
    const idB = b.selfId;
    const heardByA = collect(a, 'message');
    const leftOnA = collect(a, 'peer-left');
    const leftOnB = collect(b, 'peer-left');
    const p2pOnB = collect(aOnB, 'message');
    // Room messages before the kill, through both nodes.
    for (let i = 0; i < 5; i++) b.sendTo(idA, { n: i });
    await until(() => heardByA.length === 5, 'messages before the kill', 10_000);

    const reconnecting = next(a, 'state', (s) => s === 'reconnecting', 10_000);
    const killedAt = Date.now();
    one.child.kill('SIGKILL');
    await one.exited;
    // While a is away, and as it comes back: frames from b for a, and data-channel traffic both ways.
    for (let i = 5; i < 25; i++) b.sendTo(idA, { n: i });
    await reconnecting;
    for (let i = 0; i < 10; i++) bOnA.send(`a→b during ${i}`);
    await next(a, 'state', (s) => s === 'connected', 20_000);
    const resumedAfterMs = Date.now() - killedAt;
    for (let i = 25; i < 30; i++) b.sendTo(idA, { n: i });
    await until(() => heardByA.length === 30, 'every message for a', 15_000);
    assert.equal(a.selfId, idA, 'a kept its peer id');
    assert.equal(b.selfId, idB);
    assert.deepEqual(
      heardByA.map(([data, from]) => [data, from]),
      Array.from({ length: 30 }, (_, n) => [{ n }, idB]),
      'every frame once and in order',
    );
    await until(() => p2pOnB.length === 10, 'data-channel messages sent during the failover', 15_000);
    assert.deepEqual(
      p2pOnB.map(([d]) => text(d)),
      Array.from({ length: 10 }, (_, i) => `a→b during ${i}`),
    );
    // The session now lives on node two: signaling between them still works.
    const heardByB = collect(b, 'message');
    a.sendTo(idB, 'after the failover');
    await until(() => heardByB.length === 1, 'a message from the resumed peer', 10_000);
    assert.equal(a.peers.get(idB)?.state, 'connected');
    assert.deepEqual([leftOnA.length, leftOnB.length], [0, 0], 'nobody saw peer-left');
    console.log(`# resumed on the other node ${resumedAfterMs} ms after the kill`);
  });
});

describe('a node that dies with peers that do not come back', () => {
  const t = useCluster(2, 2);

  it('its peers are announced as `timeout` by a surviving node once the resume window is over', async () => {
    const [one, two] = t.cluster.nodes as [ClusterNode, ClusterNode];
    // a knows only node one: it cannot resume anywhere when node one dies.
    const { a, b } = await pairAcross(one.wsUrl, two.wsUrl, 'orphans');
    t.rooms.push(b);
    const idA = a.selfId;
    const left = next(b, 'peer-left', () => true, 30_000);
    one.child.kill('SIGKILL');
    const [peer, reason] = await left;
    assert.deepEqual([peer.id, reason], [idA, 'timeout']);
    await a.leave();
    assert.equal(b.peers.size, 0);
  });
});
