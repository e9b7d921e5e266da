import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newCounters } from '../core/counters.js';
import { descriptorShare, openFileLimit, StreamGate } from './stream-gate.js';

const LIMITS = {
  connectionsPerSource: 2,
  connectionsTotal: 3,
  firstMessageTimeoutMs: 5000,
  idleTimeoutMs: 30_000,
  allocatedIdleTimeoutMs: 660_000,
  maxFrameBytes: 16_384,
};

describe('StreamGate', () => {
  test('admits up to the per-source cap and the total, counts refusals, and takes slots back', () => {
    const counters = newCounters();
    const gate = new StreamGate(LIMITS, counters, 64);
    assert.equal(gate.admit('192.0.2.1'), true);
    assert.equal(gate.admit('192.0.2.1'), true);
    assert.equal(gate.admit('192.0.2.1'), false, 'third from one source');
    assert.equal(gate.admit('2001:db8:0:1::1'), true);
    assert.equal(gate.admit('2001:db8:0:2::1'), false, 'fourth in total');
    assert.deepEqual(
      [counters.limits.streamConnectionsPerSource, counters.limits.streamConnectionsTotal],
      [1, 1],
    );
    gate.release('192.0.2.1');
    assert.equal(gate.open, 2);
    assert.equal(gate.admit('2001:db8:0:1::2'), true, 'same /64 as an open one, under its cap');
    assert.equal(gate.admit('2001:db8:0:1::3'), false);
  });

  test('the descriptor share is 40 % of the open-file limit, within [16, max], or the fallback', () => {
    assert.equal(descriptorShare(10_000, 4096, 400), 160);
    assert.equal(descriptorShare(10_000, 4096, 1_048_576), 10_000);
    assert.equal(descriptorShare(10_000, 4096, 20), 16);
    assert.equal(descriptorShare(10_000, 4096, undefined), 4096);
    if (process.platform === 'linux') assert.ok((openFileLimit() ?? 0) > 0, 'read from /proc/self/limits');
  });
});
