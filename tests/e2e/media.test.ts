/**
 * Media through the SDK between Chromium pages: the fake camera and microphone
 * (--use-fake-device-for-media-stream) go both ways and the video plays at the other end.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type E2E, type PeerPage, startE2E } from './harness/e2e.js';

let e2e: E2E;
before(async () => {
  e2e = await startE2E();
});
after(async () => {
  await e2e?.close();
});

const join = (peer: PeerPage, url: string, room: string) =>
  peer.evaluate(({ url, room }) => window.e2e.sdk!.join(url, room), { url, room });

const waitOpen = (peer: PeerPage, to: string) =>
  peer.waitFor(`the channel to ${to} to open`, (to) => window.e2e.sdk!.isOpen(to), to);

test(
  'two Chromium pages send each other camera and microphone, and each plays the video it receives',
  { timeout: 60_000 },
  () =>
    e2e.scenario('media both ways', async (s) => {
      const alice = await s.openPage('alice', 'sdk');
      const bob = await s.openPage('bob', 'sdk');
      const room = `media-${Date.now().toString(36)}`;
      const a = await join(alice, s.wsUrl, room);
      const b = await join(bob, s.wsUrl, room);
      await waitOpen(alice, b.selfId);
      await waitOpen(bob, a.selfId);

      const sent = await alice.evaluate((to) => window.e2e.media!.sendCamera(to), b.selfId);
      assert.deepEqual([...sent].sort(), ['audio', 'video']);
      await bob.evaluate((to) => window.e2e.media!.sendCamera(to), a.selfId);

      for (const [peer, from] of [
        [bob, a.selfId],
        [alice, b.selfId],
      ] as const) {
        const kinds = await peer.waitFor(
          `audio and video tracks from ${from}`,
          (from) => {
            const kinds = [...window.e2e.media!.received(from)].sort();
            return kinds.length === 2 && kinds;
          },
          from,
        );
        assert.deepEqual(kinds, ['audio', 'video']);
        const video = await peer.waitFor(
          `video frames from ${from} to play`,
          (from) => {
            const v = window.e2e.media!.video(from);
            return v.frames >= 5 && v.width > 0 && v;
          },
          from,
          15_000,
        );
        assert.ok(video.height > 0, `${peer.name} shows a ${video.width}x${video.height} picture`);
      }
      // Adding media renegotiated the connection; the data channel is still there.
      await alice.evaluate((to) => window.e2e.sdk!.send(to, 'still here'), b.selfId);
      await bob.waitFor('a message after the renegotiation', () =>
        window.e2e.sdk!.messages.some((m) => m.data === 'still here'),
      );
    }),
);
