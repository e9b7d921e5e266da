// STUN and TURN over TLS: a Binding from a Node TLS client, and coturn's uclient relaying over TLS.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import {
  createMessage,
  decodeMessage,
  encodeMessage,
  getAttribute,
  MessageClass,
  Method,
  StunStreamFramer,
  XorMappedAddress,
} from '@parley/stun';
import { startTurnServer, type TurnServer } from '@parley/turn';
import { CHANNELS } from '../src/core/channel-data.js';
import { lostPackets, requireBinary, run, startEchoPeer, totals, uclient } from './harness.js';

const SECRET = 'tls-secret';

describe('TLS listener', () => {
  let dir: string;
  let server: TurnServer;
  let peer: Awaited<ReturnType<typeof startEchoPeer>> | undefined;

  before(async () => {
    requireBinary('openssl');
    dir = mkdtempSync(join(tmpdir(), 'parley-turn-tls-'));
    const made = await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ]);
    assert.equal(made.code, 0, made.output);
    server = await startTurnServer({
      listen: [{ transport: 'tls', host: '127.0.0.1', port: 0 }],
      realm: 'parley.test',
      secrets: [SECRET],
      allowPeers: ['127.0.0.0/8'],
      tls: { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) },
    });
  });

  after(async () => {
    await peer?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a Binding over TLS returns the client address', async () => {
    const port = server.addresses[0]!.port;
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', () => resolve());
        socket.once('error', reject);
      });
      const framer = new StunStreamFramer(CHANNELS);
      const answer = new Promise<Uint8Array>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          for (const f of framer.push(chunk)) if (f.kind === 'stun') resolve(f.bytes);
        });
      });
      socket.write(
        encodeMessage(createMessage(Method.Binding, MessageClass.Request, new Uint8Array(12).fill(3))),
      );
      const msg = decodeMessage(await answer);
      assert.equal(msg.class, MessageClass.SuccessResponse);
      assert.deepEqual(getAttribute(msg, XorMappedAddress), {
        family: 'IPv4',
        address: '127.0.0.1',
        port: socket.localPort,
      });
    } finally {
      socket.destroy();
    }
  });

  // uclient's TLS client loses a few ChannelData messages now and then (it reads one message per TLS read):
  // measured against coturn's own turnserver too (13 and 1 lost of 100 in 6 runs). So the server side is
  // checked exactly, by its counters, and uclient only loosely.
  test('turnutils_uclient over TLS (-t -S) with REST credentials: the server relays every packet', async () => {
    for (const b of ['turnutils_uclient', 'turnutils_peer']) requireBinary(b);
    peer = await startEchoPeer('127.0.0.3'); // off the server's IP: no port of it is a peer
    const port = server.addresses[0]!.port;
    const r = await uclient(['-t', '-S'], {
      user: 'tls-udp',
      secret: SECRET,
      port,
      peer: { host: '127.0.0.3', port: peer.port },
    });
    assert.match(r.output, /tot_send_msgs=100, tot_recv_msgs=\d+/, r.output.slice(-2000));
    assert.doesNotMatch(r.output, /error \d{3}/);
    const u = server.counters().users.get('tls-udp');
    assert.ok(u);
    assert.equal(u.packetsToPeers, 100, 'every client packet reached the peer');
    assert.equal(u.packetsToClients, 100, 'every echo was sent back to the client');
  });

  test('turnutils_uclient with a TCP relay over TLS (-T -S) loses nothing', async () => {
    requireBinary('turnutils_uclient');
    const port = server.addresses[0]!.port;
    const r = await uclient(['-T', '-S'], { user: 'tls', secret: SECRET, port });
    assert.deepEqual(lostPackets(r.output), { lost: 0, dropped: 0 });
    assert.deepEqual(totals(r.output), { sent: 100, received: 100 });
  });
});
