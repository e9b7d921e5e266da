import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longTermKey, opaqueString } from './keys.js';

test('OpaqueString (RFC 8265 §4.2): non-ASCII spaces become U+0020, then NFC; no compatibility folding', () => {
  assert.equal(opaqueString('pass\u00a0word\u3000!'), 'pass word !');
  assert.equal(opaqueString('caf\u0065\u0301'), 'caf\u00e9');
  assert.equal(opaqueString('\ufb01'), '\ufb01', 'NFKC would fold the ligature; NFC keeps it');
  assert.equal(opaqueString('plain ASCII, as REST credentials are'), 'plain ASCII, as REST credentials are');
});

test('the long-term key (RFC 8489 §9.2.2) applies OpaqueString to realm and password, not to the username', () => {
  const composed = longTermKey('user', 'r\u00e9alm', 'caf\u00e9');
  assert.deepEqual(longTermKey('user', 're\u0301alm', 'cafe\u0301'), composed);
  assert.notDeepEqual(
    longTermKey('us\u00a0er', 'r\u00e9alm', 'caf\u00e9'),
    longTermKey('us er', 'r\u00e9alm', 'caf\u00e9'),
  );
});
