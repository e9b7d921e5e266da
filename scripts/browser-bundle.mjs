// The SDK's browser bundle, defined once: what scripts/build.mjs writes to
// packages/client/dist/parley-client.browser.js, what the size test (packages/client/src/size.test.ts)
// holds to its budget and what `npm run bench:size` measures. One minified ES module with the SDK and the
// light half of the protocol (`@parley/protocol/client`: no TypeBox), nothing external but Node-only
// packages a browser never loads.
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;

/** The most the bundle may weigh, minified and gzipped at level 9: the size test fails above it. */
export const BROWSER_BUNDLE_BUDGET_GZIP = 12 * 1024;

export const BROWSER_BUNDLE_OUTFILE = join(root, 'packages/client/dist/parley-client.browser.js');

export const browserBundleOptions = {
  entryPoints: [join(root, 'packages/client/src/index.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  treeShaking: true,
  conditions: ['@parley/source'],
  external: ['node-datachannel', 'node-datachannel/*', 'ws'],
  logLevel: 'warning',
};

/** Bytes after gzip at level 9, as the size test and the benchmark count them. */
export function gzipSize(bytes) {
  return gzipSync(bytes, { level: 9 }).length;
}

/** Builds the bundle in memory: its size, gzipped size, and the bytes each input file left in it. */
export async function measureBrowserBundle() {
  const result = await build({ ...browserBundleOptions, write: false, metafile: true, outfile: 'out.js' });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) throw new Error('esbuild produced no JavaScript');
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  const inputs = Object.fromEntries(
    Object.entries(output?.inputs ?? {}).map(([file, { bytesInOutput }]) => [file, bytesInOutput]),
  );
  return { bytes: js.contents.length, gzip: gzipSize(js.contents), inputs };
}
