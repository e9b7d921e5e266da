import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChannelNumber,
  Data,
  getAttribute,
  MessageClass,
  Method,
  type TransportAddress,
  XorPeerAddress,
} from '@parley/stun';
import { attr, errorCode } from '@parley/testing/turn';
import { allocate, from, newCore, PEER, reply, request, restClient, T0 } from '../../test/core-harness.js';
import type { Action } from './types.js';

function sentToPeer(actions: readonly Action[]) {
  return actions.filter((a) => a.kind === 'to-peer');
}

describe('permissions and relaying', () => {
  test('CreatePermission to a loopback peer in any spelling gets 403 and is counted', () => {
    const core = newCore();
    const c = restClient();
    allocate(core, c);
    for (const address of ['127.0.0.1', '10.0.0.1', '169.254.169.254', '0.0.0.0']) {
      const res = reply(
        c,
        request(core, c, Method.CreatePermission, [
          attr(XorPeerAddress, { family: 'IPv4', address, port: 1 }),
        ]),
      );
      assert.equal(errorCode(res), 403, address);
    }
    for (const address of ['::ffff:127.0.0.1', '::1', '64:ff9b::7f00:1']) {
      const res = reply(
        c,
        request(core, c, Method.CreatePermission, [
          attr(XorPeerAddress, { family: 'IPv6', address, port: 1 }),
        ]),
      );
      assert.equal(errorCode(res), 403, address);
    }
    assert.equal(core.counters().refusedPeers, 7);
  });

  test('CreatePermission is all or nothing, and a wrong family is 443', () => {
    const core = newCore();
    const c = restClient();
    allocate(core, c);
    const res = reply(
      c,
      request(core, c, Method.CreatePermission, [
        attr(XorPeerAddress, PEER),
        attr(XorPeerAddress, { ...PEER, address: '10.1.1.1' }),
      ]),
    );
    assert.equal(errorCode(res), 403);
    assert.equal(core.counters().permissions, 0);
    const v6 = reply(
      c,
      request(core, c, Method.CreatePermission, [
        attr(XorPeerAddress, { family: 'IPv6', address: '2606:4700::1', port: 1 }),
      ]),
    );
    assert.equal(errorCode(v6), 443);
    assert.equal(errorCode(reply(c, request(core, c, Method.CreatePermission))), 400);
  });

  test('a Send indication reaches a permitted peer only', () => {
    const core = newCore();
    const c = restClient();
    const { id } = allocate(core, c);
    const payload = new Uint8Array([1, 2, 3]);
    const send = (peer = PEER) =>
      core.handleClient(
        c.build(Method.Send, MessageClass.Indication, [attr(XorPeerAddress, peer), attr(Data, payload)], {
          auth: false,
        }),
        from,
        T0,
      );
    assert.deepEqual(send(), [], 'no permission yet');
    assert.equal(
      reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, PEER)])).class,
      MessageClass.SuccessResponse,
    );
    const out = sentToPeer(send());
    assert.deepEqual(out, [
      { kind: 'to-peer', allocation: id, peer: { address: '8.8.8.8', port: 5000 }, data: payload },
    ]);
    assert.deepEqual(
      send({ family: 'IPv4', address: '8.8.4.4', port: 5000 }),
      [],
      'another peer IP has no permission',
    );
    assert.deepEqual(send({ family: 'IPv4', address: '127.0.0.1', port: 5000 }), []);
    assert.equal(core.counters().users.get('alice')?.packetsToPeers, 1);
  });

  test('peer data comes back as a Data indication with a permission, and not without', () => {
    const core = newCore();
    const c = restClient();
    const { id } = allocate(core, c);
    assert.deepEqual(core.handlePeer(id, new Uint8Array([9]), '8.8.8.8', 5000, T0), []);
    reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, PEER)]));
    const msg = reply(c, core.handlePeer(id, new Uint8Array([9]), '8.8.8.8', 6000, T0));
    assert.equal(msg.method, Method.Data);
    assert.equal(msg.class, MessageClass.Indication);
    assert.deepEqual(getAttribute(msg, XorPeerAddress), { family: 'IPv4', address: '8.8.8.8', port: 6000 });
    assert.deepEqual(getAttribute(msg, Data), new Uint8Array([9]));
  });

  test('a permission lasts 300 s and is refreshed by CreatePermission', () => {
    const core = newCore();
    const c = restClient();
    const { id } = allocate(core, c);
    reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, PEER)]));
    assert.equal(core.handlePeer(id, new Uint8Array([1]), '8.8.8.8', 1, T0 + 299_000).length, 1);
    assert.equal(core.handlePeer(id, new Uint8Array([1]), '8.8.8.8', 1, T0 + 300_000).length, 0);
    reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, PEER)], T0 + 300_000));
    assert.equal(core.handlePeer(id, new Uint8Array([1]), '8.8.8.8', 1, T0 + 599_000).length, 1);
    core.tick(T0 + 600_000);
    assert.equal(core.counters().permissions, 0);
  });

  test('the permission quota caps permissions per user with 508', () => {
    const core = newCore({ quotas: { permissionsPerUser: 2 } });
    const c = restClient();
    allocate(core, c);
    const peer = (address: string) => [attr(XorPeerAddress, { family: 'IPv4', address, port: 1 })];
    assert.equal(errorCode(reply(c, request(core, c, Method.CreatePermission, peer('8.8.8.8')))), undefined);
    assert.equal(errorCode(reply(c, request(core, c, Method.CreatePermission, peer('8.8.4.4')))), undefined);
    assert.equal(errorCode(reply(c, request(core, c, Method.CreatePermission, peer('1.1.1.1')))), 508);
    assert.equal(
      errorCode(reply(c, request(core, c, Method.CreatePermission, peer('8.8.8.8')))),
      undefined,
      'refresh is free',
    );
  });

  test("every port of the server's own IPs is refused as a peer, in any spelling, but live relayed addresses", () => {
    const core = newCore({
      selfAddresses: [{ address: '8.8.8.8', port: 3478 }],
      allowPeers: ['198.51.100.0/24'],
    });
    const c = restClient();
    allocate(core, c);
    const self: TransportAddress = { family: 'IPv4', address: '8.8.8.8', port: 3478 };
    const bind = (peer: TransportAddress, n: number) =>
      errorCode(
        reply(c, request(core, c, Method.ChannelBind, [attr(ChannelNumber, n), attr(XorPeerAddress, peer)])),
      );
    assert.equal(bind(self, 0x4000), 403);
    assert.equal(bind({ family: 'IPv6', address: '::ffff:8.8.8.8', port: 3478 }, 0x4001), 403);
    assert.equal(bind({ ...self, port: 8080 }, 0x4002), 403, 'another port of a server IP (signaling, say)');
    assert.equal(
      errorCode(
        reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, { ...self, port: 80 })])),
      ),
      403,
    );
    // The relay address (198.51.100.1, allow-listed here) is the server's too: only live relayed ports pass.
    const relay: TransportAddress = { family: 'IPv4', address: '198.51.100.1', port: 50000 };
    assert.equal(bind({ ...relay, port: 50001 }, 0x4003), 403, 'no allocation is relayed there');
    assert.equal(bind(relay, 0x4004), undefined, "the client's own relayed address is live: relay to relay");
    const bob = restClient('bob');
    allocate(core, bob, undefined, T0, { ...from, port: 40001 }, 50002);
    assert.equal(bind({ ...relay, port: 50002 }, 0x4005), undefined, "another client's relayed address");
    const send = core.handleClient(
      c.build(
        Method.Send,
        MessageClass.Indication,
        [attr(XorPeerAddress, { ...relay, port: 50001 }), attr(Data, new Uint8Array([1]))],
        { auth: false },
      ),
      from,
      T0,
    );
    assert.deepEqual(send, [], 'a Send to a server IP is dropped even with a permission for the IP');
    assert.equal(core.counters().refusedPeers, 6);
    assert.equal(core.counters().limits.selfPeer, 6);
  });
});
