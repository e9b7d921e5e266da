// The native UDP data path (packages/turn/native): fast-path relay both ways with exact counters, and
// permissions, channel and allocation expiry and the peer policy still enforced on it.
// Every server here asks for udpDataPath 'native', so these tests fail when the addon is not built.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ChannelNumber,
  Data,
  decodeMessage,
  getAttribute,
  Lifetime,
  Method,
  XorPeerAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { attr, errorCode, UdpTurnClient } from '@parley/testing/turn';
import type { TurnServer } from '@parley/turn';
import { encodeChannelFrame } from '../src/core/channel-data.js';
import { closeSocket, sleep, udpSocket, until } from './harness.js';
import { authed, credential, start } from './native-harness.js';

/** Peers live off the server's address (127.0.0.1): no port of a server IP is a relay target. */
const PEER_IP = '127.0.0.3';

describe('native UDP data path', () => {
  describe('relay', () => {
    let server: TurnServer;
    // The server's clock runs `offset` ms ahead of the real one; the core and the native tables both follow.
    let offset = 0;
    before(async () => {
      server = await start({ clock: () => Date.now() + offset, tickMs: 20 });
    });
    after(() => server.close());

    /** An allocation with a channel bound to a fresh peer socket. */
    async function bound(channel = 0x4001) {
      const port = server.addresses[0]!.port;
      const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
      const res = await client.allocate();
      assert.equal(errorCode(res), undefined);
      const relayed = getAttribute(res, XorRelayedAddress)!;
      const peer = await udpSocket(PEER_IP);
      const bind = await client.request(Method.ChannelBind, [
        attr(ChannelNumber, channel),
        attr(XorPeerAddress, { family: 'IPv4', address: PEER_IP, port: peer.address().port }),
      ]);
      assert.equal(errorCode(bind), undefined);
      return { client, peer, relayed, channel };
    }

    test('ChannelData goes both ways and every packet is counted, per user too', async () => {
      const { client, peer, relayed, channel } = await bound();
      try {
        const before = server.counters();
        const N = 500;
        // In bursts of 50: the receiving test sockets must not overflow.
        for (let i = 0; i < N; i++) {
          client.send(encodeChannelFrame(channel, Buffer.alloc(100, i & 0xff), false));
          if (i % 50 === 49) await sleep(5);
        }
        await until(() => peer.inbox.length === N, `${N} datagrams at the peer`);
        assert.ok(peer.inbox.every((m, i) => m.length === 100 && m[0] === (i & 0xff)));
        for (let i = 0; i < N; i++) {
          peer.send(Buffer.alloc(60, i & 0xff), relayed.port, relayed.address);
          if (i % 50 === 49) await sleep(5);
        }
        await until(() => client.other.length === N, `${N} ChannelData at the client`);
        for (const [i, m] of client.other.entries()) {
          assert.equal((m[0]! << 8) | m[1]!, channel);
          assert.equal((m[2]! << 8) | m[3]!, 60);
          assert.equal(m.length, 64);
          assert.equal(m[4], i & 0xff);
        }
        const after = server.counters();
        assert.equal(after.packetsToPeers - before.packetsToPeers, N);
        assert.equal(after.bytesToPeers - before.bytesToPeers, N * 100);
        assert.equal(after.packetsToClients - before.packetsToClients, N);
        assert.equal(after.bytesToClients - before.bytesToClients, N * 60);
        assert.ok(after.received - before.received >= N);
        const user = after.users.get('native')!;
        const userBefore = before.users.get('native')!;
        assert.equal(user.packetsToPeers - userBefore.packetsToPeers, N);
        assert.equal(user.bytesToClients - userBefore.bytesToClients, N * 60);
      } finally {
        await client.close();
        await closeSocket(peer);
      }
    });

    test('datagrams larger than a receive slot (2 KiB) are relayed whole both ways (through JS)', async () => {
      const { client, peer, relayed, channel } = await bound(0x4004);
      try {
        const big = Buffer.alloc(6000, 0).map((_, i) => i & 0xff);
        client.send(encodeChannelFrame(channel, big, false));
        await until(() => peer.inbox.length === 1, 'the large datagram at the peer');
        assert.deepEqual(peer.inbox[0], big);
        peer.send(big, relayed.port, relayed.address);
        await until(() => client.other.length === 1, 'the large ChannelData at the client');
        assert.equal(client.other[0]!.length, 6004);
        assert.deepEqual(Buffer.from(client.other[0]!.subarray(4)), big);
      } finally {
        await client.close();
        await closeSocket(peer);
      }
    });

    test('a peer without a permission gets nothing through; a permitted one without a channel gets Data', async () => {
      const { client, peer, relayed } = await bound(0x4002);
      const stranger = await udpSocket('127.0.0.2');
      const unbound = await udpSocket(PEER_IP); // same IP as the peer: permitted, but no channel for its port
      try {
        stranger.send(Buffer.from('no permission'), relayed.port, relayed.address);
        unbound.send(Buffer.from('permission, no channel'), relayed.port, relayed.address);
        await until(() => client.other.length === 1, 'the Data indication');
        const data = decodeMessage(client.other[0]!);
        assert.equal(data.method, Method.Data);
        assert.equal(Buffer.from(getAttribute(data, Data)!).toString(), 'permission, no channel');
        assert.equal(getAttribute(data, XorPeerAddress)?.port, unbound.address().port);
        await sleep(100);
        assert.equal(client.other.length, 1, 'the stranger got through');
        assert.equal(peer.inbox.length, 0);
      } finally {
        await client.close();
        await closeSocket(peer);
        await closeSocket(stranger);
        await closeSocket(unbound);
      }
    });

    test('an expired channel stops the fast path; a deleted allocation relays nothing', async () => {
      const { client, peer, relayed, channel } = await bound(0x4003);
      try {
        client.send(encodeChannelFrame(channel, Buffer.from('live'), false));
        await until(() => peer.inbox.length === 1, 'the live datagram');
        // 400 s on: the permission (300 s) is gone, the channel (600 s) not yet. Nothing either way.
        offset = 400_000;
        await sleep(100);
        client.send(encodeChannelFrame(channel, Buffer.from('no permission'), false));
        peer.send(Buffer.from('no permission'), relayed.port, relayed.address);
        await sleep(100);
        assert.equal(peer.inbox.length, 1);
        assert.equal(client.other.length, 0);
        // Refresh the allocation and the permission alone: the channel still expires at 600 s.
        assert.equal(await authed(client, Method.Refresh), undefined);
        const perm = await authed(client, Method.CreatePermission, [
          attr(XorPeerAddress, { family: 'IPv4', address: PEER_IP, port: peer.address().port }),
        ]);
        assert.equal(perm, undefined);
        client.send(encodeChannelFrame(channel, Buffer.from('permission again'), false));
        await until(() => peer.inbox.length === 2, 'the datagram after the new permission');
        offset = 650_000;
        await sleep(100);
        client.send(encodeChannelFrame(channel, Buffer.from('expired channel'), false));
        peer.send(Buffer.from('as Data'), relayed.port, relayed.address);
        await until(() => client.other.length === 1, 'the Data indication');
        assert.equal(decodeMessage(client.other[0]!).method, Method.Data, 'no ChannelData after expiry');
        await sleep(100);
        assert.equal(peer.inbox.length, 2);
        // Refresh LIFETIME 0 deletes the allocation: its relay answers nothing, ChannelData goes nowhere.
        assert.equal(await authed(client, Method.Refresh, [attr(Lifetime, 0)]), undefined);
        client.send(encodeChannelFrame(channel, Buffer.from('gone'), false));
        peer.send(Buffer.from('gone'), relayed.port, relayed.address);
        await sleep(100);
        assert.equal(peer.inbox.length, 2);
        assert.equal(client.other.length, 1);
      } finally {
        offset = 0;
        await sleep(50);
        await client.close();
        await closeSocket(peer);
      }
    });
  });

  test('a peer the policy refuses cannot be reached through the fast path', async () => {
    const server = await start({ allowPeers: [] });
    const port = server.addresses[0]!.port;
    const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
    const peer = await udpSocket(PEER_IP);
    try {
      assert.equal(errorCode(await client.allocate()), undefined);
      const bind = await client.request(Method.ChannelBind, [
        attr(ChannelNumber, 0x4010),
        attr(XorPeerAddress, { family: 'IPv4', address: PEER_IP, port: peer.address().port }),
      ]);
      assert.equal(errorCode(bind), 403);
      client.send(encodeChannelFrame(0x4010, Buffer.from('refused'), false));
      await sleep(150);
      assert.equal(peer.inbox.length, 0);
      assert.equal(server.counters().packetsToPeers, 0);
    } finally {
      await client.close();
      await closeSocket(peer);
      await server.close();
    }
  });

  test('counters() after close() gives the last counters instead of throwing', async () => {
    const server = await start();
    const port = server.addresses[0]!.port;
    const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
    assert.equal(errorCode(await client.allocate()), undefined);
    await client.close();
    await server.close();
    const counters = server.counters();
    assert.equal(counters.users.size, 1, 'the allocation made before close is still counted');
    await server.close(); // twice is harmless
  });
});
