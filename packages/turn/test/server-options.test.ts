// startTurnServer's options on real sockets: advertised addresses, refusals at start, cleanup on close.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  getAttribute,
  Lifetime,
  Method,
  RequestedAddressFamily,
  RequestedTransport,
  XorRelayedAddress,
} from '@parley/stun';
import { attr, errorCode, UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential, startTurnServer } from '@parley/turn';
import { bindUdp, DEFAULT_UDP_BUFFER_BYTES } from '../src/shell/udp-sockets.js';

const SECRET = 'options-secret';
const credential = () => mintRestCredential(SECRET, 'opt', Math.floor(Date.now() / 1000) + 3600);

describe('startTurnServer options', () => {
  test('UDP sockets get 4 MiB buffers by default, the size asked for, or the system default with 0', async () => {
    const system = await bindUdp('IPv4', '127.0.0.1', 0, 0);
    const big = await bindUdp('IPv4', '127.0.0.1', 0);
    const small = await bindUdp('IPv4', '127.0.0.1', 0, 256 << 10);
    try {
      // Linux doubles what it is given (bookkeeping) and caps it at net.core.rmem_max / wmem_max.
      const cap = (path: string) => Number(readFileSync(path, 'utf8')) * 2;
      const want = (n: number, path: string) => Math.min(n * 2, cap(path));
      assert.equal(big.getRecvBufferSize(), want(DEFAULT_UDP_BUFFER_BYTES, '/proc/sys/net/core/rmem_max'));
      assert.equal(big.getSendBufferSize(), want(DEFAULT_UDP_BUFFER_BYTES, '/proc/sys/net/core/wmem_max'));
      assert.equal(small.getRecvBufferSize(), want(256 << 10, '/proc/sys/net/core/rmem_max'));
      assert.equal(
        system.getRecvBufferSize(),
        Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8')),
      );
    } finally {
      for (const s of [system, big, small]) s.close();
    }
  });

  test('externalAddress is what XOR-RELAYED-ADDRESS advertises; the port comes from relayPortRange', async () => {
    const server = await startTurnServer({
      listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
      realm: 'parley.test',
      secrets: [SECRET],
      externalAddress: '203.0.113.7',
      relayPortRange: [20000, 20099],
    });
    const c = await UdpTurnClient.open({ host: '127.0.0.1', port: server.addresses[0]!.port }, credential());
    try {
      const res = await c.allocate();
      const relayed = getAttribute(res, XorRelayedAddress);
      assert.equal(relayed?.address, '203.0.113.7');
      assert.ok(relayed && relayed.port >= 20000 && relayed.port <= 20099, `port ${relayed?.port}`);
      // No IPv6 relay was configured: 440.
      const c6 = await UdpTurnClient.open(
        { host: '127.0.0.1', port: server.addresses[0]!.port },
        credential(),
      );
      const v6 = await c6.allocate([attr(RequestedTransport, 17), attr(RequestedAddressFamily, 2)]);
      assert.equal(errorCode(v6), 440);
      await c6.close();
    } finally {
      await c.close();
      await server.close();
    }
  });

  test('a server with no relay address, or with no credentials, refuses to start', async () => {
    await assert.rejects(
      startTurnServer({
        listen: [{ transport: 'udp', host: '0.0.0.0', port: 0 }],
        realm: 'r',
        secrets: ['s'],
      }),
      /relay address/,
    );
    await assert.rejects(
      startTurnServer({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], realm: 'r' }),
      /unauthenticated relay is refused/,
    );
  });

  test('deleting an allocation and closing the server release the relay ports', async () => {
    const server = await startTurnServer({
      listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
      realm: 'parley.test',
      secrets: [SECRET],
      relayPortRange: [20100, 20101],
    });
    const c = await UdpTurnClient.open({ host: '127.0.0.1', port: server.addresses[0]!.port }, credential());
    const relayed = getAttribute(await c.allocate(), XorRelayedAddress);
    assert.ok(relayed);
    assert.equal(getAttribute(await c.request(Method.Refresh, [attr(Lifetime, 0)]), Lifetime), 0);
    assert.equal(server.counters().allocations, 0);
    // The relay port is free again.
    const again = await bindUdp('IPv4', '127.0.0.1', relayed.port);
    await new Promise<void>((r) => again.close(() => r()));
    // An allocation left open is released by close().
    const second = getAttribute(await c.allocate(), XorRelayedAddress);
    assert.ok(second);
    await c.close();
    await server.close();
    const after = await bindUdp('IPv4', '127.0.0.1', second.port);
    await new Promise<void>((r) => after.close(() => r()));
  });
});
