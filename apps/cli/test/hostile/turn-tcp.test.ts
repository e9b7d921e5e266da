/**
 * Defect 6: idle TURN TCP connections were kept for 660 s with no cap, so with 400 descriptors, 377 of
 * them took /healthz and signaling down; partial frames could pin buffers. Now TCP/TLS client connections
 * are capped per source and in total (default: 40 % of the open-file limit), must deliver a STUN message
 * within a few seconds (TLS handshake included), are closed when idle without an allocation, and a frame
 * header declaring more than the maximum closes the connection.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { encodeChannelData, MessageClass, Method, RequestedTransport } from '@parley/stun';
import { attr, closesWithin, errorCode, StreamTurnClient, tcpTurnPort } from '@parley/testing/turn';
import { mintRestCredential } from '@parley/turn';
import { assertSurvived, bystanders, startServe, withServe } from './harness.js';
import { selfSignedCert } from './tls-cert.js';

const SECRET = 'hostile-tcp';
const credential = (user: string) => mintRestCredential(SECRET, user, Math.floor(Date.now() / 1000) + 3600);

interface Raw {
  socket: Socket;
  closed: Promise<void>;
}

/** A raw TCP connection from `local`; resolves once connected (or closed at once). */
function raw(port: number, local: string): Promise<Raw> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: local });
  socket.on('error', () => {});
  socket.on('data', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, closed }));
    void closed.then(() => resolve({ socket, closed }));
  });
}

async function openMany(port: number, local: string, n: number): Promise<Raw[]> {
  return Promise.all(Array.from({ length: n }, () => raw(port, local)));
}

const isOpen = async (r: Raw) => !(await closesWithin(r.closed, 0));

test('connection 21 from one address is closed at accept; another address still gets service; 31 in total is refused', async () => {
  const args = [
    '--turn-secret',
    SECRET,
    '--turn-tcp-connections-per-ip',
    '20',
    '--turn-tcp-connections-total',
    '30',
  ];
  await withServe(args, async (serve) => {
    const port = tcpTurnPort(serve.output());
    const mine = await openMany(port, '127.0.0.1', 20);
    const all = [...mine];
    try {
      const extra = await raw(port, '127.0.0.1');
      all.push(extra);
      assert.equal(await closesWithin(extra.closed, 1000), true, 'connection 21 from 127.0.0.1 is closed');
      assert.deepEqual((await Promise.all(mine.map(isOpen))).filter((o) => !o).length, 0, 'the 20 stay open');
      // A client elsewhere is served: a TURN allocation over TCP from 127.0.0.2.
      const other = await StreamTurnClient.open(
        { host: '127.0.0.1', port },
        credential('tcp-other'),
        '127.0.0.2',
      );
      assert.equal(
        errorCode(await other.allocate([attr(RequestedTransport, 17)])),
        undefined,
        '127.0.0.2 allocates',
      );
      all.push(...(await openMany(port, '127.0.0.2', 9))); // 30 open now
      const thirtyFirst = await raw(port, '127.0.0.3');
      all.push(thirtyFirst);
      assert.equal(await closesWithin(thirtyFirst.closed, 1000), true, 'connection 31 in total is closed');
      assert.equal(other.open, true);
      other.close();
      for (const r of mine) r.socket.destroy();
      await new Promise((r) => setTimeout(r, 300));
      const again = await raw(port, '127.0.0.1');
      all.push(again);
      assert.equal(
        await closesWithin(again.closed, 500),
        false,
        'slots are given back when connections close',
      );
      console.log(
        '# TCP connection 21 from 127.0.0.1 → closed; 127.0.0.2 → allocation; connection 31 in total → closed',
      );
    } finally {
      for (const r of all) r.socket.destroy();
    }
  });
});

