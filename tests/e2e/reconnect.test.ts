/**
 * Chromium pages that lose their signaling connection (resume: same id) or reload (rejoin: new id), with a
 * short resume window so that a reloaded page's old session times out within the test.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type E2E, type PeerPage, startE2E } from './harness/e2e.js';
import { startTcpProxy } from './harness/tcp-proxy.js';

const RESUME_WINDOW_S = 3;

let e2e: E2E;
before(async () => {
  e2e = await startE2E({ serveArgs: ['--resume-window', String(RESUME_WINDOW_S)] });
});
after(async () => {
  await e2e?.close();
});

const roomName = (tag: string) => `${tag}-${Date.now().toString(36)}`;

const join = (peer: PeerPage, url: string, room: string) =>
  peer.evaluate(
    ({ url, room }) => window.e2e.sdk!.join(url, room, { reconnect: { minDelayMs: 100, maxDelayMs: 400 } }),
    { url, room },
  );

const waitOpen = (peer: PeerPage, to: string) =>
  peer.waitFor(`the channel to ${to} to open`, (to) => window.e2e.sdk!.isOpen(to), to);

/** Sends `text` from `from` to `to` over the data channel and waits until it arrives. */
async function roundTrip(from: PeerPage, fromId: string, to: PeerPage, toId: string, text: string) {
  await from.evaluate(({ to, text }) => window.e2e.sdk!.send(to, text), { to: toId, text });
  await to.waitFor(
    `"${text}" from ${fromId}`,
    ({ from, text }) => window.e2e.sdk!.messages.some((m) => m.from === from && m.data === text),
    { from: fromId, text },
  );
}

const events = (peer: PeerPage) => peer.evaluate(() => window.e2e.sdk!.events);

test(
  'a page whose signaling connection drops resumes with the same id and gets what it missed',
  { timeout: 60_000 },
  () =>
    e2e.scenario('resume after drop', async (s) => {
      const proxy = await startTcpProxy(s.wsUrl);
      s.defer(() => proxy.close());
      const alice = await s.openPage('alice', 'sdk');
      const bob = await s.openPage('bob', 'sdk');
      const room = roomName('resume');
      const a = await join(alice, s.wsUrl, room);
      const b = await join(bob, proxy.wsUrl, room);
      await waitOpen(alice, b.selfId);
      await waitOpen(bob, a.selfId);

      // Bob's signaling connection dies and cannot come back for a moment.
      proxy.refuse(true);
      proxy.cut();
      await bob.waitFor('the room to notice the drop', () =>
        window.e2e.sdk!.events.includes('room reconnecting'),
      );
      // Meanwhile: the data channel does not need the server, and the server keeps what bob misses.
      await roundTrip(alice, a.selfId, bob, b.selfId, 'p2p during the drop');
      await alice.evaluate((to) => window.e2e.sdk!.room!.sendTo(to, 'relayed during the drop'), b.selfId);

      proxy.refuse(false);
      await bob.waitFor('the room to be connected again', () => window.e2e.sdk!.room!.state === 'connected');
      const relayed = await bob.waitFor(
        'the message relayed during the drop',
        () => window.e2e.sdk!.relayed[0],
      );
      assert.deepEqual(relayed, { from: a.selfId, data: 'relayed during the drop' });
      assert.equal(await bob.evaluate(() => window.e2e.sdk!.room!.selfId), b.selfId, 'bob keeps his id');
      assert.ok(proxy.accepted >= 2, 'bob connected again through the proxy');
      assert.deepEqual(
        (await events(bob)).filter((e) => e.startsWith('rejoined')),
        [],
        'resumed, not joined again',
      );
      await roundTrip(bob, b.selfId, alice, a.selfId, 'p2p after the resume');
      assert.deepEqual(
        (await events(alice)).filter((e) => e.startsWith('peer-left')),
        [],
        'alice never saw bob leave',
      );
    }),
);

test(
  'a page that reloads joins again with a new id and reconnects to the other page',
  { timeout: 60_000 },
  () =>
    e2e.scenario('reload rejoins', async (s) => {
      const alice = await s.openPage('alice', 'sdk');
      const bob = await s.openPage('bob', 'sdk');
      const room = roomName('reload');
      const a = await join(alice, s.wsUrl, room);
      const b1 = await join(bob, s.wsUrl, room);
      await waitOpen(alice, b1.selfId);
      await roundTrip(alice, a.selfId, bob, b1.selfId, 'before the reload');

      await bob.reload();
      const b2 = await join(bob, s.wsUrl, room);
      assert.notEqual(b2.selfId, b1.selfId, 'a reloaded page is a new peer');
      assert.ok(b2.peers.includes(a.selfId), 'the reloaded page finds alice');
      await waitOpen(alice, b2.selfId);
      await waitOpen(bob, a.selfId);
      await roundTrip(alice, a.selfId, bob, b2.selfId, 'after the reload');
      await roundTrip(bob, b2.selfId, alice, a.selfId, 'back from the reloaded page');

      // The old page never said goodbye: its session lapses when the resume window ends.
      await alice.waitFor(
        'the old session of bob to time out',
        (id) => window.e2e.sdk!.events.includes(`peer-left ${id} timeout`),
        b1.selfId,
        (RESUME_WINDOW_S + 5) * 1000,
      );
      assert.deepEqual(
        await alice.evaluate(() => [...window.e2e.sdk!.room!.peers.keys()]),
        [b2.selfId],
        'only the reloaded bob is left',
      );
    }),
);
