// Security defaults over real sockets: forbidden peers in every spelling, and the credential error codes.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import {
  ChannelNumber,
  Data,
  getAttribute,
  Lifetime,
  Method,
  RequestedAddressFamily,
  RequestedTransport,
  type TransportAddress,
  XorPeerAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { attr, errorCode, UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential, startTurnServer, type TurnServer, type TurnServerOptions } from '@parley/turn';
import { sleep } from './harness.js';

const SECRET = 'security-secret';
const nowSec = () => Math.floor(Date.now() / 1000);
const credential = (user = 'mallory') => mintRestCredential(SECRET, user, nowSec() + 3600);

/** Forbidden forms and the relay family they need. `loopback` forms reach this host if relayed. */
interface Form {
  address: string;
  family: 'IPv4' | 'IPv6';
  relay: 'IPv4' | 'IPv6';
  loopback: boolean;
}

const FORMS: Form[] = [
  { address: '127.0.0.1', family: 'IPv4', relay: 'IPv4', loopback: true },
  { address: '::ffff:127.0.0.1', family: 'IPv6', relay: 'IPv4', loopback: true },
  { address: '::ffff:7f00:1', family: 'IPv6', relay: 'IPv4', loopback: true },
  { address: '0.0.0.0', family: 'IPv4', relay: 'IPv4', loopback: true },
  { address: '10.0.0.1', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '172.16.0.1', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '192.168.1.1', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '100.64.0.1', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '169.254.169.254', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '::ffff:169.254.169.254', family: 'IPv6', relay: 'IPv4', loopback: false },
  { address: '192.0.0.1', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '192.0.2.1', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '198.18.0.1', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '224.0.0.1', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '240.0.0.1', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '255.255.255.255', family: 'IPv4', relay: 'IPv4', loopback: false },
  { address: '::', family: 'IPv6', relay: 'IPv6', loopback: true },
  { address: '::1', family: 'IPv6', relay: 'IPv6', loopback: true },
  { address: '::7f00:1', family: 'IPv6', relay: 'IPv6', loopback: false },
  { address: '64:ff9b::7f00:1', family: 'IPv6', relay: 'IPv6', loopback: false },
  { address: '2002:7f00:1::', family: 'IPv6', relay: 'IPv6', loopback: false },
  { address: '2001:0:4136:e378:8000:63bf:80ff:fffe', family: 'IPv6', relay: 'IPv6', loopback: false },
  { address: 'fc00::1', family: 'IPv6', relay: 'IPv6', loopback: false },
  { address: 'fe80::1', family: 'IPv6', relay: 'IPv6', loopback: false },
  { address: 'ff02::1', family: 'IPv6', relay: 'IPv6', loopback: false },
  { address: '2001:db8::1', family: 'IPv6', relay: 'IPv6', loopback: false },
];

/** Allow-list that admits every form above: each wrapper and each embedded IPv4 block. */
const ALLOW_ALL_FORMS = [
  '127.0.0.0/8',
  '0.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '::/96',
  '64:ff9b::/96',
  '2002::/16',
  '2001::/23',
  '65.54.0.0/16', // the Teredo form's server address
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
  '2001:db8::/32',
];

async function start(extra: Partial<TurnServerOptions> = {}): Promise<TurnServer> {
  return startTurnServer({
    listen: [
      { transport: 'udp', host: '127.0.0.1', port: 0 },
      { transport: 'udp', host: '::1', port: 0 },
    ],
    realm: 'parley.test',
    secrets: [SECRET],
    relayHost: '127.0.0.1',
    relayHostV6: '::1',
    quotas: { permissionsPerUser: 1000, allocationsPerUser: 100 },
    ...extra,
  });
}

/** A UDP socket on loopback that records what arrives: the would-be victim of a relay abuse. */
async function listener(host: string): Promise<{ socket: Socket; port: number; got: Buffer[] }> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  await new Promise<void>((r) => socket.bind(0, host, () => r()));
  return { socket, port: socket.address().port, got };
}

async function allocated(server: TurnServer, relay: 'IPv4' | 'IPv6', user?: string): Promise<UdpTurnClient> {
  const c = await UdpTurnClient.open(
    { host: '127.0.0.1', port: server.addresses[0]!.port },
    credential(user),
  );
  const attrs = [
    attr(RequestedTransport, 17),
    ...(relay === 'IPv6' ? [attr(RequestedAddressFamily, 2)] : []),
  ];
  const res = await c.allocate(attrs);
  assert.equal(errorCode(res), undefined, `allocate ${relay}`);
  return c;
}

