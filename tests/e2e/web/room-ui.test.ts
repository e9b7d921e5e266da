/**
 * The room's UI at 1280×720 with two people: the empty-room notice in view, the files button off (and why)
 * when alone, microphone and camera buttons that show their state, whole video frames in a two-person
 * layout, received files that stay announced until saved or dismissed, a transfer paused and resumed by
 * the receiver and cancelled by the sender, and a Leave that runs once (no "closed AudioContext" error).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  acceptOffer,
  joinCall,
  shot,
  type WebPage,
  waitFramesRising,
  waitIn,
  waitRemotes,
  webE2EForFile,
} from './harness.js';

const web = webE2EForFile();
const viewport = { width: 1280, height: 720 };

/** The smallest share of its video frame that any tile's <video> shows (1: whole frames everywhere). */
function shownFraction(p: WebPage): Promise<number> {
  return p.driver.evaluate(() => {
    const shares = [...document.querySelectorAll<HTMLVideoElement>('.tile video')]
      .filter((v) => v.videoWidth > 0)
      .map((v) => {
        const box = v.getBoundingClientRect();
        const fit = getComputedStyle(v).objectFit;
        const sx = box.width / v.videoWidth;
        const sy = box.height / v.videoHeight;
        const scale = fit === 'cover' ? Math.max(sx, sy) : fit === 'contain' ? Math.min(sx, sy) : 0;
        if (!scale) return 1; // fill: stretched, nothing cut
        return (
          Math.min(1, box.width / (v.videoWidth * scale)) * Math.min(1, box.height / (v.videoHeight * scale))
        );
      });
    return shares.length ? Math.min(...shares) : 0;
  }, undefined);
}

function fileCount(p: WebPage): Promise<string | undefined> {
  return p.driver.evaluate(
    () => document.querySelector('[data-testid=files-count]')?.textContent ?? undefined,
    undefined,
  );
}

