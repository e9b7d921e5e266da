import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@parley/testing';
import { IceRecovery } from './recovery.js';

function setup(polite = false) {
  const timers = new FakeClock();
  const restarts: number[] = [];
  const r = new IceRecovery(() => restarts.push(timers.t), {
    timers,
    polite,
    disconnectedTimeoutMs: 3000,
    connectTimeoutMs: 10_000,
  });
  return { timers, restarts, r };
}

describe('IceRecovery', () => {
  it('restarts at once when the connection fails, or closes by itself', () => {
    const { timers, restarts, r } = setup();
    r.observe('failed');
    timers.advance(0);
    assert.deepEqual(restarts, [0]);
    r.observe('closed');
    timers.advance(0);
    assert.equal(restarts.length, 2);
  });

  it('restarts when the connection stays disconnected, not when it comes back in time', () => {
    const { timers, restarts, r } = setup();
    r.observe('disconnected');
    timers.advance(2000);
    r.observe('connected');
    timers.advance(5000);
    assert.deepEqual(restarts, [], 'a short blip is left alone');
    r.observe('disconnected');
    timers.advance(3000);
    assert.deepEqual(restarts, [10_000]);
  });

  it('tries again when a (re)start does not connect in time, and stops once connected', () => {
    const { timers, restarts, r } = setup();
    r.started();
    timers.advance(10_000);
    assert.deepEqual(restarts, [10_000]);
    r.started();
    timers.advance(4000);
    r.observe('connecting');
    r.observe('connected');
    timers.advance(60_000);
    assert.deepEqual(restarts, [10_000]);
  });

  it('each attempt that does not connect gets twice as long as the one before, up to 8 times, until one connects', () => {
    const { timers, restarts, r } = setup();
    const attempt = () => {
      const before = restarts.length;
      const start = timers.t;
      r.started();
      while (restarts.length === before) timers.advance(1000);
      return timers.t - start;
    };
    assert.deepEqual(
      [attempt(), attempt(), attempt(), attempt(), attempt()],
      [10_000, 20_000, 40_000, 80_000, 80_000],
    );
    r.observe('connected');
    assert.equal(attempt(), 10_000, 'a connection that came up resets the backoff');
  });

  it('the polite side waits longer, so that usually the impolite side restarts first', () => {
    const polite = setup(true);
    const impolite = setup(false);
    for (const s of [polite, impolite]) s.r.observe('disconnected');
    impolite.timers.advance(3000);
    polite.timers.advance(3000);
    assert.equal(impolite.restarts.length, 1);
    assert.equal(polite.restarts.length, 0);
    polite.timers.advance(1500);
    assert.equal(polite.restarts.length, 1);
  });

  it('does nothing after dispose', () => {
    const { timers, restarts, r } = setup();
    r.observe('disconnected');
    r.dispose();
    r.observe('failed');
    r.started();
    timers.advance(60_000);
    assert.deepEqual(restarts, []);
  });
});
