/**
 * The loop every fuzzer shares: generate a batch of cases from a seeded PRNG, send them, check the process
 * (alive, /healthz and a bystander round trip within HANG_MS, RSS), and on a death narrow the batch down
 * to the case that kills a fresh process (by halves), record it with the stderr tail, restart and go on.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Rng } from './random.js';
import type { Health, Target } from './target.js';

/** A case is plain JSON with the seed it was generated from, so that it can be committed and replayed. */
export interface Case {
  seed: number;
}

export interface Fuzzer<C extends Case> {
  readonly name: string;
  /** Cases per batch (the process is checked between batches). */
  readonly batch: number;
  /** What the process must be started with for this fuzzer (a static dir, certificates, a TURN secret…). */
  serveArgs(): { args: string[]; env?: NodeJS.ProcessEnv };
  generate(seed: number): C;
  /** Sends the cases (concurrently as it likes) and resolves with the number of inputs they held. */
  execute(target: Target, cases: readonly C[]): Promise<number>;
  /** Counts of what the server answered (is the fuzzer reaching anything?), copied into the result. */
  readonly stats?: Record<string, number>;
  /** Things worth a look that are not crashes (an INTERNAL error and the frames before it…). */
  readonly notes?: string[];
}

export interface Finding {
  kind: 'crash' | 'hang' | 'rss';
  fuzzer: string;
  /** The run's seed, and how far into the run the finding was detected. */
  runSeed: number;
  atInputs: number;
  atSeconds: number;
  /** The first lines of the stack trace (crash), or what did not answer (hang). */
  signature: string;
  exit?: string;
  stderrTail?: string;
  /** The one case that kills a fresh process, when narrowing found it; else the batch's case seeds. */
  case?: unknown;
  batchSeeds?: number[];
  reproduced: boolean;
}

export interface RunResult {
  fuzzer: string;
  seed: number;
  inputs: number;
  cases: number;
  seconds: number;
  crashes: number;
  hangs: number;
  peakRss: number;
  restarts: number;
  findings: Finding[];
  stats?: Record<string, number>;
  notes?: string[];
  /** Batches the fuzzer itself failed on (its own bug). */
  fuzzerErrors?: number;
}

export interface RunOptions {
  serve: Target;
  seconds?: number;
  count?: number;
  seed: number;
  /** RSS past this is a finding (once per run). Default 768 MiB. */
  rssLimit?: number;
  /** Called after every batch, for progress output. */
  progress?: (r: RunResult) => void;
  /** Keep at most this many full findings per signature (the rest are counted). Default 3. */
  keepPerSignature?: number;
}

/** Error name and message and the first frames of a Node stack trace in a process's stderr tail. */
export function crashSignature(tail: string): string {
  const lines = tail.split('\n');
  let i = lines.findIndex((l) => /^(\w*Error|Uncaught)\b.*:/.test(l.trim()));
  if (i < 0) i = lines.findIndex((l) => /^(\w*Error|node:internal)/.test(l.trim()));
  if (i < 0) i = lines.findIndex((l) => /^\s+at /.test(l));
  if (i < 0)
    return lines
      .filter((l) => l.trim())
      .slice(-3)
      .join(' | ');
  const out = [lines[i]!.trim()];
  for (let j = i + 1; j < lines.length && out.length < 4; j++)
    if (/^\s+at /.test(lines[j]!) || /code: /.test(lines[j]!)) out.push(lines[j]!.trim());
  return out.join(' | ');
}

export async function runFuzzer<C extends Case>(fuzzer: Fuzzer<C>, o: RunOptions): Promise<RunResult> {
  const target = o.serve;
  const rng = new Rng(o.seed);
  const started = performance.now();
  const seconds = o.seconds ?? Number.POSITIVE_INFINITY;
  const count = o.count ?? Number.POSITIVE_INFINITY;
  const keep = o.keepPerSignature ?? 3;
  const kept = new Map<string, number>();
  const result: RunResult = {
    fuzzer: fuzzer.name,
    seed: o.seed,
    inputs: 0,
    cases: 0,
    seconds: 0,
    crashes: 0,
    hangs: 0,
    peakRss: 0,
    restarts: 0,
    findings: [],
  };
  const elapsed = () => (performance.now() - started) / 1000;
  let rssReported = false;
  const restartsBefore = target.restarts;
  while (result.inputs < count && elapsed() < seconds) {
    const cases = Array.from({ length: fuzzer.batch }, () => fuzzer.generate((rng.next() * 2 ** 32) >>> 0));
    try {
      result.inputs += await fuzzer.execute(target, cases);
    } catch (err) {
      // A bug of the fuzzer, not of the server: say so, and stop after a few.
      result.fuzzerErrors = (result.fuzzerErrors ?? 0) + 1;
      console.error(`fuzz: ${fuzzer.name}: the fuzzer itself failed: ${(err as Error).stack}`);
      if (result.fuzzerErrors > 20) break;
    }
    result.cases += cases.length;
    const health = await target.check();
    if (!health.ok) {
      const signature = health.kind === 'crash' ? crashSignature(health.stderrTail) : health.what;
      const finding: Finding = {
        kind: health.kind,
        fuzzer: fuzzer.name,
        runSeed: o.seed,
        atInputs: result.inputs,
        atSeconds: Math.round(elapsed() * 10) / 10,
        signature,
        stderrTail: health.stderrTail,
        reproduced: false,
        ...(health.kind === 'crash' ? { exit: health.exit } : {}),
      };
      if (health.kind === 'crash') result.crashes++;
      else result.hangs++;
      const seen = kept.get(signature) ?? 0;
      kept.set(signature, seen + 1);
      if (seen < keep) {
        // Narrow down only the first few of each kind: it costs restarts.
        const culprit = health.kind === 'crash' ? await isolate(fuzzer, target, cases) : undefined;
        if (culprit) {
          finding.case = culprit.case;
          finding.reproduced = culprit.reproduced;
          if (culprit.tail) finding.signature = crashSignature(culprit.tail);
        }
        if (!finding.case) finding.batchSeeds = cases.map((c) => c.seed);
        result.findings.push(finding);
      }
      await target.restart();
    }
    result.peakRss = Math.max(result.peakRss, target.peakRss);
    if (o.rssLimit !== undefined && !rssReported && target.peakRss > o.rssLimit) {
      rssReported = true;
      result.findings.push({
        kind: 'rss',
        fuzzer: fuzzer.name,
        runSeed: o.seed,
        atInputs: result.inputs,
        atSeconds: Math.round(elapsed() * 10) / 10,
        signature: `RSS ${(target.peakRss / 2 ** 20).toFixed(0)} MiB past the limit of ${(o.rssLimit / 2 ** 20).toFixed(0)} MiB`,
        reproduced: false,
      });
    }
    result.seconds = elapsed();
    result.restarts = target.restarts - restartsBefore;
    o.progress?.(result);
  }
  result.seconds = elapsed();
  result.peakRss = Math.max(result.peakRss, target.peakRss);
  result.restarts = target.restarts - restartsBefore;
  if (fuzzer.stats) result.stats = { ...fuzzer.stats };
  if (fuzzer.notes?.length) result.notes = [...fuzzer.notes];
  return result;
}

