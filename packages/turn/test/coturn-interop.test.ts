// Interop with clients we did not write: coturn's turnutils_stunclient and turnutils_uclient against our server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTurnServer, type TurnServer } from '@parley/turn';
import {
  freeUdpPort,
  listenerPortCandidate,
  lostPackets,
  requireBinary,
  run,
  startDaemon,
  totals,
} from './harness.js';

const SECRET = 'interop-secret';
const EXPECTED_PATH = process.env.PARLEY_TURN_NATIVE === '0' ? 'dgram' : 'native';

describe('coturn clients against our server', () => {
  let server: TurnServer;
  let peer: ReturnType<typeof startDaemon>;
  let peerPort: number;
  let peer6: ReturnType<typeof startDaemon>;
  let peer6Port: number;
  let port: number;

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
          quotas: { allocationsPerUser: 100 },
        });
        break;
      } catch (err) {
        if (attempt >= 19) throw err;
      }
    }
    peerPort = await freeUdpPort();
    peer = startDaemon('turnutils_peer', ['-L', '127.0.0.1', '-p', String(peerPort)]);
    peer6Port = await freeUdpPort('::1');
    peer6 = startDaemon('turnutils_peer', ['-L', '::1', '-p', String(peer6Port)]);
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
      const args = [
        ...flags,
        '-u',
        'interop',
        '-W',
        SECRET,
        '-p',
        String(port),
        '-e',
        '127.0.0.1',
        '-r',
        String(peerPort),
        '-n',
        '50',
        '-m',
        '2',
        '-l',
        '100',
        '127.0.0.1',
      ];
      const r = await run('turnutils_uclient', args, 90_000);
      assert.equal(r.code, 0, r.output.slice(-2000));
      assert.doesNotMatch(r.output, /error \d{3}/);
      assert.deepEqual(lostPackets(r.output), { lost: 0, dropped: 0 });
      const t = totals(r.output);
      assert.equal(t.sent, 100, 'uclient sends -n 50 messages for each of -m 2 clients');
      assert.equal(t.received, t.sent);
    });
  }

  test('turnutils_uclient over IPv6 with an IPv6 relay (-x, REQUESTED-ADDRESS-FAMILY) relays every packet', async () => {
    const r = await run(
      'turnutils_uclient',
      ['-x', '-u', 'interop', '-W', SECRET, '-p', String(port), '-e', '::1', '-r', String(peer6Port)].concat([
        '-n',
        '50',
        '-m',
        '2',
        '-l',
        '100',
        '::1',
      ]),
      90_000,
    );
    assert.equal(r.code, 0, r.output.slice(-2000));
    assert.doesNotMatch(r.output, /error \d{3}/);
    assert.deepEqual(lostPackets(r.output), { lost: 0, dropped: 0 });
    assert.equal(totals(r.output).received, 100);
  });

  test('turnutils_uclient client-to-client (-y) relays between two allocations', async () => {
    const r = await run(
      'turnutils_uclient',
      [
        '-y',
        '-u',
        'interop',
        '-W',
        SECRET,
        '-p',
        String(port),
        '-n',
        '30',
        '-m',
        '2',
        '-l',
        '100',
        '127.0.0.1',
      ],
      90_000,
    );
    assert.equal(r.code, 0, r.output.slice(-2000));
    assert.deepEqual(lostPackets(r.output), { lost: 0, dropped: 0 });
  });

  test('turnutils_uclient with a TCP relay (-T, RFC 6062 Connect/ConnectionAttempt/ConnectionBind) loses nothing', async () => {
    const r = await run(
      'turnutils_uclient',
      [
        '-T',
        '-u',
        'interop',
        '-W',
        SECRET,
        '-p',
        String(port),
        '-n',
        '50',
        '-m',
        '2',
        '-l',
        '100',
        '127.0.0.1',
      ],
      90_000,
    );
    assert.equal(r.code, 0, r.output.slice(-2000));
    assert.doesNotMatch(r.output, /error \d{3}/);
    assert.deepEqual(lostPackets(r.output), { lost: 0, dropped: 0 });
    assert.equal(totals(r.output).received, 100);
  });

  test('relayed bytes and packets are counted per user', () => {
    const u = server.counters().users.get('interop');
    assert.ok(u, 'the REST user part is the counter identity');
    assert.ok(u.packetsToPeers > 0 && u.packetsToClients > 0);
    assert.ok(u.bytesToPeers >= u.packetsToPeers * 100);
  });
});
