import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bytesToHex,
  channelDataLength,
  classifyPacket,
  decodeChannelData,
  encodeChannelData,
  encodeMessage,
  hexToBytes,
  isValidChannelNumber,
  peekChannelData,
  StunEncodeError,
  startsChannelData,
  writeChannelData,
} from './index.js';

describe('ChannelData (RFC 8656 §12.4)', () => {
  test('encodes channel, length and data, padding to 4 only when asked', () => {
    assert.equal(bytesToHex(encodeChannelData(0x4001, Uint8Array.of(0xaa, 0xbb, 0xcc))), '40010003aabbcc');
    assert.equal(
      bytesToHex(encodeChannelData(0x4001, Uint8Array.of(0xaa, 0xbb, 0xcc), true)),
      '40010003aabbcc00',
    );
  });

  test('decodes with or without padding, and the data is a view of the input', () => {
    const padded = hexToBytes('4fff0001ee000000');
    const decoded = decodeChannelData(padded);
    assert.equal(decoded.channel, 0x4fff);
    assert.deepEqual([...decoded.data], [0xee]);
    assert.equal(decoded.data.buffer, padded.buffer);
    assert.deepEqual([...decodeChannelData(hexToBytes('4fff0001ee')).data], [0xee]);
  });

  test('rejects a channel number outside 0x4000–0x4fff', () => {
    assert.throws(() => decodeChannelData(hexToBytes('50000000')), {
      name: 'StunDecodeError',
      code: 'BAD_CHANNEL',
      place: 'channel data',
    });
    assert.throws(() => encodeChannelData(0x3fff, new Uint8Array(1)), StunEncodeError);
  });

  test('rejects data shorter than the length field, or longer than its padding', () => {
    assert.throws(() => decodeChannelData(hexToBytes('40000004aabbcc')), {
      code: 'BAD_LENGTH',
      message: 'channel data: length field 4 with 3 bytes after the header',
    });
    assert.throws(() => decodeChannelData(hexToBytes('40000001aa00000000')), { code: 'BAD_LENGTH' });
    assert.throws(() => decodeChannelData(hexToBytes('4000')), { code: 'TRUNCATED' });
  });

  test('writeChannelData frames into a caller buffer at an offset without allocating', () => {
    const out = new Uint8Array(32).fill(0xff);
    const n = writeChannelData(out, 8, 0x4002, Uint8Array.of(1, 2, 3, 4, 5), true);
    assert.equal(n, channelDataLength(5, true));
    assert.equal(bytesToHex(out.subarray(8, 8 + n)), '400200050102030405000000');
    assert.equal(out[7], 0xff);
    assert.throws(() => writeChannelData(out, 28, 0x4002, new Uint8Array(5)), StunEncodeError);
  });

  test('isValidChannelNumber accepts exactly 0x4000 through 0x4fff', () => {
    const numbers = [0x3fff, 0x4000, 0x4fff, 0x5000];
    assert.deepEqual(
      numbers.map((n) => isValidChannelNumber(n)),
      [false, true, true, false],
    );
  });

  test('legacyRange accepts RFC 5766 numbers up to 0x7fff in every function, and no further', () => {
    const legacy = { legacyRange: true };
    const numbers = [0x3fff, 0x4000, 0x4fff, 0x5000, 0x7fff, 0x8000];
    assert.deepEqual(
      numbers.map((n) => isValidChannelNumber(n, legacy)),
      [false, true, true, true, true, false],
    );
    assert.deepEqual(
      [0x3f, 0x40, 0x4f, 0x50, 0x7f, 0x80].map((b) => [startsChannelData(b), startsChannelData(b, legacy)]),
      [
        [false, false],
        [true, true],
        [true, true],
        [false, true],
        [false, true],
        [false, false],
      ],
    );
    const bytes = encodeChannelData(0x7001, new Uint8Array([1, 2]), false, legacy);
    assert.deepEqual(decodeChannelData(bytes, legacy), { channel: 0x7001, data: new Uint8Array([1, 2]) });
    assert.throws(() => decodeChannelData(bytes), /outside 0x4000–0x4fff/);
    assert.throws(() => encodeChannelData(0x7001, new Uint8Array(1)), StunEncodeError);
    assert.throws(() => encodeChannelData(0x8000, new Uint8Array(1), false, legacy), /0x4000–0x7fff/);
  });

  test('peekChannelData reads the data length with or without padding, and -1 for malformed input', () => {
    const unpadded = encodeChannelData(0x4001, new Uint8Array([1, 2, 3]));
    const padded = encodeChannelData(0x4001, new Uint8Array([1, 2, 3]), true);
    assert.equal(peekChannelData(unpadded), 3);
    assert.equal(peekChannelData(padded), 3);
    assert.equal(peekChannelData(unpadded.subarray(0, 6)), -1, 'shorter than its length');
    assert.equal(peekChannelData(new Uint8Array([0x40, 0, 0, 1, 9, 0, 0, 0, 0])), -1, 'longer than padded');
    assert.equal(peekChannelData(new Uint8Array([0x40, 0])), -1, 'no whole header');
  });
});

describe('classifyPacket (RFC 7983 first-byte demultiplexing)', () => {
  test('tells STUN, ChannelData and other protocols apart', () => {
    const stun = encodeMessage({ class: 0, method: 1, transactionId: new Uint8Array(12), attributes: [] });
    assert.equal(classifyPacket(stun), 'stun');
    assert.equal(classifyPacket(encodeChannelData(0x4000, new Uint8Array(4))), 'channel-data');
    assert.equal(classifyPacket(Uint8Array.of(0x16, 0xfe, 0xfd)), 'other'); // DTLS handshake
    assert.equal(classifyPacket(Uint8Array.of(0x80, 0x60)), 'other'); // RTP
    assert.equal(classifyPacket(new Uint8Array(0)), 'other');
  });
});
