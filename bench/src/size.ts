/**
 * `npm run bench:size`: the browser SDK's weight, Parley against PeerJS and simple-peer in the same run.
 *
 * Parley: the bundle scripts/build.mjs writes to packages/client/dist/parley-client.browser.js (the whole
 * public SDK, esbuild, minified), built in memory from the current sources. The others: the minified
 * browser bundle each publishes on npm, taken from its tarball (`npm pack NAME@VERSION` into a temporary
 * folder). Every file is gzipped the same way (node:zlib, level 9).
 * Options: `--peerjs VERSION`, `--simple-peer VERSION` (default: the latest on the registry).
 * Results: bench/results/size-<time>.json and size-latest.json, plus a Markdown table on stdout.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BROWSER_BUNDLE_BUDGET_GZIP,
  browserBundleOptions,
  gzipSize,
  measureBrowserBundle,
} from '../../scripts/browser-bundle.mjs';

const { values: args } = parseArgs({
  options: {
    peerjs: { type: 'string', default: 'latest' },
    'simple-peer': { type: 'string', default: 'latest' },
  },
});

const root = new URL('../..', import.meta.url).pathname;

interface Row {
  library: string;
  version: string;
  /** Where the measured file comes from. */
  source: string;
  file: string;
  bytes: number;
  gzip: number;
  /** The package tarball's integrity, so the measured file can be found again. */
  integrity?: string;
}

/** The published browser bundle `file` of `name@version`, from the package's npm tarball. */
function published(name: string, version: string, file: string, tmp: string): Row {
  const dir = mkdtempSync(join(tmp, `${name}-`));
  const out = execFileSync('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', dir], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [packed] = JSON.parse(out) as { filename: string; version: string; integrity: string }[];
  if (!packed) throw new Error(`npm pack ${name}@${version} packed nothing`);
  execFileSync('tar', ['-xzf', join(dir, packed.filename), '-C', dir, `package/${file}`]);
  const bytes = readFileSync(join(dir, 'package', file));
  return {
    library: name,
    version: packed.version,
    source: `npm tarball ${packed.filename}`,
    file,
    bytes: bytes.length,
    gzip: gzipSize(bytes),
    integrity: packed.integrity,
  };
}

function gitRev(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const started = Date.now();
const tmp = mkdtempSync(join(os.tmpdir(), 'parley-bench-size-'));
let rows: Row[];
let parleyInputs: Record<string, number>;
try {
  const parley = await measureBrowserBundle();
  parleyInputs = parley.inputs;
  const clientVersion = (
    JSON.parse(readFileSync(join(root, 'packages/client/package.json'), 'utf8')) as { version: string }
  ).version;
  rows = [
    {
      library: '@parley/client',
      version: `${clientVersion} (${gitRev() ?? 'working tree'})`,
      source: 'built from source in this run (scripts/browser-bundle.mjs)',
      file: 'dist/parley-client.browser.js',
      bytes: parley.bytes,
      gzip: parley.gzip,
    },
    published('peerjs', args.peerjs, 'dist/peerjs.min.js', tmp),
    published('simple-peer', args['simple-peer'], 'simplepeer.min.js', tmp),
  ];
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const parleyGzip = rows[0]!.gzip;
const result = {
  meta: {
    benchmark: 'size',
    date: new Date().toISOString(),
    git: gitRev(),
    node: process.version,
    gzip: 'node:zlib gzipSync, level 9',
    parleyBuild: {
      bundler: 'esbuild',
      format: browserBundleOptions.format,
      target: browserBundleOptions.target,
      minify: browserBundleOptions.minify,
      external: browserBundleOptions.external,
    },
    budgetGzip: BROWSER_BUNDLE_BUDGET_GZIP,
    durationS: (Date.now() - started) / 1000,
  },
  rows: rows.map((r) => ({ ...r, gzipVsParley: r.gzip / parleyGzip })),
  /** Bytes each source file leaves in Parley's minified bundle (before gzip). */
  parleyInputs,
};

const dir = join(root, 'bench/results');
mkdirSync(dir, { recursive: true });
const stamp = result.meta.date.replace(/[:.]/g, '-');
const json = `${JSON.stringify(result, null, 2)}\n`;
writeFileSync(join(dir, `size-${stamp}.json`), json);
writeFileSync(join(dir, 'size-latest.json'), json);

const n = (x: number) => x.toLocaleString('en-US');
const kib = (x: number) => `${(x / 1024).toFixed(1)} KiB`;
console.log(`results in bench/results/size-${stamp}.json\n`);
console.log('| library | version | file | minified | min + gzip | gzip vs Parley |');
console.log('| --- | --- | --- | ---: | ---: | ---: |');
for (const r of result.rows) {
  console.log(
    `| ${r.library} | ${r.version} | \`${r.file}\` | ${n(r.bytes)} B | ${n(r.gzip)} B (${kib(r.gzip)}) | ${r.gzipVsParley.toFixed(2)}× |`,
  );
}
console.log(
  `\nParley's budget (packages/client/src/size.test.ts): ${n(BROWSER_BUNDLE_BUDGET_GZIP)} B gzipped; ` +
    `this build uses ${((100 * parleyGzip) / BROWSER_BUNDLE_BUDGET_GZIP).toFixed(0)} % of it.`,
);
