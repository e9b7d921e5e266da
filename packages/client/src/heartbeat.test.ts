import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Heartbeat } from './heartbeat.js';

describe('Heartbeat', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  /** Advances the clock a second at a time, so each timer sees the time it fired at. */
  function wait(ms: number): void {
    for (let left = ms; left > 0; left -= 1000) mock.timers.tick(Math.min(1000, left));
  }

  function watch(options = {}) {
    const pings: number[] = [];
    let dead = 0;
    const hb = new Heartbeat(
      options,
      () => pings.push(Date.now() - 1_000_000),
      () => dead++,
    );
    hb.start();
    return { hb, pings, dead: () => dead };
  }

  it('pings only after 20 s of silence, and not while the server talks', () => {
    const { hb, pings, dead } = watch();
    for (let t = 0; t < 60; t++) {
      wait(1000);
      hb.heard();
    }
    assert.deepEqual(pings, []);
    // Silent from 60 s: a ping at 80 s; its answer comes back at once.
    wait(25_000);
    assert.deepEqual(pings, [80_000]);
    hb.heard();
    wait(20_000);
    assert.deepEqual(pings, [80_000, 105_000]);
    assert.equal(dead(), 0);
    hb.stop();
  });

  it('gives the socket up after 30 s of silence', () => {
    const { pings, dead } = watch();
    wait(30_000);
    assert.equal(dead(), 0);
    wait(5000);
    assert.equal(dead(), 1);
    assert.deepEqual(pings, [20_000]);
  });

  it('a probe pings at once and gives up after 5 s without an answer', () => {
    const { hb, pings, dead } = watch();
    wait(3000);
    hb.probe();
    assert.deepEqual(pings, [3000]);
    mock.timers.tick(4999);
    assert.equal(dead(), 0);
    mock.timers.tick(1);
    assert.equal(dead(), 1);
  });

  it('an answered probe changes nothing', () => {
    const { hb, dead } = watch();
    hb.probe();
    mock.timers.tick(100);
    hb.heard();
    wait(10_000);
    assert.equal(dead(), 0);
    hb.stop();
  });
});
