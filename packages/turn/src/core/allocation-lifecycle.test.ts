import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Data,
  EvenPort,
  getAttribute,
  Lifetime,
  MessageClass,
  Method,
  RequestedAddressFamily,
  RequestedTransport,
  ReservationToken,
  XorMappedAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { attr, errorCode, LongTermClient } from '@parley/testing/turn';
import { allocate, from, newCore, reply, request, restClient, T0, UDP } from '../../test/core-harness.js';

describe('Binding', () => {
  test('answers with the client address as XOR-MAPPED-ADDRESS, no credentials needed', () => {
    const core = newCore();
    const c = new LongTermClient({ username: '', password: '' });
    const res = reply(c, core.handleClient(c.build(Method.Binding, MessageClass.Request), from, T0));
    assert.equal(res.class, MessageClass.SuccessResponse);
    assert.deepEqual(getAttribute(res, XorMappedAddress), {
      family: 'IPv4',
      address: '192.0.2.10',
      port: 40000,
    });
    const v6 = { ...from, address: '2001:db8::7' };
    const res6 = reply(c, core.handleClient(c.build(Method.Binding, MessageClass.Request), v6, T0));
    assert.deepEqual(getAttribute(res6, XorMappedAddress), {
      family: 'IPv6',
      address: '2001:db8::7',
      port: 40000,
    });
  });

  test('a request with an unknown comprehension-required attribute gets 420', () => {
    const core = newCore();
    const c = new LongTermClient({ username: '', password: '' });
    const bytes = c.build(Method.Binding, MessageClass.Request, [attr(Data, new Uint8Array(1))]);
    // Rewrite the DATA attribute type (0x0013) to an unknown required one (0x7777).
    bytes[20] = 0x77;
    bytes[21] = 0x77;
    c.fingerprint = false;
    const noFp = c.build(Method.Binding, MessageClass.Request, [attr(Data, new Uint8Array(1))]);
    noFp[20] = 0x77;
    noFp[21] = 0x77;
    assert.equal(errorCode(reply(c, core.handleClient(noFp, from, T0))), 420);
    assert.equal(core.handleClient(bytes, from, T0).length, 0, 'a broken FINGERPRINT is discarded');
  });
});

