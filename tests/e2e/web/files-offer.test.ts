/**
 * An offer in the web app asks first, page to page in Chromium: the Files panel's prompt lists who offers
 * which files (five, then "and N more"); Decline gives the sender's row FILE_DECLINED and leaves nothing
 * on the receiver (no row, nothing staged); five offers at once leave three prompts and two declined
 * without asking; some files only go straight into a picked folder. The screenshots in docs/web.md
 * ("An offer asks first") are this test's files-offer-prompt.png and files-offer-declined.png.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { acceptOffer, type ChromiumWebPage, filesPair, shot, waitIn, webE2EForFile } from './harness.js';

const web = webE2EForFile();

/** What the Origin Private File System of `p`'s origin holds under the staging folder (but its probe). */
function stagedKeys(p: ChromiumWebPage): Promise<string[]> {
  return p.page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle('parley-files', { create: true });
    const out: string[] = [];
    // @ts-expect-error: keys() of a directory handle is not in TypeScript's DOM typing yet
    for await (const name of dir.keys()) if (name !== '.probe') out.push(name);
    return out;
  });
}

test(
  'an offer asks first: the prompt lists the files, Decline tells the sender, waiting offers are bounded',
  { timeout: 120_000 },
  () =>
    web.current.scenario('files offer prompt', async (s) => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-offer-'));
      try {
        const { alice, bob } = await filesPair(s, 'offer');

        // A folder of 8 files: the prompt says who, how many, how much, and lists 5 then "and 3 more".
        const tree = join(dir, 'holiday');
        mkdirSync(join(tree, 'day 2'), { recursive: true });
        const names = [
          'holiday/notes.txt',
          'holiday/beach.jpg',
          'holiday/hotel.pdf',
          'holiday/day 2/boat.jpg',
          'holiday/day 2/market.jpg',
          'holiday/day 2/street.mp4',
          'holiday/day 2/map.png',
          'holiday/day 2/tickets.pdf',
        ];
        for (const [i, name] of names.entries())
          writeFileSync(join(dir, name), randomBytes(20_000 * (i + 1)));
        await alice.page.getByTestId('folder-input').setInputFiles(tree);
        const prompt = await waitIn(
          bob,
          'the offer prompt',
          () => {
            const o = document.querySelector<HTMLElement>('[data-testid=offer]');
            return (
              o && {
                peer: o.dataset.peer,
                head: o.querySelector('.offer-head')?.textContent,
                shown: o.querySelectorAll('[data-testid=offer-file]').length,
                more: o.querySelector('[data-testid=offer-more]')?.textContent,
                buttons: [...o.querySelectorAll('button')].map((b) => b.textContent),
              }
            );
          },
          null,
          30_000,
        );
        assert.equal(prompt.peer, 'Alice');
        assert.equal(prompt.head, 'Alice offers 8 files, 703 KiB in all:');
        assert.equal(prompt.shown, 5);
        assert.equal(prompt.more, 'and 3 more');
        assert.deepEqual(prompt.buttons, ['and 3 more', 'Accept', 'Save into folder…', 'Decline']);
        // Nothing moves before an answer: the sender's row waits.
        assert.equal(
          await alice.page.locator('[data-testid=transfer][data-direction=send]').getAttribute('data-status'),
          'offered',
        );
        await shot(bob, 'files-offer-prompt');
        await bob.page.getByTestId('offer-more').click();
        assert.equal(await bob.page.getByTestId('offer-file').count(), 8, 'all 8 once expanded');

        // Decline: the sender's row says so (FILE_DECLINED), the receiver keeps nothing.
        await bob.page.getByTestId('offer-decline').click();
        const declined = await waitIn(
          alice,
          'the offer declined',
          () => {
            const row = document.querySelector<HTMLElement>('[data-testid=transfer][data-direction=send]');
            return row?.dataset.status === 'declined' && { code: row.dataset.code, text: row.textContent };
          },
          null,
        );
        assert.equal(declined.code, 'FILE_DECLINED');
        assert.match(declined.text ?? '', /Declined by Bob: nothing was sent/);
        await shot(alice, 'files-offer-declined');
        assert.equal(await bob.page.getByTestId('offer').count(), 0, 'the prompt is gone');
        assert.equal(await bob.page.getByTestId('transfer').count(), 0, 'no row on the receiver');
        assert.deepEqual(await stagedKeys(bob), [], 'nothing staged on the receiver');

        // Five offers at once: three wait for an answer, the other two are declined without asking.
        for (let i = 1; i <= 5; i++)
          await alice.page
            .getByTestId('file-input')
            .setInputFiles({ name: `flood-${i}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`${i}\n`) });
        await waitIn(
          alice,
          'two offers declined',
          () =>
            document.querySelectorAll('[data-testid=transfer][data-direction=send][data-status=declined]')
              .length === 3,
          null,
          30_000,
        );
        assert.equal(await bob.page.getByTestId('offer').count(), 3, 'three prompts');
        assert.equal(
          await bob.page.getByTestId('offers-auto-declined').textContent(),
          '2 more offers from Alice were declined without asking: at most 3 offers from one person wait for an answer.',
        );
        // Accepting one of them still works.
        await acceptOffer(bob);
        await waitIn(
          bob,
          'the accepted one verified',
          () => document.querySelector('[data-testid=transfer][data-direction=receive][data-status=done]'),
          null,
          30_000,
        );
        assert.equal(await bob.page.getByTestId('offer').count(), 2, 'two prompts left');
        for (let i = 0; i < 2; i++) await bob.page.getByTestId('offer-decline').first().click();

        // Some files only, straight into a picked folder: three files offered, one unticked, Save into
        // folder… (the picker answered by a folder of the page's own private file system, which
        // Chromium writes the same way), and only the two ticked ones land there, verified.
        await bob.page.evaluate(() => {
          Object.assign(window, {
            showDirectoryPicker: async () =>
              (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true }),
          });
        });
        const three = new Map([
          ['x.txt', Buffer.from('x\n')],
          ['y.txt', Buffer.from('y\n')],
          ['z.txt', Buffer.from('z\n')],
        ]);
        await alice.page
          .getByTestId('file-input')
          .setInputFiles([...three].map(([name, buffer]) => ({ name, mimeType: 'text/plain', buffer })));
        const offer = bob.page.getByTestId('offer');
        await offer.locator('[data-testid=offer-file][data-path="y.txt"] input').uncheck();
        assert.equal(await offer.getByTestId('offer-chosen').textContent(), '2 of 3 chosen, 4 B');
        await offer.getByTestId('offer-folder').click();
        await waitIn(
          bob,
          'the two files written into the folder',
          () =>
            document.querySelector(
              '[data-testid=transfer][data-direction=receive][data-status=done] [data-testid=in-folder]',
            ),
          null,
          30_000,
        );
        const picked = await bob.page.evaluate(async () => {
          const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked');
          const out: [string, string][] = [];
          // @ts-expect-error: entries() of a directory handle is not in TypeScript's DOM typing yet
          for await (const [name, h] of dir.entries()) out.push([name, await (await h.getFile()).text()]);
          return out.sort();
        });
        assert.deepEqual(picked, [
          ['x.txt', 'x\n'],
          ['z.txt', 'z\n'],
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
);
