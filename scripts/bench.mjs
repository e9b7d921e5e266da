#!/usr/bin/env node
// Runs a benchmark: `node scripts/bench.mjs <name> [args…]` runs bench/src/<name>.ts under tsx with the
// @parley/source condition (workspace packages from their TypeScript sources, no build needed).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const srcDir = join(root, 'bench/src');
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(srcDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));

if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args]\n  benchmarks: ${available.join(', ') || '(none)'}`);
  process.exit(name ? 1 : 0);
}
const file = join(srcDir, `${name}.ts`);
if (!existsSync(file)) process.exit(1);
const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', file, ...args], {
  stdio: 'inherit',
  cwd: root,
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
