import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToHex, canonicalIp, formatIp, parseIp, StunEncodeError } from './index.js';
import { Random } from './testing/random.js';

test('IPv4 and IPv6 text parse to their bytes', () => {
  assert.equal(bytesToHex(parseIp('192.0.2.1')), 'c0000201');
  assert.equal(bytesToHex(parseIp('0.0.0.0')), '00000000');
  assert.equal(bytesToHex(parseIp('255.255.255.255')), 'ffffffff');
  assert.equal(bytesToHex(parseIp('10.200.0.99')), '0ac80063');
  assert.equal(bytesToHex(parseIp('::')), '0'.repeat(32));
  assert.equal(bytesToHex(parseIp('::1')), `${'0'.repeat(30)}01`);
  assert.equal(bytesToHex(parseIp('2001:DB8::1')), '20010db8000000000000000000000001');
  assert.equal(bytesToHex(parseIp('1::')), `0001${'0'.repeat(28)}`);
  assert.equal(bytesToHex(parseIp('::ffff:192.0.2.1')), '00000000000000000000ffffc0000201');
  assert.equal(bytesToHex(parseIp('64:ff9b::7f00:1')), '0064ff9b0000000000000000 7f000001'.replace(' ', ''));
});

test('IPv6 is formatted per RFC 5952: lowercase, longest zero run compressed, single zero groups kept', () => {
  assert.equal(canonicalIp('2001:DB8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonicalIp('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(canonicalIp('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
  assert.equal(canonicalIp('0:0:0:0:0:0:0:0'), '::');
  assert.equal(canonicalIp('::ffff:c000:0201'), '::ffff:192.0.2.1');
  assert.equal(canonicalIp('fe80:0:0:0:0:0:0:0'), 'fe80::');
});

test('text that is not an address is refused with StunEncodeError', () => {
  for (const bad of [
    '',
    '1.2.3',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.00',
    '1.2.3.4.',
    '.1.2.3.4',
    '1..2.3',
    '1.2.3.4.5',
    '1.2.3.1000',
    '1.2.3.-4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    'g::1',
    '1:2:3:4:5:6:7',
    '::1.2.3',
    'example.org',
  ]) {
    assert.throws(() => parseIp(bad), StunEncodeError, bad);
  }
});

test('formatting then parsing gives back the same bytes, for random addresses with zero runs', () => {
  const r = new Random(42);
  for (let n = 0; n < 5000; n++) {
    const bytes = r.bytes(r.bool() ? 4 : 16);
    if (bytes.length === 16) bytes.fill(0, r.int(16), r.int(17));
    assert.equal(bytesToHex(parseIp(formatIp(bytes))), bytesToHex(bytes));
  }
});
