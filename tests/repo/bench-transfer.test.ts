/**
 * `bench:transfer`'s figures (bench/src/transfer/report.ts): memory read at 25/50/75/100 % of the bytes and
 * called flat or not, and the figures of a path marked untrusted when there are too few rounds, a phase too
 * short to time, a raw pump that wandered between rounds or a busy machine. Benchmarks are not run by
 * `npm test`; this is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bytesAt,
  MIN_PHASE_MS,
  MiB,
  memoryProfile,
  type Phase,
  type Round,
  summarize,
  trustReasons,
} from '../../bench/src/transfer/report.js';

const samples = (mems: number[], bytes: number) =>
  mems.map((mem, i) => ({ t: 1000 + 100 * i, bytes: (bytes * i) / (mems.length - 1), mem }));

test('memory is read when a quarter, half, three quarters and all of the bytes were in', () => {
  const bytes = 256 * MiB;
  const m = memoryProfile(
    50 * MiB,
    samples(
      [50, 60, 65, 70, 80].map((x) => x * MiB),
      bytes,
    ),
    bytes,
  );
  assert.deepEqual(
    m.at.map((x) => x / MiB),
    [60, 65, 70, 80],
  );
  assert.equal(m.peak, 80 * MiB);
  assert.equal(m.flat, true, '20 MiB of growth is within 10 % of 256 MiB');
});

test('memory that grows with the bytes is not flat', () => {
  const bytes = 256 * MiB;
  const m = memoryProfile(
    50 * MiB,
    samples(
      [50, 114, 178, 242, 306].map((x) => x * MiB),
      bytes,
    ),
    bytes,
  );
  assert.equal(m.flat, false);
});

test('garbage collected in a saw-tooth is flat even when the peak is high; memory kept per byte is not', () => {
  const bytes = 256 * MiB;
  const saw = [50, 90, 130, 50, 90, 130, 50, 90, 130, 50, 90, 130, 50].map((x) => x * MiB);
  const m = memoryProfile(50 * MiB, samples(saw, bytes), bytes);
  assert.ok(m.peak - m.at[0] > 0.1 * bytes, 'the peak alone would say not flat');
  assert.ok(Math.abs(m.keptPerByte) < 0.1);
  assert.equal(m.flat, true);
  const grows = memoryProfile(
    50 * MiB,
    samples(
      [50, 114, 178, 242, 306].map((x) => x * MiB),
      bytes,
    ),
    bytes,
  );
  assert.ok(Math.abs(grows.keptPerByte - 1) < 0.01);
});

test('bytes at a moment are interpolated between the receiver samples', () => {
  const s = [
    { t: 0, bytes: 0, mem: 0 },
    { t: 100, bytes: 1000, mem: 0 },
  ];
  assert.equal(bytesAt(s, 50), 500);
  assert.equal(bytesAt(s, -10), 0);
  assert.equal(bytesAt(s, 500), 1000);
});

const phase = (name: string, ms: number, MBps: number): Phase => ({
  name,
  ms,
  MBps,
  memory: { before: 0, at: [0, 0, 0, 0], peak: 0, keptPerByte: 0, flat: true },
  cpu: {},
});
const round = (i: number, rawMBps: number, ms = 5000): Round => ({
  round: i,
  phases: [phase('raw', ms, rawMBps), phase('engine (disk)', ms, rawMBps * 0.9)],
});

test('three long, steady rounds on a quiet machine are trusted', () => {
  const rounds = [round(0, 100), round(1, 104), round(2, 98)];
  assert.deepEqual(trustReasons(rounds, 0.3, 2), []);
  const r = summarize('node', 256 * MiB, rounds, 0.3, 2);
  assert.equal(r.medians.raw?.MBps, 100);
  assert.ok(Math.abs((r.medians['engine (disk)']?.ofRaw ?? 0) - 0.9) < 0.01);
  assert.equal(r.memoryFlat, true);
});

test('too few rounds, a phase too short, a wandering raw pump or a busy machine make figures untrusted', () => {
  assert.match(trustReasons([round(0, 100)], 0, 2).join(), /only 1 round/);
  const short = trustReasons([round(0, 100), round(1, 100, MIN_PHASE_MS - 1), round(2, 100)], 0, 2);
  assert.match(short.join(), /too short to time/);
  const noisy = trustReasons([round(0, 100), round(1, 60), round(2, 100)], 0, 2);
  assert.match(noisy.join(), /varied by 40 %/);
  assert.match(trustReasons([round(0, 100), round(1, 100), round(2, 100)], 3.5, 2).join(), /busy/);
});
