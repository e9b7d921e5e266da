import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMessage, encodeMessage, MessageClass, Method, StunDecodeError } from '@parley/stun';
import {
  channelDataLength,
  encodeChannelFrame,
  isBindableChannel,
  looksLikeChannelData,
  ServerStreamFramer,
} from './channel-data.js';

describe('ChannelData', () => {
  test('numbers 0x4000–0x7FFF are bindable (RFC 5766 range), others not', () => {
    assert.deepEqual([0x3fff, 0x4000, 0x4fff, 0x5000, 0x7fff, 0x8000].map(isBindableChannel), [
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
    assert.equal(looksLikeChannelData(0x7f), true);
    assert.equal(looksLikeChannelData(0x80), false);
    assert.equal(looksLikeChannelData(0x01), false);
  });

  test('a datagram with or without padding reads back its data length; a short one is -1', () => {
    const unpadded = encodeChannelFrame(0x6f38, new Uint8Array([1, 2, 3]), false);
    const padded = encodeChannelFrame(0x6f38, new Uint8Array([1, 2, 3]), true);
    assert.equal(unpadded.length, 7);
    assert.equal(padded.length, 8);
    assert.equal(channelDataLength(unpadded), 3);
    assert.equal(channelDataLength(padded), 3);
    assert.equal(channelDataLength(unpadded.subarray(0, 6)), -1);
    assert.equal(channelDataLength(new Uint8Array([0x40, 0, 0, 1, 9, 0, 0, 0, 0])), -1, 'longer than padded');
    assert.equal(channelDataLength(new Uint8Array([0x40, 0])), -1);
  });
});

describe('stream framer', () => {
  const stun = encodeMessage(createMessage(Method.Binding, MessageClass.Request, new Uint8Array(12).fill(1)));
  const chan = encodeChannelFrame(0x7001, new Uint8Array([5, 6, 7, 8, 9]), true);
  const stream = new Uint8Array([...stun, ...chan, ...stun]);

  test('frames split across writes at every byte come out whole and in order', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const f = new ServerStreamFramer();
      const frames = [...f.push(stream.slice(0, cut)), ...f.push(stream.slice(cut))];
      assert.equal(frames.length, 3, `cut at ${cut}`);
      assert.deepEqual(frames[0], { kind: 'stun', bytes: stun });
      assert.deepEqual(frames[1], {
        kind: 'channel-data',
        channel: 0x7001,
        data: new Uint8Array([5, 6, 7, 8, 9]),
      });
      assert.equal(f.buffered, 0);
    }
  });

  test('one byte at a time works too', () => {
    const f = new ServerStreamFramer();
    const frames = [];
    for (const b of stream) frames.push(...f.push(Uint8Array.of(b)));
    assert.equal(frames.length, 3);
  });

  test('at bytes that are neither STUN nor ChannelData the framer returns what came before and fails', () => {
    const f = new ServerStreamFramer();
    assert.deepEqual(f.push(new Uint8Array([...stun, 0x16, 3, 1, 0, 5])), [{ kind: 'stun', bytes: stun }]);
    assert.ok(f.failure instanceof StunDecodeError);
    assert.throws(() => f.push(stun), StunDecodeError, 'a failed stream stays failed');
    const g = new ServerStreamFramer();
    const badCookie = stun.slice();
    badCookie[4] = 0;
    assert.deepEqual(g.push(badCookie), []);
    assert.equal(g.failure?.code, 'BAD_MAGIC_COOKIE');
  });
});
