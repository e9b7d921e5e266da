import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeChannelData, isValidChannelNumber, StunStreamFramer } from '@parley/stun';
import { CHANNELS, encodeChannelFrame } from './channel-data.js';

describe('ChannelData', () => {
  test('numbers 0x4000–0x7FFF are bindable (RFC 5766 range, as coturn), others not', () => {
    const numbers = [0x3fff, 0x4000, 0x4fff, 0x5000, 0x7fff, 0x8000];
    assert.deepEqual(
      numbers.map((n) => isValidChannelNumber(n, CHANNELS)),
      [false, true, true, true, true, false],
    );
  });

  test('frames to clients are padded only on streams and read back with the legacy range', () => {
    const unpadded = encodeChannelFrame(0x6f38, new Uint8Array([1, 2, 3]), false);
    const padded = encodeChannelFrame(0x6f38, new Uint8Array([1, 2, 3]), true);
    assert.deepEqual([...unpadded], [0x6f, 0x38, 0, 3, 1, 2, 3]);
    assert.deepEqual([...padded], [0x6f, 0x38, 0, 3, 1, 2, 3, 0]);
    const decoded = decodeChannelData(unpadded, CHANNELS);
    assert.deepEqual([decoded.channel, ...decoded.data], [0x6f38, 1, 2, 3]);
    const frames = new StunStreamFramer(CHANNELS).push(padded);
    assert.equal(frames.length, 1);
    const f = frames[0]!;
    assert.ok(f.kind === 'channel-data');
    assert.deepEqual([f.channel, ...f.data], [0x6f38, 1, 2, 3]);
  });
});
