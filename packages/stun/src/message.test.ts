import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AttributeType,
  addAttribute,
  bytesToHex,
  decodeMessage,
  decodeMessageType,
  encodeMessage,
  encodeMessageType,
  getAttribute,
  hasAttribute,
  hexToBytes,
  isStunMessage,
  Lifetime,
  MessageClass,
  Method,
  readHeader,
  Software,
  StunEncodeError,
  type StunMessage,
  Username,
  unknownComprehensionRequired,
  verifyFingerprint,
  verifyMessage,
  verifyMessageIntegrity,
} from './index.js';
import { nodeCrypto } from './testing/node-crypto.js';

const TID = hexToBytes('b7e7a701bc34d686fa87dfae');
const message = (attributes: StunMessage['attributes'] = []): StunMessage => ({
  class: MessageClass.Request,
  method: Method.Allocate,
  transactionId: TID,
  attributes,
});

describe('message type (RFC 8489 §5)', () => {
  test('interleaves class bits into the method bits', () => {
    assert.equal(encodeMessageType(Method.Binding, MessageClass.Request), 0x0001);
    assert.equal(encodeMessageType(Method.Binding, MessageClass.SuccessResponse), 0x0101);
    assert.equal(encodeMessageType(Method.Binding, MessageClass.ErrorResponse), 0x0111);
    assert.equal(encodeMessageType(Method.Allocate, MessageClass.Request), 0x0003);
    assert.equal(encodeMessageType(Method.Send, MessageClass.Indication), 0x0016);
    assert.equal(encodeMessageType(Method.Data, MessageClass.Indication), 0x0017);
    assert.equal(encodeMessageType(Method.ChannelBind, MessageClass.SuccessResponse), 0x0109);
  });

  test('splitting a type is the inverse of building it, for every method and class', () => {
    for (let method = 0; method < 0x1000; method++) {
      for (const cls of [0, 1, 2, 3] as const) {
        assert.deepEqual(decodeMessageType(encodeMessageType(method, cls)), { method, class: cls });
      }
    }
  });
});

describe('header', () => {
  const bytes = encodeMessage(message());

  test('readHeader peeks method, class, length and transaction id without decoding attributes', () => {
    const header = readHeader(encodeMessage(addAttribute(message(), Lifetime, 60)));
    assert.deepEqual(
      { ...header, transactionId: bytesToHex(header.transactionId) },
      { class: MessageClass.Request, method: Method.Allocate, length: 8, transactionId: bytesToHex(TID) },
    );
  });

  test('isStunMessage accepts a whole message and rejects others without throwing', () => {
    assert.equal(isStunMessage(bytes), true);
    assert.equal(isStunMessage(bytes.subarray(0, 19)), false);
    assert.equal(isStunMessage(Uint8Array.of(...bytes, 0, 0, 0, 0)), false);
    const noCookie = bytes.slice();
    noCookie[5] = 0;
    assert.equal(isStunMessage(noCookie), false);
  });

  test('each malformed header fails with a code and says where', () => {
    const cases: Array<[Uint8Array, string, RegExp]> = [
      [bytes.subarray(0, 12), 'TRUNCATED', /^header: 12 bytes, need 20$/],
      [Uint8Array.of(0xc0, ...bytes.subarray(1)), 'BAD_HEADER', /first two bits/],
      [
        Uint8Array.of(...bytes.subarray(0, 4), 0, 0, 0, 0, ...bytes.subarray(8)),
        'BAD_MAGIC_COOKIE',
        /magic cookie 0x0/,
      ],
      [Uint8Array.of(0, 3, 0, 2, ...bytes.subarray(4)), 'BAD_LENGTH', /not a multiple of 4/],
      [
        Uint8Array.of(0, 3, 0, 4, ...bytes.subarray(4)),
        'BAD_LENGTH',
        /length field 4 does not match 0 bytes/,
      ],
    ];
    for (const [input, code, message] of cases) {
      assert.throws(() => decodeMessage(input), { name: 'StunDecodeError', code, place: 'header', message });
    }
  });
});

