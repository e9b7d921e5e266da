/**
 * `npm run fuzz`: long fuzzing campaigns against a running `parley serve`, this checkout's or another's.
 * Prints a table and writes bench/results/fuzz-<timestamp>.json. See --help.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Case, type Fuzzer, type RunResult, runFuzzer, saveToCorpus } from './driver.js';
import { fuzzers } from './fuzzers.js';
import { seedFrom } from './random.js';
import { defaultBin, Target } from './target.js';

const HELP = `npm run fuzz -- [options]

Fuzzes a real \`parley serve\` process (restarted after every crash) and reports, per fuzzer, the inputs
sent, crashes, hangs (/healthz or a bystander round trip unanswered within 5 s) and peak RSS.

Options:
  --fuzz <list>       comma-separated fuzzers (default: all): ${Object.keys(fuzzers).join(', ')}
  --seconds <n>       seconds per fuzzer (default 60 unless --inputs is given)
  --inputs <n>        stop each fuzzer after this many inputs
  --seed <n>          run seed (default: from the clock; printed, so a run can be replayed)
  --before <dir>      run against another checkout's bin: <dir>/apps/cli/bin/parley.js
  --bin <file>        run against this parley.js
  --rss-limit <MiB>   peak RSS past this is a finding (default 768)
  --out <file>        where to write the JSON (default bench/results/fuzz-<timestamp>.json)
  --save-corpus       add every case that killed the process on its own to tests/fuzz/corpus/<fuzzer>.json
  --quiet             no progress lines
  --help              this text

Examples:
  npm run fuzz -- --fuzz ws-bytes,http --seconds 120
  npm run fuzz -- --before /tmp/parley-before --seconds 60 --seed 1
  npm run fuzz -- --fuzz turn-udp --inputs 10000000
`;

const { values } = parseArgs({
  options: {
    fuzz: { type: 'string' },
    seconds: { type: 'string' },
    inputs: { type: 'string' },
    seed: { type: 'string' },
    before: { type: 'string' },
    bin: { type: 'string' },
    'rss-limit': { type: 'string' },
    out: { type: 'string' },
    quiet: { type: 'boolean' },
    'save-corpus': { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const bin = values.bin
  ? resolve(values.bin)
  : values.before
    ? join(resolve(values.before), 'apps/cli/bin/parley.js')
    : defaultBin;
if (!existsSync(bin)) {
  console.error(`fuzz: no such bin: ${bin}`);
  process.exit(2);
}
const names = values.fuzz ? values.fuzz.split(',').map((s) => s.trim()) : Object.keys(fuzzers);
for (const n of names)
  if (!(n in fuzzers)) {
    console.error(`fuzz: unknown fuzzer ${n}; known: ${Object.keys(fuzzers).join(', ')}`);
    process.exit(2);
  }
const inputs = values.inputs ? Number(values.inputs) : undefined;
const seconds = values.seconds ? Number(values.seconds) : inputs ? undefined : 60;
const seed = seedFrom(values.seed);
const rssLimit = Number(values['rss-limit'] ?? 768) * 2 ** 20;

function commitOf(file: string): { commit: string; dirty: boolean } {
  try {
    const cwd = dirname(file);
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
    });
    return { commit, dirty: dirty.trim().length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const started = new Date();
const target = commitOf(bin);
console.log(
  `fuzz: seed ${seed}, bin ${bin} (commit ${target.commit.slice(0, 10)}${target.dirty ? ', dirty' : ''})`,
);
const results: RunResult[] = [];
const out =
  values.out ?? join(root, 'bench/results', `fuzz-${started.toISOString().replace(/[:.]/g, '-')}.json`);
/** Errors that escaped the fuzzers (their own bugs), kept so that a long campaign goes on. */
const escaped: string[] = [];
process.on('uncaughtException', (err) => {
  if (escaped.length < 20) escaped.push(String(err.stack ?? err));
  console.error(`fuzz: an error escaped a fuzzer: ${err.stack ?? err}`);
});
/** Writes the JSON: at the end, and every minute meanwhile (with the fuzzer in progress). */
function writeOut(running?: RunResult): void {
  mkdirSync(dirname(out), { recursive: true });
  const all = running ? [...results, running] : results;
  const body = {
    startedAt: started.toISOString(),
    finishedAt: running ? null : new Date().toISOString(),
    bin,
    ...target,
    seed,
    seconds,
    inputs,
    results: all,
    ...(escaped.length ? { escaped } : {}),
  };
  writeFileSync(out, `${JSON.stringify(body, null, 2)}\n`);
}
let lastWrite = performance.now();
for (const name of names) {
  const fuzzer = fuzzers[name] as Fuzzer<Case>;
  const setup = fuzzer.serveArgs();
  const t = await Target.start({ bin, args: setup.args, ...(setup.env ? { env: setup.env } : {}) });
  let last = 0;
  const result = await runFuzzer(fuzzer, {
    serve: t,
    seed,
    rssLimit,
    ...(seconds !== undefined ? { seconds } : {}),
    ...(inputs !== undefined ? { count: inputs } : {}),
    progress: (r) => {
      if (performance.now() - lastWrite > 60_000) {
        lastWrite = performance.now();
        writeOut(r);
      }
      if (values.quiet || performance.now() - last < 10_000) return;
      last = performance.now();
      console.log(
        `  ${name}: ${r.inputs} inputs in ${r.seconds.toFixed(0)} s, ${r.crashes} crashes, ${r.hangs} hangs, peak ${mib(r.peakRss)}`,
      );
    },
  });
  await t.stop();
  results.push(result);
  if (values['save-corpus']) {
    const added = saveToCorpus(result, `${target.commit.slice(0, 10)}${target.dirty ? ' (dirty)' : ''}`);
    if (added) console.log(`  ${name}: ${added} cases added to tests/fuzz/corpus/${name}.json`);
  }
  for (const n of result.notes ?? []) console.log(`  ${name} note: ${n.slice(0, 600)}`);
  if (result.stats && !values.quiet) console.log(`  ${name} stats: ${JSON.stringify(result.stats)}`);
  for (const f of result.findings)
    console.log(
      `  ${name}: ${f.kind} after ${f.atInputs} inputs / ${f.atSeconds} s${f.reproduced ? ' (reproduced alone)' : ''}: ${f.signature}`,
    );
}

const rows = [
  ['fuzzer', 'inputs', 'inputs/s', 'crashes', 'hangs', 'peak RSS', 'seconds', 'restarts'],
  ...results.map((r) => [
    r.fuzzer,
    String(r.inputs),
    (r.inputs / Math.max(r.seconds, 0.001)).toFixed(0),
    String(r.crashes),
    String(r.hangs),
    mib(r.peakRss),
    r.seconds.toFixed(0),
    String(r.restarts),
  ]),
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
for (const [i, row] of rows.entries()) {
  console.log(row.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join(' | '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
}

writeOut();
console.log(`fuzz: wrote ${out}`);
process.exit(results.some((r) => r.crashes || r.hangs) ? 1 : 0);
