/**
 * SIGTERM to a node of a cluster: /readyz turns 503 at once, its clients are told to go (close 4007
 * DRAINING), resume on the other node with their ids, and nobody sees `peer-left`; then the node exits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLOSE_CODES } from '@parley/protocol';
import { WebSocket } from 'ws';
import { type ClusterNode, pairAcross, useCluster } from './cluster-harness.js';
import { collect, join, until } from './helpers.js';

/** A bare protocol client: joins, and keeps the frames it gets. */
async function rawJoin(url: string, room: string) {
  const ws = new WebSocket(url, ['parley.v1']);
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'join', room }));
  await until(() => frames.some((f) => f.type === 'joined'), 'raw join', 10_000);
  return { ws, frames, closed, joined: frames.find((f) => f.type === 'joined') as Record<string, unknown> };
}

describe('SIGTERM to a node of a cluster', () => {
  const t = useCluster(2, 20);

  it('drains: its clients move to the other node without a peer-left seen by anyone, then it exits', async () => {
    const [one, two] = t.cluster.nodes as [ClusterNode, ClusterNode];
    const urls = [one.wsUrl, two.wsUrl];
    const { a, b: c, bOnA: cOnA } = await pairAcross(urls, [two.wsUrl, one.wsUrl], 'drain');
    const b = await join(urls, 'drain', { reconnect: { minDelayMs: 100, maxDelayMs: 1000 } });
    t.rooms.push(a, b, c);
    await until(() => a.peers.size === 2 && c.peers.size === 2, 'three peers see each other', 20_000);
    // A bare client on node one, to watch the close code and hold the node in its drain a while.
    const raw = await rawJoin(one.wsUrl, 'drain');
    await until(() => a.peers.size === 3 && c.peers.size === 3, 'the bare client seen', 20_000);
    const ids = [a.selfId, b.selfId, c.selfId];
    const left = [a, b, c].map((r) => collect(r, 'peer-left'));
    const heardByC = collect(c, 'message');

    one.child.kill('SIGTERM');
    assert.equal(await raw.closed, CLOSE_CODES.DRAINING);
    assert.equal((await one.get('/readyz')).status, 503, 'a draining node is not ready');
    await until(() => a.state === 'connected' && b.state === 'connected', 'a and b back', 20_000);
    // The bare client resumes on node two with its token, as the SDK does.
    const back = new WebSocket(two.wsUrl, ['parley.v1']);
    const backFrames: Record<string, unknown>[] = [];
    back.on('message', (d) => backFrames.push(JSON.parse(String(d))));
    await new Promise((resolve) => back.once('open', resolve));
    const lastSeq = Math.max(0, ...raw.frames.map((f) => (typeof f.seq === 'number' ? f.seq : 0)));
    back.send(JSON.stringify({ type: 'resume', token: raw.joined.resumeToken, lastSeq }));
    await until(() => backFrames.some((f) => f.type === 'resumed'), 'the bare client resumed', 10_000);
    const [code] = (await one.exited) as [number];
    assert.equal(code, 0, 'the drained node exits cleanly');

    assert.deepEqual([a.selfId, b.selfId, c.selfId], ids, 'everyone kept their id');
    a.broadcast('a after the drain');
    b.broadcast('b after the drain');
    await until(() => heardByC.length === 2, 'messages from the moved peers', 10_000);
    assert.equal(cOnA.state, 'connected');
    assert.deepEqual(
      left.map((l) => l.length),
      [0, 0, 0],
      'nobody saw peer-left',
    );
    back.close();
    raw.ws.close();
  });
});
