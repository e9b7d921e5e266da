/**
 * Every workspace's package.json matches what its files import: a package imported by shipped code is a
 * dependency, one imported only by tests, scripts or config is at least a devDependency (of the package or
 * the root), and every dependency is imported somewhere. Hoisting makes an undeclared import work in this
 * repository and fail for whoever installs the package alone.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = new URL('../../', import.meta.url).pathname;

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  workspaces?: string[];
}

const read = (path: string): Manifest => JSON.parse(readFileSync(join(root, path), 'utf8'));

/** Declared and never imported, on purpose: package → dependency → why. */
const UNIMPORTED: Record<string, Record<string, string>> = {};

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name === 'build' || e.name.startsWith('.'))
      continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else if (/\.(ts|tsx|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Test support, scripts and config: what a user of the package never runs. */
const isDevFile = (path: string) =>
  /\.test\.tsx?$|(^|\/)(test|testing|scripts|fixtures)\/|harness|\.config\.[mc]?[jt]s$/.test(path);

/** The package names a file imports (static, dynamic and re-exports; comment lines skipped). */
function importsOf(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('*') || t.startsWith('/*') || t.startsWith('//')) continue;
    for (const m of t.matchAll(/(?:\bfrom\s+|^import\s+|\bimport\s*\(\s*)['"]([^'"./][^'"]*)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return names;
}

const rootManifest = read('package.json');
const rootDev = new Set(Object.keys(rootManifest.devDependencies ?? {}));

for (const ws of rootManifest.workspaces ?? []) {
  const m = read(join(ws, 'package.json'));
  test(`${m.name} (${ws}): package.json matches its imports`, () => {
    const deps = new Set([
      ...Object.keys(m.dependencies ?? {}),
      ...Object.keys(m.peerDependencies ?? {}),
      ...Object.keys(m.optionalDependencies ?? {}),
    ]);
    const dev = new Set(Object.keys(m.devDependencies ?? {}));
    const problems: string[] = [];
    const used = new Set<string>();
    for (const file of files(join(root, ws))) {
      const path = relative(root, file);
      for (const name of importsOf(readFileSync(file, 'utf8'))) {
        if (name === m.name) continue;
        used.add(name);
        if (deps.has(name)) continue;
        if (isDevFile(path) ? dev.has(name) || rootDev.has(name) : false) continue;
        problems.push(
          `${path} imports ${name}, which is not in ${isDevFile(path) ? 'any' : 'its'} dependencies`,
        );
      }
    }
    for (const name of deps) {
      const types = name.startsWith('@types/')
        ? name.slice('@types/'.length).replace(/^(.*)__(.*)$/, '@$1/$2')
        : undefined;
      if (used.has(name) || (types !== undefined && used.has(types))) continue;
      if (UNIMPORTED[m.name]?.[name]) continue;
      problems.push(`${name} is a dependency nothing imports`);
    }
    assert.deepEqual(problems, []);
  });
}
