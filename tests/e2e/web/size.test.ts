/**
 * The first page load stays small: the HTML, JS and CSS that `/` pulls in (scripts, stylesheets and
 * module preloads; the room and check pages load on demand), summed gzipped, under a budget. The numbers
 * go to tests/e2e/artifacts/web/first-load.json.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type ParleyServe, REPO_ROOT, startParleyServe } from '../harness/parley-serve.js';
import { WEB_ARTIFACTS } from './harness.js';

const BUDGET_GZIP_BYTES = 40 * 1024;

let serve: ParleyServe;
before(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-needed'], { cwd: REPO_ROOT, stdio: 'inherit' });
  serve = await startParleyServe(['--no-turn']);
});
after(async () => {
  await serve?.stop();
});

test('the first load of / is under 40 KiB gzipped (HTML + JS + CSS)', async () => {
  const fetchText = async (path: string) => {
    const res = await fetch(`${serve.httpUrl}${path}`);
    assert.equal(res.status, 200, `${path} is served`);
    return res.text();
  };
  const html = await fetchText('/');
  const assets = [...html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="(\/[^"]+\.(?:js|css))"/g)].map(
    (m) => m[1] as string,
  );
  assert.ok(
    assets.some((a) => a.endsWith('.js')),
    'the page loads a script',
  );
  const files = [{ path: '/', bytes: Buffer.byteLength(html), gzip: gzipSync(html, { level: 9 }).length }];
  for (const path of new Set(assets)) {
    const body = await fetchText(path);
    files.push({ path, bytes: Buffer.byteLength(body), gzip: gzipSync(body, { level: 9 }).length });
  }
  const total = files.reduce((sum, f) => sum + f.gzip, 0);
  mkdirSync(WEB_ARTIFACTS, { recursive: true });
  writeFileSync(
    join(WEB_ARTIFACTS, 'first-load.json'),
    `${JSON.stringify({ totalGzip: total, files }, null, 2)}\n`,
  );
  console.log(`first load of /: ${total} bytes gzipped`, files);
  assert.ok(total < BUDGET_GZIP_BYTES, `first load is ${total} bytes gzipped`);
});
