import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SourceRateLimiter } from './unauthorized-limiter.js';

const NOW = Date.UTC(2026, 0, 1); // the wall-clock time the tests pretend it is

describe('401 rate limiter', () => {
  test('a source gets its burst, then nothing until tokens refill', () => {
    const rl = new SourceRateLimiter({ burst: 3, perSecond: 2 });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => rl.take('a', NOW)),
      [true, true, true, false],
    );
    assert.equal(rl.take('a', NOW + 400), false);
    assert.equal(rl.take('a', NOW + 500), true);
    assert.equal(rl.take('a', NOW + 500), false);
  });

  test('sources are limited independently', () => {
    const rl = new SourceRateLimiter({ burst: 1, perSecond: 1 });
    assert.equal(rl.take('a', NOW), true);
    assert.equal(rl.take('a', NOW), false);
    assert.equal(rl.take('b', NOW), true);
  });

  test('the number of tracked sources is bounded', () => {
    const rl = new SourceRateLimiter({ burst: 1, perSecond: 1, maxSources: 100 });
    for (let i = 0; i < 1000; i++) rl.take(`s${i}`, NOW);
    assert.equal(rl.trackedSources, 100);
  });
});
