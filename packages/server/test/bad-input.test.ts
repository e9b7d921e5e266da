import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PROTOCOL_VERSION, subprotocol } from '@parley/protocol';
import { type RunningServer, startServer } from '@parley/server';
import { connect, joined } from './ws-client.js';

describe('a real server under bad input', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ port: 0, rateLimit: { perSecond: 20, burst: 20 }, maxRateStrikes: 20 });
  });
  after(() => server.close());

  /** Two well-behaved peers whose conversation must survive everything the attacker does. */
  async function bystanders() {
    const a = await joined(server.wsUrl, 'calm');
    const b = await joined(server.wsUrl, 'calm');
    return {
      async stillTalk() {
        b.send({ type: 'signal', to: a.id, data: { candidate: null } });
        const got = await a.next((f) => f.type === 'signal');
        assert.equal(got.from, b.id);
      },
    };
  }

  test('each kind of bad frame is answered with its documented code and the server keeps serving', async () => {
    const calm = await bystanders();
    const x = await connect(server.wsUrl);
    const cases: [string, string][] = [
      ['not json at all', 'BAD_JSON'],
      ['{"type":"join","room":', 'BAD_JSON'],
      ['"a string"', 'BAD_JSON'],
      ['{"type":"warp-drive"}', 'UNKNOWN_TYPE'],
      ['{"type":"join","room":["r"]}', 'BAD_FRAME'],
      ['{"type":"join","room":"r","metadata":"not an object"}', 'BAD_FRAME'],
      ['{"type":"signal","to":7,"data":{}}', 'BAD_FRAME'],
    ];
    for (const [text, code] of cases) {
      x.send(text);
      const err = await x.next((f) => f.type === 'error');
      assert.equal(err.code, code, text);
      assert.equal(typeof err.message, 'string');
    }
    x.ws.send(new Uint8Array([1, 2, 3]));
    assert.equal((await x.next((f) => f.type === 'error')).code, 'BINARY_NOT_SUPPORTED');
    await calm.stillTalk();
    x.ws.close();
  });

  test('an oversized frame gets FRAME_TOO_LARGE; one past the hard cap is closed with 1009', async () => {
    const calm = await bystanders();
    const x = await joined(server.wsUrl, 'big');
    x.send({ type: 'message', data: 'x'.repeat(64 * 1024 + 1) });
    assert.equal((await x.next((f) => f.type === 'error')).code, 'FRAME_TOO_LARGE');
    x.send({ type: 'ping', id: 1 });
    assert.deepEqual(await x.next((f) => f.type === 'pong'), { type: 'pong', id: 1 });
    x.send({ type: 'message', data: 'x'.repeat(300 * 1024) });
    assert.equal((await x.closed).code, 1009);
    await calm.stillTalk();
  });

  test('a flood past the rate limit gets RATE_LIMITED and then a 1008 close', async () => {
    const calm = await bystanders();
    const x = await joined(server.wsUrl, 'flood');
    for (let i = 0; i < 200; i++) x.send({ type: 'ping', id: i });
    const { code, reason } = await x.closed;
    assert.equal(code, 1008);
    assert.equal(reason, 'RATE_LIMITED');
    assert.ok(x.frames.some((f) => f.code === 'RATE_LIMITED'));
    assert.ok(x.frames.filter((f) => f.type === 'pong').length <= 21);
    await calm.stillTalk();
  });

  test('a signal addressed to a peer in another room gets PEER_NOT_FOUND and is not delivered', async () => {
    const victim = await joined(server.wsUrl, 'room-a');
    const x = await joined(server.wsUrl, 'room-b');
    x.send({ type: 'signal', to: victim.id, data: { candidate: null } });
    assert.equal((await x.next((f) => f.type === 'error')).code, 'PEER_NOT_FOUND');
    victim.send({ type: 'ping', id: 9 });
    await victim.next((f) => f.type === 'pong');
    assert.deepEqual(
      victim.frames.filter((f) => f.type === 'signal'),
      [],
    );
  });

  test('a client offering no version we speak gets UNSUPPORTED_VERSION and close 4001', async () => {
    const x = await connect(server.wsUrl, ['parley.v99']);
    const err = await x.next();
    assert.equal(err.code, 'UNSUPPORTED_VERSION');
    assert.deepEqual(err.supported, [1]);
    assert.equal((await x.closed).code, 4001);
  });

  test('plain HTTP to /ws gets 426 naming the subprotocol the protocol package defines', async () => {
    const res = await fetch(server.wsUrl.replace(/^ws/, 'http'));
    assert.equal(res.status, 426);
    assert.match(((await res.json()) as { error: string }).error, new RegExp(subprotocol(PROTOCOL_VERSION)));
  });
});

describe('server lifecycle', () => {
  test('healthz, readyz and metrics answer, and shutdown closes sockets with 1001', async () => {
    const server = await startServer({ port: 0 });
    try {
      const health = await fetch(`${server.httpUrl}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'ok');
      assert.equal((await fetch(`${server.httpUrl}/readyz`)).status, 200);
      const c = await joined(server.wsUrl, 'r');
      c.send('{oops');
      await c.next((f) => f.type === 'error');
      const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      assert.match(metrics, /^parley_signaling_sessions 1$/m);
      assert.match(metrics, /^parley_signaling_errors_total\{code="BAD_JSON"\} 1$/m);
      await server.close();
      assert.equal((await c.closed).code, 1001);
    } finally {
      await server.close();
    }
  });

  test('a peer that stops answering pings is dropped and its room told "timeout" within the bound', async () => {
    const server = await startServer({ port: 0, pingIntervalMs: 100, resumeWindowMs: 200 });
    try {
      const a = await joined(server.wsUrl, 'r');
      const dead = await connect(server.wsUrl, ['parley.v1'], { autoPong: false });
      dead.send({ type: 'join', room: 'r' });
      const id = (await dead.next((f) => f.type === 'joined')).selfId;
      const started = Date.now();
      const left = await a.next((f) => f.type === 'peer-left', 3000);
      assert.deepEqual([left.peerId, left.reason], [id, 'timeout']);
      // Bound: two ping intervals to notice, plus the resume window, plus scheduling slack.
      assert.ok(Date.now() - started < 2000);
      // The peer that answers its pings stays, ten intervals on.
      await new Promise((r) => setTimeout(r, 1000));
      a.send({ type: 'ping', id: 5 });
      assert.equal((await a.next((f) => f.type === 'pong')).id, 5);
      a.ws.close();
    } finally {
      await server.close();
    }
  });
});