/**
 * Finds the case of a batch that kills a fresh process: restart, send one half, see whether the process
 * dies, keep the half that kills it. Bounded in steps and time; `reproduced` says whether the last case
 * on its own killed a fresh process.
 */
async function isolate<C extends Case>(
  fuzzer: Fuzzer<C>,
  target: Target,
  cases: readonly C[],
): Promise<{ case: C | undefined; reproduced: boolean; tail?: string } | undefined> {
  const deadline = Date.now() + 90_000;
  const kills = async (set: readonly C[]): Promise<string | undefined> => {
    await target.restart();
    await fuzzer.execute(target, set);
    if (await target.settle(400)) return undefined;
    return target.tail();
  };
  let set = cases;
  let tail: string | undefined;
  for (let step = 0; step < 40 && set.length > 1 && Date.now() < deadline; step++) {
    const half = set.slice(0, Math.ceil(set.length / 2));
    const rest = set.slice(half.length);
    const a = await kills(half);
    if (a) {
      set = half;
      tail = a;
      continue;
    }
    const b = await kills(rest);
    if (b) {
      set = rest;
      tail = b;
      continue;
    }
    // Neither half killed a fresh process on its own (timing under concurrency?): try each case alone.
    if (set.length <= 64) {
      await target.restart();
      for (const c of set) {
        if (Date.now() > deadline) break;
        await fuzzer.execute(target, [c]);
        if (!(await target.settle(300))) return { case: c, reproduced: true, tail: target.tail() };
      }
    }
    return { case: undefined, reproduced: false }; // only together did they kill it
  }
  if (set.length !== 1) return { case: undefined, reproduced: false };
  if (!tail) tail = await kills(set);
  return tail ? { case: set[0], reproduced: true, tail } : { case: set[0], reproduced: false };
}

export interface CorpusEntry<C> {
  /** What the case did to a process, and against which commit it was found. */
  note: string;
  signature?: string;
  case: C;
}

/** The committed regression cases of a fuzzer: tests/fuzz/corpus/<name>.json (a JSON list). */
export function loadCorpus<C>(name: string): CorpusEntry<C>[] {
  const url = new URL(`./corpus/${name}.json`, import.meta.url);
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as CorpusEntry<C>[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Adds a run's reproduced crash cases to its fuzzer's corpus (skipping cases already there). */
export function saveToCorpus(result: RunResult, commit: string): number {
  const entries = loadCorpus<Case>(result.fuzzer);
  const have = new Set(entries.map((e) => JSON.stringify(e.case)));
  let added = 0;
  for (const f of result.findings) {
    if (f.kind !== 'crash' || !f.reproduced || !f.case || have.has(JSON.stringify(f.case))) continue;
    entries.push({
      note: `killed parley serve at ${commit} (run seed ${result.seed}, found after ${f.atInputs} inputs)`,
      signature: f.signature,
      case: f.case as Case,
    });
    have.add(JSON.stringify(f.case));
    added++;
  }
  if (added) {
    const url = new URL('./corpus/', import.meta.url);
    mkdirSync(url, { recursive: true });
    writeFileSync(new URL(`${result.fuzzer}.json`, url), `${JSON.stringify(entries, null, 2)}\n`);
  }
  return added;
}

/** Replays every committed case on its own, checking the process after each; returns what failed. */
export async function replayCorpus<C extends Case>(
  fuzzer: Fuzzer<C>,
  target: Target,
): Promise<{ replayed: number; failures: { entry: CorpusEntry<C>; health: Health }[] }> {
  const failures: { entry: CorpusEntry<C>; health: Health }[] = [];
  const entries = loadCorpus<C>(fuzzer.name);
  for (const entry of entries) {
    await fuzzer.execute(target, [entry.case]);
    await target.settle(200);
    const health = await target.check();
    if (!health.ok) {
      failures.push({ entry, health });
      await target.restart();
    }
  }
  return { replayed: entries.length, failures };
}
