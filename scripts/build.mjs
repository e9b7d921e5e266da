#!/usr/bin/env node
// Builds what runs outside the TypeScript loader: each package's dist/index.js, the browser bundle of the
// SDK and the `parley` CLI. `--if-needed` skips the build when every output is newer than every source.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BROWSER_BUNDLE_OUTFILE, browserBundleOptions } from './browser-bundle.mjs';
import { publishedPackages } from './workspace.mjs';

const root = new URL('..', import.meta.url).pathname;
const common = {
  bundle: true,
  format: 'esm',
  conditions: ['@parley/source'],
  sourcemap: true,
  logLevel: 'warning',
};
// Every published library package (scripts/workspace.mjs) gets a dist/index.js; these two run on Node only.
const nodeOnly = ['@parley/server', '@parley/turn'];
const targets = [
  ...publishedPackages()
    .filter((p) => p.dir.startsWith('packages/') && existsSync(join(p.path, 'src/index.ts')))
    .map((p) => ({
      entryPoints: [join(p.path, 'src/index.ts')],
      outfile: join(p.path, 'dist/index.js'),
      platform: nodeOnly.includes(p.manifest.name) ? 'node' : 'neutral',
      packages: 'external',
    })),
  {
    // `@parley/protocol/client`: the light half of the protocol that the SDK's dist/index.js imports.
    entryPoints: [join(root, 'packages/protocol/src/client.ts')],
    outfile: join(root, 'packages/protocol/dist/client.js'),
    platform: 'neutral',
    packages: 'external',
  },
  {
    // `@parley/turn/client`: the STUN/TURN client (`parley doctor`, and the tests' client builds on it).
    entryPoints: [join(root, 'packages/turn/src/client/index.ts')],
    outfile: join(root, 'packages/turn/dist/client.js'),
    platform: 'node',
    packages: 'external',
  },
  {
    // `@parley/client/game`: the game-state API, kept out of the SDK's main entry (and its size budget).
    entryPoints: [join(root, 'packages/client/src/game/index.ts')],
    outfile: join(root, 'packages/client/dist/game.js'),
    platform: 'neutral',
    packages: 'external',
  },
  {
    // `@parley/client/files`: the file transfer engine, also kept out of the SDK's main entry.
    entryPoints: [join(root, 'packages/client/src/files/index.ts')],
    outfile: join(root, 'packages/client/dist/files.js'),
    platform: 'neutral',
    packages: 'external',
  },
  {
    // `@parley/client/files/node`: its Node sources and sinks (node:fs).
    entryPoints: [join(root, 'packages/client/src/files/node/index.ts')],
    outfile: join(root, 'packages/client/dist/files-node.js'),
    platform: 'node',
    packages: 'external',
  },
  {
    // `@parley/client/files/browser`: its browser sources and sinks (File, OPFS, File System Access).
    entryPoints: [join(root, 'packages/client/src/files/browser/index.ts')],
    outfile: join(root, 'packages/client/dist/files-browser.js'),
    platform: 'browser',
    packages: 'external',
  },
  // One minified file a page can load with <script type="module">: the SDK and the light protocol.
  { ...browserBundleOptions, outfile: BROWSER_BUNDLE_OUTFILE },
  {
    entryPoints: [join(root, 'apps/cli/src/main.ts')],
    outfile: join(root, 'apps/cli/dist/main.js'),
    platform: 'node',
    // Only the CLI's own code: @parley/server and @parley/turn are its dependencies, as when installed.
    packages: 'external',
  },
].filter((t) => existsSync(t.entryPoints[0]));

function newest(dir, acc = 0) {
  if (!existsSync(dir)) return acc;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    if (e.name === 'build' && dir.endsWith('native')) continue; // node-gyp's output (buildNative below)
    const p = join(dir, e.name);
    acc = e.isDirectory() ? newest(p, acc) : Math.max(acc, statSync(p).mtimeMs);
  }
  return acc;
}

// The web app (apps/web) is built by Vite into apps/web/dist, which `parley serve` serves at /.
const web = join(root, 'apps/web');
const webStale = () => {
  if (!existsSync(join(web, 'index.html'))) return false;
  const out = join(web, 'dist/index.html');
  const src = Math.max(newest(web), newest(join(root, 'packages')));
  return !existsSync(out) || statSync(out).mtimeMs < src;
};

// The TURN server's native UDP data path (packages/turn/native, an N-API addon), built with node-gyp by the
// package's own install script when missing or stale; a failed build warns (TURN then runs on node:dgram).
function buildNative() {
  const script = join(root, 'packages/turn/scripts/install-native.mjs');
  if (existsSync(script)) spawnSync(process.execPath, [script], { stdio: 'inherit' });
}

buildNative();

const ifNeeded = process.argv.includes('--if-needed');
let fresh = false;
if (ifNeeded) {
  const src = Math.max(newest(join(root, 'packages')), newest(join(root, 'apps')));
  fresh = targets.every((t) => existsSync(t.outfile) && statSync(t.outfile).mtimeMs >= src);
  if (fresh && !webStale()) process.exit(0);
}
if (!fresh) {
  const started = Date.now();
  await Promise.all(targets.map((t) => build({ ...common, ...t })));
  console.log(`parley: built ${targets.length} bundles in ${Date.now() - started} ms`);
}
if (!ifNeeded || webStale()) {
  const vite = join(root, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: web,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log('parley: built the web app (apps/web/dist)');
}
