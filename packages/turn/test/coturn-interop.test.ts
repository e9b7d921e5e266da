// Interop with clients we did not write: coturn's turnutils_stunclient and turnutils_uclient against our server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTurnServer, type TurnServer } from '@parley/turn';
import {
  assertUclientLostNothing,
  listenerPortCandidate,
  lostPackets,
  requireBinary,
  run,
  startEchoPeer,
  totals,
  type UclientOptions,
  uclient,
} from './harness.js';

const SECRET = 'interop-secret';
const EXPECTED_PATH = process.env.PARLEY_TURN_NATIVE === '0' ? 'dgram' : 'native';

describe('coturn clients against our server', () => {
  let server: TurnServer;
  let peer: Awaited<ReturnType<typeof startEchoPeer>>;
  let peer6: Awaited<ReturnType<typeof startEchoPeer>>;
  let port: number;
  /** turnutils_uclient with `flags` as the REST user 'interop' against our server. */
  const interop = (flags: readonly string[], o: Partial<UclientOptions> = {}) =>
    uclient(flags, { user: 'interop', secret: SECRET, port, ...o });

  before(async () => {
    for (const b of ['turnutils_uclient', 'turnutils_stunclient', 'turnutils_peer']) requireBinary(b);
    // uclient takes one -p for UDP and TCP, so both listeners share a port.
    // A port may be taken for UDP or TCP, or on ::1: try others.
    for (let attempt = 0; ; attempt++) {
      port = listenerPortCandidate();
      try {
        server = await startTurnServer({
          listen: [
            { transport: 'udp', host: '127.0.0.1', port },
            { transport: 'tcp', host: '127.0.0.1', port },
            { transport: 'udp', host: '::1', port },
          ],
          realm: 'parley.test',
          secrets: [SECRET],
          allowPeers: ['127.0.0.0/8', '::1/128'],
          relayHostV6: '::1',
          // The IPv6 peer can only live on ::1, the server's own address: refuse just its TURN ports there.
          selfPeerPorts: 'listeners',
          quotas: { allocationsPerUser: 100 },
        });
        break;
      } catch (err) {
        if (attempt >= 19) throw err;
      }
    }
    peer = await startEchoPeer('127.0.0.1');
    peer6 = await startEchoPeer('::1');
  });

  after(async () => {
    await peer?.stop();
    await peer6?.stop();
    await server?.close();
  });

  // coturn-interop-dgram.test.ts runs this file again with PARLEY_TURN_NATIVE=0 (the node:dgram fallback).
  test(`the server runs the ${EXPECTED_PATH} UDP data path`, () => {
    assert.equal(server.udpDataPath, EXPECTED_PATH);
  });

  test('turnutils_stunclient sees the address it sends from, 127.0.0.2, as its mapped address', async () => {
    const r = await run('turnutils_stunclient', ['-p', String(port), '-L', '127.0.0.2', '127.0.0.1'], 20_000);
    const m = /UDP reflexive addr: ([\d.]+):(\d+)/.exec(r.output);
    assert.ok(m, r.output);
    assert.equal(m[1], '127.0.0.2');
    // stunclient binds an ephemeral port we cannot learn from outside; it must be that, not ours.
    const mapped = Number(m[2]);
    assert.ok(mapped >= 1024 && mapped !== port, `mapped port ${mapped}`);
  });

  for (const [name, flags] of [
    ['UDP with channels', []],
    ['UDP with Send indications', ['-s']],
    ['TCP with channels', ['-t']],
    ['TCP with Send indications', ['-t', '-s']],
  ] as const) {
    test(`turnutils_uclient over ${name} with REST credentials relays every packet`, async () => {
      const r = await interop(flags, { peer: { host: '127.0.0.1', port: peer.port } });
      assertUclientLostNothing(r);
      const t = totals(r.output);
      assert.equal(t.sent, 100, 'uclient sends -n 50 messages for each of -m 2 clients');
      assert.equal(t.received, t.sent);
    });
  }

  test('turnutils_uclient over IPv6 with an IPv6 relay (-x, REQUESTED-ADDRESS-FAMILY) relays every packet', async () => {
    const r = await interop(['-x'], { server: '::1', peer: { host: '::1', port: peer6.port } });
    assertUclientLostNothing(r);
    assert.equal(totals(r.output).received, 100);
  });

  test('turnutils_uclient client-to-client (-y) relays between two allocations', async () => {
    const r = await interop(['-y'], { messages: 30 });
    assert.equal(r.code, 0, r.output.slice(-2000));
    assert.deepEqual(lostPackets(r.output), { lost: 0, dropped: 0 });
  });

  test('turnutils_uclient with a TCP relay (-T, RFC 6062 Connect/ConnectionAttempt/ConnectionBind) loses nothing', async () => {
    const r = await interop(['-T']);
    assertUclientLostNothing(r);
    assert.equal(totals(r.output).received, 100);
  });

  test('relayed bytes and packets are counted per user', () => {
    const u = server.counters().users.get('interop');
    assert.ok(u, 'the REST user part is the counter identity');
    assert.ok(u.packetsToPeers > 0 && u.packetsToClients > 0);
    assert.ok(u.bytesToPeers >= u.packetsToPeers * 100);
  });
});