describe('Allocate', () => {
  test('grants a relayed address with the default 600 s lifetime, signed with the user key', () => {
    const core = newCore();
    const c = restClient();
    const { response } = allocate(core, c);
    assert.equal(response.class, MessageClass.SuccessResponse);
    assert.ok(c.verifies(response));
    assert.deepEqual(getAttribute(response, XorRelayedAddress), {
      family: 'IPv4',
      address: '198.51.100.1',
      port: 50000,
    });
    assert.equal(getAttribute(response, Lifetime), 600);
    assert.deepEqual(getAttribute(response, XorMappedAddress), {
      family: 'IPv4',
      address: '192.0.2.10',
      port: 40000,
    });
    assert.equal(core.counters().allocations, 1);
    assert.equal(core.counters().users.get('alice')?.allocations, 1);
  });

  test('an IPv6 relay is granted for REQUESTED-ADDRESS-FAMILY IPv6, and 440 when none is configured', () => {
    const core = newCore();
    const { response } = allocate(core, restClient(), [UDP, attr(RequestedAddressFamily, 2)]);
    assert.equal(getAttribute(response, XorRelayedAddress)?.address, '2001:db8::1');
    const v4only = newCore({ relayAddresses: { IPv4: '198.51.100.1' } });
    const { response: r } = allocate(v4only, restClient(), [UDP, attr(RequestedAddressFamily, 2)]);
    assert.equal(errorCode(r), 440);
  });

  test('lifetimes above the maximum are cut to 3600 s, below the default raised to 600 s', () => {
    const core = newCore();
    assert.equal(
      getAttribute(allocate(core, restClient(), [UDP, attr(Lifetime, 99999)]).response, Lifetime),
      3600,
    );
    const other = { ...from, port: 40001 };
    assert.equal(
      getAttribute(allocate(core, restClient(), [UDP, attr(Lifetime, 10)], T0, other).response, Lifetime),
      600,
    );
  });

  test('missing REQUESTED-TRANSPORT is 400, a protocol other than UDP or TCP is 442', () => {
    const core = newCore();
    assert.equal(errorCode(allocate(core, restClient(), []).response), 400);
    assert.equal(errorCode(allocate(core, restClient(), [attr(RequestedTransport, 1)]).response), 442);
  });

  test('a TCP relay over a UDP client connection is 400 (RFC 6062 §5.1)', () => {
    const core = newCore();
    assert.equal(errorCode(allocate(core, restClient(), [attr(RequestedTransport, 6)]).response), 400);
  });

  test('a retransmitted Allocate gets the same answer, a new one on the same 5-tuple gets 437', () => {
    const core = newCore();
    const c = restClient();
    reply(
      c,
      core.handleClient(c.build(Method.Allocate, MessageClass.Request, [UDP], { auth: false }), from, T0),
    );
    const txid = new Uint8Array(12).fill(9);
    const first = core.handleClient(
      c.build(Method.Allocate, MessageClass.Request, [UDP], { transactionId: txid }),
      from,
      T0,
    );
    const open = first[0];
    assert.equal(open?.kind, 'open-relay');
    const again = core.handleClient(
      c.build(Method.Allocate, MessageClass.Request, [UDP], { transactionId: txid }),
      from,
      T0,
    );
    assert.equal(again.length, 0, 'no answer while the relay socket is still binding');
    const answer = core.relayOpened(open.kind === 'open-relay' ? open.allocation : 0, 50000);
    const retrans = core.handleClient(
      c.build(Method.Allocate, MessageClass.Request, [UDP], { transactionId: txid }),
      from,
      T0,
    );
    assert.deepEqual(retrans, answer);
    assert.equal(errorCode(reply(c, request(core, c, Method.Allocate, [UDP]))), 437);
  });

  test('a user at the allocation quota gets 486', () => {
    const core = newCore({ quotas: { allocationsPerUser: 1 } });
    allocate(core, restClient());
    const { response } = allocate(core, restClient(), [UDP], T0, { ...from, port: 40001 });
    assert.equal(errorCode(response), 486);
    // Another user is not affected.
    const ok = allocate(core, restClient('bob'), [UDP], T0, { ...from, port: 40002 });
    assert.equal(ok.response.class, MessageClass.SuccessResponse);
  });

  test('a relay socket that cannot bind gives 508 and frees the quota', () => {
    const core = newCore({ quotas: { allocationsPerUser: 1 } });
    const c = restClient();
    reply(
      c,
      core.handleClient(c.build(Method.Allocate, MessageClass.Request, [UDP], { auth: false }), from, T0),
    );
    const open = request(core, c, Method.Allocate, [UDP])[0];
    assert.equal(
      errorCode(reply(c, core.relayFailed(open?.kind === 'open-relay' ? open.allocation : 0))),
      508,
    );
    assert.equal(allocate(core, c).response.class, MessageClass.SuccessResponse);
  });

  test('EVEN-PORT with R reserves the next port under a token a later Allocate can claim', () => {
    const core = newCore();
    const first = allocate(core, restClient(), [UDP, attr(EvenPort, { reserve: true })]);
    assert.equal(first.open?.evenPort, true);
    const token = getAttribute(first.response, ReservationToken);
    assert.ok(token);
    assert.equal(first.open?.reserveToken, Buffer.from(token).toString('hex'));
    const other = { ...from, port: 40001 };
    const second = allocate(core, restClient(), [UDP, attr(ReservationToken, token)], T0, other);
    assert.equal(second.open?.fromReservation, Buffer.from(token).toString('hex'));
    const third = allocate(core, restClient(), [UDP, attr(ReservationToken, token)], T0, {
      ...from,
      port: 40002,
    });
    assert.equal(errorCode(third.response), 508, 'a token is used once');
  });

  test('an unclaimed reservation is released after 30 s', () => {
    const core = newCore();
    const first = allocate(core, restClient(), [UDP, attr(EvenPort, { reserve: true })]);
    assert.deepEqual(core.tick(T0 + 29_000), []);
    assert.deepEqual(core.tick(T0 + 30_000), [
      { kind: 'release-reservation', token: first.open?.reserveToken },
    ]);
  });
});
