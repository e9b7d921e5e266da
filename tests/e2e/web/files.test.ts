/**
 * The Files panel on the transfer engine, page to page in Chromium, each offer answered with Accept (the
 * prompt itself is files-offer.test.ts): a folder (relative paths kept), a file
 * dropped on the call and a multi-MiB file arrive with equal SHA-256 and are saved through the download;
 * files verified but not saved are still there after a reload; a receiving page
 * reloaded mid-transfer (running) comes back, the sender offers again (resumed without asking: the page
 * accepted those files before), and the file completes from what was kept (staged in the Origin Private
 * File System, mid-block) with equal SHA-256, reporting how many
 * bytes went twice (at most one block).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BLOCK_SIZE } from '@parley/client/files';
import {
  acceptOffer,
  type ChromiumWebPage,
  filesPair,
  joinCall,
  shot,
  waitIn,
  waitRemotes,
  webE2EForFile,
} from './harness.js';

const web = webE2EForFile();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Row {
  direction: string;
  status: string;
  name: string;
  bytes: number;
  resent: number;
  resumed: number;
  code?: string;
  files: { path: string; sha256?: string; waiting: boolean }[];
}

function rows(p: ChromiumWebPage): Promise<Row[]> {
  return p.page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid=transfer]')].map((r) => ({
      direction: r.dataset.direction ?? '',
      status: r.dataset.status ?? '',
      name: r.querySelector('.file-name')?.textContent ?? '',
      bytes: Number(r.dataset.bytes),
      resent: Number(r.dataset.resent),
      resumed: Number(r.dataset.resumed),
      code: r.dataset.code,
      files: [...r.querySelectorAll<HTMLElement>('[data-testid=received-file]')].map((f) => ({
        path: f.dataset.path ?? '',
        sha256: f.dataset.sha256,
        waiting: f.dataset.waiting === 'true',
      })),
    })),
  );
}

/** Clicks the Save link of the received file at `path` and returns the downloaded bytes. */
async function save(p: ChromiumWebPage, path: string): Promise<{ name: string; bytes: Buffer }> {
  const link = p.page.locator(`[data-testid=received-file][data-path="${path}"] [data-testid=save]`);
  const [download] = await Promise.all([p.page.waitForEvent('download'), link.click()]);
  const file = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(file) };
}

