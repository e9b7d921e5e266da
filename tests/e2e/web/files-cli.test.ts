/**
 * Terminal to Chromium through the link: `parley send --json` prints its code and link; Chromium opens the
 * link (the web app's `#receive=<code>` page), receives the file on the transfer engine, saves it, and the
 * sender exits 0 once the browser has verified it. SHA-256 equal on both sides.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { REPO_ROOT } from '../harness/parley-serve.js';
import { waitUntil } from '../harness/wait.js';
import { waitIn, webE2EForFile } from './harness.js';

const web = webE2EForFile();

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
    const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
    try {
      const ready = await waitUntil(() => lines.find((l) => l.event === 'ready'), {
        what: 'parley send ready',
        timeoutMs: 30_000,
      });
      const link = String(ready.link);
      assert.match(link, /#receive=\d+-[a-z]+-[a-z]+$/);
      const page = await s.open('browser', link);
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