describe('attribute framing', () => {
  test('an attribute whose length runs past the end names itself', () => {
    const bytes = hexToBytes(`000300082112a442${bytesToHex(TID)} 0020 0008 0001 a147`);
    assert.throws(() => decodeMessage(bytes), {
      code: 'BAD_ATTRIBUTE',
      place: 'attribute XOR-MAPPED-ADDRESS',
      message: 'attribute XOR-MAPPED-ADDRESS: length 8 runs past the end of the message (4 bytes left)',
    });
  });

  test('a value of the wrong size for its attribute says how long it is and what it needs', () => {
    const msg = decodeMessage(hexToBytes(`0003000c2112a442${bytesToHex(TID)} 000d 0006 0000 0000 0258 0000`));
    assert.throws(() => getAttribute(msg, Lifetime), {
      name: 'StunDecodeError',
      code: 'BAD_ATTRIBUTE',
      place: 'attribute LIFETIME',
      message: 'attribute LIFETIME: length 6, need 4',
    });
  });

  test('MESSAGE-INTEGRITY of the wrong size is rejected at decode', () => {
    const bytes = encodeMessage(
      message([{ type: AttributeType.MessageIntegrity, value: new Uint8Array(16) }]),
    );
    assert.throws(() => decodeMessage(bytes), { message: 'attribute MESSAGE-INTEGRITY: length 16, need 20' });
  });

  test('padding bytes are skipped whatever they contain, and values exclude them', () => {
    const bytes = encodeMessage(addAttribute(message(), Username, 'abcde'));
    bytes.fill(0x20, 20 + 4 + 5, 20 + 12);
    assert.equal(getAttribute(decodeMessage(bytes), Username), 'abcde');
  });

  test('an unknown comprehension-required attribute is reported for a 420, a comprehension-optional one is not', () => {
    const msg = message([
      { type: 0x7777, value: new Uint8Array(4) },
      { type: 0x8777, value: new Uint8Array(4) },
      { type: AttributeType.Lifetime, value: new Uint8Array(4) },
    ]);
    assert.deepEqual(unknownComprehensionRequired(msg, new Set([AttributeType.Lifetime])), [0x7777]);
  });
});

describe('encoding', () => {
  test('pads attribute values with zeros to a multiple of 4', () => {
    const bytes = encodeMessage(addAttribute(message(), Software, 'abcde'));
    assert.equal(bytesToHex(bytes.subarray(20)), '8022000561626364650000 00'.replace(/ /g, ''));
    assert.equal(new DataView(bytes.buffer).getUint16(2), 12);
  });

  test('refuses a transaction id that is not 12 bytes, a method over 12 bits, or an oversized message', () => {
    assert.throws(() => encodeMessage({ ...message(), transactionId: new Uint8Array(11) }), StunEncodeError);
    assert.throws(() => encodeMessage({ ...message(), method: 0x1000 }), StunEncodeError);
    assert.throws(
      () =>
        encodeMessage(
          message([
            { type: AttributeType.Data, value: new Uint8Array(0xfff0) },
            { type: AttributeType.Data, value: new Uint8Array(16) },
          ]),
        ),
      { name: 'StunEncodeError', place: 'header' },
    );
  });

  test('refuses a MESSAGE-INTEGRITY-SHA256 length outside 16–32 in steps of 4', () => {
    assert.throws(
      () => encodeMessage(message(), { integritySha256: new Uint8Array(4), integritySha256Length: 18 }),
      StunEncodeError,
    );
  });
});