describe('peer address policy over a real UDP socket', () => {
  let v4victim: Awaited<ReturnType<typeof listener>>;
  let v6victim: Awaited<ReturnType<typeof listener>>;
  before(async () => {
    v4victim = await listener('127.0.0.1');
    v6victim = await listener('::1');
  });
  after(() => {
    v4victim.socket.close();
    v6victim.socket.close();
  });

  const peerFor = (f: Form, i: number): TransportAddress => ({
    family: f.family,
    address: f.address,
    port: f.loopback ? (f.relay === 'IPv4' ? v4victim.port : v6victim.port) : 9000 + i,
  });

  test('CreatePermission, ChannelBind and Send to every forbidden form are refused by default', async () => {
    const server = await start();
    const clients = { IPv4: await allocated(server, 'IPv4'), IPv6: await allocated(server, 'IPv6') };
    try {
      for (const [i, f] of FORMS.entries()) {
        const c = clients[f.relay];
        const peer = peerFor(f, i);
        const perm = await c.request(Method.CreatePermission, [attr(XorPeerAddress, peer)]);
        assert.equal(errorCode(perm), 403, `CreatePermission ${f.address}`);
        const bind = await c.request(Method.ChannelBind, [
          attr(ChannelNumber, 0x4000 + i),
          attr(XorPeerAddress, peer),
        ]);
        assert.equal(errorCode(bind), 403, `ChannelBind ${f.address}`);
        // Send only where a refusal bug would land on this host, never towards another network.
        if (f.loopback)
          c.indicate(Method.Send, [attr(XorPeerAddress, peer), attr(Data, new Uint8Array([1, 2, 3]))]);
      }
      await sleep(300);
      assert.equal(v4victim.got.length + v6victim.got.length, 0, 'nothing reached the loopback peers');
      const sends = FORMS.filter((f) => f.loopback).length;
      assert.equal(server.counters().refusedPeers, FORMS.length * 2 + sends);
      assert.equal(server.counters().permissions, 0);
      assert.equal(server.counters().channels, 0);
    } finally {
      await clients.IPv4.close();
      await clients.IPv6.close();
      await server.close();
    }
  });

  test('each form is allowed once the operator allow-lists it, and loopback Sends arrive', async () => {
    // The loopback victims sit on the server's own addresses (the forms spell 127.0.0.1 and ::1), so only
    // its listening ports are refused here; the default refusing every port is tested under 'relay loops'.
    const server = await start({ allowPeers: ALLOW_ALL_FORMS, selfPeerPorts: 'listeners' });
    const clients = { IPv4: await allocated(server, 'IPv4'), IPv6: await allocated(server, 'IPv6') };
    try {
      for (const [i, f] of FORMS.entries()) {
        const c = clients[f.relay];
        const peer = peerFor(f, i);
        assert.equal(
          errorCode(await c.request(Method.CreatePermission, [attr(XorPeerAddress, peer)])),
          undefined,
          f.address,
        );
        const bind = await c.request(Method.ChannelBind, [
          attr(ChannelNumber, 0x4100 + i),
          attr(XorPeerAddress, peer),
        ]);
        // The three IPv4 loopback spellings are one peer: only the first may bind it (RFC 8656 §11.2).
        const sameAsEarlier = FORMS.slice(0, i).some(
          (g) =>
            g.loopback &&
            g.relay === f.relay &&
            peerFor(g, 0).port === peer.port &&
            canonical(g) === canonical(f),
        );
        assert.equal(errorCode(bind), sameAsEarlier ? 400 : undefined, `ChannelBind ${f.address}`);
      }
      for (const f of FORMS.filter((g) => g.loopback && g.address !== '0.0.0.0' && g.address !== '::')) {
        clients[f.relay].indicate(Method.Send, [
          attr(XorPeerAddress, peerFor(f, 0)),
          attr(Data, new Uint8Array([7])),
        ]);
      }
      await sleep(300);
      assert.equal(v4victim.got.length, 3, '127.0.0.1 in three spellings');
      assert.equal(v6victim.got.length, 1, '::1');
      assert.equal(server.counters().refusedPeers, 0);
    } finally {
      v4victim.got.length = 0;
      v6victim.got.length = 0;
      await clients.IPv4.close();
      await clients.IPv6.close();
      await server.close();
    }
  });
});

