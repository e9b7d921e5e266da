import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mappingVerdict, stunPair } from './nat-check.js';

const A = 'stun:203.0.113.10:3478';
const B = 'stun:203.0.113.11:3478';

test('the two STUN URLs to compare are the first two on different hosts', () => {
  assert.deepEqual(stunPair([A, 'stun:203.0.113.10:3479', B]), [A, B]);
  assert.equal(stunPair([A]), undefined);
});

test('the mapping verdicts say what they can and cannot tell', () => {
  const seen = (...ports: number[]) => ports.map((port) => ({ url: A, address: '198.18.1.2', port }));
  assert.match(mappingVerdict(undefined, undefined).detail, /^Cannot tell: .*--stun-alternate-ip/);
  assert.match(
    mappingVerdict([A, B], { seen: seen(40000, 40001), complete: true, errors: [] }).detail,
    /^Symmetric NAT: .*40000, 198\.18\.1\.2:40001.*will need the relay/,
  );
  const cone = mappingVerdict([A, B], { seen: seen(40000), complete: true, errors: [] }).detail;
  assert.match(cone, /^Cone NAT \(endpoint-independent mapping\)/);
  assert.match(cone, /cannot tell how the NAT filters/);
  assert.match(
    mappingVerdict([A, B], { seen: seen(40000), complete: true, errors: [{ url: B, text: '701 timeout' }] })
      .detail,
    /^Cannot tell: only one .*\(701 timeout\)/,
  );
  assert.match(mappingVerdict([A, B], { seen: [], complete: true, errors: [] }).detail, /^No NAT/);
  for (const g of [
    { seen: seen(1, 2), complete: true, errors: [] },
    { seen: [], complete: false, errors: [] },
  ])
    assert.equal(mappingVerdict([A, B], g).ok, true, 'informational, never a failed check');
});
