/**
 * Terminal and Chromium both ways. Through the link: `parley send --json` prints its code and link; Chromium
 * opens the link (the web app's `#receive=<code>` page), accepts the offer, receives the file on the transfer engine, saves
 * it, and the sender exits 0 once the browser has verified it. Through the code: the web app's `#/send`
 * page shows a code, and `parley receive --yes CODE` saves the file and exits 0. SHA-256 equal each way.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { REPO_ROOT } from '../harness/parley-serve.js';
import { waitUntil } from '../harness/wait.js';
import { acceptOffer, waitIn, webE2EForFile } from './harness.js';

const web = webE2EForFile();

/** The exit code of `proc`, or a failure after 90 s (the finally block then kills it). */
function exitOf(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the parley process did not exit within 90 s')), 90_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test('parley send to Chromium through the link', { timeout: 120_000 }, () =>
  web.current.scenario('files cli to browser', async (s) => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cli-web-'));
    const bytes = randomBytes(5 * 1024 * 1024 + 3);
    writeFileSync(join(dir, 'from-terminal.bin'), bytes);
    const server = web.current.serve.httpUrl;
    const proc = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'apps/cli/bin/parley.js'),
        'send',
        '--json',
        '--server',
        server,
        join(dir, 'from-terminal.bin'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: proc.stdout }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l));
      } catch {
        // a human line
      }
    });
    const exited = exitOf(proc);
    exited.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    try {
      const ready = await waitUntil(() => lines.find((l) => l.event === 'ready'), {
        what: 'parley send ready',
        timeoutMs: 30_000,
      });
      const link = String(ready.link);
      assert.match(link, /#receive=\d+-[a-z]+-[a-z]+$/);
      const page = await s.open('browser', link);
      // The receive page asks, as the Files panel does.
      await acceptOffer(page);
      await waitIn(
        page,
        'the file verified',
        () => document.querySelector('[data-testid=received-file][data-path="from-terminal.bin"]'),
        null,
        60_000,
      );
      const link2 = page.page.locator(
        '[data-testid=received-file][data-path="from-terminal.bin"] [data-testid=save]',
      );
      const [download] = await Promise.all([page.page.waitForEvent('download'), link2.click()]);
      const got = readFileSync(await download.path());
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      assert.equal(sha(got), sha(bytes), 'the browser saved the same bytes');
      assert.equal(await exited, 0, 'parley send exits 0 once the browser verified the file');
    } finally {
      proc.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test('Chromium to parley receive through the code', { timeout: 120_000 }, () =>
  web.current.scenario('files browser to cli', async (s) => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-web-cli-'));
    const bytes = randomBytes(4 * 1024 * 1024 + 17);
    const page = await s.open('browser', '/#/send');
    await page.page
      .getByTestId('send-input')
      .setInputFiles({ name: 'from-browser.bin', mimeType: 'application/octet-stream', buffer: bytes });
    const code = await waitIn(
      page,
      'the code',
      () => document.querySelector('[data-testid=send-code]')?.textContent,
      null,
    );
    const proc = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'apps/cli/bin/parley.js'),
        'receive',
        '--json',
        '--yes',
        '--out',
        dir,
        '--server',
        web.current.serve.httpUrl,
        code,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = exitOf(proc);
    exited.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    try {
      assert.equal(await exited, 0, 'parley receive exits 0: every file verified');
      const got = readFileSync(join(dir, 'from-browser.bin'));
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      assert.equal(sha(got), sha(bytes), 'the terminal saved the same bytes');
      await waitIn(
        page,
        'the browser sees it delivered',
        () => document.querySelector('[data-testid=transfer][data-direction=send][data-status=done]'),
        null,
        30_000,
      );
    } finally {
      proc.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);
