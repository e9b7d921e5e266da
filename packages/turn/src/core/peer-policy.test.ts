import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatIp, tryParseIp } from '@parley/stun';
import { cidrContains, createPeerPolicy, embeddedIpv4, parseCidr } from './peer-policy.js';

const defaults = createPeerPolicy();

function refused(address: string, policy = defaults): void {
  const v = policy.check(address);
  assert.equal(v.allowed, false, `${address} should be refused`);
}

function allowed(address: string, policy = defaults): void {
  const v = policy.check(address);
  assert.equal(v.allowed, true, `${address} should be allowed: ${v.allowed ? '' : v.reason}`);
}

describe('ip text parsing', () => {
  test('zero-compressed, leading-zero and dotted-tail IPv6 spellings parse to the same bytes', () => {
    const want = formatIp(tryParseIp('::ffff:7f00:1')!);
    for (const s of [
      '::ffff:127.0.0.1',
      '::FFFF:7F00:0001',
      '0:0:0:0:0:ffff:7f00:1',
      '0000:0000:0000:0000:0000:ffff:127.0.0.1',
      '0::ffff:7f00:1',
      '::0:ffff:7f00:1',
    ]) {
      assert.equal(formatIp(tryParseIp(s)!), want, s);
    }
  });

  test('malformed text does not parse', () => {
    for (const s of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '0177.0.0.1',
      '127.000.000.001',
      '1::2::3',
      '12345::1',
      '1:2:3:4:5:6:7:8:9',
      ':::1',
      '::1%eth0',
      '::ffff:127.0.0.256',
      'localhost',
      ' 127.0.0.1',
    ]) {
      assert.equal(tryParseIp(s), undefined, s);
    }
  });

  test('formatIp writes RFC 5952 text', () => {
    assert.equal(formatIp(tryParseIp('2001:0DB8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1');
    assert.equal(formatIp(tryParseIp('2001:db8:0:1:1:1:1:1')!), '2001:db8:0:1:1:1:1:1');
    assert.equal(formatIp(tryParseIp('::')!), '::');
    assert.equal(formatIp(tryParseIp('1::')!), '1::');
  });
});

describe('CIDR blocks', () => {
  test('a block contains exactly the addresses under its prefix', () => {
    const b = parseCidr('100.64.0.0/10');
    assert.ok(cidrContains(b, tryParseIp('100.64.0.0')!));
    assert.ok(cidrContains(b, tryParseIp('100.127.255.255')!));
    assert.ok(!cidrContains(b, tryParseIp('100.128.0.0')!));
    assert.ok(!cidrContains(b, tryParseIp('100.63.255.255')!));
    assert.ok(!cidrContains(b, tryParseIp('::ffff:100.64.0.1')!), 'families never mix');
    assert.ok(cidrContains(parseCidr('0.0.0.0/0'), tryParseIp('8.8.8.8')!));
    assert.ok(cidrContains(parseCidr('fe80::/10'), tryParseIp('febf::1')!));
    assert.ok(!cidrContains(parseCidr('fe80::/10'), tryParseIp('fec0::1')!));
  });

  test('bad CIDR text throws', () => {
    for (const s of ['10.0.0.0/33', '::/129', 'x/8', '10.0.0.0/-1', '10.0.0.0/']) {
      assert.throws(() => parseCidr(s), TypeError, s);
    }
  });
});

describe('embedded IPv4 extraction', () => {
  const cases: [string, string[]][] = [
    ['::7f00:1', ['127.0.0.1']],
    ['::ffff:0:7f00:1', ['127.0.0.1']],
    ['64:ff9b::7f00:1', ['127.0.0.1']],
    ['2002:7f00:1::', ['127.0.0.1']],
    ['2002:a00:1:1::5', ['10.0.0.1']],
    // Teredo: server 65.54.227.120, client 192.0.2.45 stored inverted (RFC 4380 §4 example layout).
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', ['65.54.227.120', '192.0.2.45']],
    ['fe80::5efe:a9fe:a9fe', ['169.254.169.254']],
    ['2606:4700::1', []],
    ['::1', []],
    ['::', []],
  ];
  for (const [addr, want] of cases) {
    test(`${addr} embeds ${want.join(', ') || 'nothing'}`, () => {
      assert.deepEqual(embeddedIpv4(tryParseIp(addr)!).map(formatIp), want);
    });
  }
});

describe('default deny-list', () => {
  test('every special-purpose IPv4 range is refused, at both ends of the block', () => {
    for (const a of [
      '0.0.0.0',
      '0.255.255.255',
      '10.0.0.1',
      '10.255.255.255',
      '100.64.0.1',
      '100.127.255.254',
      '127.0.0.1',
      '127.255.255.254',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.255',
      '192.0.0.8',
      '192.0.2.1',
      '192.88.99.1',
      '192.168.1.1',
      '198.18.0.1',
      '198.19.255.255',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
    ]) {
      refused(a);
    }
  });

  test('every special-purpose IPv6 range is refused', () => {
    for (const a of [
      '::',
      '::1',
      '::2',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'febf:ffff::1',
      'fec0::1',
      'ff02::1',
      'ff05::1:3',
      '64:ff9b::808:808',
      '64:ff9b:1::1',
      '100::1',
      '2001::1',
      '2001:1ff::1',
      '2001:db8::1',
      '2002:808:808::1',
      '3fff::1',
      '5f00::1',
    ]) {
      refused(a);
    }
  });

  test('every spelling of loopback, metadata and private addresses is refused', () => {
    for (const a of [
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::FFFF:7F00:0001',
      '0:0:0:0:0:ffff:7f00:1',
      '::127.0.0.1',
      '::7f00:1',
      '::ffff:0:127.0.0.1',
      '64:ff9b::7f00:1',
      '64:ff9b::127.0.0.1',
      '2002:7f00:1::',
      '2002:7f00:0001:0000::1',
      '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1 inverted
      '0:0:0:0:0:0:0:0',
      '0::0',
      '0:0:0:0:0:0:0:1',
      '::ffff:0.0.0.0',
      '::ffff:10.0.0.1',
      '::ffff:a00:1',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '::ffff:192.168.0.1',
      '::ffff:100.64.0.1',
      '::ffff:224.0.0.1',
      '2001:db8::5efe:7f00:1',
    ]) {
      refused(a);
    }
  });

  test('unparseable and ambiguous text is refused', () => {
    for (const a of ['0177.0.0.1', '2130706433', '0x7f.0.0.1', 'localhost', '127.1', '']) refused(a);
  });

  test('public addresses are allowed, and IPv4-mapped ones canonicalise to IPv4', () => {
    for (const a of [
      '8.8.8.8',
      '1.1.1.1',
      '100.128.0.1',
      '172.32.0.1',
      '2606:4700:4700::1111',
      '2a00:1450::1',
    ]) {
      allowed(a);
    }
    const v = defaults.check('::ffff:8.8.8.8');
    assert.deepEqual(v, { allowed: true, canonical: '8.8.8.8', family: 'IPv4' });
    const w = defaults.check('2606:4700:4700:0:0:0:0:1111');
    assert.deepEqual(w, { allowed: true, canonical: '2606:4700:4700::1111', family: 'IPv6' });
  });

  test('a refusal says which block matched and which embedded address', () => {
    const v = defaults.check('64:ff9b::7f00:1');
    assert.equal(v.allowed, false);
    assert.match(v.allowed ? '' : v.reason, /64:ff9b::\/96/);
    const w = createPeerPolicy({ allow: ['64:ff9b::/96'] }).check('64:ff9b::7f00:1');
    assert.equal(w.allowed, false);
    assert.match(w.allowed ? '' : w.reason, /embeds 127\.0\.0\.1 is in 127\.0\.0\.0\/8/);
  });
});

describe('allow-list', () => {
  test('allowing 127.0.0.0/8 admits loopback in IPv4 and IPv4-mapped spellings only', () => {
    const p = createPeerPolicy({ allow: ['127.0.0.0/8'] });
    for (const a of ['127.0.0.1', '127.9.9.9', '::ffff:127.0.0.1', '::ffff:7f00:1']) allowed(a, p);
    // Still refused: the IPv6 wrappers themselves are denied blocks the operator did not allow.
    for (const a of ['::1', '64:ff9b::7f00:1', '2002:7f00:1::', '::7f00:1', '10.0.0.1']) refused(a, p);
  });

  test('an embedded address needs both its wrapper and its IPv4 block allowed', () => {
    const both = createPeerPolicy({ allow: ['64:ff9b::/96', '127.0.0.0/8', '2002::/16'] });
    allowed('64:ff9b::7f00:1', both);
    allowed('2002:7f00:1::', both);
    refused('2002:a00:1::', both);
    const wrapperOnly = createPeerPolicy({ allow: ['64:ff9b::/96'] });
    allowed('64:ff9b::808:808', wrapperOnly);
    refused('64:ff9b::a00:1', wrapperOnly);
  });

  test('allowing single IPv6 addresses admits exactly them', () => {
    const p = createPeerPolicy({ allow: ['::1', '::'] });
    allowed('::1', p);
    allowed('0:0:0:0:0:0:0:1', p);
    allowed('::', p);
    refused('::2', p);
    refused('fe80::1', p);
  });

  test('extra deny entries refuse otherwise public addresses', () => {
    const p = createPeerPolicy({ deny: ['8.8.8.0/24', '2606:4700::/32'] });
    refused('8.8.8.8', p);
    refused('::ffff:8.8.8.8', p);
    refused('2606:4700::1', p);
    allowed('8.8.4.4', p);
  });

  test('a bad allow-list entry fails at construction', () => {
    assert.throws(() => createPeerPolicy({ allow: ['127.0.0.0/40'] }), TypeError);
  });
});
