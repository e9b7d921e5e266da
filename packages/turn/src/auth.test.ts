import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { longTermKey } from '@parley/stun';
import { Credentials, Nonces, SourceRateLimiter } from './auth.js';
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

describe('401 rate limiter', () => {
  test('a source gets its burst, then nothing until tokens refill', () => {
    const rl = new SourceRateLimiter({ burst: 3, perSecond: 2 });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => rl.take('a', NOW)),
      [true, true, true, false],
    );
    assert.equal(rl.take('a', NOW + 400), false);
    assert.equal(rl.take('a', NOW + 500), true);
    assert.equal(rl.take('a', NOW + 500), false);
  });

  test('sources are limited independently', () => {
    const rl = new SourceRateLimiter({ burst: 1, perSecond: 1 });
    assert.equal(rl.take('a', NOW), true);
    assert.equal(rl.take('a', NOW), false);
    assert.equal(rl.take('b', NOW), true);
  });

  test('the number of tracked sources is bounded', () => {
    const rl = new SourceRateLimiter({ burst: 1, perSecond: 1, maxSources: 100 });
    for (let i = 0; i < 1000; i++) rl.take(`s${i}`, NOW);
    assert.equal(rl.trackedSources, 100);
  });
});
