// The native UDP data path (packages/turn/native): fast-path relay both ways, Binding answers byte for byte
// as the TypeScript core's, permissions and expiry still enforced, counters exact, malformed input survived.
// Every server here asks for udpDataPath 'native', so these tests fail when the addon is not built.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import {
  AttributeType,
  ChannelNumber,
  Data,
  decodeMessage,
  getAttribute,
  hasAttribute,
  Lifetime,
  MappedAddress,
  MessageClass,
  Method,
  verifyFingerprint,
  XorMappedAddress,
  XorPeerAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { mintRestCredential, startTurnServer, type TurnServer, type TurnServerOptions } from '@parley/turn';
import { encodeChannelFrame } from '../src/channel-data.js';
import { sleep, UdpTurnClient } from './harness.js';
import { attr, errorCode } from './stun-client.js';

const SECRET = 'native-secret';
const credential = () => mintRestCredential(SECRET, 'native', Math.floor(Date.now() / 1000) + 3600);

function start(extra: Partial<TurnServerOptions> = {}): Promise<TurnServer> {
  return startTurnServer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    realm: 'parley.test',
    secrets: [SECRET],
    allowPeers: ['127.0.0.0/8', '::1/128'],
    udpDataPath: 'native',
    log: () => {},
    ...extra,
  });
}

async function udp(host = '127.0.0.1'): Promise<Socket & { inbox: Buffer[] }> {
  const s = createSocket({
    type: host.includes(':') ? 'udp6' : 'udp4',
    recvBufferSize: 1 << 20,
  }) as Socket & { inbox: Buffer[] };
  s.inbox = [];
  s.on('message', (m) => s.inbox.push(m));
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  return s;
}

function closeSocket(s: Socket): Promise<void> {
  return new Promise((r) => s.close(() => r()));
}

/** Waits until `cond` holds (polling), failing after `ms`. */
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A Binding request: no attributes, or only FINGERPRINT. */
function bindingRequest(tid: Buffer, fingerprint: boolean): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt32BE(0x2112a442, 4);
  tid.copy(header, 8);
  if (!fingerprint) return header;
  const msg = Buffer.concat([header, Buffer.alloc(8)]);
  msg.writeUInt16BE(8, 2);
  msg.writeUInt16BE(0x8028, 20);
  msg.writeUInt16BE(4, 22);
  msg.writeUInt32BE((crc32(msg.subarray(0, 20)) ^ 0x5354554e) >>> 0, 24);
  return msg;
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Sends a request and returns the answer with its transaction id. */
async function ask(
  s: Socket & { inbox: Buffer[] },
  bytes: Buffer,
  port: number,
  host: string,
): Promise<Buffer> {
  const tid = bytes.subarray(8, 20);
  const match = () => s.inbox.find((m) => m.length >= 20 && m.subarray(8, 20).equals(tid));
  s.send(bytes, port, host);
  await until(() => match() !== undefined, 'an answer');
  const answer = match()!;
  s.inbox.splice(s.inbox.indexOf(answer), 1);
  return answer;
}

/** A loopback UDP port nothing listens on (bound, then closed again). */
async function closedPort(): Promise<number> {
  const s = await udp();
  const { port } = s.address();
  await closeSocket(s);
  return port;
}

/** The error a socket connected to 127.0.0.1:`port` reports after sending there, if any within 1 s. */
async function errorOnConnectedSend(port: number): Promise<string | undefined> {
  const s = createSocket('udp4');
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((r) => s.connect(port, '127.0.0.1', () => r()));
    const error = new Promise<string | undefined>((r) => {
      s.once('error', (e: NodeJS.ErrnoException) => r(e.code));
      timer = setTimeout(() => r(undefined), 1000);
    });
    s.send(Buffer.from('anyone there?'));
    return await error;
  } finally {
    clearTimeout(timer);
    await closeSocket(s);
  }
}

/** An authenticated request, retried once after a 438 (the nonce went stale when the clock jumped). */
async function authed(
  c: UdpTurnClient,
  method: number,
  attrs: Parameters<UdpTurnClient['request']>[1] = [],
): Promise<ReturnType<typeof errorCode>> {
  const first = errorCode(await c.request(method, attrs));
  return first === 438 ? errorCode(await c.request(method, attrs)) : first;
}

