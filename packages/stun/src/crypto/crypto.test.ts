import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bytesToHex, hexToBytes, utf8Encode } from '../bytes.js';
import { nodeCrypto } from '../testing/node-crypto.js';
import { crc32 } from './crc32.js';
import { type DigestAlgorithm, pureCrypto } from './index.js';

const text = (s: string) => utf8Encode(s);
const fill = (byte: number, n: number) => new Uint8Array(n).fill(byte);
const digest = (a: DigestAlgorithm, data: Uint8Array) => bytesToHex(pureCrypto.digest(a, [data]));

describe('hashes match published vectors', () => {
  test('MD5 matches the RFC 1321 test suite', () => {
    assert.equal(digest('md5', text('')), 'd41d8cd98f00b204e9800998ecf8427e');
    assert.equal(digest('md5', text('a')), '0cc175b9c0f1b6a831c399e269772661');
    assert.equal(digest('md5', text('abc')), '900150983cd24fb0d6963f7d28e17f72');
    assert.equal(digest('md5', text('message digest')), 'f96b697d7cb7938d525a2f31aaf161d0');
    assert.equal(digest('md5', text('abcdefghijklmnopqrstuvwxyz')), 'c3fcd3d76192e4007dfb496cca67e13b');
    assert.equal(digest('md5', text('1234567890'.repeat(8))), '57edf4a22be3c955ac49da2e2107b67a');
  });

  test('SHA-1 matches the FIPS 180 examples', () => {
    assert.equal(digest('sha1', text('abc')), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(
      digest('sha1', text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    );
    assert.equal(digest('sha1', fill(0x61, 1_000_000)), '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  });

  test('SHA-256 matches the FIPS 180 examples', () => {
    assert.equal(
      digest('sha256', text('abc')),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    assert.equal(
      digest('sha256', text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    assert.equal(
      digest('sha256', fill(0x61, 1_000_000)),
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  test('CRC-32 of "123456789" is the standard check value 0xcbf43926, also when split', () => {
    assert.equal(crc32(text('123456789')), 0xcbf43926);
    assert.equal(crc32(text('6789'), crc32(text('12345'))), 0xcbf43926);
  });
});

const key25 = Uint8Array.from({ length: 25 }, (_, i) => i + 1);

describe('HMAC matches RFC 2202 and RFC 4231', () => {
  const sha1Cases: Array<[Uint8Array, Uint8Array, string]> = [
    [fill(0x0b, 20), text('Hi There'), 'b617318655057264e28bc0b6fb378c8ef146be00'],
    [text('Jefe'), text('what do ya want for nothing?'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'],
    [fill(0xaa, 20), fill(0xdd, 50), '125d7342b9ac11cd91a39af48aa17b4f63f175d3'],
    [key25, fill(0xcd, 50), '4c9007f4026250c6bc8414f9bf50c86c2d7235da'],
    [
      fill(0xaa, 80),
      text('Test Using Larger Than Block-Size Key - Hash Key First'),
      'aa4ae5e15272d00e95705637ce8a3b55ed402112',
    ],
    [
      fill(0xaa, 80),
      text('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'),
      'e8e99d0f45237d786d6bbaa7965c7808bbff1a91',
    ],
  ];
  const sha256Cases: Array<[Uint8Array, Uint8Array, string]> = [
    [fill(0x0b, 20), text('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [
      text('Jefe'),
      text('what do ya want for nothing?'),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    [fill(0xaa, 20), fill(0xdd, 50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    [key25, fill(0xcd, 50), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
    [
      fill(0xaa, 131),
      text('Test Using Larger Than Block-Size Key - Hash Key First'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
    [
      fill(0xaa, 131),
      text(
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      ),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    ],
  ];

  test('HMAC-SHA1 passes the RFC 2202 cases', () => {
    for (const [key, data, mac] of sha1Cases)
      assert.equal(bytesToHex(pureCrypto.hmac('sha1', key, [data])), mac);
  });

  test('HMAC-SHA256 passes the RFC 4231 cases', () => {
    for (const [key, data, mac] of sha256Cases)
      assert.equal(bytesToHex(pureCrypto.hmac('sha256', key, [data])), mac);
  });

  test('RFC 4231 case 5: HMAC-SHA256 truncated to 128 bits', () => {
    const mac = pureCrypto.hmac('sha256', fill(0x0c, 20), [text('Test With Truncation')]);
    assert.equal(bytesToHex(mac.subarray(0, 16)), 'a3b6167473100ee06e0c796c2955552b');
  });
});

describe('the pure implementation agrees with node:crypto', () => {
  test('digests and HMACs agree at every length around the block boundaries, with input in parts', () => {
    for (let n = 0; n < 200; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      const parts = [data.subarray(0, n >> 1), data.subarray(n >> 1)];
      for (const a of ['md5', 'sha1', 'sha256'] as const) {
        assert.equal(
          bytesToHex(pureCrypto.digest(a, parts)),
          bytesToHex(nodeCrypto.digest(a, [data])),
          `${a} ${n}`,
        );
      }
      for (const a of ['sha1', 'sha256'] as const) {
        const key = data.subarray(0, n % 70);
        assert.equal(bytesToHex(pureCrypto.hmac(a, key, parts)), bytesToHex(nodeCrypto.hmac(a, key, [data])));
      }
    }
  });

  test('hexToBytes and bytesToHex are inverses', () => {
    assert.equal(bytesToHex(hexToBytes('00ff10Ab')), '00ff10ab');
  });
});
