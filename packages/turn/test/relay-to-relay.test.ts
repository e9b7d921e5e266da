// Two allocations on one server relaying to each other: the path a browser behind a UDP-blocking firewall
// (TURN over TCP) takes to a peer that is itself relayed by the same server. The peer of each allocation is
// the other's relayed address, one of the server's own IPs, which is allowed because it is a live relayed
// address. Run on both UDP data paths, with Send/Data indications and with ChannelData.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Data,
  decodeMessage,
  getAttribute,
  Method,
  type TransportAddress,
  XorPeerAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { attr, errorCode, StreamTurnClient, type TurnClientBase, UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential, startTurnServer, type TurnServer } from '@parley/turn';
import { until } from './harness.js';

const SECRET = 'relay-to-relay';
const credential = (user: string) => mintRestCredential(SECRET, user, Math.floor(Date.now() / 1000) + 3600);

/** The payloads of the Data indications `client` got from `peer`. */
function dataFrom(client: TurnClientBase, peer: TransportAddress): string[] {
  const out: string[] = [];
  for (const m of client.other) {
    try {
      const msg = decodeMessage(m);
      const from = getAttribute(msg, XorPeerAddress);
      const data = getAttribute(msg, Data);
      if (msg.method === Method.Data && from?.port === peer.port && data)
        out.push(Buffer.from(data).toString());
    } catch {
      // ChannelData: counted by channelFrom
    }
  }
  return out;
}

/** ChannelData payloads: a stream client keeps the payloads its framer cut; a UDP one whole datagrams. */
function channelFrom(client: TurnClientBase, channel: number, stream: boolean): string[] {
  if (stream) return client.other.map((m) => Buffer.from(m).toString());
  return client.other
    .filter((m) => m.length >= 4 && (m[0]! << 8) + m[1]! === channel)
    .map((m) => Buffer.from(m.subarray(4, 4 + ((m[2]! << 8) + m[3]!))).toString());
}

for (const udpDataPath of ['native', 'dgram'] as const) {
  describe(`relay to relay on one server (${udpDataPath} UDP data path)`, () => {
    let server: TurnServer;
    before(async () => {
      server = await startTurnServer({
        listen: [
          { transport: 'udp', host: '127.0.0.1', port: 0 },
          { transport: 'tcp', host: '127.0.0.1', port: 0 },
        ],
        realm: 'parley.test',
        secrets: [SECRET],
        // Loopback stands for the public address the lab's server has; private ranges stay refused.
        allowPeers: ['127.0.0.0/8'],
        udpDataPath,
        log: () => {},
      });
    });
    after(() => server.close());

    test('a TCP client and a UDP client exchange data through their two relays, both ways', async () => {
      const [udp, tcp] = server.addresses;
      const a = await StreamTurnClient.open({ host: '127.0.0.1', port: tcp!.port }, credential('tcp-side'));
      const b = await UdpTurnClient.open({ host: '127.0.0.1', port: udp!.port }, credential('udp-side'));
      try {
        const relayA = getAttribute(await a.allocate(), XorRelayedAddress)!;
        const relayB = getAttribute(await b.allocate(), XorRelayedAddress)!;
        assert.ok(relayA && relayB, 'both allocated');
        await a.createPermission(relayB);
        await b.createPermission(relayA);

        // Send indications one way, Data indications out the other end.
        a.sendTo(relayB, Buffer.from('from-tcp'));
        await until(() => dataFrom(b, relayA).includes('from-tcp'), 'the TCP side’s data at the UDP side');
        b.sendTo(relayA, Buffer.from('from-udp'));
        await until(() => dataFrom(a, relayB).includes('from-udp'), 'the UDP side’s data at the TCP side');

        // ChannelData both ways (the native engine relays mirrored channels without JavaScript).
        await a.channelBind(0x4001, relayB);
        await b.channelBind(0x4002, relayA);
        const frame = (ch: number, s: string, pad: boolean) => {
          const body = Buffer.from(s);
          const len = pad ? (body.length + 3) & ~3 : body.length;
          const f = Buffer.alloc(4 + len);
          f.writeUInt16BE(ch, 0);
          f.writeUInt16BE(body.length, 2);
          body.copy(f, 4);
          return f;
        };
        a.send(frame(0x4001, 'ch-from-tcp', true));
        b.send(frame(0x4002, 'ch-from-udp', false));
        await until(
          () => channelFrom(b, 0x4002, false).includes('ch-from-tcp'),
          'ChannelData from the TCP side',
        );
        await until(
          () => channelFrom(a, 0x4001, true).includes('ch-from-udp'),
          'ChannelData from the UDP side',
        );
      } finally {
        a.close();
        await b.close();
      }
    });

    test('over TCP, a permission for a private address is still refused, and the allocation lives on', async () => {
      const [, tcp] = server.addresses;
      const a = await StreamTurnClient.open({ host: '127.0.0.1', port: tcp!.port }, credential('tcp-2'));
      try {
        await a.allocate();
        const res = await a.request(Method.CreatePermission, [
          attr(XorPeerAddress, { family: 'IPv4', address: '10.1.0.2', port: 9 }),
        ]);
        assert.equal(errorCode(res), 403);
        // The refusal leaves the allocation working.
        await a.refresh(600);
      } finally {
        a.close();
      }
    });
  });
}
