// The native UDP data path (packages/turn/native): malformed input at the listener and the relay socket,
// and ICMP port unreachable after sends to closed ports, survived.
// Every server here asks for udpDataPath 'native', so these tests fail when the addon is not built.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChannelNumber,
  Data,
  decodeMessage,
  getAttribute,
  Method,
  XorMappedAddress,
  XorPeerAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { attr, errorCode, UdpTurnClient } from '@parley/testing/turn';
import { encodeChannelFrame } from '../src/core/channel-data.js';
import { closeSocket, freeUdpPort, sleep, udpSocket, until } from './harness.js';
import { ask, authed, bindingRequest, credential, errorOnConnectedSend, start } from './native-harness.js';

/** Peers live off the server's address (127.0.0.1): no port of a server IP is a relay target. */
const PEER_IP = '127.0.0.3';

describe('native UDP data path', () => {
  test('thousands of malformed datagrams at the listener and the relay: dropped, and the server still works', async () => {
    const server = await start();
    const port = server.addresses[0]!.port;
    const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
    const peer = await udpSocket(PEER_IP);
    const fuzzer = await udpSocket(PEER_IP);
    try {
      const res = await client.allocate();
      const relayed = getAttribute(res, XorRelayedAddress)!;
      const channel = 0x4020;
      await client.request(Method.ChannelBind, [
        attr(ChannelNumber, channel),
        attr(XorPeerAddress, { family: 'IPv4', address: PEER_IP, port: peer.address().port }),
      ]);
      let x = 0x2545f491;
      const next = () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x >>> 0;
      };
      const valid = [
        encodeChannelFrame(channel, Buffer.alloc(40, 1), false),
        bindingRequest(Buffer.alloc(12, 3), true),
        bindingRequest(Buffer.alloc(12, 4), false),
      ];
      for (let i = 0; i < 5000; i++) {
        let bytes: Buffer;
        const kind = next() % 4;
        if (kind === 0) bytes = Buffer.from(Array.from({ length: next() % 120 }, () => next() & 0xff));
        else {
          bytes = Buffer.from(valid[next() % valid.length]!);
          if (kind === 1) bytes = bytes.subarray(0, next() % (bytes.length + 1));
          else if (kind === 2)
            bytes.writeUInt16BE(next() & 0xffff, 2); // the length lies
          else for (let f = 0; f < 3; f++) bytes[next() % bytes.length] = next() & 0xff;
        }
        fuzzer.send(bytes, i % 2 === 0 ? port : relayed.port, '127.0.0.1');
        if (i % 500 === 0) await sleep(5);
      }
      await sleep(200);
      // Still answering Bindings, and still relaying on the allocation.
      const answer = decodeMessage(
        await ask(fuzzer, bindingRequest(Buffer.alloc(12, 9), false), port, '127.0.0.1'),
      );
      assert.equal(getAttribute(answer, XorMappedAddress)?.port, fuzzer.address().port);
      const before = peer.inbox.length;
      client.send(encodeChannelFrame(channel, Buffer.from('after the storm'), false));
      await until(
        () => peer.inbox.slice(before).some((m) => m.toString() === 'after the storm'),
        'the relayed datagram',
      );
    } finally {
      await client.close();
      await closeSocket(peer);
      await closeSocket(fuzzer);
      await server.close();
    }
  });

  // A datagram to a closed loopback port draws an ICMP port unreachable, which a connected socket reports
  // as ECONNREFUSED. The addon's sockets are unconnected and do not set IP_RECVERR, and Linux then reports
  // such errors to them not at all (no POLLERR, no SO_ERROR, no failed recvmmsg): the sends succeed and
  // the ICMP is dropped. Sending to closed ports from the listener and from a relay socket, through the
  // fast paths and through JS, must leave both serving.
  test('after sending to closed ports (ICMP port unreachable) the listener and a relay socket keep serving', async () => {
    assert.equal(await errorOnConnectedSend(await freeUdpPort()), 'ECONNREFUSED', 'no ICMP on this host');
    const server = await start();
    const port = server.addresses[0]!.port;
    const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
    const gone = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
    const peer = await udpSocket(PEER_IP);
    const other = await udpSocket(PEER_IP);
    const closed = await freeUdpPort(PEER_IP); // nothing listens there: bound, then closed again
    const to = (p: number) => ({ family: 'IPv4' as const, address: PEER_IP, port: p });
    try {
      // The client's relay socket: channel 0x4030 to the closed port, 0x4031 to a live peer.
      const relayed = getAttribute(await client.allocate(), XorRelayedAddress)!;
      for (const [channel, p] of [
        [0x4030, closed],
        [0x4031, peer.address().port],
      ] as const) {
        const bind = await client.request(Method.ChannelBind, [
          attr(ChannelNumber, channel),
          attr(XorPeerAddress, to(p)),
        ]);
        assert.equal(errorCode(bind), undefined);
      }
      // A client that goes away without deallocating: its peer's datagrams go from the listener to a
      // closed port.
      const goneRelayed = getAttribute(await gone.allocate(), XorRelayedAddress)!;
      const bind = await gone.request(Method.ChannelBind, [
        attr(ChannelNumber, 0x4032),
        attr(XorPeerAddress, to(peer.address().port)),
      ]);
      assert.equal(errorCode(bind), undefined);
      await gone.close();
      const before = server.counters();
      for (let i = 0; i < 20; i++) {
        client.send(encodeChannelFrame(0x4030, Buffer.from(`to nobody ${i}`), false)); // relay, fast path
        client.indicate(Method.Send, [
          attr(XorPeerAddress, to(closed)),
          attr(Data, Buffer.from('to nobody')),
        ]); // relay, JS
        peer.send(Buffer.from(`to a gone client ${i}`), goneRelayed.port, goneRelayed.address); // listener, fast path
        await sleep(5);
      }
      await until(
        () => server.counters().packetsToPeers - before.packetsToPeers >= 40,
        'the sends to the closed port',
      );
      await until(
        () => server.counters().packetsToClients - before.packetsToClients >= 20,
        'the sends to the gone client',
      );
      await sleep(100); // the ICMP answers are in by now
      // The listener still answers Bindings (fast path) and requests (JS); the relay socket relays both ways.
      const answer = decodeMessage(
        await ask(other, bindingRequest(Buffer.alloc(12, 5), true), port, '127.0.0.1'),
      );
      assert.equal(getAttribute(answer, XorMappedAddress)?.port, other.address().port);
      assert.equal(await authed(client, Method.Refresh), undefined);
      client.send(encodeChannelFrame(0x4031, Buffer.from('still relaying'), false));
      await until(
        () => peer.inbox.some((m) => m.toString() === 'still relaying'),
        'the datagram at the peer',
      );
      peer.send(Buffer.from('and back'), relayed.port, relayed.address);
      await until(
        () => client.other.some((m) => Buffer.from(m.subarray(4)).toString() === 'and back'),
        'the ChannelData at the client',
      );
    } finally {
      await client.close();
      await closeSocket(peer);
      await closeSocket(other);
      await server.close();
    }
  });
});
