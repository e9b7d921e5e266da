/**
 * Defect 8: a TCP allocation opened 400 peer connections (RFC 6062 Connect had no cap), and with a range
 * allow-listed a Connect reached the signaling HTTP port: the self check covered only TURN's ports. Now
 * peer connections per allocation are capped (pending ones count; 508), and no port of the server's own
 * IPs is a relay target (403, or dropped for Send) — except the relayed addresses of live allocations,
 * so two clients of this server still relay to each other.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import {
  ChannelNumber,
  ConnectionId,
  Data,
  decodeMessage,
  getAttribute,
  MessageClass,
  Method,
  RequestedTransport,
  XorPeerAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { attr, errorCode, StreamTurnClient, tcpTurnPort, UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential } from '@parley/turn';
import { udpSocket, until } from '../../../../packages/turn/test/harness.js';
import { withServe } from './harness.js';

const SECRET = 'hostile-connect';
const ARGS = ['--turn-secret', SECRET, '--turn-allow-peer', '127.0.0.0/8'];
const PEER_IP = '127.0.0.3';

const credential = (user: string) => mintRestCredential(SECRET, user, Math.floor(Date.now() / 1000) + 3600);

/** A TCP peer on 127.0.0.3 that accepts and holds every connection. */
async function tcpPeer(): Promise<{ server: Server; port: number; held: Socket[] }> {
  const held: Socket[] = [];
  const server = createServer((s) => {
    s.on('error', () => {});
    held.push(s);
  });
  await new Promise<void>((r) => server.listen(0, PEER_IP, () => r()));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0, held };
}

function stopPeer(p: { server: Server; held: Socket[] }): void {
  for (const s of p.held) s.destroy();
  p.server.close();
}

const to = (address: string, port: number) => attr(XorPeerAddress, { family: 'IPv4', address, port });

test('default: Connect 33 from one TCP allocation gets 508 (pending connections count); a new allocation connects', async () => {
  await withServe(ARGS, async (serve) => {
    const server = { host: '127.0.0.1', port: tcpTurnPort(serve.output()) };
    const peers = await Promise.all(Array.from({ length: 34 }, () => tcpPeer()));
    let c: StreamTurnClient | undefined;
    let d: StreamTurnClient | undefined;
    try {
      const control = await StreamTurnClient.open(server, credential('connect-a'));
      c = control;
      d = await StreamTurnClient.open(server, credential('connect-b'));
      assert.equal(errorCode(await control.allocate([attr(RequestedTransport, 6)])), undefined);
      const codes = await Promise.all(
        peers.slice(0, 32).map((p) => control.request(Method.Connect, [to(PEER_IP, p.port)], { ms: 5000 })),
      );
      assert.deepEqual(
        codes.map(errorCode).filter(Boolean),
        [],
        'the first 32 Connects succeed (each stays pending: no ConnectionBind)',
      );
      assert.ok(codes.every((m) => getAttribute(m, ConnectionId) !== undefined));
      assert.equal(
        errorCode(await c.request(Method.Connect, [to(PEER_IP, peers[32]!.port)])),
        508,
        'Connect 33',
      );
      assert.equal(errorCode(await d.allocate([attr(RequestedTransport, 6)])), undefined);
      const other = await d.request(Method.Connect, [to(PEER_IP, peers[33]!.port)]);
      assert.equal(errorCode(other), undefined, 'another allocation still connects');
      console.log('# Connect 33 from one allocation → 508; another allocation → success');
    } finally {
      c?.close();
      d?.close();
      for (const p of peers) stopPeer(p);
    }
  });
});

test("Connect, CreatePermission, ChannelBind and Send to the server's own IP on any port are refused; relay to relay still works", async () => {
  await withServe(ARGS, async (serve) => {
    const server = { host: '127.0.0.1', port: serve.turnPort! };
    const peer = await tcpPeer();
    const tcpClient = await StreamTurnClient.open(
      { ...server, port: tcpTurnPort(serve.output()) },
      credential('self-tcp'),
    );
    const a = await UdpTurnClient.open(server, credential('self-a'));
    const b = await UdpTurnClient.open(server, credential('self-b'));
    const onServerIp = await udpSocket('127.0.0.1'); // some other service on the server's own IP
    const elsewhere = await udpSocket(PEER_IP);
    try {
      assert.equal(errorCode(await tcpClient.allocate([attr(RequestedTransport, 6)])), undefined);
      assert.equal(
        errorCode(await tcpClient.request(Method.Connect, [to('127.0.0.1', serve.port)])),
        403,
        'Connect to the signaling HTTP port',
      );
      for (const port of [server.port, tcpTurnPort(serve.output())]) {
        assert.equal(
          errorCode(await tcpClient.request(Method.Connect, [to('127.0.0.1', port)])),
          403,
          'TURN port',
        );
      }
      assert.equal(errorCode(await tcpClient.request(Method.Connect, [to(PEER_IP, peer.port)])), undefined);

      const relayedA = getAttribute(await a.allocate([attr(RequestedTransport, 17)]), XorRelayedAddress)!;
      const relayedB = getAttribute(await b.allocate([attr(RequestedTransport, 17)]), XorRelayedAddress)!;
      for (const [what, port] of [
        ['the signaling HTTP port', serve.port],
        ['the TURN port', server.port],
        ['another UDP service on the server IP', onServerIp.address().port],
      ] as const) {
        assert.equal(errorCode(await a.request(Method.CreatePermission, [to('127.0.0.1', port)])), 403, what);
        assert.equal(
          errorCode(
            await a.request(Method.ChannelBind, [attr(ChannelNumber, 0x4000), to('127.0.0.1', port)]),
          ),
          403,
          what,
        );
      }
      // Relay to relay: A and B permit each other's relayed addresses (on the server's own IP).
      assert.equal(
        errorCode(await a.request(Method.CreatePermission, [to(relayedB.address, relayedB.port)])),
        undefined,
      );
      assert.equal(
        errorCode(await b.request(Method.CreatePermission, [to(relayedA.address, relayedA.port)])),
        undefined,
      );
      assert.equal(
        errorCode(await a.request(Method.CreatePermission, [to(PEER_IP, elsewhere.address().port)])),
        undefined,
      );
      const send = (address: string, port: number, text: string) =>
        a.indicate(Method.Send, [to(address, port), attr(Data, new TextEncoder().encode(text))]);
      // The permission for 127.0.0.1 exists now (relay to relay): Sends to its other ports are still dropped.
      send('127.0.0.1', onServerIp.address().port, 'to the host');
      send(relayedB.address, relayedB.port, 'to B');
      send(PEER_IP, elsewhere.address().port, 'to a peer');
      await until(() => b.other.length > 0 && elsewhere.inbox.length > 0, 'B and the peer to receive');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(onServerIp.inbox.length, 0, 'nothing reached the other service on the server IP');
      const data = decodeMessage(b.other[0]!);
      assert.equal(data.class, MessageClass.Indication);
      assert.equal(Buffer.from(getAttribute(data, Data)!).toString(), 'to B');
      console.log(
        '# Connect/CreatePermission/ChannelBind to 127.0.0.1:{http,turn,udp service} → 403; Send there dropped; relay→relay delivered',
      );
    } finally {
      tcpClient.close();
      await a.close();
      await b.close();
      onServerIp.close();
      elsewhere.close();
      stopPeer(peer);
    }
  });
});
