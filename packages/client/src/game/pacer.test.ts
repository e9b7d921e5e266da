import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendPacer } from './pacer.js';

/** Offers an update every `every` ms for `ms`; the link holds `buffered(t)` bytes. Returns the send times. */
function run(
  pacer: SendPacer,
  ms: number,
  every: number,
  buffered: (t: number) => number,
  from = 0,
): number[] {
  const sent: number[] = [];
  for (let t = from; t < from + ms; t += every) if (pacer.decide(t, buffered(t), 100)) sent.push(t);
  return sent;
}

describe('game send pacer', () => {
  it('starts at a quarter of maxHz and climbs to maxHz on a clear link, however often it is offered an update', () => {
    const pacer = new SendPacer({ maxHz: 60 });
    assert.equal(pacer.rateHz, 15);
    const sent = run(pacer, 3000, 1, () => 0);
    const last = sent.filter((t) => t >= 2000).length;
    assert.ok(last >= 58 && last <= 61, `${last} updates in the third second`);
  });

  it('holds updates back while the channel buffer holds more than one, and slows down', () => {
    const pacer = new SendPacer({ maxHz: 60, minHz: 5 });
    const sent = run(pacer, 1000, 4, (t) => (t >= 200 && t < 800 ? 5000 : 0));
    assert.equal(sent.filter((t) => t >= 200 && t < 800).length, 0, 'nothing while the buffer is full');
    assert.ok(
      sent.some((t) => t >= 800),
      'sends again once it drained',
    );
    const fresh = new SendPacer({ maxHz: 60, minHz: 5 });
    for (let t = 0; t < 600; t += 4) fresh.decide(t, 5000, 100);
    assert.equal(fresh.rateHz, 5, 'a buffer that stays full brings the rate down to minHz');
  });

  it('slows down when the RTT rises well above the least seen, and climbs back when it falls', () => {
    const pacer = new SendPacer({ maxHz: 60 });
    pacer.observeRtt(20, 0);
    run(pacer, 3000, 1, () => 0);
    pacer.observeRtt(25, 3000);
    assert.equal(pacer.rateHz, 60, 'ordinary jitter is no signal');
    for (let t = 3000; t < 6000; t += 100) pacer.observeRtt(300, t);
    assert.ok(pacer.rateHz < 20, `rate ${pacer.rateHz} under a queue`);
    const low = pacer.rateHz;
    for (let t = 6000; t < 6500; t += 50) pacer.observeRtt(21, t);
    run(pacer, 2000, 1, () => 0, 6500);
    assert.ok(pacer.rateHz > low + 10, `rate ${pacer.rateHz} after the queue drained`);
  });
});

describe('game send pacer: acknowledgements', () => {
  it('holds updates while more are unacknowledged than a round trip holds, yet probes at minHz', () => {
    const pacer = new SendPacer({ maxHz: 60, minHz: 5 });
    pacer.observeRtt(50, 0);
    const window = pacer.window;
    assert.ok(window >= 2 && window < 20, `window ${window}`);
    // No acknowledgement ever comes back: in flight grows with every update sent.
    let inFlight = 0;
    const sent: number[] = [];
    for (let t = 0; t < 3000; t += 4) {
      if (pacer.decide(t, 0, 100, inFlight)) {
        sent.push(t);
        inFlight++;
      }
    }
    const late = sent.filter((t) => t >= 1000);
    assert.ok(late.length >= 9 && late.length <= 11, `${late.length} probes in 2 s at 5/s`);
    assert.ok(pacer.rateHz <= 6, `rate ${pacer.rateHz}`);
  });
});
