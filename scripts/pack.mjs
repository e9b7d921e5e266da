#!/usr/bin/env node
// Packaging: builds, checks and packs every published package (every workspace whose package.json is not
// `private`), the one place that knows what a tarball holds.
//   npm run pack [-- --out DIR]   tarballs of every published package into DIR (default .parley-tmp/packs)
//   node ../../scripts/pack.mjs --prepack   each published package's `prepack` script (npm pack and npm
//                                           publish run it in the package's folder): builds what it ships
// What a package ships: dist/index.js (esbuild, scripts/build.mjs), dist/**/*.d.ts (tsc, below, checked
// against the declarations its @parley/* dependencies publish, not their sources), README.md and the
// root LICENSE; what else it carries is listed in CARRY. README.md#packages says what a new package needs.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { publishedPackages, root, workspaceDependencies } from './workspace.mjs';

/** Built folders a package carries besides its own dist/: [from (repository), to (package)]. */
const CARRY = {
  // `parley serve` serves the web app from beside its bundle (apps/cli/src/serve.ts looks there).
  '@parley/cli': [['apps/web/dist', 'dist/web']],
};

/** What no tarball may hold: tests, fixtures, TypeScript sources, build state. */
const FORBIDDEN = [/\.test\./, /(^|\/)(test|tests|fixtures|src)\//, /(?<!\.d)\.ts$/, /\.tsbuildinfo$/];

const fail = (msg) => {
  console.error(`parley pack: ${msg}`);
  process.exit(1);
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

function build() {
  if (process.env.PARLEY_PACK_BUILT !== '1') run(process.execPath, ['scripts/build.mjs', '--if-needed']);
}

function newest(dir, acc = 0) {
  if (!existsSync(dir)) return acc;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    acc = e.isDirectory() ? newest(p, acc) : Math.max(acc, statSync(p).mtimeMs);
  }
  return acc;
}

function removeDeclarations(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) removeDeclarations(p);
    else if (e.name.endsWith('.d.ts')) rmSync(p);
  }
}

/** The source file of every entry point the package exports (its "@parley/source" conditions). */
function sourceEntries(pkg) {
  const entries = new Set();
  const walk = (v, key) => {
    if (typeof v === 'string') {
      if (key === '@parley/source') entries.add(join(pkg.path, v));
    } else if (v && typeof v === 'object') for (const [k, w] of Object.entries(v)) walk(w, k);
  };
  walk(pkg.manifest.exports);
  return entries.size ? [...entries] : [join(pkg.path, 'src/index.ts')];
}

/**
 * dist/**\/*.d.ts of one package, from the files its exported entry points reach (so no tests). Its @parley/*
 * imports resolve without the "@parley/source" condition, to the declarations those packages publish.
 */
function declarations(pkg) {
  const types = pkg.manifest.types;
  if (!types) return;
  const src = join(pkg.path, 'src');
  const out = join(pkg.path, types);
  const inputs = Math.max(
    newest(src),
    ...workspaceDependencies(pkg.manifest.name).map((d) => statSync(join(d.path, d.manifest.types)).mtimeMs),
  );
  if (existsSync(out) && statSync(out).mtimeMs >= inputs) return;
  const started = Date.now();
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile).config.compilerOptions;
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    {
      ...base,
      noEmit: false,
      declaration: true,
      emitDeclarationOnly: true,
      rootDir: src,
      outDir: dirname(out),
      customConditions: [],
    },
    pkg.path,
  );
  const program = ts.createProgram(sourceEntries(pkg), options);
  removeDeclarations(dirname(out));
  const emitted = program.emit();
  const diagnostics = [...errors, ...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    fail(`declarations of ${pkg.manifest.name}:\n${ts.formatDiagnostics(diagnostics, host)}`);
  }
  console.log(`parley pack: declarations of ${pkg.manifest.name} in ${Date.now() - started} ms`);
}

