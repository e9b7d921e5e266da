import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Channel } from './channel.js';

/** The part of an RTCDataChannel a Channel touches, driven by hand. */
class TestDataChannel {
  readyState: RTCDataChannelState = 'open';
  binaryType = 'blob';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  readonly sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;

  send(data: unknown): void {
    if (this.readyState !== 'open') throw new Error('DataChannel is closed');
    this.sent.push(data);
  }

  close(): void {
    this.closeUnder();
  }

  /** The channel goes away under its owner (the remote closed it, or the connection is failing). */
  closeUnder(): void {
    this.readyState = 'closed';
    this.onclose?.();
  }
}

const asDc = (dc: TestDataChannel) => dc as unknown as RTCDataChannel;

describe('Channel', () => {
  it('a channel closed by a failing connection (before it reports failing) stays usable for the next one', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      // libdatachannel closes the RTCDataChannel first and reports the connection closed a moment later.
      let live: object | undefined = { connection: 1 };
      const ch = new Channel('parley', {}, () => live);
      const closes: number[] = [];
      ch.on('close', () => closes.push(1));
      const first = new TestDataChannel();
      ch.bind(asDc(first));
      assert.equal(ch.readyState, 'open');

      first.closeUnder();
      assert.equal(ch.readyState, 'connecting');
      ch.send('meanwhile');
      live = undefined; // the connection now says it failed
      mock.timers.tick(5000);
      assert.deepEqual(closes, [], 'not closed for good');

      live = { connection: 2 }; // recovery: a new connection, a new RTCDataChannel with the same label
      const second = new TestDataChannel();
      ch.bind(asDc(second));
      assert.equal(ch.readyState, 'open');
      assert.deepEqual(second.sent, ['meanwhile'], 'what was sent meanwhile goes out on the new one');
    } finally {
      mock.timers.reset();
    }
  });

  it('sendNow sends only on an open RTCDataChannel and keeps nothing for the next connection', () => {
    const ch = new Channel('parley-files/1/x', {}, () => undefined);
    const first = new TestDataChannel();
    ch.bind(asDc(first));
    assert.equal(ch.sendNow('a'), true);
    first.readyState = 'closed'; // closed underneath, before its close event is delivered
    assert.equal(ch.readyState, 'open');
    assert.equal(ch.sendNow('lost'), false);
    first.closeUnder();
    assert.equal(ch.sendNow('lost too'), false);
    ch.send('queued');
    const second = new TestDataChannel();
    ch.bind(asDc(second));
    assert.deepEqual(first.sent, ['a']);
    assert.deepEqual(second.sent, ['queued'], 'only what send() queued goes out on the next connection');
  });

  it('a channel the other side closes while the same connection stays up closes for good', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const live = { connection: 1 };
      const ch = new Channel('chat', {}, () => live);
      const closes: number[] = [];
      ch.on('close', () => closes.push(1));
      const dc = new TestDataChannel();
      ch.bind(asDc(dc));
      dc.closeUnder();
      assert.deepEqual(closes, [], 'not at once: the connection may yet report failing');
      mock.timers.tick(1000);
      assert.deepEqual(closes, [1]);
      assert.equal(ch.readyState, 'closed');
      assert.throws(() => ch.send('x'), { code: 'CHANNEL_CLOSED' });
    } finally {
      mock.timers.reset();
    }
  });
});
