// RFC 5769 test vectors (and RFC 8489 Appendix B.1), byte for byte.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AttributeType,
  bytesToHex,
  decodeMessage,
  encodeMessage,
  getAttribute,
  hexToBytes,
  IceControlled,
  longTermKey,
  MessageClass,
  Method,
  Nonce,
  opaqueString,
  Priority,
  Realm,
  Software,
  shortTermKey,
  Userhash,
  Username,
  userHash,
  verifyFingerprint,
  verifyMessage,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
  XorMappedAddress,
} from './index.js';
import { nodeCrypto } from './testing/node-crypto.js';

const PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';

// §2.1 Sample Request. Note the USERNAME padding is three spaces (0x20), which receivers must ignore.
const SAMPLE_REQUEST = hexToBytes(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);

// §2.2 Sample IPv4 Response. SOFTWARE "test vector" is padded with one space.
const IPV4_RESPONSE = hexToBytes(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);

// §2.3 Sample IPv6 Response.
const IPV6_RESPONSE = hexToBytes(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);

// §2.4 Sample Request with Long-Term Authentication.
const LONG_TERM_REQUEST = hexToBytes(`
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);

const MATRIX_USERNAME = '\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9';

describe('RFC 5769 §2.1 sample request', () => {
  const msg = decodeMessage(SAMPLE_REQUEST);

  test('decodes as a Binding request with the listed attributes', () => {
    assert.equal(msg.method, Method.Binding);
    assert.equal(msg.class, MessageClass.Request);
    assert.equal(bytesToHex(msg.transactionId), 'b7e7a701bc34d686fa87dfae');
    assert.equal(getAttribute(msg, Software), 'STUN test client');
    assert.equal(getAttribute(msg, Priority), 0x6e0001ff);
    assert.equal(getAttribute(msg, IceControlled), 0x932ff9b151263b36n);
    assert.equal(getAttribute(msg, Username), 'evtj:h6vY');
  });

  test('its fingerprint and short-term MESSAGE-INTEGRITY verify', () => {
    assert.equal(verifyFingerprint(msg), true);
    assert.equal(verifyMessageIntegrity(msg, shortTermKey(PASSWORD)), true);
    assert.equal(verifyMessage(msg, shortTermKey(PASSWORD), { requireFingerprint: true }), 'ok');
  });

  test('a wrong password fails integrity', () => {
    assert.equal(verifyMessage(msg, shortTermKey('wrong')), 'bad-integrity');
  });

  test("the MAC is compared with the injected crypto's constant-time primitive when it has one", () => {
    const compared: number[] = [];
    const crypto = {
      ...nodeCrypto,
      timingSafeEqual(a: Uint8Array, b: Uint8Array) {
        compared.push(a.length, b.length);
        return nodeCrypto.timingSafeEqual!(a, b);
      },
    };
    assert.equal(verifyMessage(msg, shortTermKey(PASSWORD), { crypto }), 'ok');
    assert.equal(verifyMessage(msg, shortTermKey('wrong'), { crypto }), 'bad-integrity');
    assert.deepEqual(compared, [20, 20, 20, 20]);
  });

  test('re-encoding its attributes with our zero padding keeps every value and verifies under the same key', () => {
    const out = encodeMessage(
      { ...msg, attributes: msg.attributes.slice(0, 4) },
      { integrity: shortTermKey(PASSWORD), fingerprint: true },
    );
    assert.equal(out.length, SAMPLE_REQUEST.length);
    const again = decodeMessage(out);
    assert.equal(getAttribute(again, Username), 'evtj:h6vY');
    assert.equal(getAttribute(again, IceControlled), 0x932ff9b151263b36n);
    assert.equal(verifyMessage(again, shortTermKey(PASSWORD), { requireFingerprint: true }), 'ok');
  });
});

describe('RFC 5769 §2.2 sample IPv4 response', () => {
  const msg = decodeMessage(IPV4_RESPONSE);

  test('decodes XOR-MAPPED-ADDRESS to 192.0.2.1 port 32853', () => {
    assert.equal(msg.class, MessageClass.SuccessResponse);
    assert.equal(getAttribute(msg, Software), 'test vector');
    assert.deepEqual(getAttribute(msg, XorMappedAddress), {
      family: 'IPv4',
      address: '192.0.2.1',
      port: 32853,
    });
  });

  test('verifies fingerprint and integrity', () => {
    assert.equal(verifyMessage(msg, shortTermKey(PASSWORD), { requireFingerprint: true }), 'ok');
  });

  test('XOR-MAPPED-ADDRESS encodes back to the vector bytes', () => {
    const value = XorMappedAddress.encode(
      { family: 'IPv4', address: '192.0.2.1', port: 32853 },
      msg.transactionId,
    );
    assert.equal(bytesToHex(value), '0001a147e112a643');
  });
});

describe('RFC 5769 §2.3 sample IPv6 response', () => {
  const msg = decodeMessage(IPV6_RESPONSE);

  test('decodes XOR-MAPPED-ADDRESS to 2001:db8:1234:5678:11:2233:4455:6677 port 32853', () => {
    assert.deepEqual(getAttribute(msg, XorMappedAddress), {
      family: 'IPv6',
      address: '2001:db8:1234:5678:11:2233:4455:6677',
      port: 32853,
    });
  });

  test('verifies fingerprint and integrity', () => {
    assert.equal(verifyMessage(msg, shortTermKey(PASSWORD), { requireFingerprint: true }), 'ok');
  });

  test('XOR-MAPPED-ADDRESS encodes back to the vector bytes, XORed with cookie and transaction id', () => {
    const value = XorMappedAddress.encode(
      { family: 'IPv6', address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 },
      msg.transactionId,
    );
    assert.equal(bytesToHex(value), '0002a1470113a9faa5d3f179bc25f4b5bed2b9d9');
  });
});

describe('RFC 5769 §2.4 sample request with long-term authentication', () => {
  const msg = decodeMessage(LONG_TERM_REQUEST);

  test('decodes username, nonce and realm', () => {
    assert.equal(getAttribute(msg, Username), MATRIX_USERNAME);
    assert.equal(getAttribute(msg, Nonce), 'f//499k954d6OL34oL9FSTvy64sA');
    assert.equal(getAttribute(msg, Realm), 'example.org');
  });

  // RFC 5769 computed this sample with RFC 5389's SASLprep, which turns "The\u00ADM\u00AAtr\u2168" into
  // "TheMatrIX". RFC 8489 §9.2.2 replaced SASLprep with OpaqueString (NFC, no characters dropped), so the
  // prepared form verifies and the raw one no longer does: the key follows RFC 8489.
  test('the MD5 long-term key of the prepared password verifies its MESSAGE-INTEGRITY; OpaqueString keeps the raw form apart', () => {
    assert.equal(verifyMessage(msg, longTermKey(MATRIX_USERNAME, 'example.org', 'TheMatrIX')), 'ok');
    assert.equal(opaqueString('The\u00ADM\u00AAtr\u2168'), 'The\u00ADM\u00AAtr\u2168');
    assert.equal(
      verifyMessage(msg, longTermKey(MATRIX_USERNAME, 'example.org', 'The\u00ADM\u00AAtr\u2168')),
      'bad-integrity',
    );
    assert.equal(
      verifyMessage(msg, longTermKey(MATRIX_USERNAME, 'example.org', 'TheMatrix')),
      'bad-integrity',
    );
  });

  test('encoding the decoded message with the long-term key reproduces the vector exactly', () => {
    const key = longTermKey(MATRIX_USERNAME, 'example.org', 'TheMatrIX');
    const out = encodeMessage({ ...msg, attributes: msg.attributes.slice(0, 3) }, { integrity: key });
    assert.equal(bytesToHex(out), bytesToHex(LONG_TERM_REQUEST));
  });
});

// RFC 8489 Appendix B.1. It carries no PASSWORD-ALGORITHM, so the key is the default MD5 long-term key.
const USERHASH_REQUEST = hexToBytes(`
  00 01 00 88 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 1e 00 20 4a 3c f3 8f ef 69 92 bd a9 52 c6 78 04 17 da 0f 24 81 94 15 56 9e 60 b2 05 c4 6e 41 40 7f 17 04
  00 15 00 29 6f 62 4d 61 74 4a 6f 73 32 41 41 41 43 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c
              39 46 53 54 76 79 36 34 73 41 00 00 00
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 1c 00 20 fd 8c 27 38 60 d2 e1 8e bc a4 c8 9b 69 73 be fa 7e e8 ec c6 9e 96 42 db 32 6f ab 65 a0 b9 55 ba`);

describe('RFC 8489 Appendix B.1 request with USERHASH and MESSAGE-INTEGRITY-SHA256', () => {
  const msg = decodeMessage(USERHASH_REQUEST);
  const key = longTermKey(MATRIX_USERNAME, 'example.org', 'TheMatrIX');

  test('USERHASH is SHA-256 of username ":" realm, as in the vector', () => {
    assert.deepEqual(getAttribute(msg, Userhash), userHash(MATRIX_USERNAME, 'example.org'));
    assert.equal(getAttribute(msg, Nonce), 'obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA');
  });

  test('MESSAGE-INTEGRITY-SHA256 verifies with the long-term key', () => {
    assert.equal(verifyMessageIntegritySha256(msg, key), true);
    assert.equal(verifyMessage(msg, key), 'ok');
    assert.equal(
      verifyMessage(msg, longTermKey(MATRIX_USERNAME, 'example.org', 'TheMatrix')),
      'bad-integrity',
    );
  });

  test('encoding the decoded attributes with integritySha256 reproduces the vector exactly', () => {
    const out = encodeMessage({ ...msg, attributes: msg.attributes.slice(0, 3) }, { integritySha256: key });
    assert.equal(bytesToHex(out), bytesToHex(USERHASH_REQUEST));
  });

  test('a truncated 16-byte MESSAGE-INTEGRITY-SHA256 verifies too', () => {
    const out = encodeMessage(
      { ...msg, attributes: msg.attributes.slice(0, 3) },
      { integritySha256: key, integritySha256Length: 16 },
    );
    const again = decodeMessage(out);
    assert.equal(again.attributes.at(-1)?.type, AttributeType.MessageIntegritySha256);
    assert.equal(again.attributes.at(-1)?.value.length, 16);
    assert.equal(verifyMessage(again, key), 'ok');
  });
});
