import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitrate, bytes, duration } from './format.js';

test('sizes, rates and durations read naturally', () => {
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(3 * 1024 * 1024), '3.0 MiB');
  assert.equal(bytes(300 * 1024), '300 KiB');
  assert.equal(bitrate(2_500_000), '2.5 Mbit/s');
  assert.equal(bitrate(64_000), '64 kbit/s');
  assert.equal(duration(0.4), '< 1 s');
  assert.equal(duration(75), '1 min 15 s');
  assert.equal(duration(Number.POSITIVE_INFINITY), '—');
});
