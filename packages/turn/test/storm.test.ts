// The server survives a storm of 100 000 mutated and random datagrams, then still answers and relays.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { test } from 'node:test';
import {
  ChannelNumber,
  ConnectionId,
  Data,
  decodeMessage,
  Lifetime,
  MessageClass,
  Method,
  RequestedTransport,
  StunStreamFramer,
  XorPeerAddress,
} from '@parley/stun';
import { attr, errorCode, LongTermClient, UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential, startTurnServer } from '@parley/turn';
import { CHANNELS, encodeChannelFrame } from '../src/core/channel-data.js';
import { sleep } from './harness.js';

const STORM = 100_000;
const SECRET = 'storm-secret';

/** Deterministic xorshift32, so a failure can be replayed from the seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function mutate(base: Uint8Array, next: () => number): Uint8Array {
  const kind = next() % 6;
  if (kind === 0) return new Uint8Array(next() % 200).map(() => next() & 0xff); // random bytes
  let bytes = base.slice();
  if (kind === 1) bytes = bytes.subarray(0, next() % (bytes.length + 1)); // truncated
  if (kind === 2) {
    // a length field lies
    const at = next() % 2 === 0 ? 2 : 22;
    if (bytes.length > at + 1) bytes[at + 1] = next() & 0xff;
  }
  const flips = 1 + (next() % 4);
  for (let i = 0; i < flips && bytes.length > 0; i++) bytes[next() % bytes.length] = next() & 0xff;
  return bytes;
}

test(`the server survives ${STORM} mutated datagrams and still answers a Binding and relays`, async () => {
  const server = await startTurnServer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    realm: 'parley.test',
    secrets: [SECRET],
    allowPeers: ['127.0.0.0/8'],
    unauthorizedRateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
  });
  const port = server.addresses[0]!.port;
  const credential = mintRestCredential(SECRET, 'storm', Math.floor(Date.now() / 1000) + 3600);
  const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential);
  const peer = createSocket('udp4');
  const attacker = createSocket('udp4');
  try {
    assert.equal(errorCode(await client.allocate()), undefined);
    // Off the server's own address: no port of a server IP is a relay target.
    await new Promise<void>((r) => peer.bind(0, '127.0.0.3', () => r()));
    const peerAddr = { family: 'IPv4', address: '127.0.0.3', port: peer.address().port } as const;
    assert.equal(
      errorCode(
        await client.request(Method.ChannelBind, [
          attr(ChannelNumber, 0x4001),
          attr(XorPeerAddress, peerAddr),
        ]),
      ),
      undefined,
    );
    // Seeds: every request type, signed with the real key and nonce, so mutations reach deep code paths.
    const s = client.stun;
    const build = () => [
      s.build(Method.Binding, MessageClass.Request),
      s.build(Method.Allocate, MessageClass.Request, [attr(RequestedTransport, 17), attr(Lifetime, 600)]),
      s.build(Method.Refresh, MessageClass.Request, [attr(Lifetime, 600)]),
      s.build(Method.CreatePermission, MessageClass.Request, [attr(XorPeerAddress, peerAddr)]),
      s.build(Method.ChannelBind, MessageClass.Request, [
        attr(ChannelNumber, 0x4002),
        attr(XorPeerAddress, peerAddr),
      ]),
      s.build(
        Method.Send,
        MessageClass.Indication,
        [attr(XorPeerAddress, peerAddr), attr(Data, new Uint8Array(40))],
        {
          auth: false,
        },
      ),
      encodeChannelFrame(0x4001, new Uint8Array(64), false),
    ];
    // With FINGERPRINT most mutations die at the CRC; without it they reach MESSAGE-INTEGRITY and beyond.
    const seeds = build();
    s.fingerprint = false;
    seeds.push(...build());
    s.fingerprint = true;
    const next = rng(0xdecafbad);
    await new Promise<void>((r) => attacker.bind(0, '127.0.0.1', () => r()));
    // The storm comes from the client's own socket (its 5-tuple owns the allocation) and from a stranger.
    const senders = [client.socket, attacker];
    for (let i = 0; i < STORM; i++) {
      const bytes = mutate(seeds[i % seeds.length]!, next);
      const from = senders[i % 2]!;
      await new Promise<void>((resolve) => from.send(bytes, port, '127.0.0.1', () => resolve()));
      // Same process: yield often so the server reads its socket before the kernel buffer overflows.
      if (i % 16 === 15) await new Promise((r) => setImmediate(r));
    }
    await sleep(200);
    const c = server.counters();
    console.log(
      `storm: ${STORM} datagrams sent, ${c.received} received, ${c.dropped} dropped, auth failures`,
      JSON.stringify(c.authFailures),
    );
    assert.ok(c.received >= STORM * 0.99, `the server saw ${c.received} of ${STORM}`);
    assert.ok(c.dropped > STORM / 10, `dropped ${c.dropped}`);

    const stranger = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential);
    assert.equal(
      (await stranger.request(Method.Binding, [], { auth: false })).class,
      MessageClass.SuccessResponse,
    );
    await stranger.close();
    // The allocation survived: refresh it and relay through its channel.
    client.stun.nonce = '';
    const challenge = await client.request(Method.Refresh, [attr(Lifetime, 600)], { auth: false });
    assert.equal(errorCode(challenge), 401);
    const refreshed = await client.request(Method.Refresh, [attr(Lifetime, 600)]);
    assert.equal(errorCode(refreshed), undefined, 'the allocation is still there');
    const got = new Promise<Buffer>((r) => peer.once('message', (m) => r(m)));
    client.send(encodeChannelFrame(0x4001, new Uint8Array([42, 43]), false));
    assert.deepEqual([...(await got)], [42, 43]);
  } finally {
    peer.close();
    attacker.close();
    await client.close();
    await server.close();
  }
});

const STREAMS = 1000;

test(`the server survives ${STREAMS} TCP connections of mutated and random bytes, then answers over TCP`, async () => {
  const server = await startTurnServer({
    listen: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }],
    realm: 'parley.test',
    secrets: [SECRET],
    unauthorizedRateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
  });
  const port = server.addresses[0]!.port;
  const credential = mintRestCredential(SECRET, 'storm', Math.floor(Date.now() / 1000) + 3600);
  const s = new LongTermClient(credential);
  s.realm = 'parley.test';
  s.nonce = 'not-a-real-nonce';
  const seeds = [
    s.build(Method.Binding, MessageClass.Request),
    s.build(Method.Allocate, MessageClass.Request, [attr(RequestedTransport, 17)]),
    s.build(Method.Allocate, MessageClass.Request, [attr(RequestedTransport, 6)]),
    s.build(Method.ConnectionBind, MessageClass.Request, [attr(ConnectionId, 7)]),
    encodeChannelFrame(0x4001, new Uint8Array(10), true),
  ];
  const next = rng(0x5eed);
  try {
    for (let i = 0; i < STREAMS; i++) {
      const conn = connect({ host: '127.0.0.1', port });
      conn.on('error', () => {});
      await new Promise<void>((r) => conn.once('connect', () => r()));
      const parts: Uint8Array[] = [];
      for (let k = 0; k < 8; k++)
        parts.push(k % 3 === 0 ? seeds[next() % seeds.length]! : mutate(seeds[next() % seeds.length]!, next));
      conn.resume(); // read (and discard) the answers, or "close" never comes
      conn.end(Buffer.concat(parts));
      await new Promise<void>((r) => conn.once('close', () => r()));
    }
    const c = server.counters();
    console.log(`tcp storm: ${STREAMS} connections, ${c.received} frames received, ${c.dropped} dropped`);
    // Every connection opens with an intact frame, so each was read up to where its bytes stopped making sense.
    assert.ok(c.received >= STREAMS, `frames received: ${c.received}`);
    const conn = connect({ host: '127.0.0.1', port });
    try {
      const framer = new StunStreamFramer(CHANNELS);
      const answer = new Promise<Uint8Array>((resolve) => {
        conn.on('data', (chunk: Buffer) => {
          for (const f of framer.push(chunk)) if (f.kind === 'stun') resolve(f.bytes);
        });
      });
      conn.write(seeds[0]!);
      assert.equal(decodeMessage(await answer).class, MessageClass.SuccessResponse);
    } finally {
      conn.destroy();
    }
  } finally {
    await server.close();
  }
});
