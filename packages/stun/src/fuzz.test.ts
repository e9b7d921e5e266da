// Property and fuzz tests: generated messages round-trip; random and mutated bytes only ever fail with
// StunDecodeError. Seeds are fixed so a failure replays; add any input that breaks the decoder to
// fuzz-regressions.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AttributeType,
  allCodecs,
  bytesToHex,
  decodeChannelData,
  decodeMessage,
  encodeMessage,
  getAttributes,
  MAGIC_COOKIE,
  StunDecodeError,
  type StunMessage,
  StunStreamFramer,
  validateAttributes,
  verifyMessage,
} from './index.js';
import { exerciseDecoder } from './testing/exercise.js';
import { generateMessage, mutate } from './testing/generate.js';
import { Random } from './testing/random.js';

describe('property: decode(encode(m)) equals m', () => {
  test('3000 generated messages keep header, attribute bytes and every typed value', () => {
    const r = new Random(0x5eed);
    for (let n = 0; n < 3000; n++) {
      const { msg, values, key, options } = generateMessage(r);
      const bytes = encodeMessage(msg, options);
      const decoded = decodeMessage(bytes);
      const where = `seed 0x5eed message ${n}: ${bytesToHex(bytes)}`;
      assert.equal(decoded.class, msg.class, where);
      assert.equal(decoded.method, msg.method, where);
      assert.deepEqual(decoded.transactionId, msg.transactionId, where);
      const own = decoded.attributes.slice(0, msg.attributes.length);
      assert.deepEqual(
        own.map((a) => [a.type, bytesToHex(a.value)]),
        msg.attributes.map((a) => [a.type, bytesToHex(a.value)]),
        where,
      );
      values.forEach((v, i) => {
        const codec = allCodecs.find((c) => c.type === v.type);
        if ('raw' in v) assert.deepEqual(own[i]!.value, v.raw, where);
        else assert.deepEqual(codec!.decode(own[i]!.value, decoded.transactionId), v.value, where);
      });
      validateAttributes(decoded);
      assert.deepEqual(encodeMessage(decoded), bytes, `re-encoding is the identity: ${where}`);
      if (key && (options?.integrity || options?.integritySha256)) {
        assert.equal(verifyMessage(decoded, key, { requireFingerprint: options.fingerprint }), 'ok', where);
      }
    }
  });

  test('repeated attributes come back in order', () => {
    const r = new Random(7);
    for (let n = 0; n < 200; n++) {
      const tid = r.bytes(12);
      const peers = Array.from({ length: r.range(1, 5) }, () => r.address());
      const msg: StunMessage = { class: 0, method: 0x008, transactionId: tid, attributes: [] };
      const codec = allCodecs.find((c) => c.type === AttributeType.XorPeerAddress)!;
      for (const p of peers) msg.attributes.push({ type: codec.type, value: codec.encode(p, tid) });
      assert.deepEqual(getAttributes(decodeMessage(encodeMessage(msg)), codec), peers);
    }
  });
});

/** Runs `fn`; anything thrown other than StunDecodeError fails the test with the input that caused it. */
function onlyDecodeErrors(input: Uint8Array, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof StunDecodeError) return false;
    assert.fail(`input ${bytesToHex(input)} threw ${String(err)}`);
  }
}

describe('fuzz: bad input only ever throws StunDecodeError', () => {
  test('20000 random byte strings', () => {
    const r = new Random(0xbad);
    for (let n = 0; n < 20000; n++) {
      const input = r.bytes(r.int(120));
      // Half of them get a plausible header, so the attribute parser is reached.
      if (input.length >= 20 && r.bool()) {
        new DataView(input.buffer).setUint16(0, r.int(0x4000));
        new DataView(input.buffer).setUint16(2, (input.length - 20) & ~3);
        new DataView(input.buffer).setUint32(4, MAGIC_COOKIE);
      }
      onlyDecodeErrors(input, () => exerciseDecoder(input));
      onlyDecodeErrors(input, () => decodeChannelData(input));
    }
  });

  test('10000 valid messages with one to four mutations each', () => {
    const r = new Random(0xf00d);
    let rejected = 0;
    for (let n = 0; n < 10000; n++) {
      const { msg, options } = generateMessage(r);
      const input = mutate(r, encodeMessage(msg, options));
      if (!onlyDecodeErrors(input, () => exerciseDecoder(input))) rejected++;
    }
    // Most mutations must be caught: a decoder that accepted everything would pass the loop above.
    assert.ok(rejected > 1000, `only ${rejected} of 10000 mutated messages were rejected`);
  });

  test('every codec given random value bytes throws only StunDecodeError, and re-encodes what it accepts', () => {
    const r = new Random(0xc0dec);
    let accepted = 0;
    for (const codec of allCodecs) {
      for (let n = 0; n < 1000; n++) {
        const value = r.bytes(r.int(r.bool() ? 12 : 64));
        const tid = r.bytes(12);
        let decoded: unknown;
        if (!onlyDecodeErrors(value, () => (decoded = codec.decode(value, tid)))) continue;
        accepted++;
        assert.deepEqual(
          codec.decode(codec.encode(decoded, tid), tid),
          decoded,
          `${codec.name} ${bytesToHex(value)}`,
        );
      }
    }
    assert.ok(accepted > 1000, `only ${accepted} random values were accepted by any codec`);
  });

  test('random streams fed to the framer in random pieces', () => {
    const r = new Random(0x57ea);
    for (let n = 0; n < 2000; n++) {
      const framer = new StunStreamFramer();
      const stream = r.bytes(r.int(300));
      if (stream.length > 0 && r.bool()) stream[0] = r.pick([0x00, 0x01, 0x40, 0x4f]);
      for (let at = 0; at < stream.length; ) {
        const size = r.range(1, 40);
        const piece = stream.subarray(at, at + size);
        at += size;
        if (!onlyDecodeErrors(stream, () => framer.push(piece))) break;
      }
    }
  });
});
