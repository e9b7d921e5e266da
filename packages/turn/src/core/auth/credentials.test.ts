import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { longTermKey } from '@parley/stun';
import { Credentials } from './credentials.js';
import { mintRestCredential, restExpiry, restPassword } from './rest-credentials.js';

const NOW = Date.UTC(2026, 0, 1); // the wall-clock time the tests pretend it is
const nowSec = NOW / 1000;

describe('TURN REST credentials', () => {
  test('the password is base64 HMAC-SHA1 of the username under the secret', () => {
    // Known value: coturn and the draft compute the same thing (checked with `openssl dgst -sha1 -hmac`).
    assert.equal(restPassword('secret', '1700000000:alice'), 'd8soP47RbdIKLDUOpnJPVQyq5Ts=');
  });

  test('the username carries its expiry before the separator', () => {
    assert.equal(restExpiry('1700000000:alice'), 1700000000);
    assert.equal(restExpiry('1700000000'), 1700000000);
    assert.equal(restExpiry('1700000000#bob', '#'), 1700000000);
    assert.equal(restExpiry('alice:1700000000'), undefined);
    assert.equal(restExpiry('alice'), undefined);
  });

  test('a credential minted under any configured secret yields a key that matches it', () => {
    const creds = new Credentials({ realm: 'parley', secrets: ['new', 'old'] });
    for (const secret of ['new', 'old']) {
      const c = mintRestCredential(secret, 'alice', nowSec + 60);
      const r = creds.keysFor(c.username, NOW);
      assert.ok(r.ok);
      const want = longTermKey(c.username, 'parley', c.password);
      assert.ok(
        r.keys.some((k) => Buffer.from(k).equals(Buffer.from(want))),
        secret,
      );
    }
  });

  test('a credential minted under another secret matches no key', () => {
    const creds = new Credentials({ realm: 'parley', secrets: ['new', 'old'] });
    const c = mintRestCredential('attacker', 'alice', nowSec + 60);
    const r = creds.keysFor(c.username, NOW);
    assert.ok(r.ok);
    const want = longTermKey(c.username, 'parley', c.password);
    assert.ok(!r.keys.some((k) => Buffer.from(k).equals(Buffer.from(want))));
  });

  test('an expired credential is refused as expired, one second before expiry it is accepted', () => {
    const creds = new Credentials({ realm: 'parley', secrets: ['s'] });
    const c = mintRestCredential('s', 'alice', nowSec);
    assert.deepEqual(creds.keysFor(c.username, NOW), { ok: false, reason: 'expired' });
    assert.equal(creds.keysFor(c.username, NOW - 1000).ok, true);
  });

  test('names that are neither static users nor REST names are unknown', () => {
    const creds = new Credentials({ realm: 'parley', secrets: ['s'], users: { bob: 'pw' } });
    assert.deepEqual(creds.keysFor('mallory', NOW), { ok: false, reason: 'unknown-user' });
    const bob = creds.keysFor('bob', NOW);
    assert.ok(bob.ok);
    const md5 = createHash('md5').update('bob:parley:pw').digest();
    assert.ok(Buffer.from(bob.keys[0]!).equals(md5));
  });

  test('static users only: REST names are unknown', () => {
    const creds = new Credentials({ realm: 'parley', users: { bob: 'pw' } });
    assert.deepEqual(creds.keysFor(`${nowSec + 60}:bob`, NOW), { ok: false, reason: 'unknown-user' });
  });

  test('a cached key stops working when its credential expires', () => {
    const creds = new Credentials({ realm: 'parley', secrets: ['s'] });
    const c = mintRestCredential('s', 'alice', nowSec + 10);
    const first = creds.keysFor(c.username, NOW);
    assert.ok(first.ok);
    assert.equal(creds.keysFor(c.username, NOW + 9_999), first, 'the second lookup is served from the cache');
    assert.deepEqual(creds.keysFor(c.username, NOW + 10_000), { ok: false, reason: 'expired' });
    assert.deepEqual(creds.keysFor(c.username, NOW + 10_000), { ok: false, reason: 'expired' });
  });

  test('the key cache is bounded and an evicted name is derived again, to the same key', () => {
    const creds = new Credentials({ realm: 'parley', secrets: ['s'], maxCachedKeys: 2 });
    const names = ['a', 'b', 'c'].map((u) => mintRestCredential('s', u, nowSec + 60).username);
    const keys = names.map((n) => creds.keysFor(n, NOW));
    const again = creds.keysFor(names[0]!, NOW);
    assert.ok(again.ok && keys[0]!.ok);
    assert.notEqual(again, keys[0], 'evicted, so derived again');
    assert.deepEqual(again.keys, keys[0]!.keys);
  });

  test('no secrets and no users is refused at construction: no unauthenticated relay', () => {
    assert.throws(() => new Credentials({ realm: 'parley' }), TypeError);
  });
});