test('silent, trickling and allocation-less TCP/TLS connections are closed on time; one with an allocation stays', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-turn-tls-'));
  try {
    const tls = selfSignedCert(dir);
    const args = [
      '--turn-secret',
      SECRET,
      '--turn-tls-port',
      '0',
      '--turn-cert',
      tls.cert,
      '--turn-key',
      tls.key,
      '--turn-tcp-first-message-timeout',
      '1000',
      '--turn-tcp-idle-timeout',
      '2000',
    ];
    await withServe(args, async (serve) => {
      const port = tcpTurnPort(serve.output());
      const tlsPort = Number(/tls (\d+)/.exec(serve.output())?.[1]);
      const silent = await raw(port, '127.0.0.1');
      const trickle = await raw(port, '127.0.0.1');
      // A STUN header that never completes: one byte every 200 ms keeps any idle timer from firing.
      const header = Uint8Array.of(
        0x00,
        0x01,
        0x00,
        0x08,
        0x21,
        0x12,
        0xa4,
        0x42,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
        12,
      );
      let i = 0;
      const drip = setInterval(() => trickle.socket.write(header.subarray(i, ++i)), 200);
      const tlsSilent = await raw(tlsPort, '127.0.0.1'); // never starts the handshake
      const tlsQuiet = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false });
      tlsQuiet.on('error', () => {});
      const tlsQuietClosed = new Promise<void>((r) => tlsQuiet.once('close', () => r()));
      const binding = await StreamTurnClient.open({ host: '127.0.0.1', port }, credential('binding-only'));
      const allocated = await StreamTurnClient.open({ host: '127.0.0.1', port }, credential('allocated'));
      try {
        const bound = await binding.request(Method.Binding, [], { auth: false });
        assert.equal(bound.class, MessageClass.SuccessResponse);
        assert.equal(errorCode(await allocated.allocate([attr(RequestedTransport, 17)])), undefined);
        const t0 = Date.now();
        const [s, t, ts, tq] = await Promise.all(
          [silent.closed, trickle.closed, tlsSilent.closed, tlsQuietClosed].map((c) => closesWithin(c, 2500)),
        );
        assert.deepEqual(
          [s, t, ts, tq],
          [true, true, true, true],
          'silent, trickling, TLS silent, TLS without STUN',
        );
        assert.equal(
          binding.open,
          true,
          'a connection that sent a Binding is past the first-message deadline',
        );
        assert.equal(
          await closesWithin(binding.closed, 3500 - (Date.now() - t0)),
          true,
          'idle without allocation',
        );
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(allocated.open, true, 'a connection holding an allocation stays open while idle');
        console.log(
          '# silent/trickling/TLS-silent/TLS-no-STUN → closed by 1 s; Binding only → closed idle at 2 s; allocated → open',
        );
      } finally {
        clearInterval(drip);
        for (const r of [silent, trickle, tlsSilent]) r.socket.destroy();
        tlsQuiet.destroy();
        binding.close();
        allocated.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a frame header declaring more than the maximum closes the connection at once; a partial frame within it does not', async () => {
  await withServe(['--turn-secret', SECRET, '--turn-max-frame-bytes', '2048'], async (serve) => {
    const port = tcpTurnPort(serve.output());
    const bigChannel = await raw(port, '127.0.0.1');
    const bigStun = await raw(port, '127.0.0.1');
    const within = await raw(port, '127.0.0.1');
    try {
      bigChannel.socket.write(Uint8Array.of(0x40, 0x00, 0xff, 0xff, 1, 2, 3)); // ChannelData of 65 535 bytes
      bigStun.socket.write(Uint8Array.of(0x00, 0x01, 0x08, 0x00)); // STUN body of 2048 bytes: 2068 in all
      within.socket.write(encodeChannelData(0x4000, new Uint8Array(2044), true).subarray(0, 100));
      assert.equal(await closesWithin(bigChannel.closed, 1000), true, 'ChannelData declaring 65 535 bytes');
      assert.equal(await closesWithin(bigStun.closed, 1000), true, 'STUN declaring 2 068 bytes');
      assert.equal(await isOpen(within), true, 'a 2 048-byte frame, partly sent, is waited for');
      console.log(
        '# frame headers declaring 65 539 and 2 068 bytes (max 2 048) → closed; a partial 2 048-byte frame → open',
      );
    } finally {
      for (const r of [bigChannel, bigStun, within]) r.socket.destroy();
    }
  });
});

test('default total cap at 400 descriptors: 380 idle TURN TCP connections leave /healthz and signaling up', async () => {
  const serve = await startServe(['--turn-secret', SECRET], {}, { fdLimit: 400 });
  const pair = await bystanders(serve.wsUrl);
  const held: Raw[] = [];
  try {
    const port = tcpTurnPort(serve.output());
    // From four addresses (under the per-address cap of 256): only the total cap stands in the way.
    for (const local of ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']) {
      held.push(...(await openMany(port, local, 95)));
    }
    await new Promise((r) => setTimeout(r, 500));
    const open = (await Promise.all(held.map(isOpen))).filter(Boolean).length;
    assert.ok(open <= 160, `${open} of 380 TURN TCP connections kept: the default total is 40 % of 400`);
    assert.ok(open >= 120, `${open} kept: the cap should not refuse far below it`);
    const ms = await assertSurvived(serve, pair);
    console.log(
      `# 380 TURN TCP connections at a 400-descriptor limit: ${open} kept; /healthz 200; bystanders ${ms.toFixed(1)} ms`,
    );
  } finally {
    for (const r of held) r.socket.destroy();
    pair.close();
    await serve.stop();
  }
});
