#!/usr/bin/env node
// Builds what runs outside the TypeScript loader: each package's dist/index.js, the browser bundle of the
// SDK and the `parley` CLI. `--if-needed` skips the build when every output is newer than every source.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { BROWSER_BUNDLE_OUTFILE, browserBundleOptions } from './browser-bundle.mjs';

const root = new URL('..', import.meta.url).pathname;
const common = {
  bundle: true,
  format: 'esm',
  conditions: ['@parley/source'],
  sourcemap: true,
  logLevel: 'warning',
};
const targets = [
  ...['protocol', 'stun', 'server', 'client', 'turn']
    .filter((p) => existsSync(join(root, 'packages', p, 'src/index.ts')))
    .map((p) => ({
      entryPoints: [join(root, 'packages', p, 'src/index.ts')],
      outfile: join(root, 'packages', p, 'dist/index.js'),
      platform: p === 'server' || p === 'turn' ? 'node' : 'neutral',
      packages: 'external',
    })),
  {
    // `@parley/protocol/client`: the light half of the protocol that the SDK's dist/index.js imports.
    entryPoints: [join(root, 'packages/protocol/src/client.ts')],
    outfile: join(root, 'packages/protocol/dist/client.js'),
    platform: 'neutral',
    packages: 'external',
  },
  // One minified file a page can load with <script type="module">: the SDK and the light protocol.
  { ...browserBundleOptions, outfile: BROWSER_BUNDLE_OUTFILE },
  {
    entryPoints: [join(root, 'apps/cli/src/main.ts')],
    outfile: join(root, 'apps/cli/dist/main.js'),
    platform: 'node',
    // Our own workspace packages are bundled from source; third-party ones stay in node_modules.
    plugins: [bundleWorkspace()],
  },
].filter((t) => existsSync(t.entryPoints[0]));

function bundleWorkspace() {
  return {
    name: 'bundle-workspace',
    setup(b) {
      // Bare imports of third-party packages stay external (resolved from node_modules at run time).
      b.onResolve({ filter: /^[^./]/ }, (args) =>
        args.path.startsWith('@parley/') ? undefined : { path: args.path, external: true },
      );
    },
  };
}

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

// The TURN server's native UDP data path (packages/turn/native, an N-API addon): rebuilt with node-gyp when
// its .node file is missing or older than its sources. Without it the server runs on node:dgram, so a
// failed build warns instead of failing the whole build (the native-path tests then fail and say why).
function findNodeGyp() {
  const prefix = dirname(dirname(process.execPath));
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    join(root, 'node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((c) => c && existsSync(c));
}

function buildNative() {
  const dir = join(root, 'packages/turn/native');
  if (process.platform !== 'linux' || !existsSync(join(dir, 'binding.gyp'))) return;
  const out = join(dir, 'build/Release/turn_udp.node');
  const sources = readdirSync(dir).filter((f) => f === 'binding.gyp' || /\.[ch]$/.test(f));
  const src = Math.max(...sources.map((f) => statSync(join(dir, f)).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs >= src) return;
  const gyp = findNodeGyp();
  if (!gyp) {
    console.warn('parley: node-gyp not found, TURN runs on node:dgram (packages/turn/native not built)');
    return;
  }
  const args = [gyp, 'rebuild'];
  // Node's own headers when they are installed beside it (no download); node-gyp fetches them otherwise.
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) {
    console.warn(
      `parley: building packages/turn/native failed; TURN runs on node:dgram\n${r.stdout}${r.stderr}`,
    );
    return;
  }
  console.log(`parley: built the TURN native UDP addon in ${Date.now() - started} ms`);
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
  await Promise.all(targets.map(({ plugins, ...t }) => build({ ...common, ...t, plugins: plugins ?? [] })));
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
