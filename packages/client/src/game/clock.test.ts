import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockSync, clockSample } from './clock.js';

/** One exchange with a remote clock `offset` ahead, `out`/`back` ms on the wire, `hold` ms at the remote. */
function exchange(t0: number, offset: number, out: number, back: number, hold = 1) {
  const t1 = t0 + out + offset;
  const t2 = t1 + hold;
  const t3 = t0 + out + hold + back;
  return [t0, t1, t2, t3] as const;
}

describe('game clock (NTP-style offset)', () => {
  it('finds the exact offset over a symmetric path', () => {
    const s = clockSample(...exchange(100, 5000, 20, 20));
    assert.equal(s.offset, 5000);
    assert.equal(s.rtt, 40);
    assert.equal(s.error, 20);
  });

  it('keeps the true offset within its error bound however asymmetric the path', () => {
    for (const [out, back] of [
      [1, 79],
      [79, 1],
      [40, 40],
      [0, 120],
    ] as const) {
      const s = clockSample(...exchange(0, -1234.5, out, back));
      assert.ok(Math.abs(s.offset - -1234.5) <= s.error, `${out}/${back}: ${s.offset} ± ${s.error}`);
    }
  });

  it('uses the sample with the least time on the wire, and forgets samples past its window', () => {
    const sync = new ClockSync(3);
    sync.add(...exchange(0, 50, 100, 10)); // queued on the way out: off by 45
    sync.add(...exchange(200, 50, 5, 5)); // clean
    sync.add(...exchange(400, 50, 10, 60));
    assert.equal(sync.best?.offset, 50);
    assert.equal(sync.best?.error, 5);
    sync.add(...exchange(600, 50, 30, 30));
    sync.add(...exchange(800, 50, 30, 30));
    sync.add(...exchange(1000, 50, 30, 30));
    assert.equal(sync.best?.error, 30, 'the clean sample rolled out of the window');
    sync.reset();
    assert.equal(sync.best, undefined);
  });
});
