#!/usr/bin/env node
// Builds the TURN server's native UDP data path (../native, an N-API addon) with node-gyp: @parley/turn's
// `install` script, and what the repository's scripts/build.mjs runs. Rebuilds only when the .node file is
// missing or older than its sources. It never fails: without python3, make or a C compiler the server runs
// on node:dgram (about 1.4x the CPU per relayed packet), and says so once when it starts. Why the build
// failed is kept in native/build/NOT-BUILT.txt, which the server's start-up line quotes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const dir = new URL('../native/', import.meta.url).pathname;
const out = join(dir, 'build/Release/turn_udp.node');
const note = join(dir, 'build/NOT-BUILT.txt');

function notBuilt(why, detail = '') {
  mkdirSync(dirname(note), { recursive: true });
  writeFileSync(note, `${why}\n${detail}`);
  console.warn(`@parley/turn: the native UDP addon was not built (${why}); TURN runs on node:dgram`);
  if (detail) console.warn(`@parley/turn: node-gyp's output is in ${note}`);
}

function findNodeGyp() {
  const prefix = dirname(dirname(process.execPath));
  const candidates = [
    process.env.npm_config_node_gyp, // npm sets it for lifecycle scripts: the node-gyp it bundles
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed beside us: npm's own is enough
  }
  return candidates.find((c) => c && existsSync(c));
}

function fresh() {
  if (!existsSync(out)) return false;
  const sources = readdirSync(dir).filter((f) => f === 'binding.gyp' || /\.[ch]$/.test(f));
  return statSync(out).mtimeMs >= Math.max(...sources.map((f) => statSync(join(dir, f)).mtimeMs));
}

function main() {
  if (process.platform !== 'linux') return; // Linux-only (recvmmsg/sendmmsg); elsewhere node:dgram, as designed
  if (!existsSync(join(dir, 'binding.gyp')) || fresh()) return;
  const gyp = findNodeGyp();
  if (!gyp) return notBuilt('node-gyp not found');
  const args = [gyp, 'rebuild'];
  // Node's own headers when they are installed beside it (no download); node-gyp fetches them otherwise.
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include/node/node_api.h'))) args.push(`--nodedir=${prefix}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
    // e.g. "Error: not found: make" (node-gyp's own check), "Could not find any Python installation to use"
    // (its Python check), "cc: No such file or directory" (make's)
    const why =
      /Error: (not found: \S+)/.exec(output)?.[1] ??
      /Error: (Could not find any Python installation to use)/.exec(output)?.[1] ??
      /^.*(?:not found|No such file or directory).*$/m.exec(output)?.[0]?.trim() ??
      'node-gyp rebuild failed';
    return notBuilt(why, output);
  }
  rmSync(note, { force: true });
  console.log(`@parley/turn: built the native UDP addon in ${Date.now() - started} ms`);
}

try {
  main();
} catch (err) {
  try {
    notBuilt(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
  } catch {
    // a read-only install: the server still says at start that the addon is missing
  }
}
process.exitCode = 0; // an install never fails because of the addon