/** The manifest fields a published package needs, and the files they point at. */
function checkManifest(pkg) {
  const m = pkg.manifest;
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const problems = [];
  if (m.version !== version) problems.push(`version ${m.version}, not the repository's ${version}`);
  for (const field of ['description', 'license', 'files', 'engines'])
    if (!m[field]) problems.push(`no "${field}"`);
  if (!m.scripts?.prepack?.includes('scripts/pack.mjs --prepack'))
    problems.push('no "prepack": "node ../../scripts/pack.mjs --prepack"');
  if (!existsSync(join(pkg.path, 'README.md'))) problems.push('no README.md');
  const published = new Map(publishedPackages().map((p) => [p.manifest.name, p.manifest.version]));
  for (const [dep, spec] of Object.entries(m.dependencies ?? {})) {
    if (/^(workspace|file|link):/.test(spec)) problems.push(`dependency ${dep}@${spec} resolves only here`);
    if (dep.startsWith('@parley/') && published.get(dep) !== spec)
      problems.push(`dependency ${dep}@${spec}: a published package, pinned to ${published.get(dep) ?? '?'}`);
  }
  const targets = [];
  const walk = (v, key) => {
    if (typeof v === 'string') {
      if (key !== '@parley/source') targets.push(v);
    } else if (v && typeof v === 'object') for (const [k, w] of Object.entries(v)) walk(w, k);
  };
  walk(m.exports);
  walk(m.bin);
  if (m.types) targets.push(m.types);
  if (m.exports && !m.types) problems.push('no "types"');
  const shipped = (t) =>
    (m.files ?? []).some((f) => t.replace(/^\.\//, '').startsWith(`${f.replace(/\/$/, '')}/`));
  for (const t of targets) {
    if (!existsSync(join(pkg.path, t))) problems.push(`${t} is missing after the build`);
    else if (!shipped(t)) problems.push(`${t} is not in "files", so the tarball would lack it`);
  }
  if (problems.length) fail(`${m.name} (${pkg.dir}/package.json):\n  ${problems.join('\n  ')}`);
}

/** Builds what one package ships, in its folder (the `prepack` script). */
export function prepack(pkg) {
  build();
  for (const dep of workspaceDependencies(pkg.manifest.name)) declarations(dep);
  declarations(pkg);
  for (const [from, to] of CARRY[pkg.manifest.name] ?? []) {
    if (!existsSync(join(root, from))) fail(`${from} is not built (npm run build)`);
    rmSync(join(pkg.path, to), { recursive: true, force: true });
    cpSync(join(root, from), join(pkg.path, to), { recursive: true });
  }
  cpSync(join(root, 'LICENSE'), join(pkg.path, 'LICENSE'));
  checkManifest(pkg);
}

/** What a tarball holds; fails on anything a consumer cannot use. */
export function tarballFiles(file) {
  const r = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
  if (r.status !== 0) fail(`tar -tzf ${file}: ${r.stderr}`);
  const entries = r.stdout.split('\n').filter(Boolean);
  const bad = entries.filter((e) => FORBIDDEN.some((re) => re.test(e.replace(/^package\//, ''))));
  if (bad.length) fail(`${basename(file)} holds files a consumer cannot use:\n  ${bad.join('\n  ')}`);
  return entries;
}

/** Packs every published package into `outDir`; returns { name, version, file } in dependency order. */
export function packAll(outDir) {
  build();
  mkdirSync(outDir, { recursive: true });
  const pkgs = publishedPackages();
  run('npm', ['pack', '--silent', '--pack-destination', outDir, ...pkgs.map((p) => `--workspace=${p.dir}`)], {
    env: { ...process.env, PARLEY_PACK_BUILT: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return pkgs.map((p) => {
    const file = join(
      outDir,
      `${p.manifest.name.replace(/^@/, '').replace('/', '-')}-${p.manifest.version}.tgz`,
    );
    if (!existsSync(file)) fail(`npm pack made no ${file}`);
    tarballFiles(file);
    return { name: p.manifest.name, version: p.manifest.version, file };
  });
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const args = process.argv.slice(2);
  if (args.includes('--prepack')) {
    const pkg = publishedPackages().find((p) => p.path.replace(/\/$/, '') === process.cwd());
    if (!pkg) fail(`--prepack runs in a published package's folder, not ${process.cwd()}`);
    prepack(pkg);
  } else {
    const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : join(root, '.parley-tmp/packs');
    const started = Date.now();
    for (const t of packAll(out)) console.log(relative(process.cwd(), t.file));
    console.log(`parley pack: ${publishedPackages().length} packages in ${Date.now() - started} ms`);
  }
}