test(
  'Files panel: a folder and a multi-MiB file page to page, and a reloaded receiver resumes',
  { timeout: 180_000 },
  () =>
    web.current.scenario('files panel', async (s) => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-webfiles-'));
      try {
        const { alice, bob } = await filesPair(s, 'files');

        // A folder of a few files in two levels, picked with the folder input.
        const tree = join(dir, 'album');
        mkdirSync(join(tree, 'raw'), { recursive: true });
        const folder = new Map<string, Buffer>([
          ['album/a.txt', Buffer.from('first file\n')],
          ['album/b.bin', randomBytes(300_000)],
          ['album/raw/c.bin', randomBytes(1_500_000)],
          ['album/raw/empty.txt', Buffer.alloc(0)],
        ]);
        for (const [path, bytes] of folder) writeFileSync(join(dir, path), bytes);
        await alice.page.getByTestId('folder-input').setInputFiles(tree);
        await acceptOffer(bob);
        await waitIn(
          bob,
          'the folder verified',
          () => document.querySelector('[data-testid=transfer][data-direction=receive][data-status=done]'),
          null,
          30_000,
        );
        const [got] = await rows(bob);
        assert.equal(got?.name, '↓ album/ (4 files)');
        assert.deepEqual(
          got?.files.map((f) => [f.path, f.sha256]).sort(),
          [...folder].map(([path, bytes]) => [path, sha(bytes)]).sort(),
          'every file of the folder, its relative path kept, SHA-256 equal',
        );
        const saved = await save(bob, 'album/raw/c.bin');
        assert.equal(saved.name, 'c.bin');
        assert.equal(sha(saved.bytes), sha(folder.get('album/raw/c.bin') as Buffer), 'the saved bytes');
        await waitIn(
          alice,
          'the folder delivered',
          () => document.querySelector('[data-testid=transfer][data-direction=send][data-status=done]'),
          null,
        );

        // A file dropped on the call (a DataTransfer made in the page: no folder entries there, so the
        // loose-file path) is sent too.
        await alice.page.evaluate(() => {
          const dt = new DataTransfer();
          dt.items.add(new File(['dropped on the call\n'], 'dropped.txt', { type: 'text/plain' }));
          document
            .querySelector('.stage')
            ?.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        });
        await acceptOffer(bob);
        await waitIn(
          bob,
          'the dropped file verified',
          () =>
            document.querySelector<HTMLElement>('[data-testid=received-file][data-path="dropped.txt"]')
              ?.dataset.sha256,
          null,
          30_000,
        ).then((h) => assert.equal(h, sha(Buffer.from('dropped on the call\n')), 'the dropped file'));

        // A multi-MiB file, saved through the download; the row shows bytes, rate and ETA while it runs.
        const big = randomBytes(12 * 1024 * 1024 + 4321);
        writeFileSync(join(dir, 'big.bin'), big);
        await alice.page.getByTestId('file-input').setInputFiles(join(dir, 'big.bin'));
        await acceptOffer(bob);
        const running = await waitIn(
          bob,
          'the big file under way',
          () =>
            document
              .querySelector('[data-testid=transfer][data-direction=receive] [data-testid=transfer-progress]')
              ?.textContent?.match(/MiB of 12 MiB · [\d.]+ (KiB|MiB)\/s · .* left/)?.[0],
          null,
          30_000,
        ).catch(() => 'finished before a sample');
        console.log(`receiving row: ${running}`);
        await shot(bob, 'files-panel-receiving');
        await waitIn(
          bob,
          'the big file verified',
          () =>
            [...document.querySelectorAll('[data-testid=received-file]')].some(
              (f) => (f as HTMLElement).dataset.path === 'big.bin',
            ),
          null,
          60_000,
        );
        const bigSaved = await save(bob, 'big.bin');
        assert.equal(bigSaved.bytes.length, big.length);
        assert.equal(sha(bigSaved.bytes), sha(big), 'the big file saved with the same SHA-256');
        await shot(bob, 'files-panel');

        // Resume after a reload: Bob reloads mid-transfer (running, not paused) and joins again; Alice
        // offers the rest. Staging keeps what arrived in whole pieces, so at most one block is sent twice.
        const huge = randomBytes(40 * 1024 * 1024 + 777);
        writeFileSync(join(dir, 'huge.bin'), huge);
        await alice.page.getByTestId('file-input').setInputFiles(join(dir, 'huge.bin'));
        await acceptOffer(bob);
        const before = await waitIn(
          bob,
          'some of huge.bin verified',
          (min) => {
            const row = [...document.querySelectorAll<HTMLElement>('[data-testid=transfer]')].find((r) =>
              r.textContent?.includes('huge.bin'),
            );
            const bytes = Number(row?.dataset.bytes ?? 0);
            return !!row && bytes >= min && row.dataset.status === 'running' && bytes;
          },
          4 * BLOCK_SIZE,
          60_000,
        );
        assert.ok(before < huge.length, `reloaded before the end (${before} of ${huge.length})`);
        await bob.page.reload();
        await joinCall(bob, 'Bob');
        await waitRemotes(alice, ['Bob']);
        await bob.page.getByTestId('files-toggle').click();
        // Alice offers huge.bin again; Bob accepted it before the reload and holds part of it in staging,
        // so it resumes without asking (no Accept clicked here): the prompt never shows.
        await waitIn(
          bob,
          'huge.bin verified after the reload',
          () =>
            [...document.querySelectorAll('[data-testid=received-file]')].some(
              (f) => (f as HTMLElement).dataset.path === 'huge.bin',
            ),
          null,
          90_000,
        );
        assert.equal(await bob.page.getByTestId('offer').count(), 0, 'no prompt for the resumed offer');
        const after = await rows(bob);
        const resumedRow = after.find((r) => r.name.includes('huge.bin'));
        // Verified before the reload and neither saved nor dismissed: still there to save (the saved ones gone).
        const earlier = after.flatMap((r) => r.files.filter((f) => f.waiting).map((f) => f.path)).sort();
        assert.deepEqual(earlier, [
          'album/a.txt',
          'album/b.bin',
          'album/raw/empty.txt',
          'dropped.txt',
          'huge.bin',
        ]);
        const sent = await waitIn(
          alice,
          'huge.bin delivered again',
          () => {
            const row = [
              ...document.querySelectorAll<HTMLElement>('[data-testid=transfer][data-direction=send]'),
            ].find((r) => r.textContent?.includes('huge.bin'));
            return row?.dataset.status === 'done' && { resent: Number(row.dataset.resent) };
          },
          null,
          30_000,
        );
        const hugeSaved = await save(bob, 'huge.bin');
        assert.equal(sha(hugeSaved.bytes), sha(huge), 'the resumed file has the same SHA-256');
        console.log(
          `reload resume (running): ${before} bytes verified before the reload, resumed at ${resumedRow?.resumed}, ` +
            `${sent.resent} bytes sent twice (block ${BLOCK_SIZE})`,
        );
        assert.ok(
          (resumedRow?.resumed ?? 0) >= before - (before % BLOCK_SIZE) && (resumedRow?.resumed ?? 0) > 0,
          'resumed from the verified blocks',
        );
        assert.ok(sent.resent <= BLOCK_SIZE, `at most one block sent twice (${sent.resent})`);
        await shot(alice, 'files-panel-sender');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
);

test(
  'without staging, a received file streams to the downloads through the service worker',
  { timeout: 90_000 },
  () =>
    web.current.scenario('files download worker', async (s) => {
      const room = `dl-${Date.now().toString(36)}`;
      const alice = await s.open('alice', `/#/r/${room}`);
      await joinCall(alice, 'Alice');
      // ?save=download: this page acts as a browser without the Origin Private File System.
      const carol = await s.open('carol', `/?save=download#/r/${room}`);
      await joinCall(carol, 'Carol');
      await waitRemotes(alice, ['Carol']);
      await waitRemotes(carol, ['Alice']);
      await carol.page.getByTestId('files-toggle').click();
      await waitIn(
        carol,
        'the panel says where files go',
        () =>
          document
            .querySelector('[data-testid=files-limit]')
            ?.textContent?.includes('straight to your downloads'),
        null,
      );
      const bytes = randomBytes(6 * 1024 * 1024 + 99);
      const downloaded = carol.page.waitForEvent('download', { timeout: 60_000 });
      await alice.page.getByTestId('files-toggle').click();
      await alice.page
        .getByTestId('file-input')
        .setInputFiles({ name: 'streamed.bin', mimeType: 'application/octet-stream', buffer: bytes });
      await acceptOffer(carol);
      const download = await downloaded;
      assert.equal(download.suggestedFilename(), 'streamed.bin');
      const got = readFileSync(await download.path());
      assert.equal(sha(got), sha(bytes), 'the streamed download has the same SHA-256');
      await waitIn(
        carol,
        'the row verified and saved',
        () =>
          document.querySelector(
            '[data-testid=transfer][data-direction=receive][data-status=done] [data-testid=downloaded]',
          ),
        null,
        30_000,
      );
      await shot(carol, 'files-panel-download');
    }),
);
