import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendPacer } from './pacer.js';

/** Offers an update every `every` ms for `ms`; the link holds `buffered(t)` bytes. Returns the send times. */
function run(pacer: SendPacer, ms: number, every: number, buffered: (t: number) => number): number[] {
  const sent: number[] = [];
  for (let t = 0; t < ms; t += every) if (pacer.decide(t, buffered(t), 100)) sent.push(t);
  return sent;
}

describe('game send pacer', () => {
  it('sends at most maxHz on a clear link however often it is offered an update', () => {
    const sent = run(new SendPacer({ maxHz: 60 }), 1000, 1, () => 0);
    assert.ok(sent.length >= 58 && sent.length <= 61, `${sent.length} updates in 1 s`);
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
    pacer.observeRtt(25, 100);
    assert.equal(pacer.rateHz, 60, 'ordinary jitter is no signal');
    for (let t = 1000; t < 5000; t += 200) pacer.observeRtt(300, t);
    assert.ok(pacer.rateHz < 20, `rate ${pacer.rateHz} under a queue`);
    const low = pacer.rateHz;
    pacer.observeRtt(22, 6000);
    run(pacer, 2000, 1, () => 0);
    assert.ok(pacer.rateHz > low + 10, `rate ${pacer.rateHz} after the queue drained`);
  });
});
