import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChannelNumber,
  MessageClass,
  Method,
  RequestedAddressFamily,
  RequestedTransport,
  type TransportAddress,
  XorPeerAddress,
} from '@parley/stun';
import { attr, errorCode, type LongTermClient } from '@parley/testing/turn';
import { allocate, from, newCore, PEER, reply, request, restClient, T0 } from '../../test/core-harness.js';
import { sourceKey } from './source-key.js';
import type { TurnCore } from './turn-core.js';
import type { ClientAddress } from './types.js';

/** The hardening quotas of the core: per source, per allocation and per user, each counted when it bites. */

const peer = (port: number, address = PEER.address): TransportAddress => ({ family: 'IPv4', address, port });

function bind(core: TurnCore, c: LongTermClient, n: number, p: TransportAddress, src: ClientAddress = from) {
  return errorCode(
    reply(
      c,
      request(core, c, Method.ChannelBind, [attr(ChannelNumber, n), attr(XorPeerAddress, p)], T0, src),
    ),
  );
}

describe('per-source allocation quota', () => {
  test('allocation N+1 from one address gets 486 whatever the username; another address still gets one', () => {
    const core = newCore({ quotas: { allocationsPerSource: 3 } });
    for (let i = 0; i < 3; i++) {
      const { response } = allocate(core, restClient(`peer${i}`), undefined, T0, {
        ...from,
        port: 41000 + i,
      });
      assert.equal(response.class, MessageClass.SuccessResponse, `allocation ${i + 1}`);
    }
    const over = allocate(core, restClient('peer3'), undefined, T0, { ...from, port: 41003 });
    assert.equal(errorCode(over.response), 486);
    const other = allocate(core, restClient('peer4'), undefined, T0, { ...from, address: '192.0.2.11' });
    assert.equal(other.response.class, MessageClass.SuccessResponse);
    assert.equal(core.counters().limits.allocationsPerSource, 1);
    assert.equal(core.counters().quotaRejections, 1);
  });

  test('a deleted allocation gives its slot back', () => {
    const core = newCore({ quotas: { allocationsPerSource: 1 } });
    const c = restClient('a');
    allocate(core, c);
    assert.equal(
      errorCode(allocate(core, restClient('b'), undefined, T0, { ...from, port: 1 }).response),
      486,
    );
    core.clientClosed(from); // as a TCP connection closing would; UDP uses Refresh 0, same bookkeeping
    assert.equal(
      allocate(core, restClient('b'), undefined, T0, { ...from, port: 1 }).response.class,
      MessageClass.SuccessResponse,
    );
  });

  test('IPv6 sources are counted per /64 (configurable), IPv4 per address', () => {
    assert.equal(sourceKey('2001:db8:1:2:aaaa::1', 64), '2001:db8:1:2::/64');
    assert.equal(sourceKey('2001:db8:1:2:bbbb::9', 64), '2001:db8:1:2::/64');
    assert.notEqual(sourceKey('2001:db8:1:3::1', 64), sourceKey('2001:db8:1:2::1', 64));
    assert.equal(sourceKey('2001:db8:1:2:aaaa::1', 128), '2001:db8:1:2:aaaa::1/128');
    assert.equal(sourceKey('192.0.2.1', 64), '192.0.2.1');
    const core = newCore({ quotas: { allocationsPerSource: 1 } });
    const v6 = (address: string): ClientAddress => ({ ...from, address });
    assert.equal(
      allocate(core, restClient('a'), undefined, T0, v6('2001:db8:1:2::1')).response.class,
      MessageClass.SuccessResponse,
    );
    assert.equal(
      errorCode(allocate(core, restClient('b'), undefined, T0, v6('2001:db8:1:2::2')).response),
      486,
    );
    assert.equal(
      allocate(core, restClient('c'), undefined, T0, v6('2001:db8:1:3::1')).response.class,
      MessageClass.SuccessResponse,
    );
  });
});

