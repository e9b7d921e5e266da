// startTurnServer's options on real sockets: advertised addresses, refusals at start, cleanup on close.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  getAttribute,
  Lifetime,
  Method,
  RequestedAddressFamily,
  RequestedTransport,
  XorRelayedAddress,
} from '@parley/stun';
import { mintRestCredential, startTurnServer } from '@parley/turn';
import { bindUdp } from '../src/relay-sockets.js';
import { UdpTurnClient } from './harness.js';
import { attr, errorCode } from './stun-client.js';

const SECRET = 'options-secret';
const credential = () => mintRestCredential(SECRET, 'opt', Math.floor(Date.now() / 1000) + 3600);

describe('startTurnServer options', () => {
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
