/**
 * Redis killed and restarted under a two-node cluster: the nodes keep serving the peers they hold and
 * say not ready while it is gone; once it is back they are ready again without anyone's help, the
 * peers they held are registered again, and new joins across nodes work.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterNode, pairAcross, useCluster } from './cluster-harness.js';
import { collect, join, next, until } from './helpers.js';

describe('Redis killed and restarted', () => {
  const t = useCluster(2, 20);

  it('both nodes recover, and new joins across nodes work again', async () => {
    const [one, two] = t.cluster.nodes as [ClusterNode, ClusterNode];
    const fast = { reconnect: { minDelayMs: 100, maxDelayMs: 1000 } };
    const a = await join(one.wsUrl, 'outage', fast);
    const b = await join(one.wsUrl, 'outage', fast);
    t.rooms.push(a, b);
    await until(() => a.peers.size === 1, 'a sees b', 20_000);

    await t.cluster.redis.kill();
    for (const node of [one, two])
      await until(async () => (await node.get('/readyz')).status === 503, 'not ready without Redis', 15_000);
    assert.match((await one.get('/readyz')).body, /redis unreachable/);
    // The node keeps serving the peers it holds.
    const heardByA = collect(a, 'message');
    b.broadcast('during the outage');
    await until(() => heardByA.length === 1, 'a message on one node during the outage', 10_000);
    assert.equal((await one.get('/healthz')).status, 200);

    await t.cluster.redis.start();
    for (const node of [one, two])
      await until(async () => (await node.get('/readyz')).status === 200, 'ready again', 20_000);
    // A new peer on node two sees the peers node one registered again, and connects to them.
    const joinedOnA = next(a, 'peer-joined', () => true, 20_000);
    const c = await join(two.wsUrl, 'outage', fast);
    t.rooms.push(c);
    assert.deepEqual([...c.peers.keys()].sort(), [a.selfId, b.selfId].sort());
    const [cOnA] = await joinedOnA;
    await until(() => cOnA.state === 'connected', 'a and c connected peer to peer', 20_000);
    // And a fresh pair across the nodes.
    const fresh = await pairAcross(two.wsUrl, one.wsUrl, 'after-outage');
    t.rooms.push(fresh.a, fresh.b);
    const heard = collect(fresh.b, 'message');
    fresh.a.broadcast('across again');
    await until(() => heard.length === 1, 'a room message across nodes after the outage', 10_000);
  });
});
