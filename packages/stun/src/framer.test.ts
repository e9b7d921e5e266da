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
  test('every way of cutting the stream at frame and byte boundaries yields the same frames', () => {
    // Each of the stream's byte boundaries is a cut or not: walk many such partitions, including every
    // single cut, every cut at a frame boundary and cuts inside each header.
    const boundaries: number[] = [];
    for (let at = 0, i = 0; i < parts.length; at += parts[i]!.length, i++) boundaries.push(at);
    const plans: number[][] = [];
    for (let i = 1; i < stream.length; i++) plans.push([i], [i, i + 1], [i, i + 2, i + 3]);
    plans.push(
      boundaries.slice(1),
      boundaries.flatMap((b) => [b + 1, b + 2, b + 3]),
    );
    for (const plan of plans) {
      const cuts = [...new Set(plan.filter((c) => c > 0 && c < stream.length))].sort((x, y) => x - y);
      const framer = new StunStreamFramer();
      const frames: StreamFrame[] = [];
      let from = 0;
      for (const end of [...cuts, stream.length]) {
        frames.push(...framer.push(stream.subarray(from, end)));
        from = end;
      }
      assert.deepEqual(describeFrames(frames), expected, `cuts ${cuts.join(',')}`);
      assert.equal(framer.buffered, 0);
      assert.ok(framer.copiedBytes <= stream.length + 4 * parts.length, 'each byte copied at most once');
    }
  });

  test('a large frame fed one byte at a time is copied once, not once per chunk', () => {
    const big = encodeChannelData(0x4001, new Uint8Array(60_000).fill(7), true);
    const framer = new StunStreamFramer();
    const frames: StreamFrame[] = [];
    for (let i = 0; i < big.length; i++) frames.push(...framer.push(big.subarray(i, i + 1)));
    assert.equal(frames.length, 1);
    assert.equal(frames[0]?.kind === 'channel-data' && frames[0].data.length, 60_000);
    // The old framer re-copied its whole buffer per chunk: about big.length² / 2 = 1.8e9 bytes here.
    assert.ok(framer.copiedBytes <= big.length + 4, `copied ${framer.copiedBytes} bytes for ${big.length}`);
  });

  test('many small frames in small chunks cost bytes copied linear in the input', () => {
    const frame = encodeChannelData(0x4002, Uint8Array.of(1, 2, 3), true);
    const input = new Uint8Array(frame.length * 5000);
    for (let i = 0; i < 5000; i++) input.set(frame, i * frame.length);
    const framer = new StunStreamFramer();
    let n = 0;
    for (let at = 0; at < input.length; at += 7) n += framer.push(input.subarray(at, at + 7)).length;
    assert.equal(n, 5000);
    assert.ok(
      framer.copiedBytes <= input.length + 4 * 5000,
      `copied ${framer.copiedBytes} of ${input.length}`,
    );
  });

  test('a partial frame is held in a buffer of its declared size, not the reader chunk', () => {
    const framer = new StunStreamFramer();
    const chunk = new Uint8Array(65536); // as a socket read buffer: the frame header says 8 bytes of body
    chunk.set(Uint8Array.of(0x40, 0x00, 0x00, 0x08, 1, 2));
    framer.push(chunk.subarray(0, 6));
    assert.equal(framer.buffered, 6);
    const rest = framer.takeRest();
    assert.equal(rest.buffer.byteLength, 12, 'the assembly buffer is exactly the frame, 4 + 8 bytes');
    assert.notEqual(rest.buffer, chunk.buffer);
  });

  test('maxFrameBytes: a header declaring more fails at once, before the body is buffered', () => {
    const framer = new StunStreamFramer({ maxFrameBytes: 1024 });
    assert.deepEqual(framer.push(encodeChannelData(0x4000, new Uint8Array(1020), true)).length, 1);
    assert.deepEqual(framer.pushUntilFailure(Uint8Array.of(0x40, 0x00, 0x04, 0x01)), []);
    assert.equal(framer.failure?.code, 'BAD_LENGTH');
    assert.equal(framer.buffered, 0);
    const split = new StunStreamFramer({ maxFrameBytes: 1024 });
    assert.deepEqual(split.pushUntilFailure(Uint8Array.of(0x00, 0x01)), []);
    assert.deepEqual(split.pushUntilFailure(Uint8Array.of(0x04, 0x00)), [], 'a STUN length of 1024 + 20');
    assert.equal(split.failure?.code, 'BAD_LENGTH');
  });
});