describe('relay loops', () => {
  test("every port of the server's own IP is refused as a peer even when allow-listed, but live relayed addresses", async () => {
    const server = await start({ allowPeers: ['127.0.0.0/8', '::1/128'] });
    const c = await allocated(server, 'IPv4');
    const d = await UdpTurnClient.open(
      { host: '127.0.0.1', port: server.addresses[0]!.port },
      credential('other'),
    );
    try {
      const dRelay = getAttribute(await d.allocate([attr(RequestedTransport, 17)]), XorRelayedAddress)!;
      const own = server.addresses[0]!.port;
      const self = { family: 'IPv4', address: '127.0.0.1', port: own } as const;
      const bind = (n: number, peer: TransportAddress) =>
        c.request(Method.ChannelBind, [attr(ChannelNumber, n), attr(XorPeerAddress, peer)]);
      assert.equal(errorCode(await bind(0x4000, self)), 403, 'the listening port');
      const other = { ...self, port: own === 65535 ? own - 1 : own + 1 };
      assert.equal(errorCode(await bind(0x4001, other)), 403, 'another port of the server IP');
      assert.equal(errorCode(await bind(0x4002, dRelay)), undefined, "another allocation's relayed address");
      assert.ok(server.counters().limits.selfPeer >= 2);
    } finally {
      await c.close();
      await d.close();
      await server.close();
    }
  });
});

function canonical(f: Form): string {
  return f.address.startsWith('::ffff:') || f.address === '127.0.0.1' ? '127.0.0.1' : f.address;
}

describe('credential errors over a real UDP socket', () => {
  let clock = Date.now();
  let server: TurnServer;
  before(async () => {
    server = await start({ clock: () => clock, nonceLifetimeSec: 60 });
  });
  after(() => server.close());

  const open = (cred: { username: string; password: string }) =>
    UdpTurnClient.open({ host: '127.0.0.1', port: server.addresses[0]!.port }, cred);

  test('a wrong password gets 401', async () => {
    const c = await open({ ...credential('eve'), password: 'not-it' });
    assert.equal(errorCode(await c.allocate()), 401);
    await c.close();
  });

  test('an expired REST credential gets 401', async () => {
    const c = await open(mintRestCredential(SECRET, 'late', Math.floor(clock / 1000) - 10));
    assert.equal(errorCode(await c.allocate()), 401);
    await c.close();
    assert.ok(server.counters().authFailures.expired >= 1);
  });

  test('a stale nonce gets 438, and the fresh nonce in it works', async () => {
    const c = await open(credential('slow'));
    assert.equal(errorCode(await c.allocate()), undefined);
    clock += 61_000;
    assert.equal(errorCode(await c.request(Method.Refresh, [attr(Lifetime, 600)])), 438);
    assert.equal(errorCode(await c.request(Method.Refresh, [attr(Lifetime, 600)])), undefined);
    await c.close();
  });

  test('IPv6 clients get the same treatment', async () => {
    const c = await UdpTurnClient.open(
      { host: '::1', port: server.addresses[1]!.port },
      { ...credential(), password: 'x' },
    );
    assert.equal(errorCode(await c.allocate()), 401);
    await c.close();
  });
});

describe('401 rate limit over a real UDP socket', () => {
  test('a source gets at most its burst of 401s, then silence', async () => {
    const server = await start({ unauthorizedRateLimit: { burst: 3, perSecond: 0.001 } });
    const c = await UdpTurnClient.open({ host: '127.0.0.1', port: server.addresses[0]!.port }, credential());
    try {
      let answered = 0;
      for (let i = 0; i < 5; i++) {
        try {
          await c.request(Method.Allocate, [attr(RequestedTransport, 17)], { auth: false });
          answered++;
        } catch {
          // no answer: rate-limited
        }
      }
      assert.equal(answered, 3);
      assert.equal(
        server.counters().unauthorizedRateLimited,
        2 * 6,
        'each unanswered request was retransmitted 6 times',
      );
    } finally {
      await c.close();
      await server.close();
    }
  });
});
