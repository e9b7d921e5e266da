#!/usr/bin/env node
// `npm test`: lint, typecheck, then every suite (unit, integration, browser) with Node's test runner.
// Usage: node scripts/test.mjs [--only unit|integration|e2e] [--no-check] [files…]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureChromium, ensureFirefox } from './chromium.mjs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const explicit = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--only');

function find(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const all = find(join(root, 'packages')).concat(find(join(root, 'apps')), find(join(root, 'tests')));
// tests/consumer (packs, installs and runs Parley as a user would, Chromium included) runs with the browser suite.
const suiteOf = (f) =>
  f.startsWith('tests/e2e/') || f.startsWith('tests/consumer/')
    ? 'e2e'
    : /\/test\//.test(f) || f.startsWith('tests/fuzz/')
      ? 'integration'
      : 'unit';
const files = explicit.length
  ? explicit
  : all
      .filter((f) => !only || suiteOf(f) === only)
      .sort(
        (a, b) =>
          ['unit', 'integration', 'e2e'].indexOf(suiteOf(a)) -
          ['unit', 'integration', 'e2e'].indexOf(suiteOf(b)),
      );
if (files.length === 0) {
  console.error('parley test: no test files found');
  process.exit(1);
}

function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!args.includes('--no-check')) {
  console.log('parley test: lint (biome)');
  run('npx', ['--no-install', 'biome', 'check', '.']);
  console.log('parley test: typecheck (tsc)');
  run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json']);
  if (existsSync(join(root, 'apps/web/tsconfig.json')))
    run('npx', ['--no-install', 'tsc', '-p', 'apps/web/tsconfig.json']);
}
run('node', ['scripts/build.mjs', '--if-needed']);
if (files.some((f) => suiteOf(f) === 'e2e')) {
  ensureChromium();
  ensureFirefox();
}

console.log(`parley test: ${files.length} files`);
// A test that hangs fails after 3 minutes instead of stalling the whole run.
run(
  'node',
  [
    '--conditions=@parley/source',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-timeout=180000',
    ...files,
  ],
  {
    env: { ...process.env, PARLEY_LOG_LEVEL: process.env.PARLEY_LOG_LEVEL ?? 'silent' },
  },
);
