/**
 * The web app with three participants in one room (Chromium, fake camera and microphone): everyone sees
 * the two others' video decoding, a mute, a chat message and a file with the right SHA-256; a participant
 * who leaves disappears from the others' grids within 2 s. Screenshots of each step go to
 * tests/e2e/artifacts/web/.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  acceptOffer,
  joinCall,
  shot,
  tiles,
  waitFramesRising,
  waitIn,
  waitRemotes,
  webE2EForFile,
} from './harness.js';

const web = webE2EForFile();

test(
  'three participants see each other, a mute, a chat message and a file, and a leave within 2 s',
  { timeout: 240_000 },
  () =>
    web.current.scenario('three participants', async (s) => {
      const alice = await s.open('alice', '/');
      await alice.page.getByRole('heading', { name: 'Parley' }).waitFor();
      await shot(alice, 'home');
      await alice.page.getByRole('button', { name: 'Create a room' }).click();
      await alice.page.getByLabel('Your name').waitFor();
      const room = decodeURIComponent(new URL(alice.page.url()).hash.replace('#/r/', ''));
      assert.match(room, /^[a-z]+-[a-z]+-\d\d$/, 'a readable random room name');
      await alice.page.locator('.preview video').waitFor();
      await shot(alice, 'pre-join');
      await joinCall(alice, 'Alice');

      const bob = await s.open('bob', `/#/r/${room}`);
      await joinCall(bob, 'Bob');
      const carol = await s.open('carol', `/#/r/${room}`);
      await joinCall(carol, 'Carol');

      await waitRemotes(alice, ['Bob', 'Carol']);
      await waitRemotes(bob, ['Alice', 'Carol']);
      await waitRemotes(carol, ['Alice', 'Bob']);
      for (const p of [alice, bob, carol]) {
        const frames = await waitFramesRising(p);
        assert.equal(Object.keys(frames).length, 2, `${p.name} decodes video from two others`);
      }
      await shot(alice, 'room-3-people');

      // A mute on Bob shows on the others' tiles.
      await bob.page.getByTestId('mute').click();
      for (const p of [alice, carol]) {
        await waitIn(
          p,
          'Bob shown as muted',
          () => document.querySelector('.tile[data-name="Bob"]')?.getAttribute('data-muted') === 'true',
          null,
        );
      }

      // Carol's camera going off shows as her initials instead of video; an active speaker gets highlighted
      // (the fake microphone beeps).
      await carol.page.getByTestId('camera').click();
      await waitIn(
        alice,
        "Carol's initials instead of video",
        () => document.querySelector('.tile[data-name="Carol"] .avatar'),
        null,
      );
      await carol.page.getByTestId('camera').click();
      await waitIn(
        alice,
        "Carol's video back",
        () => !document.querySelector('.tile[data-name="Carol"] .avatar'),
        null,
      );
      await waitIn(alice, 'a speaker highlighted', () => document.querySelector('.tile.speaking'), null);

      // A chat message from Alice reaches Bob and Carol, counted as unread until they open the chat.
      await alice.page.getByTestId('chat-toggle').click();
      await alice.page.getByLabel('Message', { exact: true }).fill('hello from Alice');
      await alice.page.getByRole('button', { name: 'Send' }).click();
      for (const p of [bob, carol]) {
        await waitIn(
          p,
          'one unread message',
          () => document.querySelector('[data-testid=unread]')?.textContent === '1',
          null,
        );
        await p.page.getByTestId('chat-toggle').click();
        await waitIn(
          p,
          'the message in the chat',
          () => document.querySelector('.messages')?.textContent?.includes('hello from Alice'),
          null,
        );
      }
      await bob.page.getByLabel('Message', { exact: true }).fill('hi Alice!');
      await bob.page.getByRole('button', { name: 'Send' }).click();
      await waitIn(
        alice,
        "Bob's reply",
        () => document.querySelector('.messages')?.textContent?.includes('hi Alice!'),
        null,
      );
      await shot(bob, 'chat');

      // A file of random bytes from Alice arrives at both others with the same SHA-256.
      const bytes = randomBytes(3 * 1024 * 1024 + 12345);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      await alice.page.getByTestId('files-toggle').click();
      await alice.page
        .getByTestId('file-input')
        .setInputFiles({ name: 'random.bin', mimeType: 'application/octet-stream', buffer: bytes });
      for (const p of [bob, carol]) {
        await p.page.getByTestId('files-toggle').click();
        await acceptOffer(p);
        if (p === bob) {
          await waitIn(
            p,
            'the transfer to start',
            () => document.querySelector('[data-testid=transfer][data-status=running]'),
            null,
            20_000,
          ).catch(() => undefined);
          await shot(bob, 'file-transfer-progress');
        }
        await waitIn(
          p,
          'the file verified',
          () => document.querySelector('[data-testid=transfer][data-direction=receive][data-status=done]'),
          null,
          60_000,
        );
        const got = await p.page.evaluate(async () => {
          const link = document.querySelector<HTMLAnchorElement>(
            '[data-testid=transfer][data-status=done] a[download]',
          );
          if (!link) return undefined;
          const buf = await (await fetch(link.href)).arrayBuffer();
          const hash = [...new Uint8Array(await crypto.subtle.digest('SHA-256', buf))]
            .map((b) => b.toString(16).padStart(2, '0'))
            .join('');
          return { hash, size: buf.byteLength, name: link.download };
        });
        assert.deepEqual(
          got,
          { hash: sha256, size: bytes.length, name: 'random.bin' },
          `${p.name} saves the same bytes`,
        );
      }
      await waitIn(
        alice,
        'both deliveries confirmed',
        () =>
          document.querySelectorAll('[data-testid=transfer][data-direction=send][data-status=done]')
            .length === 2,
        null,
        30_000,
      );
      await shot(bob, 'file-transfer');
      await shot(alice, 'file-transfer-sender');

      // A file for Bob alone reaches Bob and not Carol.
      await alice.page.getByTestId('file-target').selectOption({ label: 'Bob' });
      await alice.page.getByTestId('file-input').setInputFiles({
        name: 'for-bob.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('only for Bob\n'),
      });
      await acceptOffer(bob);
      await waitIn(
        bob,
        'the file for Bob',
        () => document.querySelector('[data-testid=transfer][data-status=done] a[download="for-bob.txt"]'),
        null,
      );
      await waitIn(
        alice,
        'its delivery confirmed',
        () =>
          document.querySelectorAll('[data-testid=transfer][data-direction=send][data-status=done]')
            .length === 3,
        null,
      );
      assert.equal(
        await carol.page.locator('[data-testid=transfer]').count(),
        1,
        'Carol got only the file for everyone',
      );

      // Carol leaves: her tile is gone from the others within 2 s.
      const carolId = (await tiles(carol)).find((t) => t.self)?.id;
      assert.ok(carolId);
      const left = Date.now();
      await carol.page.getByRole('button', { name: 'Leave' }).click();
      for (const p of [alice, bob]) {
        await waitIn(
          p,
          "Carol's tile to go",
          (id) => !document.querySelector(`.tile[data-peer-id="${id}"]`),
          carolId,
          2_000,
        );
      }
      const elapsed = Date.now() - left;
      assert.ok(elapsed < 2_000, `the tile went after ${elapsed} ms`);
      await carol.page.getByRole('heading', { name: /You left/ }).waitFor();
    }),
);
