import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SequenceTracker } from './sequence.js';

describe('SequenceTracker', () => {
  it('accepts each new sequence number once and drops repeats and older ones', () => {
    const t = new SequenceTracker();
    const delivered = [1, 2, 2, 3, 1, 4, 3, 5].filter((seq) => t.accept(seq));
    assert.deepEqual(delivered, [1, 2, 3, 4, 5]);
    assert.equal(t.last, 5);
  });

  it('drops the overlap when a replay after resume repeats frames already processed', () => {
    const t = new SequenceTracker();
    for (const seq of [1, 2, 3]) t.accept(seq);
    // The server replays from an older point than we processed (e.g. an ack that never arrived).
    const replay = [2, 3, 4, 5].filter((seq) => t.accept(seq));
    assert.deepEqual(replay, [4, 5]);
  });

  it('asks for an ack after every `ackEvery` frames', () => {
    const t = new SequenceTracker({ ackEvery: 3 });
    t.accept(1);
    t.accept(2);
    assert.equal(t.ackDue, false);
    assert.equal(t.hasUnacked, true);
    t.accept(3);
    assert.equal(t.ackDue, true);
    assert.equal(t.takeAck(), 3);
    assert.equal(t.ackDue, false);
    assert.equal(t.hasUnacked, false);
  });

  it('starts over from the seq a fresh join reports', () => {
    const t = new SequenceTracker();
    for (const seq of [1, 2, 3, 4]) t.accept(seq);
    t.reset(0);
    assert.equal(t.accept(1), true, 'a new session counts from 1 again');
    assert.equal(t.hasUnacked, true);
  });
});