describe('channel and permission caps', () => {
  test('new bindings past channelsPerAllocation get 508; refreshing one that exists does not', () => {
    const core = newCore({ quotas: { channelsPerAllocation: 2 } });
    const c = restClient();
    allocate(core, c);
    assert.equal(bind(core, c, 0x4000, peer(1)), undefined);
    assert.equal(bind(core, c, 0x4001, peer(2)), undefined);
    assert.equal(bind(core, c, 0x4002, peer(3)), 508);
    assert.equal(bind(core, c, 0x4000, peer(1)), undefined, 'a refresh is free');
    assert.equal(core.counters().limits.channelsPerAllocation, 1);
    // Another allocation of the same user has its own allowance.
    const src = { ...from, port: 40001 };
    allocate(core, c, undefined, T0, src);
    assert.equal(bind(core, c, 0x4000, peer(1), src), undefined);
  });

  test('channelsPerUser caps a user across allocations, and a closed allocation gives its channels back', () => {
    const core = newCore({ quotas: { channelsPerUser: 3 } });
    const c = restClient();
    const second = { ...from, port: 40001 };
    allocate(core, c);
    allocate(core, c, undefined, T0, second);
    assert.equal(bind(core, c, 0x4000, peer(1)), undefined);
    assert.equal(bind(core, c, 0x4001, peer(2)), undefined);
    assert.equal(bind(core, c, 0x4000, peer(1), second), undefined);
    assert.equal(bind(core, c, 0x4001, peer(2), second), 508);
    assert.equal(core.counters().limits.channelsPerUser, 1);
    core.clientClosed(from);
    assert.equal(bind(core, c, 0x4001, peer(2), second), undefined);
  });

  test('permissions per allocation are bounded by permissionsPerUser, counted exactly per user', () => {
    const core = newCore({ quotas: { permissionsPerUser: 2 } });
    const c = restClient();
    allocate(core, c);
    const perm = (address: string) =>
      errorCode(
        reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, peer(1, address))])),
      );
    assert.equal(perm('8.8.8.8'), undefined);
    assert.equal(perm('8.8.4.4'), undefined);
    assert.equal(perm('1.1.1.1'), 508);
    assert.equal(bind(core, c, 0x4000, peer(1, '9.9.9.9')), 508, 'ChannelBind installs a permission too');
    assert.equal(core.counters().limits.permissionsPerUser, 2);
    // After expiry (300 s) the permissions are swept and the allowance is back.
    core.tick(T0 + 301_000);
    const later = errorCode(
      reply(
        c,
        request(core, c, Method.CreatePermission, [attr(XorPeerAddress, peer(1, '1.1.1.1'))], T0 + 302_000),
      ),
    );
    assert.equal(later, undefined);
  });

  test('a channel or Connect to port 0 is a 400', () => {
    const core = newCore();
    const c = restClient();
    allocate(core, c);
    assert.equal(bind(core, c, 0x4000, peer(0)), 400);
  });
});

