import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '@parley/server';
import type { Channel, ChannelOptions, Peer, Room } from '../src/index.js';
import { collect, join, next, releaseNative, startTestServer, text, until } from './helpers.js';

describe('a mesh of Node peers through a real server', () => {
  let server: RunningServer;
  const rooms: Room[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const r of rooms) await r.leave();
    await server.close();
    releaseNative();
  });

  it('two peers connect and exchange messages both ways in every reliability mode', async () => {
    const a = await join(server.wsUrl, 'modes', { metadata: { name: 'a' } });
    rooms.push(a);
    const joined = next(a, 'peer-joined');
    const b = await join(server.wsUrl, 'modes', { metadata: { name: 'b' } });
    rooms.push(b);
    const [peerBonA] = await joined;
    assert.equal(peerBonA.id, b.selfId);
    assert.deepEqual(peerBonA.metadata, { name: 'b' });
    const peerAonB = b.peers.get(a.selfId);
    assert.ok(peerAonB, 'the newcomer lists the peer already there');
    assert.deepEqual(peerAonB.metadata, { name: 'a' });

    await Promise.all([
      peerAonB.state === 'connected' ? null : next(peerAonB, 'state', (s) => s === 'connected'),
      peerBonA.state === 'connected' ? null : next(peerBonA, 'state', (s) => s === 'connected'),
    ]);

    const modes: [string, ChannelOptions][] = [
      ['parley', {}],
      ['unordered', { ordered: false }],
      ['no-retransmits', { ordered: false, maxRetransmits: 0 }],
      ['lifetime', { maxPacketLifeTime: 500 }],
    ];
    for (const [label, options] of modes) {
      const chB: Channel =
        label === 'parley' ? peerAonB.channels.get('parley')! : peerAonB.channel(label, options);
      const remote: Channel =
        label === 'parley'
          ? peerBonA.channels.get('parley')!
          : (peerBonA.channels.get(label) ?? (await next(peerBonA, 'channel', (c) => c.label === label))[0]);
      await until(() => chB.readyState === 'open' && remote.readyState === 'open', `${label} open`, 10_000);
      const gotOnA = next(peerBonA, 'message', (_d, ch) => ch === label);
      chB.send(`b→a on ${label}`);
      const [dataA, chA] = await gotOnA;
      assert.equal(dataA, `b→a on ${label}`);
      assert.equal(chA, label);
      const gotOnB = next(chB, 'message');
      remote.send(new TextEncoder().encode(`a→b on ${label}`));
      const [dataB] = await gotOnB;
      assert.ok(dataB instanceof Uint8Array, 'binary arrives as Uint8Array');
      assert.equal(text(dataB), `a→b on ${label}`);
    }
    assert.equal(peerAonB.channels.get('unordered')?.options.ordered, false);
    assert.equal(peerAonB.channels.get('no-retransmits')?.options.maxRetransmits, 0);
  });

  it('a third peer meshes with both, and a leave is seen by the others at once', async () => {
    const a = await join(server.wsUrl, 'trio');
    const b = await join(server.wsUrl, 'trio');
    rooms.push(a, b);
    const bothSeeC = Promise.all([next(a, 'peer-joined'), next(b, 'peer-joined')]);
    const c = await join(server.wsUrl, 'trio');
    rooms.push(c);
    await bothSeeC;
    assert.deepEqual([...c.peers.keys()].sort(), [a.selfId, b.selfId].sort());

    const all = [a, b, c];
    const pairs: [Room, Peer][] = all.flatMap((r) =>
      [...r.peers.values()].map((p) => [r, p] as [Room, Peer]),
    );
    assert.equal(pairs.length, 6, 'every room sees the two others');
    await Promise.all(
      pairs.map(([, p]) => (p.state === 'connected' ? null : next(p, 'state', (s) => s === 'connected'))),
    );
    // Everyone greets everyone over the default channel; every greeting arrives.
    const inbox = new Map(all.map((r) => [r.selfId, [] as string[]]));
    for (const [r, p] of pairs) p.on('message', (d) => inbox.get(r.selfId)!.push(`${p.id}:${text(d)}`));
    for (const [r, p] of pairs) p.send(`hi from ${r.selfId}`);
    await until(() => [...inbox.values()].every((m) => m.length === 2), 'all greetings', 10_000);
    for (const r of all) {
      const expected = [...r.peers.keys()].map((id) => `${id}:hi from ${id}`).sort();
      assert.deepEqual(inbox.get(r.selfId)!.sort(), expected);
    }

    const leftOnA = collect(a, 'peer-left');
    const leftOnB = next(b, 'peer-left');
    const peerCOnA = a.peers.get(c.selfId)!;
    await c.leave();
    const [peerOnB, reason] = await leftOnB;
    assert.equal(peerOnB.id, c.selfId);
    assert.equal(reason, 'left');
    await until(() => leftOnA.length === 1, 'peer-left on a', 2000);
    assert.equal(leftOnA[0]?.[1], 'left');
    assert.equal(peerCOnA.state, 'closed');
    assert.equal(a.peers.has(c.selfId), false);
    assert.equal(c.state, 'closed');
  });
});
