/**
 * The socket audit: every TURN socket has an 'error' listener from its first moment and no handler throws
 * out of the event loop, so a reset, a close or garbage at any moment costs that socket only. Each case
 * here once could, or could plausibly, take the process down.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import {
  ChannelNumber,
  Data,
  getAttribute,
  Method,
  RequestedTransport,
  XorPeerAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { attr, errorCode, StreamTurnClient, tcpTurnPort, UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential } from '@parley/turn';
import { udpSocket, until } from '../../../../packages/turn/test/harness.js';
import { withServe } from './harness.js';
import { selfSignedCert } from './tls-cert.js';

const SECRET = 'hostile-sockets';
const ARGS = ['--turn-secret', SECRET, '--turn-allow-peer', '127.0.0.0/8'];
const credential = (user: string) => mintRestCredential(SECRET, user, Math.floor(Date.now() / 1000) + 3600);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const to = (address: string, port: number) => attr(XorPeerAddress, { family: 'IPv4', address, port });

/** A connection reset (RST) after writing `bytes`. */
async function resetAfter(port: number, bytes: Uint8Array): Promise<void> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  await new Promise<void>((r) => s.once('connect', () => r()));
  if (bytes.length) s.write(bytes);
  await sleep(20);
  s.resetAndDestroy();
}

test('node:dgram path: a Send to peer port 0 and a ChannelBind to it cost nothing (dgram send throws on port 0)', async () => {
  await withServe(
    ARGS,
    async (serve) => {
      const c = await UdpTurnClient.open({ host: '127.0.0.1', port: serve.turnPort! }, credential('port0'));
      const peer = await udpSocket('127.0.0.3');
      try {
        assert.equal(errorCode(await c.allocate([attr(RequestedTransport, 17)])), undefined);
        assert.equal(errorCode(await c.request(Method.CreatePermission, [to('127.0.0.3', 9)])), undefined);
        c.indicate(Method.Send, [to('127.0.0.3', 0), attr(Data, Uint8Array.of(1))]);
        assert.equal(
          errorCode(await c.request(Method.ChannelBind, [attr(ChannelNumber, 0x4000), to('127.0.0.3', 0)])),
          400,
        );
        await sleep(200);
        assert.ok(serve.alive(), `exited after a Send to port 0:\n${serve.output().slice(-2000)}`);
        // The allocation still relays.
        c.indicate(Method.Send, [to('127.0.0.3', peer.address().port), attr(Data, Uint8Array.of(2))]);
        await until(() => peer.inbox.length === 1, 'the relayed datagram');
        console.log(
          '# dgram path: Send to port 0 → dropped, ChannelBind to port 0 → 400; process alive, still relays',
        );
      } finally {
        await c.close();
        peer.close();
      }
    },
    { PARLEY_TURN_NATIVE: '0' },
  );
});

test('resets and garbage on TURN TCP, TLS, relay TCP listeners and peer connections cost those sockets only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-turn-tls-'));
  const held: Socket[] = [];
  const peerServer = createServer((s) => {
    s.on('error', () => {});
    held.push(s);
    s.resetAndDestroy(); // the peer resets every connection the relay makes to it
  });
  try {
    const tls = selfSignedCert(dir);
    await new Promise<void>((r) => peerServer.listen(0, '127.0.0.3', () => r()));
    const peerPort = (peerServer.address() as { port: number }).port;
    const args = [...ARGS, '--turn-tls-port', '0', '--turn-cert', tls.cert, '--turn-key', tls.key];
    await withServe(args, async (serve) => {
      const port = tcpTurnPort(serve.output());
      const tlsPort = Number(/tls (\d+)/.exec(serve.output())?.[1]);
      // TCP: reset right away, mid-header, mid-frame; garbage that breaks the framing.
      await resetAfter(port, new Uint8Array(0));
      await resetAfter(port, Uint8Array.of(0x00, 0x03));
      await resetAfter(port, Uint8Array.of(0x40, 0x00, 0x00, 0x40, 1, 2, 3));
      await resetAfter(port, Uint8Array.of(0x16, 0x03, 0x01, 0x00, 0xff, 0xff));
      // TLS: garbage instead of a ClientHello, a reset mid-handshake, a handshake then a reset.
      await resetAfter(tlsPort, new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
      await resetAfter(
        tlsPort,
        Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03),
      );
      const tls = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false });
      tls.on('error', () => {});
      await new Promise<void>((r) => tls.once('secureConnect', () => r()));
      tls.write(Uint8Array.of(0x00, 0x01, 0x00));
      await sleep(20);
      tls.destroy();
      // RFC 6062: a TCP allocation, a peer that connects to the relayed address and resets, a Connect to a
      // peer that resets, and the control connection reset with both around.
      const control = await StreamTurnClient.open({ host: '127.0.0.1', port }, credential('tcp-relay'));
      const res = await control.allocate([attr(RequestedTransport, 6)]);
      assert.equal(errorCode(res), undefined);
      const relayed = getAttribute(res, XorRelayedAddress)!;
      assert.equal(
        errorCode(await control.request(Method.CreatePermission, [to('127.0.0.3', 1)])),
        undefined,
      );
      const incoming = connect({ host: relayed.address, port: relayed.port, localAddress: '127.0.0.3' });
      incoming.on('error', () => {});
      await new Promise<void>((r) => incoming.once('connect', () => r()));
      incoming.resetAndDestroy();
      const connected = await control.request(Method.Connect, [to('127.0.0.3', peerPort)], { ms: 5000 });
      assert.ok([undefined, 447].includes(errorCode(connected)), `Connect answered ${errorCode(connected)}`);
      control.socket.resetAndDestroy();
      await sleep(300);
      assert.ok(serve.alive(), `exited:\n${serve.output().slice(-2000)}`);
      // Still serving TCP and TLS.
      const after = await StreamTurnClient.open({ host: '127.0.0.1', port }, credential('after'));
      assert.equal(errorCode(await after.allocate([attr(RequestedTransport, 17)])), undefined);
      after.close();
      console.log(
        '# resets/garbage on TCP, TLS, a relay TCP listener and a peer connection → process alive, TCP still allocates',
      );
    });
  } finally {
    for (const s of held) s.destroy();
    peerServer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