test(
  'the room UI: empty room, device buttons, whole frames, received files, pause and cancel, one leave',
  {
    timeout: 240_000,
  },
  () =>
    web.current.scenario('room ui', async (s) => {
      const room = `ui-${Date.now().toString(36)}`;
      const alice = await s.open('alice', `/#/r/${room}`, viewport);
      await joinCall(alice, 'Alice');

      // Alone: the notice is on screen without scrolling.
      const alone = alice.page.getByTestId('alone');
      await alone.waitFor();
      assert.match((await alone.textContent()) ?? '', /Nobody else is here yet/);
      const layout = await alice.page.evaluate(() => {
        const r = document.querySelector('[data-testid=alone]')?.getBoundingClientRect();
        const stage = document.querySelector('.stage');
        return {
          top: r?.top ?? -1,
          bottom: r?.bottom ?? Number.POSITIVE_INFINITY,
          height: innerHeight,
          stageScrolls: !!stage && stage.scrollHeight > stage.clientHeight + 1,
          pageScrolls: document.documentElement.scrollHeight > innerHeight + 1,
        };
      });
      assert.ok(
        layout.top >= 0 && layout.bottom <= layout.height,
        `the notice is in view: ${JSON.stringify(layout)}`,
      );
      assert.equal(layout.stageScrolls, false, 'the stage does not scroll');
      assert.equal(layout.pageScrolls, false, 'the page does not scroll');

      // Alone: "Choose files…" is disabled, and says why.
      await alice.page.getByTestId('files-toggle').click();
      const pick = alice.page.getByTestId('file-pick');
      assert.equal(await pick.isDisabled(), true, 'Choose files is disabled when alone');
      assert.equal(await pick.getAttribute('aria-describedby'), 'files-alone');
      assert.match(
        (await alice.page.getByTestId('files-alone').textContent()) ?? '',
        /Nobody else is in the room/,
      );
      await alice.page.getByTestId('files-toggle').click();

      // Microphone and camera: aria-pressed, the icon and the colour follow the state; the tooltip says the action.
      const device = (id: string) =>
        alice.page.evaluate((testId) => {
          const b = document.querySelector<HTMLElement>(`[data-testid=${testId}]`);
          return {
            pressed: b?.getAttribute('aria-pressed'),
            name: b?.textContent?.trim(),
            title: b?.title,
            crossed: !!b?.querySelector('svg[data-off]'),
            background: b ? getComputedStyle(b).backgroundColor : '',
          };
        }, id);
      /** Clicks the button and waits until its aria-pressed says `pressed`. */
      const toggle = async (id: string, pressed: 'true' | 'false') => {
        await alice.page.getByTestId(id).click();
        await waitIn(
          alice,
          `${id} aria-pressed=${pressed}`,
          ([t, want]) => document.querySelector(`[data-testid=${t}]`)?.getAttribute('aria-pressed') === want,
          [id, pressed],
        );
      };
      for (const [id, name, offTitle] of [
        ['camera', 'Camera', /Camera off: click to turn it on/],
        ['mute', 'Microphone', /Muted: click to unmute/],
      ] as const) {
        const on = await device(id);
        assert.deepEqual(
          { pressed: on.pressed, name: on.name, crossed: on.crossed },
          { pressed: 'true', name, crossed: false },
        );
        assert.doesNotMatch(on.title ?? '', offTitle);
        await toggle(id, 'false');
        const off = await device(id);
        assert.deepEqual(
          { name: off.name, crossed: off.crossed },
          { name, crossed: true },
          `${id} off: crossed-out icon`,
        );
        assert.match(off.title ?? '', offTitle);
        assert.notEqual(off.background, on.background, `${id} off is drawn differently from on`);
        await toggle(id, 'true');
      }

      const bob = await s.open('bob', `/#/r/${room}`, viewport);
      await joinCall(bob, 'Bob');
      await waitRemotes(alice, ['Bob']);
      await waitRemotes(bob, ['Alice']);
      await waitFramesRising(bob);
      await waitFramesRising(alice);
      assert.equal(await alice.page.getByTestId('alone').count(), 0, 'the notice goes when someone comes');

      // Two people: every tile shows at least 90 % of its frame, with and without a side panel.
      await waitIn(
        bob,
        'both videos playing',
        () =>
          [...document.querySelectorAll<HTMLVideoElement>('.tile video')].filter((v) => v.videoWidth > 0)
            .length === 2,
        null,
      );
      assert.ok(
        (await shownFraction(bob)) >= 0.9,
        `two-person layout shows ${await shownFraction(bob)} of a frame`,
      );
      await bob.page.getByTestId('chat-toggle').click();
      await bob.page.locator('.panel').waitFor();
      assert.ok(
        (await shownFraction(bob)) >= 0.9,
        `with a panel it shows ${await shownFraction(bob)} of a frame`,
      );
      await bob.page.getByTestId('chat-toggle').click();

      // Files from Alice while Bob's Files panel is closed: counted and announced until saved or dismissed.
      await alice.page.getByTestId('files-toggle').click();
      assert.equal(
        await alice.page.getByTestId('file-pick').isDisabled(),
        false,
        'Choose files is enabled with someone to send to',
      );
      assert.equal(await alice.page.getByTestId('files-alone').count(), 0);
      await alice.page.getByTestId('file-input').setInputFiles([
        { name: 'one.txt', mimeType: 'text/plain', buffer: Buffer.from('one\n') },
        { name: 'two.txt', mimeType: 'text/plain', buffer: Buffer.from('two\n') },
      ]);
      // The offer is announced while the panel is closed; Bob opens the panel, accepts, and closes it.
      await waitIn(
        bob,
        'the offer announced',
        () =>
          document
            .querySelector('[data-testid=offers-waiting]')
            ?.textContent?.includes('Alice offers 2 files'),
        null,
      );
      await bob.page.getByTestId('offers-waiting').getByRole('button', { name: 'Show' }).click();
      await acceptOffer(bob);
      await bob.page.getByTestId('files-toggle').click();
      await waitIn(
        alice,
        'both delivered',
        () =>
          document
            .querySelector('[data-testid=transfer][data-direction=send][data-status=done]')
            ?.textContent?.includes('2 files'),
        null,
        30_000,
      );
      await waitIn(
        bob,
        'the files announced',
        () =>
          document
            .querySelector('[data-testid=files-waiting]')
            ?.textContent?.includes('2 received files are ready to save'),
        null,
      );
      await bob.page.waitForTimeout(1500);
      assert.equal(await fileCount(bob), '2', 'the badge stays after the files are done');
      await shot(bob, 'room-ui-files-waiting');
      await bob.page.getByRole('button', { name: 'Show' }).click();
      const saveOne = bob.page
        .locator('[data-testid=received-file][data-path="one.txt"]')
        .getByTestId('save');
      const [download] = await Promise.all([bob.page.waitForEvent('download'), saveOne.click()]);
      assert.equal(download.suggestedFilename(), 'one.txt');
      await waitIn(
        bob,
        'one file left to save',
        () => document.querySelector('[data-testid=files-count]')?.textContent === '1',
        null,
      );
      await bob.page
        .locator('[data-testid=received-file][data-path="two.txt"]')
        .getByTestId('dismiss')
        .click();
      await waitIn(
        bob,
        'no file left to save',
        () => !document.querySelector('[data-testid=files-count]'),
        null,
      );
      await bob.page.getByTestId('files-toggle').click();
      assert.equal(await bob.page.getByTestId('files-waiting').count(), 0, 'nothing announced any more');

      // A big file: pause and resume on the receiver, then a cancel on the sender cancels both rows.
      const dir = mkdtempSync(join(tmpdir(), 'parley-ui-'));
      try {
        const big = join(dir, 'big.bin');
        writeFileSync(big, Buffer.alloc(200 * 1024 * 1024, 7));
        await bob.page.getByTestId('files-toggle').click();
        await alice.page.getByTestId('file-input').setInputFiles(big);
        await acceptOffer(bob);
        const row = (p: WebPage, direction: string) =>
          p.driver.evaluate(
            (d) =>
              document.querySelector<HTMLElement>(`[data-testid=transfer][data-direction=${d}]`)?.dataset,
            direction,
          );
        await waitIn(
          bob,
          'big.bin under way',
          () =>
            Number(
              document.querySelector<HTMLElement>('[data-testid=transfer][data-status=running]')?.dataset
                .bytes,
            ) > 0,
          null,
          30_000,
        );
        await bob.page.getByTestId('pause').click();
        await waitIn(
          bob,
          'paused',
          () => document.querySelector('[data-testid=transfer][data-status=paused]'),
          null,
        );
        const paused = Number((await row(bob, 'receive'))?.bytes);
        await bob.page.waitForTimeout(1500);
        const still = Number((await row(bob, 'receive'))?.bytes);
        assert.ok(still - paused <= 16 * 1024 * 1024, `paused: ${paused} then ${still} bytes`);
        await shot(bob, 'room-ui-files-paused');
        await bob.page.getByTestId('resume').click();
        await waitIn(
          bob,
          'moving again',
          (n) =>
            Number(
              document.querySelector<HTMLElement>('[data-testid=transfer][data-status=running]')?.dataset
                .bytes,
            ) > n,
          still,
          30_000,
        );
        // The sender pauses too, and once what was queued has landed on the receiver (its count holds for
        // 2 s), cancelling on the sender cancels the receiver's row too. (With blocks still queued on the
        // receiver, the channel's close can overtake the queued cancel: the row then says the channel
        // closed. The engine's to fix.)
        const sent = alice.page.locator('[data-testid=transfer]', { hasText: 'big.bin' });
        await sent.getByTestId('pause').click();
        await waitIn(
          alice,
          'the sender paused',
          () => !!document.querySelector('[data-testid=transfer][data-direction=send][data-status=paused]'),
          null,
        );
        for (let same = 0, last = -1; same < 4; ) {
          await bob.page.waitForTimeout(500);
          const now = Number((await row(bob, 'receive'))?.bytes);
          same = now === last ? same + 1 : 0;
          last = now;
        }
        await alice.page
          .locator('[data-testid=transfer]', { hasText: 'big.bin' })
          .getByRole('button', { name: 'Cancel' })
          .click();
        await waitIn(
          bob,
          'the row cancelled',
          () =>
            document
              .querySelector('[data-testid=transfer][data-direction=receive][data-status=cancelled]')
              ?.textContent?.includes('big.bin'),
          null,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }

      // Leave runs once: no "Cannot close a closed AudioContext", no page error.
      const errors: string[] = [];
      bob.page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
      const from = bob.console.length;
      await bob.page.getByRole('button', { name: 'Leave' }).click();
      await bob.page.getByRole('heading', { name: /You left/ }).waitFor();
      await waitRemotes(alice, []);
      await bob.page.waitForTimeout(1000);
      const logged = [...bob.console.slice(from), ...errors];
      assert.deepEqual(
        logged.filter((l) => /closed AudioContext|pageerror|Error/.test(l)),
        [],
        'nothing goes wrong on Leave',
      );
    }),
);
