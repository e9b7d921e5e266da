/**
 * Chromium speaks signaling protocol v1 by hand (no SDK): a bare WebSocket with the `parley.v1`
 * subprotocol and a bare RTCPeerConnection, through the real `parley serve`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type E2E, type PeerPage, startE2E } from './harness/e2e.js';
import { rawNodePeer, stopNodeDataChannel } from './harness/node-peer.js';
import { waitUntil } from './harness/wait.js';

let e2e: E2E;
before(async () => {
  e2e = await startE2E();
});
after(async () => {
  await e2e?.close();
  stopNodeDataChannel();
});

const room = (tag: string) => `${tag}-${Date.now().toString(36)}`;

async function joinRaw(peer: PeerPage, url: string, roomName: string) {
  return peer.evaluate(
    async ({ url, roomName }) => {
      const joined = await window.e2e.raw!.join(url, roomName);
      return { selfId: joined.selfId, peers: joined.peers.map((p) => p.id) };
    },
    { url, roomName },
  );
}

const openChannels = (peer: PeerPage, to: string, what: string) =>
  peer.waitFor(what, (to) => window.e2e.raw!.openChannels(to).length === 2, to);

const received = (peer: PeerPage) => peer.evaluate(() => window.e2e.raw!.received);

const health = (peer: PeerPage) =>
  peer.evaluate(() => ({
    protocolErrors: window.e2e.raw!.protocolErrors,
    failures: window.e2e.raw!.failures,
  }));

test(
  'two Chromium pages speaking raw protocol v1 connect through parley serve and exchange messages',
  { timeout: 60_000 },
  () =>
    e2e.scenario('raw two pages', async (s) => {
      const alice = await s.openPage('alice', 'raw');
      const bob = await s.openPage('bob', 'raw');
      const name = room('raw');

      const a = await joinRaw(alice, s.wsUrl, name);
      assert.deepEqual(a.peers, [], 'alice is first in the room');
      const b = await joinRaw(bob, s.wsUrl, name);
      assert.deepEqual(b.peers, [a.selfId], 'bob is told alice is there');
      assert.notEqual(a.selfId, b.selfId);

      await openChannels(alice, b.selfId, 'chat and bulk channels to bob to open');
      await openChannels(bob, a.selfId, 'chat and bulk channels to alice to open');

      await alice.evaluate((to) => window.e2e.raw!.send(to, 'chat', 'hello from alice'), b.selfId);
      await bob.evaluate((to) => window.e2e.raw!.send(to, 'chat', 'hello from bob'), a.selfId);
      await alice.evaluate((to) => {
        for (let i = 0; i < 5; i++) window.e2e.raw!.send(to, 'bulk', `a${i}`);
      }, b.selfId);
      await bob.evaluate((to) => {
        for (let i = 0; i < 5; i++) window.e2e.raw!.send(to, 'bulk', `b${i}`);
      }, a.selfId);
      await alice.waitFor('6 messages from bob', () => window.e2e.raw!.received.length === 6);
      await bob.waitFor('6 messages from alice', () => window.e2e.raw!.received.length === 6);

      const atAlice = await received(alice);
      const atBob = await received(bob);
      assert.deepEqual(
        atAlice.filter((m) => m.label === 'chat'),
        [{ from: b.selfId, label: 'chat', data: 'hello from bob' }],
      );
      assert.deepEqual(
        atBob.filter((m) => m.label === 'chat'),
        [{ from: a.selfId, label: 'chat', data: 'hello from alice' }],
      );
      // `bulk` is unordered: every message arrives, in any order.
      const bulk = (ms: typeof atAlice) =>
        ms
          .filter((m) => m.label === 'bulk')
          .map((m) => `${m.from}:${m.data}`)
          .sort();
      assert.deepEqual(
        bulk(atAlice),
        [0, 1, 2, 3, 4].map((i) => `${b.selfId}:b${i}`),
      );
      assert.deepEqual(
        bulk(atBob),
        [0, 1, 2, 3, 4].map((i) => `${a.selfId}:a${i}`),
      );

      // Leaving is announced at once, with its reason.
      await bob.evaluate(() => window.e2e.raw!.close());
      const left = await alice.waitFor(
        'peer-left for bob',
        (id) => window.e2e.raw!.frames.find((f) => f.type === 'peer-left' && f.peerId === id),
        b.selfId,
      );
      assert.equal(left.type === 'peer-left' && left.reason, 'left');

      for (const peer of [alice, bob])
        assert.deepEqual(await health(peer), { protocolErrors: [], failures: [] }, peer.name);
    }),
);

test(
  'a Chromium page and a Node peer (node-datachannel) speaking raw protocol v1 exchange messages',
  { timeout: 60_000 },
  () =>
    e2e.scenario('raw page and node', async (s) => {
      // The Node peer joins first, so the page offers. The other way round, libdatachannel sometimes fails
      // the DTLS handshake ("certificate verify failed") when Chromium's ICE checks arrive before the answer is
      // applied; the raw peer has no recovery (the SDK's is tested in peers.test.ts).
      const name = room('raw-node');
      const node = rawNodePeer();
      s.defer(() => node.close());
      s.watch('node', () => node.describe());
      const first = await node.join(s.wsUrl, name);
      assert.deepEqual(first.peers, []);

      const page = await s.openPage('page', 'raw');
      const p = await joinRaw(page, s.wsUrl, name);
      assert.deepEqual(p.peers, [node.selfId], 'the page finds the Node peer in the room');

      await waitUntil(() => node.openChannels(p.selfId).length === 2, {
        what: 'the Node peer to open chat and bulk to the page',
        describe: () => node.describe(),
      });
      await openChannels(page, node.selfId, 'chat and bulk channels to the Node peer to open');

      node.send(p.selfId, 'chat', 'hello from node');
      node.send(p.selfId, 'bulk', 'bulk from node');
      await page.evaluate((to) => {
        window.e2e.raw!.send(to, 'chat', 'hello from chromium');
        window.e2e.raw!.send(to, 'bulk', 'bulk from chromium');
      }, node.selfId);

      await page.waitFor('2 messages from the Node peer', () => window.e2e.raw!.received.length === 2);
      await waitUntil(() => node.received.length === 2, {
        what: '2 messages at the Node peer',
        describe: () => node.describe(),
      });
      const sortByLabel = <T extends { label: string }>(ms: T[]) =>
        [...ms].sort((x, y) => x.label.localeCompare(y.label));
      assert.deepEqual(sortByLabel(await received(page)), [
        { from: node.selfId, label: 'bulk', data: 'bulk from node' },
        { from: node.selfId, label: 'chat', data: 'hello from node' },
      ]);
      assert.deepEqual(sortByLabel(node.received), [
        { from: p.selfId, label: 'bulk', data: 'bulk from chromium' },
        { from: p.selfId, label: 'chat', data: 'hello from chromium' },
      ]);
      assert.deepEqual(await health(page), { protocolErrors: [], failures: [] });
      assert.deepEqual(
        { protocolErrors: node.protocolErrors, failures: node.failures },
        { protocolErrors: [], failures: [] },
      );
    }),
);