describe('native UDP data path', () => {
  test('the server reports the native path', async () => {
    const server = await start();
    try {
      assert.equal(server.udpDataPath, 'native');
    } finally {
      await server.close();
    }
  });

  for (const host of ['127.0.0.1', '::1']) {
    test(`Binding over ${host}: XOR-MAPPED-ADDRESS and FINGERPRINT right, bytes as the node:dgram path's`, async () => {
      const native = await start({ listen: [{ transport: 'udp', host, port: 0 }] });
      const dgram = await start({ listen: [{ transport: 'udp', host, port: 0 }], udpDataPath: 'dgram' });
      assert.equal(dgram.udpDataPath, 'dgram');
      const client = await udp(host);
      try {
        for (const fingerprint of [false, true]) {
          const tid = Buffer.from(
            Array.from({ length: 12 }, (_, i) => (i * 37 + (fingerprint ? 1 : 0)) & 0xff),
          );
          const req = bindingRequest(tid, fingerprint);
          const a = await ask(client, req, native.addresses[0]!.port, host);
          const b = await ask(client, req, dgram.addresses[0]!.port, host);
          assert.deepEqual(a, b, 'native and node:dgram answers differ');
          const msg = decodeMessage(a);
          assert.equal(msg.class, MessageClass.SuccessResponse);
          assert.equal(msg.method, Method.Binding);
          assert.deepEqual(Buffer.from(msg.transactionId), tid);
          const me = { address: host, port: client.address().port };
          const xor = getAttribute(msg, XorMappedAddress);
          assert.equal(xor?.address, me.address);
          assert.equal(xor?.port, me.port);
          assert.equal(getAttribute(msg, MappedAddress)?.port, me.port);
          assert.equal(hasAttribute(msg, AttributeType.Fingerprint), fingerprint);
          if (fingerprint) assert.ok(verifyFingerprint(msg));
        }
        // A request with a bad FINGERPRINT is not STUN: no answer (the core drops and counts it).
        const bad = bindingRequest(Buffer.alloc(12, 7), true);
        bad[27]! ^= 1;
        const before = client.inbox.length;
        const dropped = native.counters().dropped;
        client.send(bad, native.addresses[0]!.port, host);
        await until(() => native.counters().dropped > dropped, 'the drop');
        assert.equal(client.inbox.length, before);
      } finally {
        await closeSocket(client);
        await native.close();
        await dgram.close();
      }
    });
  }

  describe('relay', () => {
    let server: TurnServer;
    // The server's clock runs `offset` ms ahead of the real one; the core and the native tables both follow.
    let offset = 0;
    before(async () => {
      server = await start({ clock: () => Date.now() + offset, tickMs: 20 });
    });
    after(() => server.close());

    /** An allocation with a channel bound to a fresh peer socket. */
    async function bound(channel = 0x4001) {
      const port = server.addresses[0]!.port;
      const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
      const res = await client.allocate();
      assert.equal(errorCode(res), undefined);
      const relayed = getAttribute(res, XorRelayedAddress)!;
      const peer = await udp();
      const bind = await client.request(Method.ChannelBind, [
        attr(ChannelNumber, channel),
        attr(XorPeerAddress, { family: 'IPv4', address: '127.0.0.1', port: peer.address().port }),
      ]);
      assert.equal(errorCode(bind), undefined);
      return { client, peer, relayed, channel };
    }

    test('ChannelData goes both ways and every packet is counted, per user too', async () => {
      const { client, peer, relayed, channel } = await bound();
      try {
        const before = server.counters();
        const N = 500;
        // In bursts of 50: the receiving test sockets must not overflow.
        for (let i = 0; i < N; i++) {
          client.send(encodeChannelFrame(channel, Buffer.alloc(100, i & 0xff), false));
          if (i % 50 === 49) await sleep(5);
        }
        await until(() => peer.inbox.length === N, `${N} datagrams at the peer`);
        assert.ok(peer.inbox.every((m, i) => m.length === 100 && m[0] === (i & 0xff)));
        for (let i = 0; i < N; i++) {
          peer.send(Buffer.alloc(60, i & 0xff), relayed.port, relayed.address);
          if (i % 50 === 49) await sleep(5);
        }
        await until(() => client.other.length === N, `${N} ChannelData at the client`);
        for (const [i, m] of client.other.entries()) {
          assert.equal((m[0]! << 8) | m[1]!, channel);
          assert.equal((m[2]! << 8) | m[3]!, 60);
          assert.equal(m.length, 64);
          assert.equal(m[4], i & 0xff);
        }
        const after = server.counters();
        assert.equal(after.packetsToPeers - before.packetsToPeers, N);
        assert.equal(after.bytesToPeers - before.bytesToPeers, N * 100);
        assert.equal(after.packetsToClients - before.packetsToClients, N);
        assert.equal(after.bytesToClients - before.bytesToClients, N * 60);
        assert.ok(after.received - before.received >= N);
        const user = after.users.get('native')!;
        const userBefore = before.users.get('native')!;
        assert.equal(user.packetsToPeers - userBefore.packetsToPeers, N);
        assert.equal(user.bytesToClients - userBefore.bytesToClients, N * 60);
      } finally {
        await client.close();
        await closeSocket(peer);
      }
    });

    test('datagrams larger than a receive slot (2 KiB) are relayed whole both ways (through JS)', async () => {
      const { client, peer, relayed, channel } = await bound(0x4004);
      try {
        const big = Buffer.alloc(6000, 0).map((_, i) => i & 0xff);
        client.send(encodeChannelFrame(channel, big, false));
        await until(() => peer.inbox.length === 1, 'the large datagram at the peer');
        assert.deepEqual(peer.inbox[0], big);
        peer.send(big, relayed.port, relayed.address);
        await until(() => client.other.length === 1, 'the large ChannelData at the client');
        assert.equal(client.other[0]!.length, 6004);
        assert.deepEqual(Buffer.from(client.other[0]!.subarray(4)), big);
      } finally {
        await client.close();
        await closeSocket(peer);
      }
    });

    test('a peer without a permission gets nothing through; a permitted one without a channel gets Data', async () => {
      const { client, peer, relayed } = await bound(0x4002);
      const stranger = await udp('127.0.0.2');
      const unbound = await udp(); // same IP as the peer: permitted, but no channel for its port
      try {
        stranger.send(Buffer.from('no permission'), relayed.port, relayed.address);
        unbound.send(Buffer.from('permission, no channel'), relayed.port, relayed.address);
        await until(() => client.other.length === 1, 'the Data indication');
        const data = decodeMessage(client.other[0]!);
        assert.equal(data.method, Method.Data);
        assert.equal(Buffer.from(getAttribute(data, Data)!).toString(), 'permission, no channel');
        assert.equal(getAttribute(data, XorPeerAddress)?.port, unbound.address().port);
        await sleep(100);
        assert.equal(client.other.length, 1, 'the stranger got through');
        assert.equal(peer.inbox.length, 0);
      } finally {
        await client.close();
        await closeSocket(peer);
        await closeSocket(stranger);
        await closeSocket(unbound);
      }
    });

    test('an expired channel stops the fast path; a deleted allocation relays nothing', async () => {
      const { client, peer, relayed, channel } = await bound(0x4003);
      try {
        client.send(encodeChannelFrame(channel, Buffer.from('live'), false));
        await until(() => peer.inbox.length === 1, 'the live datagram');
        // 400 s on: the permission (300 s) is gone, the channel (600 s) not yet. Nothing either way.
        offset = 400_000;
        await sleep(100);
        client.send(encodeChannelFrame(channel, Buffer.from('no permission'), false));
        peer.send(Buffer.from('no permission'), relayed.port, relayed.address);
        await sleep(100);
        assert.equal(peer.inbox.length, 1);
        assert.equal(client.other.length, 0);
        // Refresh the allocation and the permission alone: the channel still expires at 600 s.
        assert.equal(await authed(client, Method.Refresh), undefined);
        const perm = await authed(client, Method.CreatePermission, [
          attr(XorPeerAddress, { family: 'IPv4', address: '127.0.0.1', port: peer.address().port }),
        ]);
        assert.equal(perm, undefined);
        client.send(encodeChannelFrame(channel, Buffer.from('permission again'), false));
        await until(() => peer.inbox.length === 2, 'the datagram after the new permission');
        offset = 650_000;
        await sleep(100);
        client.send(encodeChannelFrame(channel, Buffer.from('expired channel'), false));
        peer.send(Buffer.from('as Data'), relayed.port, relayed.address);
        await until(() => client.other.length === 1, 'the Data indication');
        assert.equal(decodeMessage(client.other[0]!).method, Method.Data, 'no ChannelData after expiry');
        await sleep(100);
        assert.equal(peer.inbox.length, 2);
        // Refresh LIFETIME 0 deletes the allocation: its relay answers nothing, ChannelData goes nowhere.
        assert.equal(await authed(client, Method.Refresh, [attr(Lifetime, 0)]), undefined);
        client.send(encodeChannelFrame(channel, Buffer.from('gone'), false));
        peer.send(Buffer.from('gone'), relayed.port, relayed.address);
        await sleep(100);
        assert.equal(peer.inbox.length, 2);
        assert.equal(client.other.length, 1);
      } finally {
        offset = 0;
        await sleep(50);
        await client.close();
        await closeSocket(peer);
      }
    });
  });

  test('a peer the policy refuses cannot be reached through the fast path', async () => {
    const server = await start({ allowPeers: [] });
    const port = server.addresses[0]!.port;
    const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
    const peer = await udp();
    try {
      assert.equal(errorCode(await client.allocate()), undefined);
      const bind = await client.request(Method.ChannelBind, [
        attr(ChannelNumber, 0x4010),
        attr(XorPeerAddress, { family: 'IPv4', address: '127.0.0.1', port: peer.address().port }),
      ]);
      assert.equal(errorCode(bind), 403);
      client.send(encodeChannelFrame(0x4010, Buffer.from('refused'), false));
      await sleep(150);
      assert.equal(peer.inbox.length, 0);
      assert.equal(server.counters().packetsToPeers, 0);
    } finally {
      await client.close();
      await closeSocket(peer);
      await server.close();
    }
  });

  test('thousands of malformed datagrams at the listener and the relay: dropped, and the server still works', async () => {
    const server = await start();
    const port = server.addresses[0]!.port;
    const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
    const peer = await udp();
    const fuzzer = await udp();
    try {
      const res = await client.allocate();
      const relayed = getAttribute(res, XorRelayedAddress)!;
      const channel = 0x4020;
      await client.request(Method.ChannelBind, [
        attr(ChannelNumber, channel),
        attr(XorPeerAddress, { family: 'IPv4', address: '127.0.0.1', port: peer.address().port }),
      ]);
      let x = 0x2545f491;
      const next = () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return x >>> 0;
      };
      const valid = [
        encodeChannelFrame(channel, Buffer.alloc(40, 1), false),
        bindingRequest(Buffer.alloc(12, 3), true),
        bindingRequest(Buffer.alloc(12, 4), false),
      ];
      for (let i = 0; i < 5000; i++) {
        let bytes: Buffer;
        const kind = next() % 4;
        if (kind === 0) bytes = Buffer.from(Array.from({ length: next() % 120 }, () => next() & 0xff));
        else {
          bytes = Buffer.from(valid[next() % valid.length]!);
          if (kind === 1) bytes = bytes.subarray(0, next() % (bytes.length + 1));
          else if (kind === 2)
            bytes.writeUInt16BE(next() & 0xffff, 2); // the length lies
          else for (let f = 0; f < 3; f++) bytes[next() % bytes.length] = next() & 0xff;
        }
        fuzzer.send(bytes, i % 2 === 0 ? port : relayed.port, '127.0.0.1');
        if (i % 500 === 0) await sleep(5);
      }
      await sleep(200);
      // Still answering Bindings, and still relaying on the allocation.
      const answer = decodeMessage(
        await ask(fuzzer, bindingRequest(Buffer.alloc(12, 9), false), port, '127.0.0.1'),
      );
      assert.equal(getAttribute(answer, XorMappedAddress)?.port, fuzzer.address().port);
      const before = peer.inbox.length;
      client.send(encodeChannelFrame(channel, Buffer.from('after the storm'), false));
      await until(
        () => peer.inbox.slice(before).some((m) => m.toString() === 'after the storm'),
        'the relayed datagram',
      );
    } finally {
      await client.close();
      await closeSocket(peer);
      await closeSocket(fuzzer);
      await server.close();
    }
  });

  // A datagram to a closed loopback port draws an ICMP port unreachable, which a connected socket reports
  // as ECONNREFUSED. The addon's sockets are unconnected and do not set IP_RECVERR, and Linux then reports
  // such errors to them not at all (no POLLERR, no SO_ERROR, no failed recvmmsg): the sends succeed and
  // the ICMP is dropped. Sending to closed ports from the listener and from a relay socket, through the
  // fast paths and through JS, must leave both serving.
  test('after sending to closed ports (ICMP port unreachable) the listener and a relay socket keep serving', async () => {
    assert.equal(await errorOnConnectedSend(await closedPort()), 'ECONNREFUSED', 'no ICMP on this host');
    const server = await start();
    const port = server.addresses[0]!.port;
    const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
    const gone = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential());
    const peer = await udp();
    const other = await udp();
    const closed = await closedPort();
    const to = (p: number) => ({ family: 'IPv4' as const, address: '127.0.0.1', port: p });
    try {
      // The client's relay socket: channel 0x4030 to the closed port, 0x4031 to a live peer.
      const relayed = getAttribute(await client.allocate(), XorRelayedAddress)!;
      for (const [channel, p] of [
        [0x4030, closed],
        [0x4031, peer.address().port],
      ] as const) {
        const bind = await client.request(Method.ChannelBind, [
          attr(ChannelNumber, channel),
          attr(XorPeerAddress, to(p)),
        ]);
        assert.equal(errorCode(bind), undefined);
      }
      // A client that goes away without deallocating: its peer's datagrams go from the listener to a
      // closed port.
      const goneRelayed = getAttribute(await gone.allocate(), XorRelayedAddress)!;
      const bind = await gone.request(Method.ChannelBind, [
        attr(ChannelNumber, 0x4032),
        attr(XorPeerAddress, to(peer.address().port)),
      ]);
      assert.equal(errorCode(bind), undefined);
      await gone.close();
      const before = server.counters();
      for (let i = 0; i < 20; i++) {
        client.send(encodeChannelFrame(0x4030, Buffer.from(`to nobody ${i}`), false)); // relay, fast path
        client.indicate(Method.Send, [
          attr(XorPeerAddress, to(closed)),
          attr(Data, Buffer.from('to nobody')),
        ]); // relay, JS
        peer.send(Buffer.from(`to a gone client ${i}`), goneRelayed.port, goneRelayed.address); // listener, fast path
        await sleep(5);
      }
      await until(
        () => server.counters().packetsToPeers - before.packetsToPeers >= 40,
        'the sends to the closed port',
      );
      await until(
        () => server.counters().packetsToClients - before.packetsToClients >= 20,
        'the sends to the gone client',
      );
      await sleep(100); // the ICMP answers are in by now
      // The listener still answers Bindings (fast path) and requests (JS); the relay socket relays both ways.
      const answer = decodeMessage(
        await ask(other, bindingRequest(Buffer.alloc(12, 5), true), port, '127.0.0.1'),
      );
      assert.equal(getAttribute(answer, XorMappedAddress)?.port, other.address().port);
      assert.equal(await authed(client, Method.Refresh), undefined);
      client.send(encodeChannelFrame(0x4031, Buffer.from('still relaying'), false));
      await until(
        () => peer.inbox.some((m) => m.toString() === 'still relaying'),
        'the datagram at the peer',
      );
      peer.send(Buffer.from('and back'), relayed.port, relayed.address);
      await until(
        () => client.other.some((m) => Buffer.from(m.subarray(4)).toString() === 'and back'),
        'the ChannelData at the client',
      );
    } finally {
      await client.close();
      await closeSocket(peer);
      await closeSocket(other);
      await server.close();
    }
  });
});