describe('RFC 6062 peer connections per allocation', () => {
  const control: ClientAddress = { listener: 1, transport: 'tcp', address: '192.0.2.10', port: 40000 };
  test('Connect past peerConnectionsPerAllocation gets 508, pending ones included; a closed one frees a slot', () => {
    const core = newCore({ quotas: { peerConnectionsPerAllocation: 2 } });
    const c = restClient();
    allocate(core, c, [attr(RequestedTransport, 6)], T0, control);
    const connect = (port: number) =>
      request(core, c, Method.Connect, [attr(XorPeerAddress, peer(port))], T0, control);
    const first = connect(1);
    assert.equal(first[0]?.kind, 'tcp-connect', 'connecting: no answer yet');
    assert.equal(connect(2)[0]?.kind, 'tcp-connect');
    assert.equal(errorCode(reply(c, connect(3))), 508);
    assert.equal(
      errorCode(reply(c, request(core, c, Method.Connect, [attr(XorPeerAddress, peer(0))], T0, control))),
      400,
    );
    assert.equal(core.counters().limits.peerConnectionsPerAllocation, 1);
    const id = first[0]?.kind === 'tcp-connect' ? first[0].connection : -1;
    assert.equal(errorCode(reply(c, core.tcpConnectFailed(id))), 447);
    assert.equal(connect(3)[0]?.kind, 'tcp-connect');
  });

  test('an incoming peer connection past the cap is refused', () => {
    const core = newCore({ quotas: { peerConnectionsPerAllocation: 1 } });
    const c = restClient();
    const { id } = allocate(core, c, [attr(RequestedTransport, 6)], T0, control);
    reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, PEER)], T0, control));
    assert.notEqual(core.tcpPeerIncoming(id, PEER.address, 1000, T0).connection, undefined);
    assert.equal(core.tcpPeerIncoming(id, PEER.address, 1001, T0).connection, undefined);
    assert.equal(core.counters().limits.peerConnectionsPerAllocation, 1);
  });
});

describe("the server's own addresses", () => {
  test('embedded forms of a server IP and addresses in a self block are refused on every port', () => {
    const core = newCore({
      selfAddresses: [{ address: '8.8.8.8' }],
      allowPeers: ['64:ff9b::/96', '127.0.0.0/8', '2001:db8::/32'],
    });
    core.addSelfRange('127.0.0.0/8'); // what a wildcard listener adds: it answers on all of loopback
    const c = restClient();
    allocate(core, c, [attr(RequestedTransport, 17), attr(RequestedAddressFamily, 2)]);
    const v4 = restClient('v4');
    const src = { ...from, port: 40001 };
    allocate(core, v4, undefined, T0, src);
    const perm = (client: LongTermClient, p: TransportAddress, at = from) =>
      errorCode(
        reply(client, request(core, client, Method.CreatePermission, [attr(XorPeerAddress, p)], T0, at)),
      );
    assert.equal(
      perm(c, { family: 'IPv6', address: '64:ff9b::808:808', port: 9 }),
      403,
      'NAT64 form of 8.8.8.8',
    );
    assert.equal(perm(v4, { family: 'IPv4', address: '127.0.0.2', port: 9 }, src), 403, 'in the self block');
    assert.equal(perm(c, { family: 'IPv6', address: '2001:db8::5efe:808:808', port: 9 }), 403, 'ISATAP form');
    assert.equal(perm(c, { family: 'IPv6', address: '64:ff9b::909:909', port: 9 }), undefined, 'another IP');
  });

  test("a channel to another allocation's relayed address goes when that allocation goes", () => {
    const core = newCore({ allowPeers: ['198.51.100.0/24'] });
    const c = restClient('c');
    const b = restClient('b');
    allocate(core, c);
    const bSrc = { ...from, port: 40001 };
    allocate(core, b, undefined, T0, bSrc, 50002);
    const relayOfB = peer(50002, '198.51.100.1');
    assert.equal(bind(core, c, 0x4000, relayOfB), undefined);
    assert.equal(bind(core, c, 0x4001, peer(50000, '198.51.100.1')), undefined, 'its own relayed address');
    assert.equal(core.counters().channels, 2);
    core.clientClosed(bSrc);
    assert.equal(core.counters().channels, 1, 'the channel to B is gone with B');
    assert.equal(core.state.channelsToRelays.size, 1);
    const data = core.handleClientChannelFrame(0x4000, Uint8Array.of(1), from, T0);
    assert.deepEqual(data, [], 'nothing is relayed on it');
    assert.equal(bind(core, c, 0x4002, relayOfB), 403, 'and the address is no peer any more');
    core.clientClosed(from);
    assert.equal(core.state.channelsToRelays.size, 0);
    assert.equal(core.state.usageByUser.size, 0, 'no usage left behind');
  });
});
