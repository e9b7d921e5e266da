/**
 * The short fuzz runs of the test suite: replay the committed corpus, then fuzz for a few seconds, and
 * assert no crash, no hang and a bounded RSS. PARLEY_FUZZ_SEED picks another seed (the default is fixed
 * so that a failure replays); PARLEY_FUZZ_BIN runs them against another checkout's bin.
 */
import assert from 'node:assert/strict';
import { type Case, crashSignature, type Fuzzer, replayCorpus, runFuzzer } from './driver.js';
import { seedFrom } from './random.js';
import { Target } from './target.js';

/** Peak RSS a short run may reach. The server starts at about 70 MiB. */
export const SHORT_RUN_RSS_LIMIT = 400 * 2 ** 20;

export async function shortRun(fuzzer: Fuzzer<Case>, seconds: number): Promise<void> {
  const seed = seedFrom(process.env.PARLEY_FUZZ_SEED ?? '1');
  const setup = fuzzer.serveArgs();
  const bin = process.env.PARLEY_FUZZ_BIN;
  const target = await Target.start({
    ...(bin ? { bin } : {}),
    args: setup.args,
    ...(setup.env ? { env: setup.env } : {}),
  });
  try {
    const corpus = await replayCorpus(fuzzer, target);
    assert.deepEqual(
      corpus.failures.map(
        (f) =>
          `${f.entry.note}: ${f.health.ok ? '' : f.health.kind === 'crash' ? crashSignature(f.health.stderrTail) : f.health.what}`,
      ),
      [],
      `${fuzzer.name}: committed corpus cases killed or hung the server`,
    );
    const result = await runFuzzer(fuzzer, { serve: target, seconds, seed, keepPerSignature: 1 });
    const what = result.findings.map(
      (f) =>
        `${f.kind} after ${f.atInputs} inputs: ${f.signature}\ncase: ${JSON.stringify(f.case ?? f.batchSeeds)?.slice(0, 2000)}`,
    );
    assert.equal(result.crashes, 0, `${fuzzer.name} seed ${seed}: crashes\n${what.join('\n')}`);
    assert.equal(result.hangs, 0, `${fuzzer.name} seed ${seed}: hangs\n${what.join('\n')}`);
    assert.ok(result.inputs > 0, `${fuzzer.name}: sent no inputs`);
    assert.ok(
      result.peakRss < SHORT_RUN_RSS_LIMIT,
      `${fuzzer.name} seed ${seed}: peak RSS ${(result.peakRss / 2 ** 20).toFixed(0)} MiB`,
    );
  } finally {
    await target.stop();
  }
}
