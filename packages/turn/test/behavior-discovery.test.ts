// RFC 5780 on real sockets, both UDP data paths: a server on 127.0.0.1 with 127.0.0.2 as its second
// address, and the discovery client, which must find no NAT on loopback and read the other address.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { discoverNatBehavior, startTurnServer, type TurnServer } from '@parley/turn';

for (const udpDataPath of ['native', 'dgram'] as const) {
  describe(`RFC 5780 discovery (${udpDataPath} UDP data path)`, () => {
    let server: TurnServer;
    before(async () => {
      server = await startTurnServer({
        listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
        realm: 'parley.test',
        secrets: ['discovery'],
        udpDataPath,
        behaviorDiscovery: { alternateHost: '127.0.0.2' },
        log: () => {},
      });
    });
    after(() => server.close());

    test('four sockets; the client reads OTHER-ADDRESS and finds no NAT on loopback', async () => {
      const port = server.addresses[0]!.port;
      assert.deepEqual(
        server.discoveryAddresses.map((a) => `${a.host}:${a.port}`),
        [`127.0.0.1:${port}`, `127.0.0.1:${port + 1}`, `127.0.0.2:${port}`, `127.0.0.2:${port + 1}`],
      );
      assert.equal(server.addresses.length, 1, 'the discovery sockets are not TURN listeners to hand out');
      const report = await discoverNatBehavior({ host: '127.0.0.1', port });
      assert.equal(report.otherAddress, `127.0.0.2:${port + 1}`);
      assert.deepEqual(
        [report.kind, report.mapping, report.filtering],
        ['open', 'no-nat', 'endpoint-independent'],
      );
    });
  });
}

test('a server without a second address: the client says it cannot tell', async () => {
  const server = await startTurnServer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    realm: 'parley.test',
    secrets: ['discovery'],
    log: () => {},
  });
  try {
    const report = await discoverNatBehavior({ host: '127.0.0.1', port: server.addresses[0]!.port });
    assert.equal(report.udp, true);
    assert.equal(report.kind, 'unknown');
    assert.match(report.summary, /--stun-alternate-ip/);
  } finally {
    await server.close();
  }
});
