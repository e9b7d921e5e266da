import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const options = { minDelayMs: 100, maxDelayMs: 1600 };

  it('doubles the step with each attempt until the cap', () => {
    // With the random part at its maximum the delay is the whole step.
    const steps = [0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, options, () => 1));
    assert.deepEqual(steps, [100, 200, 400, 800, 1600, 1600, 1600]);
  });

  it('never goes below half the step (jitter spreads clients over the upper half)', () => {
    const lows = [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, options, () => 0));
    assert.deepEqual(lows, [50, 100, 200, 400, 800, 800]);
  });

  it('draws each delay between half and all of its step', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const step = Math.min(1600, 100 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, options);
        assert.ok(d >= step / 2 && d <= step, `attempt ${attempt}: ${d} outside [${step / 2}, ${step}]`);
      }
    }
  });

  it('spreads clients that retry at the same attempt', () => {
    const delays = new Set(Array.from({ length: 40 }, () => backoffDelay(3, options)));
    assert.ok(delays.size > 10, `only ${delays.size} distinct delays out of 40`);
  });

  it('stays finite for huge attempt numbers and treats nonsense options sanely', () => {
    assert.equal(
      backoffDelay(10_000, options, () => 1),
      1600,
    );
    assert.equal(
      backoffDelay(-3, options, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(2, { minDelayMs: 500, maxDelayMs: 100 }, () => 1),
      500,
      'max below min means min',
    );
  });

  it('defaults to 250 ms doubling up to 10 s', () => {
    assert.equal(
      backoffDelay(0, {}, () => 1),
      250,
    );
    assert.equal(
      backoffDelay(20, {}, () => 1),
      10_000,
    );
  });
});
