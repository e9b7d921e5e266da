/**
 * The SDK as a browser loads it stays small: the whole public API (joinRoom, peers, channels, negotiation,
 * recovery) built as scripts/build.mjs builds packages/client/dist/parley-client.browser.js (esbuild,
 * minified, tree-shaken), gzipped at level 9, under the budget in scripts/browser-bundle.mjs. And it
 * tree-shakes: an app that imports one helper gets that helper, not the SDK.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from 'esbuild';
import {
  BROWSER_BUNDLE_BUDGET_GZIP,
  browserBundleOptions,
  measureBrowserBundle,
} from '../../../scripts/browser-bundle.mjs';

test(`the browser bundle is at most ${BROWSER_BUNDLE_BUDGET_GZIP} bytes minified and gzipped`, async () => {
  const { bytes, gzip, inputs } = await measureBrowserBundle();
  const heaviest = Object.entries(inputs)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([file, n]) => `${file} ${n}`)
    .join(', ');
  console.log(
    `browser bundle: ${bytes} bytes minified, ${gzip} gzipped (budget ${BROWSER_BUNDLE_BUDGET_GZIP})`,
  );
  assert.deepEqual(
    Object.keys(inputs).filter((f) => f.includes('typebox')),
    [],
    'the browser never needs TypeBox',
  );
  assert.ok(
    gzip <= BROWSER_BUNDLE_BUDGET_GZIP,
    `${gzip} bytes gzipped is over the budget of ${BROWSER_BUNDLE_BUDGET_GZIP}; heaviest inputs: ${heaviest}`,
  );
});

test('an app that imports one helper gets that helper, not the SDK', async () => {
  const result = await build({
    ...browserBundleOptions,
    entryPoints: undefined,
    stdin: {
      contents: "import { isRoomName } from '@parley/client'; console.log(isRoomName('demo'));",
      resolveDir: new URL('.', import.meta.url).pathname,
    },
    write: false,
  });
  const bytes = result.outputFiles[0]!.contents.length;
  assert.ok(bytes < 512, `importing isRoomName alone bundles ${bytes} bytes`);
});
