import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageClass, Method } from '@parley/stun';
import { errorCode, LongTermClient } from '@parley/testing/turn';
import {
  allocate,
  from,
  newCore,
  reply,
  request,
  restClient,
  SECRET,
  T0,
  UDP,
} from '../../../test/core-harness.js';
import { limiterKey } from './request-auth.js';
import { mintRestCredential } from './rest-credentials.js';

describe('authentication', () => {
  test('a wrong password gets 401 and is counted', () => {
    const core = newCore();
    const c = new LongTermClient({
      ...mintRestCredential(SECRET, 'alice', T0 / 1000 + 60),
      password: 'guess',
    });
    assert.equal(errorCode(allocate(core, c).response), 401);
    assert.equal(core.counters().authFailures['bad-integrity'], 1);
  });

  test('an expired REST credential gets 401 and is counted as expired', () => {
    const core = newCore();
    assert.equal(errorCode(allocate(core, restClient('alice', T0 / 1000 - 1)).response), 401);
    assert.equal(core.counters().authFailures.expired, 1);
  });

  test('a credential minted under an older secret still in the list is accepted', () => {
    const core = newCore({ secrets: ['new', SECRET] });
    assert.equal(allocate(core, restClient()).response.class, MessageClass.SuccessResponse);
  });

  test('a stale nonce gets 438 with a fresh nonce that then works', () => {
    const core = newCore({ nonceLifetimeSec: 60 });
    const c = restClient();
    allocate(core, c);
    const later = T0 + 61_000;
    const stale = reply(c, request(core, c, Method.Refresh, [], later));
    assert.equal(errorCode(stale), 438);
    assert.equal(core.counters().authFailures['stale-nonce'], 1);
    const ok = reply(c, request(core, c, Method.Refresh, [], later));
    assert.equal(ok.class, MessageClass.SuccessResponse);
  });

  test('a request on an allocation with another username gets 441', () => {
    const core = newCore();
    const alice = restClient();
    allocate(core, alice);
    const bob = restClient('bob');
    bob.realm = alice.realm;
    bob.nonce = alice.nonce;
    assert.equal(errorCode(reply(bob, request(core, bob, Method.Refresh))), 441);
  });

  test('401s are rate-limited per source address', () => {
    const core = newCore({ unauthorizedRateLimit: { burst: 2, perSecond: 1 } });
    const c = restClient();
    const bare = () =>
      core.handleClient(c.build(Method.Allocate, MessageClass.Request, [UDP], { auth: false }), from, T0);
    assert.equal(bare().length, 1);
    assert.equal(bare().length, 1);
    assert.equal(bare().length, 0);
    assert.equal(core.counters().unauthorizedRateLimited, 1);
    const elsewhere = core.handleClient(
      c.build(Method.Allocate, MessageClass.Request, [UDP], { auth: false }),
      { ...from, address: '192.0.2.11' },
      T0,
    );
    assert.equal(elsewhere.length, 1);
  });

  test('requests other than Allocate without an allocation get 437 after authenticating', () => {
    const core = newCore();
    const c = restClient();
    reply(c, core.handleClient(c.build(Method.Refresh, MessageClass.Request, [], { auth: false }), from, T0));
    assert.equal(errorCode(reply(c, request(core, c, Method.Refresh))), 437);
  });

  test('a static user authenticates with their password', () => {
    const core = newCore({ secrets: [], users: { carol: 'pw' } });
    const c = new LongTermClient({ username: 'carol', password: 'pw' });
    assert.equal(allocate(core, c).response.class, MessageClass.SuccessResponse);
  });
});

describe('401 rate-limit keys', () => {
  test('IPv4 sources are limited per address, IPv6 sources per /64', () => {
    assert.equal(limiterKey('192.0.2.1'), '192.0.2.1');
    assert.equal(limiterKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(limiterKey('2001:db8:1:2:bbbb::9'), '2001:db8:1:2::/64');
    assert.notEqual(limiterKey('2001:db8:1:3::1'), limiterKey('2001:db8:1:2::1'));
  });
});