describe('integrity and fingerprint', () => {
  const key = new Uint8Array(16).fill(1);
  const signed = () =>
    encodeMessage(addAttribute(addAttribute(message(), Lifetime, 600), Software, 'parley'), {
      integrity: key,
      integritySha256: key,
      fingerprint: true,
    });

  test('MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are appended in that order and verify', () => {
    const msg = decodeMessage(signed());
    assert.deepEqual(
      msg.attributes.slice(2).map((a) => a.type),
      [AttributeType.MessageIntegrity, AttributeType.MessageIntegritySha256, AttributeType.Fingerprint],
    );
    assert.equal(verifyMessageIntegrity(msg, key), true);
    assert.equal(verifyMessage(msg, key, { requireFingerprint: true }), 'ok');
  });

  test('the node:crypto implementation produces and verifies the same bytes as the pure one', () => {
    const a = signed();
    const b = encodeMessage(addAttribute(addAttribute(message(), Lifetime, 600), Software, 'parley'), {
      integrity: key,
      integritySha256: key,
      fingerprint: true,
      crypto: nodeCrypto,
    });
    assert.equal(bytesToHex(a), bytesToHex(b));
    assert.equal(verifyMessage(decodeMessage(a), key, { crypto: nodeCrypto }), 'ok');
  });

  test('a flipped bit anywhere fails the fingerprint before integrity is looked at', () => {
    const bytes = signed();
    const { attributes, offsets } = decodeMessage(bytes);
    // Every value byte of every attribute before FINGERPRINT (header bytes would break the framing instead).
    attributes.slice(0, -1).forEach((a, n) => {
      for (let i = offsets[n]! + 4; i < offsets[n]! + 4 + a.value.length; i++) {
        const copy = bytes.slice();
        copy[i]! ^= 0x01;
        assert.equal(verifyMessage(decodeMessage(copy), key), 'bad-fingerprint', `bit flipped at byte ${i}`);
      }
    });
  });

  test('without a fingerprint, a changed attribute fails integrity', () => {
    const bytes = encodeMessage(addAttribute(message(), Lifetime, 600), { integrity: key });
    bytes[27] = 0x59;
    const msg = decodeMessage(bytes);
    assert.equal(getAttribute(msg, Lifetime), 600 - 0x58 + 0x59);
    assert.equal(verifyMessage(msg, key), 'bad-integrity');
    assert.equal(verifyMessage(msg, new Uint8Array(16).fill(2)), 'bad-integrity');
  });

  test('a message with no integrity attribute is reported as such, and a missing fingerprint only when required', () => {
    const msg = decodeMessage(encodeMessage(message()));
    assert.equal(verifyMessage(msg, key), 'missing-integrity');
    assert.equal(verifyMessage(msg, key, { requireFingerprint: true }), 'bad-fingerprint');
    assert.equal(verifyFingerprint(msg), false);
  });

  test('FINGERPRINT that is not the last attribute does not verify', () => {
    const bytes = encodeMessage(message(), { fingerprint: true });
    const moved = decodeMessage(bytes);
    const again = decodeMessage(
      encodeMessage({
        ...moved,
        attributes: [...moved.attributes, { type: 0x8022, value: new Uint8Array(4) }],
      }),
    );
    assert.equal(verifyFingerprint(again), false);
  });

  test('attributes after MESSAGE-INTEGRITY are ignored, except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT', () => {
    const signedOnly = decodeMessage(
      encodeMessage(addAttribute(message(), Lifetime, 600), { integrity: key }),
    );
    // An attacker appends USERNAME after the MAC; the receiver must not see it.
    const tampered = addAttribute(
      { ...signedOnly, attributes: [...signedOnly.attributes] },
      Username,
      'mallory',
    );
    const msg = decodeMessage(encodeMessage(tampered, { fingerprint: true }));
    assert.equal(getAttribute(msg, Lifetime), 600);
    assert.equal(getAttribute(msg, Username), undefined);
    assert.equal(hasAttribute(msg, AttributeType.Username), false);
    assert.equal(hasAttribute(msg, AttributeType.Fingerprint), true);
    assert.equal(verifyMessage(msg, key), 'ok');
  });
});
