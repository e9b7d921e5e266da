import assert from 'node:assert/strict';
import { createServer, type Server, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '@parley/server';
import { ParleyError, type Room } from '../src/index.js';
import { collect, join, next, releaseNative, startTestServer, until } from './helpers.js';

/** A TCP proxy in front of the server that can go silent: bytes stop flowing, sockets stay open. */
class SilenceableProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  constructor(target: number) {
    this.#server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(target, '127.0.0.1');
      client.pipe(upstream);
      upstream.pipe(client);
      const pair: [Socket, Socket] = [client, upstream];
      this.#pairs.add(pair);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.#pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.#server.listen(0, '127.0.0.1', () => resolve((this.#server.address() as { port: number }).port)),
    );
  }
  /** Existing connections stop carrying bytes, in both directions, without closing. */
  silence(): void {
    for (const [client, upstream] of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }
  close(): Promise<void> {
    for (const [client, upstream] of this.#pairs) {
      client.destroy();
      upstream.destroy();
    }
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

describe('signaling', () => {
  let server: RunningServer;
  const rooms: Room[] = [];
  before(async () => {
    server = await startTestServer({ maxPeersPerRoom: 2 });
  });
  after(async () => {
    for (const r of rooms) await r.leave();
    await server.close();
    releaseNative();
  });

  it('a join the server refuses rejects with the server error code', async () => {
    rooms.push(await join(server.wsUrl, 'full'), await join(server.wsUrl, 'full'));
    await assert.rejects(
      join(server.wsUrl, 'full'),
      (err) => err instanceof ParleyError && err.code === 'ROOM_FULL',
    );
  });

  it('a join to a server that is not there rejects with CONNECT_FAILED', async () => {
    const gone = await startTestServer();
    const url = gone.wsUrl;
    await gone.close();
    await assert.rejects(
      join(url, 'nobody'),
      (err) => err instanceof ParleyError && err.code === 'CONNECT_FAILED',
    );
  });

  it('messages a peer sends while its signaling is down go out after the resume, in order', async () => {
    const a = await join(server.wsUrl, 'outbox', { reconnect: { minDelayMs: 300, maxDelayMs: 600 } });
    const b = await join(server.wsUrl, 'outbox');
    rooms.push(a, b);
    const got = collect(b, 'message');
    const reconnecting = next(a, 'state', (s) => s === 'reconnecting');
    server.terminate(a.selfId);
    await reconnecting;
    for (let i = 0; i < 3; i++) a.broadcast(`queued ${i}`);
    a.sendTo(b.selfId, 'queued direct');
    await until(() => got.length === 4, 'queued messages', 5000);
    assert.deepEqual(got, [
      ['queued 0', a.selfId],
      ['queued 1', a.selfId],
      ['queued 2', a.selfId],
      ['queued direct', a.selfId],
    ]);
    assert.equal(a.state, 'connected');
  });

  /** Runs `test` with a SilenceableProxy in front of the server; `url` is the signaling URL through it. */
  async function throughProxy(test: (url: string, proxy: SilenceableProxy) => Promise<void>): Promise<void> {
    const proxy = new SilenceableProxy(Number(new URL(server.wsUrl).port));
    const proxyPort = await proxy.listen();
    try {
      await test(`ws://127.0.0.1:${proxyPort}/ws`, proxy);
    } finally {
      await proxy.close();
    }
  }

  /** A joins through the proxy with `heartbeat` and a quick reconnect, B joins directly; both in `room`. */
  async function pairAcrossProxy(
    url: string,
    room: string,
    heartbeat: { intervalMs: number; timeoutMs: number },
  ) {
    const a = await join(url, room, { heartbeat, reconnect: { minDelayMs: 50, maxDelayMs: 200 } });
    const b = await join(server.wsUrl, room);
    rooms.push(a, b);
    return [a, b] as const;
  }

  it('a server that goes silent without closing the socket is detected by the heartbeat and the session resumes', () =>
    throughProxy(async (url, proxy) => {
      const [a, b] = await pairAcrossProxy(url, 'silent', { intervalMs: 100, timeoutMs: 600 });
      const id = a.selfId;
      const states = collect(a, 'state');
      const leftOnB = collect(b, 'peer-left');
      proxy.silence();
      b.broadcast('while silent');
      const [missed] = await next(a, 'message', () => true, 10_000);
      assert.equal(
        missed,
        'while silent',
        'the message sent while the path was silent arrives after the resume',
      );
      assert.deepEqual(
        states.map(([s]) => s),
        ['reconnecting', 'connected'],
      );
      assert.equal(a.selfId, id);
      assert.deepEqual(leftOnB, []);
    }));

  it('a peer connection that drops makes the SDK probe a silent signaling path, noticed in seconds', () =>
    throughProxy(async (url, proxy) => {
      // A heartbeat too slow to notice anything within this test: only the probe can.
      const [a, b] = await pairAcrossProxy(url, 'probe', { intervalMs: 60_000, timeoutMs: 120_000 });
      const bOnA = a.peers.get(b.selfId) ?? (await next(a, 'peer-joined'))[0];
      if (bOnA.state !== 'connected') await next(bOnA, 'state', (s) => s === 'connected', 15_000);
      const states = collect(a, 'state');
      proxy.silence();
      const started = Date.now();
      // B goes, closing its peer connections; A's signaling hears nothing of it.
      await b.leave();
      await until(() => states.some(([s]) => s === 'reconnecting'), 'A to notice the silent path', 15_000);
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 15_000, `noticed after ${tookMs} ms`);
    }));
});
