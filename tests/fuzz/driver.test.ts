// The driver itself, against a real process: a case that kills it is detected, narrowed down to, and the
// run goes on with a fresh process; and cases are the same for the same seed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Case, type Fuzzer, runFuzzer } from './driver.js';
import { fuzzers } from './fuzzers.js';
import { Rng } from './random.js';
import { Target } from './target.js';

interface KillCase extends Case {
  kill: boolean;
}

/** Sends SIGKILL to the server for one case in 50: a crash the driver must find by itself. */
const killer: Fuzzer<KillCase> = {
  name: 'killer',
  batch: 8,
  serveArgs: () => ({ args: ['--no-turn'] }),
  generate: (seed) => ({ seed, kill: new Rng(seed).int(50) === 0 }),
  async execute(target, cases) {
    for (const c of cases) if (c.kill && target.alive()) target.serve.child.kill('SIGKILL');
    return cases.length;
  },
};

test('a case that kills the process is recorded with its stderr, narrowed down to, and the run goes on', async () => {
  const target = await Target.start({ args: ['--no-turn'] });
  try {
    // Seed 7 draws one killing case among the first 96 (the 85th).
    const r = await runFuzzer(killer, { serve: target, count: 96, seed: 7 });
    assert.equal(r.crashes, 1, `expected one crash in 96 cases: ${JSON.stringify(r)}`);
    assert.equal(r.hangs, 0);
    const f = r.findings.find((x) => x.kind === 'crash')!;
    assert.equal(f.exit, 'signal SIGKILL');
    assert.equal((f.case as KillCase).kill, true, 'the narrowed-down case is the killing one');
    assert.equal(f.reproduced, true);
    assert.ok(r.restarts >= 1 && target.alive(), 'a fresh process took over');
    assert.equal(r.inputs, 96);
  } finally {
    await target.stop();
  }
});

/** Stops the server (SIGSTOP) for one case: a process that is alive but answers nothing, a hang. */
const freezer: Fuzzer<KillCase> = {
  ...killer,
  name: 'freezer',
  async execute(target, cases) {
    for (const c of cases) if (c.kill && target.alive()) target.serve.child.kill('SIGSTOP');
    return cases.length;
  },
};

test('a process that stops answering is a hang: recorded, killed and replaced', async () => {
  const target = await Target.start({ args: ['--no-turn'] });
  try {
    const r = await runFuzzer(freezer, { serve: target, count: 96, seed: 7 });
    assert.equal(r.hangs, 1, JSON.stringify(r));
    assert.equal(r.crashes, 0);
    assert.match(r.findings[0]!.signature, /healthz/);
    assert.ok(target.alive() && (await target.check()).ok, 'a fresh process took over');
  } finally {
    await target.stop();
  }
});

test('every fuzzer generates the same case from the same seed', () => {
  for (const [name, f] of Object.entries(fuzzers)) {
    for (const seed of [0, 1, 0xdeadbeef])
      assert.deepEqual(f.generate(seed), f.generate(seed), `${name} seed ${seed}`);
  }
});
