/**
 * Two `parley serve --redis` nodes and a real redis-server: Node peers joined on different nodes find
 * each other, connect peer to peer and exchange data; /metrics shows the cluster's figures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterNode, pairAcross, useCluster } from './cluster-harness.js';
import { collect, text, until } from './helpers.js';

describe('a two-node cluster', () => {
  const t = useCluster(2);

  it('peers on different nodes connect peer to peer, exchange data and room messages', async () => {
    const [one, two] = t.cluster.nodes as [ClusterNode, ClusterNode];
    const { a, b, bOnA, aOnB } = await pairAcross(one.wsUrl, two.wsUrl, 'across');
    t.rooms.push(a, b);
    const onA = collect(bOnA, 'message');
    const onB = collect(aOnB, 'message');
    for (let i = 0; i < 20; i++) {
      bOnA.send(`a→b ${i}`);
      aOnB.send(`b→a ${i}`);
    }
    await until(() => onA.length === 20 && onB.length === 20, 'twenty messages each way', 20_000);
    assert.deepEqual(
      onB.map(([d]) => text(d)),
      Array.from({ length: 20 }, (_, i) => `a→b ${i}`),
    );
    const heard = collect(b, 'message');
    a.broadcast({ hello: 'from node one' });
    await until(() => heard.length === 1, 'a room message across nodes', 10_000);
    assert.deepEqual(heard[0], [{ hello: 'from node one' }, a.selfId]);

    // Nodes are counted once a second: wait for the count, then read the rest of the same scrape.
    let metrics = '';
    await until(
      async () => {
        metrics = (await one.get('/metrics')).body;
        return /parley_cluster_nodes 2/.test(metrics);
      },
      'node one to count two nodes',
      10_000,
    );
    assert.match(metrics, /parley_cluster_ready 1/);
    assert.match(metrics, /parley_cluster_frames_total\{direction="out"\} [1-9]/);
    assert.match(metrics, /parley_cluster_redis_seconds_count [1-9]/);
    assert.match(metrics, /parley_cluster_redis_errors_total 0/);
  });
});
