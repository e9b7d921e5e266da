import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullBucket, takeToken } from './token-bucket.js';

test('a bucket gives its burst at once, then refills at its rate, never above the burst', () => {
  const b = fullBucket(3, 1000.7);
  let taken = 0;
  while (takeToken(b, 1000.9, 10, 3)) taken++;
  assert.equal(taken, 3);
  // 10/s: one token per 100 ms, counted in whole milliseconds.
  assert.equal(takeToken(b, 1099.9, 10, 3), false, '99 ms: not yet');
  assert.equal(takeToken(b, 1100.2, 10, 3), true, '100 ms: one token');
  assert.equal(takeToken(b, 1100.2, 10, 3), false);
  // A long pause refills to the burst only.
  taken = 0;
  while (takeToken(b, 60_000, 10, 3)) taken++;
  assert.equal(taken, 3);
});

test('the state stays small integers at any rate', () => {
  const b = fullBucket(1_000_000, 5.5);
  for (let t = 5; t < 2000; t += 0.37) takeToken(b, t, 1_000_000, 1_000_000);
  assert.ok(Number.isInteger(b.milliTokens) && Number.isInteger(b.last));
  assert.ok(b.milliTokens <= 2 ** 31 - 1);
});
