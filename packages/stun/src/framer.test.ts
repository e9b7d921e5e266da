import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addAttribute,
  bytesToHex,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  getAttribute,
  Lifetime,
  MessageClass,
  Method,
  type StreamFrame,
  StunDecodeError,
  StunStreamFramer,
} from './index.js';

function stunMessage(lifetime: number): Uint8Array {
  const msg = {
    class: MessageClass.Request,
    method: Method.Refresh,
    transactionId: new Uint8Array(12).fill(lifetime & 0xff),
    attributes: [],
  };
  return encodeMessage(addAttribute(msg, Lifetime, lifetime), { fingerprint: true });
}

// A stream mixing STUN and ChannelData, including an odd-length payload (padded) and an empty one.
const parts = [
  stunMessage(600),
  encodeChannelData(0x4000, Uint8Array.of(1, 2, 3, 4, 5), true),
  encodeChannelData(0x4fff, new Uint8Array(0), true),
  stunMessage(0),
  encodeChannelData(0x4123, new Uint8Array(64).fill(9), true),
];
const stream = Uint8Array.from(parts.flatMap((p) => [...p]));

function describeFrames(frames: StreamFrame[]): string[] {
  return frames.map((f) =>
    f.kind === 'stun'
      ? `stun lifetime=${getAttribute(decodeMessage(f.bytes), Lifetime)}`
      : `channel 0x${f.channel.toString(16)} ${bytesToHex(f.data)}`,
  );
}

const expected = [
  'stun lifetime=600',
  'channel 0x4000 0102030405',
  'channel 0x4fff ',
  'stun lifetime=0',
  `channel 0x4123 ${'09'.repeat(64)}`,
];

describe('StunStreamFramer', () => {
  test('a stream pushed in one write yields every frame in order', () => {
    const framer = new StunStreamFramer();
    assert.deepEqual(describeFrames(framer.push(stream)), expected);
    assert.equal(framer.buffered, 0);
  });

  test('a stream split in two at every offset yields the same frames', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new StunStreamFramer();
      const frames = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
      assert.deepEqual(describeFrames(frames), expected, `split at ${cut}`);
      assert.equal(framer.buffered, 0);
    }
  });

  test('a stream split in three at every pair of offsets yields the same frames', () => {
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 5) {
        const framer = new StunStreamFramer();
        const frames = [a, b, stream.length].reduce<{ at: number; out: StreamFrame[] }>(
          (acc, end) => ({ at: end, out: [...acc.out, ...framer.push(stream.subarray(acc.at, end))] }),
          { at: 0, out: [] },
        ).out;
        assert.deepEqual(describeFrames(frames), expected, `split at ${a}, ${b}`);
      }
    }
  });

  test('a stream fed one byte at a time yields the same frames', () => {
    const framer = new StunStreamFramer();
    const frames: StreamFrame[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...framer.push(stream.subarray(i, i + 1)));
    assert.deepEqual(describeFrames(frames), expected);
  });

  test('frames survive the caller reusing its chunk buffer for the next read', () => {
    const framer = new StunStreamFramer();
    const chunk = new Uint8Array(7);
    const frames: StreamFrame[] = [];
    for (let at = 0; at < stream.length; at += 7) {
      const piece = stream.subarray(at, at + 7);
      chunk.set(piece);
      // Frames cut from this chunk alone may view it, so copy out before the next read, as a caller must.
      frames.push(
        ...framer
          .push(chunk.subarray(0, piece.length))
          .map((f) =>
            f.kind === 'stun' ? { ...f, bytes: f.bytes.slice() } : { ...f, data: f.data.slice() },
          ),
      );
    }
    assert.deepEqual(describeFrames(frames), expected);
  });

  test('an incomplete trailing frame stays buffered until the rest arrives', () => {
    const framer = new StunStreamFramer();
    assert.deepEqual(framer.push(stream.subarray(0, 10)), []);
    assert.equal(framer.buffered, 10);
  });

  test('a first byte that starts neither STUN nor ChannelData fails with a decode error, and keeps failing', () => {
    const framer = new StunStreamFramer();
    assert.throws(
      () => framer.push(Uint8Array.of(0x16, 0xfe, 0xfd, 0)),
      (err) => {
        assert.ok(err instanceof StunDecodeError);
        assert.equal(err.place, 'stream');
        assert.match(err.message, /first byte 0x16/);
        return true;
      },
    );
    assert.throws(() => framer.push(stunMessage(1)), StunDecodeError);
  });

  test('a STUN frame with a bad magic cookie is rejected once complete', () => {
    const bad = stunMessage(5);
    bad[4] = 0;
    assert.throws(() => new StunStreamFramer().push(bad), {
      name: 'StunDecodeError',
      code: 'BAD_MAGIC_COOKIE',
    });
  });

  test('a channel number in 0x5000–0x7fff range is not ChannelData', () => {
    assert.throws(() => new StunStreamFramer().push(Uint8Array.of(0x50, 0, 0, 0)), { code: 'BAD_HEADER' });
  });

  test('with legacyRange, ChannelData up to 0x7fff is framed, split at every byte', () => {
    const stun = stunMessage(7);
    const chan = encodeChannelData(0x7001, new Uint8Array([5, 6, 7, 8, 9]), true, { legacyRange: true });
    const input = new Uint8Array([...stun, ...chan, ...stun]);
    for (let at = 0; at <= input.length; at++) {
      const f = new StunStreamFramer({ legacyRange: true });
      const frames = [...f.push(input.slice(0, at)), ...f.push(input.slice(at))];
      assert.deepEqual(
        frames.map((x) => x.kind),
        ['stun', 'channel-data', 'stun'],
        `split at ${at}`,
      );
      assert.deepEqual(frames[1], {
        kind: 'channel-data',
        channel: 0x7001,
        data: new Uint8Array([5, 6, 7, 8, 9]),
      });
      assert.equal(f.buffered, 0);
    }
  });

  test('pushUntilFailure returns the frames before bad bytes and records the failure', () => {
    const stun = stunMessage(3);
    const f = new StunStreamFramer();
    assert.deepEqual(f.pushUntilFailure(new Uint8Array([...stun, 0x16, 3, 1, 0, 5])), [
      { kind: 'stun', bytes: stun },
    ]);
    assert.ok(f.failure instanceof StunDecodeError);
    assert.throws(() => f.push(stun), StunDecodeError, 'a failed stream stays failed');
    const bad = stunMessage(3);
    bad[4] = 0;
    const g = new StunStreamFramer();
    assert.deepEqual(g.pushUntilFailure(bad), []);
    assert.equal(g.failure?.code, 'BAD_MAGIC_COOKIE');
  });

  test('takeRest hands back the unframed bytes and empties the buffer', () => {
    const stun = stunMessage(3);
    const f = new StunStreamFramer();
    assert.deepEqual(f.push(new Uint8Array([...stun, 1, 2, 3])), [{ kind: 'stun', bytes: stun }]);
    assert.deepEqual(f.takeRest(), new Uint8Array([1, 2, 3]));
    assert.equal(f.buffered, 0);
  });
});
