import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Nonces } from './nonces.js';

const NOW = Date.UTC(2026, 0, 1); // the wall-clock time the tests pretend it is

describe('nonces', () => {
  const key = new Uint8Array(32).fill(7);

  test('a nonce is fresh for its lifetime and stale after', () => {
    const n = new Nonces({ key, lifetimeMs: 1000 });
    const nonce = n.issue('192.0.2.1', NOW);
    assert.equal(n.check(nonce, '192.0.2.1', NOW + 999), 'ok');
    assert.equal(n.check(nonce, '192.0.2.1', NOW + 1000), 'stale');
  });

  test('a nonce issued to one address is invalid from another', () => {
    const n = new Nonces({ key });
    assert.equal(n.check(n.issue('192.0.2.1', NOW), '192.0.2.2', NOW), 'invalid');
  });

  test('a nonce with a forged expiry or from another key is invalid', () => {
    const n = new Nonces({ key, lifetimeMs: 1000 });
    const nonce = n.issue('192.0.2.1', NOW);
    const mac = nonce.slice(nonce.indexOf('-'));
    assert.equal(n.check(`${(NOW + 10_000_000).toString(16)}${mac}`, '192.0.2.1', NOW + 5000), 'invalid');
    const other = new Nonces({ key: new Uint8Array(32).fill(8) });
    assert.equal(other.check(nonce, '192.0.2.1', NOW), 'invalid');
    for (const junk of ['', '-', 'abc', 'zz-zz', `${nonce}x`, nonce.toUpperCase()]) {
      assert.equal(n.check(junk, '192.0.2.1', NOW), 'invalid', junk);
    }
  });

  test('remembered nonces give the same verdicts as recomputed ones', () => {
    const remembering = new Nonces({ key, lifetimeMs: 1000 });
    const forgetting = new Nonces({ key, lifetimeMs: 1000, maxRemembered: 0 });
    const nonce = remembering.issue('192.0.2.1', NOW);
    for (const [ip, at, want] of [
      ['192.0.2.1', NOW, 'ok'],
      ['192.0.2.2', NOW, 'invalid'],
      ['192.0.2.1', NOW + 1000, 'stale'],
      ['192.0.2.1', NOW + 1, 'ok'],
    ] as const) {
      assert.equal(remembering.check(nonce, ip, at), want, `${ip} at +${at - NOW}`);
      assert.equal(forgetting.check(nonce, ip, at), want, `${ip} at +${at - NOW}, recomputed`);
    }
  });

  test('a short nonce key is refused', () => {
    assert.throws(() => new Nonces({ key: new Uint8Array(8) }), TypeError);
  });
});
