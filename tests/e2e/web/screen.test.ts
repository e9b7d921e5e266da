/**
 * Screen sharing in the web app: Chromium's fake capture (auto-selected "Entire screen") replaces the
 * camera on the other side's tile, marked as a screen, with frames decoding; stopping brings the camera back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinCall, shot, tiles, waitFramesRising, waitIn, waitRemotes, webE2EForFile } from './harness.js';

const web = webE2EForFile();

test(
  'a shared screen appears on the other side, and the camera comes back when sharing stops',
  { timeout: 120_000 },
  () =>
    web.current.scenario('screen share', async (s) => {
      const room = `screen-${Date.now().toString(36)}`;
      const alice = await s.open('alice', `/#/r/${room}`);
      await joinCall(alice, 'Alice');
      // Bob is on a phone-sized screen.
      const bob = await s.open('bob', `/#/r/${room}`, { width: 390, height: 844 });
      await bob.page.locator('.preview video').waitFor();
      await shot(bob, 'phone-pre-join');
      await joinCall(bob, 'Bob');
      await waitRemotes(bob, ['Alice']);
      await waitFramesRising(bob);

      await alice.page.getByTestId('screen').click();
      await alice.page.getByRole('button', { name: 'Stop sharing' }).waitFor();
      await waitIn(
        bob,
        "Alice's tile marked as a screen",
        () => document.querySelector('.tile[data-name="Alice"]')?.getAttribute('data-screen') === 'true',
        null,
      );
      const frames = await waitFramesRising(bob);
      assert.ok((frames.Alice ?? 0) > 0);
      const aliceTile = (await tiles(bob)).find((t) => t.name === 'Alice');
      assert.equal(aliceTile?.screen, true);
      // The remote video element shows the screen track (it is playing, not the avatar).
      const playing = await bob.page.evaluate(() => {
        const v = document.querySelector<HTMLVideoElement>('.tile[data-name="Alice"] video');
        return (
          !!v && !v.paused && v.videoWidth > 0 && !document.querySelector('.tile[data-name="Alice"] .avatar')
        );
      });
      assert.ok(playing, 'the screen plays in the tile');
      await shot(bob, 'screen-share');

      await alice.page.getByTestId('screen').click();
      await waitIn(
        bob,
        'the screen mark gone',
        () => document.querySelector('.tile[data-name="Alice"]')?.getAttribute('data-screen') === 'false',
        null,
      );
      await waitFramesRising(bob);
      await bob.page.getByTestId('chat-toggle').click();
      await bob.page.getByLabel('Message', { exact: true }).fill('looks good on a phone');
      await bob.page.getByRole('button', { name: 'Send' }).click();
      await shot(bob, 'phone-room-chat');
    }),
);

test(
  'someone who joined without video can share a screen, and goes back to initials when it stops',
  { timeout: 120_000 },
  () =>
    web.current.scenario('screen share without camera', async (s) => {
      const room = `nocam-${Date.now().toString(36)}`;
      const bob = await s.open('bob', `/#/r/${room}`);
      await joinCall(bob, 'Bob');
      const alice = await s.open('alice', `/#/r/${room}`);
      await joinCall(alice, 'Alice', 'Join without video');
      await waitRemotes(bob, ['Alice']);
      const avatar = () => document.querySelector('.tile[data-name="Alice"] .avatar');
      await waitIn(bob, "Alice's initials (no camera)", avatar, null);

      await alice.page.getByTestId('screen').click();
      await waitIn(
        bob,
        "Alice's screen",
        () => document.querySelector('.tile[data-name="Alice"]')?.getAttribute('data-screen') === 'true',
        null,
      );
      await waitFramesRising(bob);
      await waitIn(
        bob,
        'the screen playing instead of initials',
        () => !document.querySelector('.tile[data-name="Alice"] .avatar'),
        null,
      );

      await alice.page.getByTestId('screen').click();
      await waitIn(bob, "Alice's initials again", avatar, null);
    }),
);
