/**
 * Peers built on the SDK, in real Chromium and in Node, connecting through the real `parley serve`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type E2E, type PeerPage, startE2E } from './harness/e2e.js';
import { sdkNodePeer, stopNodeDataChannel } from './harness/node-peer.js';
import { errors, join, messages, roomName, waitOpen } from './harness/sdk-steps.js';
import { waitUntil } from './harness/wait.js';

let e2e: E2E;
before(async () => {
  e2e = await startE2E();
});
after(async () => {
  await e2e?.close();
  stopNodeDataChannel();
});

const metadataOf = (peer: PeerPage, id: string) =>
  peer.evaluate((id) => window.e2e.sdk!.room!.peers.get(id)?.metadata, id);

const sortedData = (ms: { data: string }[]) => ms.map((m) => m.data).sort();

test(
  'two Chromium pages connect through parley serve and exchange messages both ways',
  { timeout: 60_000 },
  () =>
    e2e.scenario('sdk two pages', async (s) => {
      const alice = await s.openPage('alice', 'sdk');
      const bob = await s.openPage('bob', 'sdk');
      const room = roomName('pages');

      const a = await join(alice, s.wsUrl, room);
      assert.deepEqual(a.peers, []);
      const b = await join(bob, s.wsUrl, room);
      assert.deepEqual(b.peers, [a.selfId], 'bob finds alice in the room');
      await alice.waitFor(
        'peer-joined for bob',
        (id) => window.e2e.sdk!.events.includes(`peer-joined ${id}`),
        b.selfId,
      );
      assert.deepEqual(await metadataOf(alice, b.selfId), { name: 'bob' }, 'alice sees what bob announced');
      assert.deepEqual(await metadataOf(bob, a.selfId), { name: 'alice' }, 'bob sees what alice announced');

      await waitOpen(alice, b.selfId);
      await waitOpen(bob, a.selfId);
      await alice.evaluate((to) => {
        window.e2e.sdk!.send(to, 'hello bob');
        window.e2e.sdk!.send(to, 'second to bob');
        window.e2e.sdk!.sendBytes(to, [0, 1, 2, 255]);
      }, b.selfId);
      await bob.evaluate((to) => window.e2e.sdk!.send(to, 'hello alice'), a.selfId);
      await bob.waitFor('3 messages from alice', () => window.e2e.sdk!.messages.length >= 3);
      await alice.waitFor('1 message from bob', () => window.e2e.sdk!.messages.length >= 1);
      assert.deepEqual(await messages(bob), [
        { from: a.selfId, label: 'parley', data: 'hello bob' },
        { from: a.selfId, label: 'parley', data: 'second to bob' },
        { from: a.selfId, label: 'parley', data: 'bytes:0,1,2,255' },
      ]);
      assert.deepEqual(await messages(alice), [{ from: b.selfId, label: 'parley', data: 'hello alice' }]);

      // A named unordered channel, created by alice, appears on bob's side with the same options.
      await alice.evaluate((to) => window.e2e.sdk!.openChannel(to, 'bulk', { ordered: false }), b.selfId);
      await waitOpen(alice, b.selfId, 'bulk');
      await waitOpen(bob, a.selfId, 'bulk');
      assert.equal(
        (await bob.evaluate((from) => window.e2e.sdk!.channelOptions(from, 'bulk'), a.selfId))?.ordered,
        false,
      );
      const numbered = (prefix: string) => Array.from({ length: 10 }, (_, i) => `${prefix}${i}`);
      await alice.evaluate(({ to, data }) => window.e2e.sdk!.sendOn(to, 'bulk', ...data), {
        to: b.selfId,
        data: numbered('a'),
      });
      await bob.evaluate(({ to, data }) => window.e2e.sdk!.sendOn(to, 'bulk', ...data), {
        to: a.selfId,
        data: numbered('b'),
      });
      const onBulk = (peer: PeerPage) =>
        peer.evaluate(() => window.e2e.sdk!.messages.filter((m) => m.label === 'bulk'));
      await bob.waitFor(
        '10 bulk messages',
        () => window.e2e.sdk!.messages.filter((m) => m.label === 'bulk').length >= 10,
      );
      await alice.waitFor(
        '10 bulk messages',
        () => window.e2e.sdk!.messages.filter((m) => m.label === 'bulk').length >= 10,
      );
      assert.deepEqual(sortedData(await onBulk(bob)), numbered('a').sort());
      assert.deepEqual(sortedData(await onBulk(alice)), numbered('b').sort());

      // App messages relayed by the server reach the other page, stamped with the sender's id.
      await alice.evaluate(() => window.e2e.sdk!.room!.broadcast({ via: 'server' }));
      const relayed = await bob.waitFor('a relayed message', () => window.e2e.sdk!.relayed[0]);
      assert.deepEqual(relayed, { from: a.selfId, data: { via: 'server' } });

      // Leaving is announced at once.
      await bob.evaluate(() => window.e2e.sdk!.leave());
      await alice.waitFor(
        'peer-left for bob',
        (id) => window.e2e.sdk!.events.includes(`peer-left ${id} left`),
        b.selfId,
        5_000,
      );
      assert.equal(await alice.evaluate((id) => window.e2e.sdk!.room!.peers.has(id), b.selfId), false);
      assert.deepEqual(await errors(alice), []);
      assert.deepEqual(await errors(bob), []);
    }),
);

test(
  'three Chromium pages in one room form a full mesh and each hears from the other two',
  { timeout: 60_000 },
  () =>
    e2e.scenario('sdk three pages', async (s) => {
      const room = roomName('mesh');
      const pages = [
        await s.openPage('p1', 'sdk'),
        await s.openPage('p2', 'sdk'),
        await s.openPage('p3', 'sdk'),
      ];
      const ids: string[] = [];
      for (const page of pages) {
        const joined = await join(page, s.wsUrl, room);
        assert.deepEqual(
          [...joined.peers].sort(),
          [...ids].sort(),
          `${page.name} finds everyone who came before`,
        );
        ids.push(joined.selfId);
      }
      for (const [i, page] of pages.entries()) {
        for (const id of ids.filter((_, j) => j !== i)) await waitOpen(page, id);
      }
      for (const [i, page] of pages.entries()) {
        await page.evaluate(
          ({ to, text }) => {
            for (const id of to) window.e2e.sdk!.send(id, text);
          },
          { to: ids.filter((_, j) => j !== i), text: `from ${page.name}` },
        );
      }
      for (const [i, page] of pages.entries()) {
        await page.waitFor('a message from each other page', () => window.e2e.sdk!.messages.length >= 2);
        const got = (await messages(page)).map((m) => `${m.from}:${m.data}`).sort();
        const expected = pages
          .flatMap((other, j) => (j === i ? [] : [`${ids[j]}:from ${other.name}`]))
          .sort();
        assert.deepEqual(got, expected, `${page.name} heard from the other two`);
        assert.deepEqual(await errors(page), []);
      }
    }),
);

test(
  'a Chromium page and a Node peer (node-datachannel) connect and exchange messages',
  { timeout: 60_000 },
  () =>
    e2e.scenario('sdk page and node', async (s) => {
      // The Node peer is there first, so the page offers (the other way round is the next test).
      const room = roomName('node');
      const node = sdkNodePeer();
      s.defer(() => node.leave());
      s.watch('node', () => node.describe());
      const n = await node.join(s.wsUrl, room);
      assert.deepEqual(n.peers, []);
      const page = await s.openPage('page', 'sdk');
      const p = await join(page, s.wsUrl, room);
      assert.deepEqual(p.peers, [n.selfId], 'the page finds the Node peer in the room');
      await waitUntil(() => node.events.includes(`peer-joined ${p.selfId}`), {
        what: 'the Node peer to hear of the page',
        describe: () => node.describe(),
      });

      await waitOpen(page, n.selfId);
      await waitUntil(() => node.isOpen(p.selfId), {
        what: 'the Node peer channel to open',
        describe: () => node.describe(),
      });
      node.send(p.selfId, 'hello from node');
      node.sendBytes(p.selfId, [9, 8, 7]);
      await page.evaluate((to) => window.e2e.sdk!.send(to, 'hello from chromium'), n.selfId);

      // The Node peer opens a named unordered channel; Chromium sees it with the options it was created with.
      // (Asked the other way round, node-datachannel's polyfill reports every incoming channel as ordered.)
      node.openChannel(p.selfId, 'bulk', { ordered: false });
      await waitOpen(page, n.selfId, 'bulk');
      await waitUntil(() => node.isOpen(p.selfId, 'bulk'), {
        what: 'bulk to open at the Node peer',
        describe: () => node.describe(),
      });
      assert.equal(
        (await page.evaluate((from) => window.e2e.sdk!.channelOptions(from, 'bulk'), n.selfId))?.ordered,
        false,
      );
      node.sendOn(p.selfId, 'bulk', 'bulk from node');
      await page.evaluate((to) => window.e2e.sdk!.sendOn(to, 'bulk', 'bulk from chromium'), n.selfId);

      await page.waitFor('3 messages from the Node peer', () => window.e2e.sdk!.messages.length >= 3);
      await waitUntil(() => node.messages.length >= 2, {
        what: '2 messages at the Node peer',
        describe: () => node.describe(),
      });
      const byLabelThenData = <T extends { label: string; data: string }>(ms: T[]) =>
        [...ms].sort((x, y) => x.label.localeCompare(y.label) || x.data.localeCompare(y.data));
      assert.deepEqual(byLabelThenData(await messages(page)), [
        { from: n.selfId, label: 'bulk', data: 'bulk from node' },
        { from: n.selfId, label: 'parley', data: 'bytes:9,8,7' },
        { from: n.selfId, label: 'parley', data: 'hello from node' },
      ]);
      // Same channel, same order: the default channel is ordered.
      assert.deepEqual(
        (await messages(page)).filter((m) => m.label === 'parley').map((m) => m.data),
        ['hello from node', 'bytes:9,8,7'],
      );
      assert.deepEqual(byLabelThenData(node.messages), [
        { from: p.selfId, label: 'bulk', data: 'bulk from chromium' },
        { from: p.selfId, label: 'parley', data: 'hello from chromium' },
      ]);

      assert.deepEqual(await errors(page), []);
      assert.deepEqual(node.errors, []);

      await node.leave();
      await page.waitFor(
        'peer-left for the Node peer',
        (id) => window.e2e.sdk!.events.includes(`peer-left ${id} left`),
        n.selfId,
        5_000,
      );
    }),
);

test('a Node peer that joins after a page, and so makes the offer, connects to it', { timeout: 60_000 }, () =>
  e2e.scenario('sdk node offers to page', async (s) => {
    const page = await s.openPage('page', 'sdk');
    const room = roomName('node-offers');
    const p = await join(page, s.wsUrl, room);
    const node = sdkNodePeer();
    s.defer(() => node.leave());
    s.watch('node', () => node.describe());
    const n = await node.join(s.wsUrl, room);
    assert.deepEqual(n.peers, [p.selfId], 'the Node peer finds the page in the room');

    // libdatachannel sometimes fails this first DTLS handshake (Chromium's ICE checks arrive before it has
    // applied the answer); the SDK must then recover by itself, so allow time for one rebuild.
    await waitUntil(() => node.isOpen(p.selfId), {
      what: 'the Node peer channel to open',
      timeoutMs: 20_000,
      describe: () => node.describe(),
    });
    await waitOpen(page, n.selfId);
    node.send(p.selfId, 'offered from node');
    await page.evaluate((to) => window.e2e.sdk!.send(to, 'answered from chromium'), n.selfId);
    await page.waitFor('the message from the Node peer', () => window.e2e.sdk!.messages[0]);
    await waitUntil(() => node.messages[0], {
      what: 'the message from the page',
      describe: () => node.describe(),
    });
    assert.deepEqual(await messages(page), [{ from: n.selfId, label: 'parley', data: 'offered from node' }]);
    assert.deepEqual(node.messages, [{ from: p.selfId, label: 'parley', data: 'answered from chromium' }]);
  }),
);

test(
  'a Node peer that leaves sends nothing after its leave, so the server refuses nothing',
  { timeout: 60_000 },
  () =>
    e2e.scenario('sdk node leaves cleanly', async (s) => {
      const room = roomName('leave');
      const node = sdkNodePeer();
      s.defer(() => node.leave());
      s.watch('node', () => node.describe());
      const n = await node.join(s.wsUrl, room);
      const page = await s.openPage('page', 'sdk');
      const p = await join(page, s.wsUrl, room);
      await waitOpen(page, n.selfId);
      await waitUntil(() => node.isOpen(p.selfId), {
        what: 'the Node peer channel to open',
        describe: () => node.describe(),
      });

      // The page closes its connection as soon as it hears of the leave; the leaving side must not answer
      // that by reconnecting (a new offer and candidates the server can only refuse with NOT_IN_ROOM).
      await node.leave();
      assert.equal(node.room?.state, 'closed');
      assert.deepEqual(node.errors, []);
      assert.deepEqual(await errors(page), []);
    }),
);
