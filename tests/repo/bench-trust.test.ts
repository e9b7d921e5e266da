/**
 * The signaling benchmark's memory figures: a per-connection figure is a result only when the connections
 * moved memory well past the noise; a negative or tiny one is reported as untrusted, never as a figure or a
 * ratio (bench/src/signaling/trust.ts, used by report.ts). Benchmarks are not run by `npm test`; this is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MEMORY_NOISE_BYTES, memoryTrust } from '../../bench/src/signaling/trust.js';

test('a negative memory-per-connection figure is untrusted, saying memory fell', () => {
  const t = memoryTrust(-0.35 * 1024, 1000);
  assert.equal(t.ok, false);
  assert.match(t.ok ? '' : t.why, /memory fell by 0\.3 MiB while 1000 connected/);
});

test('a figure whose total stays below the noise is untrusted; one well past it is a result', () => {
  const below = memoryTrust((MEMORY_NOISE_BYTES / 1000) * 0.9, 1000);
  assert.equal(below.ok, false);
  assert.match(below.ok ? '' : below.why, /below the 8 MiB noise/);
  assert.deepEqual(memoryTrust(8 * 1024, 10_000), { ok: true });
});

test('a figure not measured is untrusted', () => {
  assert.deepEqual(memoryTrust(null, 1000), { ok: false, why: 'not measured' });
  assert.deepEqual(memoryTrust(Number.NaN, 1000), { ok: false, why: 'not measured' });
});
