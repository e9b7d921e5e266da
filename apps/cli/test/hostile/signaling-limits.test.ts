/**
 * Every per-client resource of signaling has a bound, each tested against a real `parley serve`: the
 * attacker hits the bound and gets its code, and a bystander pair in another room keeps talking.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { until } from '@parley/testing';
import { WebSocket } from 'ws';
import { assertSurvived, bystanders, startServe, withServe } from './harness.js';
import { metric } from './metrics.js';
import { drop, firstFrame, joinAs } from './ws-peers.js';

const cliBin = fileURLToPath(new URL('../../bin/parley.js', import.meta.url));

test('sockets that stop reading are dropped at their send-queue bound; memory stays flat', async () => {
  await withServe(['--max-send-queue', '256'], async (serve, pair) => {
    const before = serve.rss();
    const readers = await Promise.all(
      Array.from({ length: 10 }, () => joinAs(serve.wsUrl, 'flood', '127.0.0.2')),
    );
    for (const r of readers) r.ws.pause();
    const sender = await joinAs(serve.wsUrl, 'flood', '127.0.0.3');
    const blob = 'x'.repeat(60_000);
    let peak = before;
    // 60 KB to ten paused readers, 50 times a second (under the rate limit), for up to 12 s.
    const deadline = Date.now() + 12_000;
    while (Date.now() < deadline) {
      for (let i = 0; i < 5; i++) sender.ws.send(JSON.stringify({ type: 'message', data: blob }));
      await new Promise((r) => setTimeout(r, 100));
      peak = Math.max(peak, serve.rss());
      if ((await metric(serve.httpUrl, 'parley_signaling_slow_dropped_total')) >= 10) break;
    }
    const dropped = await metric(serve.httpUrl, 'parley_signaling_slow_dropped_total');
    assert.equal(dropped, 10, 'every paused reader is dropped');
    const grew = (peak - before) / 2 ** 20;
    assert.ok(grew < 120, `RSS grew ${grew.toFixed(0)} MiB (unbounded queues grew it by ~600 MiB)`);
    const ms = await pair.roundTrip();
    console.log(
      `# paused readers dropped: ${dropped}; RSS +${grew.toFixed(1)} MiB; bystander round trip ${ms.toFixed(1)} ms`,
    );
    sender.ws.close();
  });
});

test('connections past the per-address bound are refused with 503 TOO_MANY_CONNECTIONS; other addresses are not', async () => {
  await withServe(['--max-conns-per-ip', '20'], async (serve, pair) => {
    const open: WebSocket[] = [];
    const refused: string[] = [];
    for (let i = 0; i < 30; i++) {
      const ws = new WebSocket(serve.wsUrl, ['parley.v1'], { localAddress: '127.0.0.2' });
      const outcome = await new Promise<string>((resolve) => {
        ws.once('open', () => resolve('open'));
        ws.once('unexpected-response', (_req, res) =>
          resolve(`${res.statusCode} ${res.headers['x-parley-error']}`),
        );
        ws.once('error', (e) => resolve(`error ${e.message}`));
      });
      if (outcome === 'open') open.push(ws);
      else refused.push(outcome);
    }
    assert.equal(open.length, 20);
    assert.equal(refused.length, 10);
    assert.ok(
      refused.every((r) => r === '503 TOO_MANY_CONNECTIONS'),
      refused.join(', '),
    );
    assert.equal(
      await metric(serve.httpUrl, 'parley_http_connections_refused_total', 'limit="perAddress"'),
      10,
    );
    // Another address still connects.
    const other = await firstFrame(serve.wsUrl, { type: 'ping', id: 7 }, '127.0.0.4');
    assert.equal(other.reply.type, 'pong');
    other.ws.close();
    // Closing frees the slots.
    for (const ws of open) ws.close();
    await until(
      async () => (await metric(serve.httpUrl, 'parley_http_connections')) < 10,
      'the slots to free',
    );
    const again = await firstFrame(serve.wsUrl, { type: 'ping', id: 8 }, '127.0.0.2');
    assert.equal(again.reply.type, 'pong');
    again.ws.close();
    await pair.roundTrip();
  });
});

test('connect–join–drop cycles stop at the per-address session bound with TOO_MANY_SESSIONS', async () => {
  await withServe(['--max-sessions-per-ip', '5'], async (serve) => {
    for (let i = 0; i < 5; i++) drop((await joinAs(serve.wsUrl, `cycle-${i}`, '127.0.0.5')).ws);
    const sixth = await firstFrame(serve.wsUrl, { type: 'join', room: 'cycle-x' }, '127.0.0.5');
    assert.equal(sixth.reply.code, 'TOO_MANY_SESSIONS');
    sixth.ws.close();
    const elsewhere = await firstFrame(serve.wsUrl, { type: 'join', room: 'cycle-x' }, '127.0.0.6');
    assert.equal(elsewhere.reply.type, 'joined');
    elsewhere.ws.close();
  });
});

test('a full room whose seats are held by dropped sessions lets a newcomer in; the longest-dropped seat goes', async () => {
  await withServe(['--max-peers', '4'], async (serve) => {
    const stayer = await joinAs(serve.wsUrl, 'seats', '127.0.0.7');
    const dropped = [];
    for (let i = 0; i < 3; i++) {
      const p = await joinAs(serve.wsUrl, 'seats', `127.0.1.${i + 1}`);
      dropped.push(p.id);
      drop(p.ws);
      await new Promise((r) => setTimeout(r, 30));
    }
    const newcomer = await firstFrame(serve.wsUrl, { type: 'join', room: 'seats' }, '127.0.0.8');
    assert.equal(newcomer.reply.type, 'joined', JSON.stringify(newcomer.reply));
    const left = await stayer.next((f) => f.type === 'peer-left');
    assert.equal(left.peerId, dropped[0]);
    assert.equal(left.reason, 'timeout');
    assert.equal(await metric(serve.httpUrl, 'parley_signaling_seats_reclaimed_total'), 1);
    // A room full of live peers still refuses.
    const live = await joinAs(serve.wsUrl, 'seats-live', '127.0.0.9');
    const more = await Promise.all([1, 2, 3].map((i) => joinAs(serve.wsUrl, 'seats-live', `127.0.2.${i}`)));
    const fifth = await firstFrame(serve.wsUrl, { type: 'join', room: 'seats-live' }, '127.0.0.10');
    assert.equal(fifth.reply.code, 'ROOM_FULL');
    for (const p of [live, ...more]) p.ws.close();
    fifth.ws.close();
    newcomer.ws.close();
    stayer.ws.close();
  });
});

test('one room token holds at most --max-sessions-per-token sessions; reuse past it gets TOKEN_IN_USE', async () => {
  const mint = (room: string) =>
    spawnSync(process.execPath, [cliBin, 'token', '--room', room, '--secret', 's3cret', '--ttl', '600'])
      .stdout.toString()
      .trim();
  const token = mint('vip');
  const serve = await startServe(['--room-secret', 's3cret', '--max-sessions-per-token', '2']);
  const pair = await bystanders(serve.wsUrl, 'calm', { token: mint('calm') });
  try {
    const a = await joinAs(serve.wsUrl, 'vip', '127.0.3.1', { token });
    const b = await joinAs(serve.wsUrl, 'vip', '127.0.3.2', { token });
    drop(b.ws);
    const c = await firstFrame(serve.wsUrl, { type: 'join', room: 'vip', token }, '127.0.3.3');
    assert.equal(c.reply.code, 'TOKEN_IN_USE');
    c.ws.close();
    a.ws.close();
    await assertSurvived(serve, pair);
  } finally {
    pair.close();
    await serve.stop();
  }
});

test('replay memory of dropped sessions stops at --replay-total; their resume then fails cleanly', async () => {
  await withServe(['--replay-total', '1'], async (serve, pair) => {
    const sender = await joinAs(serve.wsUrl, 'replay', '127.0.4.1');
    const victims = await Promise.all([2, 3, 4, 5].map((i) => joinAs(serve.wsUrl, 'replay', `127.0.4.${i}`)));
    for (const v of victims) drop(v.ws);
    await new Promise((r) => setTimeout(r, 100));
    const blob = 'y'.repeat(30_000);
    for (let i = 0; i < 60; i++) {
      sender.ws.send(JSON.stringify({ type: 'message', data: blob }));
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 120));
    }
    await until(
      async () => (await metric(serve.httpUrl, 'parley_signaling_replay_over_budget_total')) > 0,
      'the budget to refuse growth',
    );
    const bytes = await metric(serve.httpUrl, 'parley_signaling_replay_bytes');
    assert.ok(bytes <= 2 ** 20, `replay bytes ${bytes} within 1 MiB`);
    const victim = victims[0]!;
    const resumed = await firstFrame(
      serve.wsUrl,
      { type: 'resume', token: victim.resumeToken, lastSeq: 1 },
      '127.0.4.2',
    );
    assert.equal(resumed.reply.code, 'RESUME_FAILED');
    resumed.ws.close();
    sender.ws.close();
    await pair.roundTrip();
  });
});

test('a relayed frame with a key twice gets BAD_FRAME and reaches nobody', async () => {
  await withServe([], async (serve) => {
    const a = await joinAs(serve.wsUrl, 'dup', '127.0.5.1');
    const b = await joinAs(serve.wsUrl, 'dup', '127.0.5.2');
    a.ws.send(`{"type":"message","to":"${b.id}","data":"one","data":"two"}`);
    const err = await a.next((f) => f.type === 'error');
    assert.equal(err.code, 'BAD_FRAME');
    a.ws.send(JSON.stringify({ type: 'message', to: b.id, data: 'clean' }));
    const got = await b.next((f) => f.type === 'message');
    assert.equal(got.data, 'clean', 'the duplicate-key frame was not relayed before the clean one');
    a.ws.close();
    b.ws.close();
  });
});

test('a join with deeply nested metadata is refused and leaves the room usable for the next joiner', async () => {
  await withServe([], async (serve) => {
    const deep = `{"type":"join","room":"deep","metadata":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
    const ws = new WebSocket(serve.wsUrl, ['parley.v1']);
    ws.on('error', () => {});
    await once(ws, 'open');
    ws.send(deep);
    const [data] = await once(ws, 'message');
    assert.equal(JSON.parse(String(data)).code, 'BAD_FRAME');
    ws.close();
    const next = await firstFrame(serve.wsUrl, { type: 'join', room: 'deep' });
    assert.equal(next.reply.type, 'joined');
    assert.deepEqual(next.reply.peers, []);
    next.ws.close();
  });
});

test('a socket that never joins is closed with 4006 IDLE at --idle-timeout', async () => {
  await withServe(['--idle-timeout', '1'], async (serve) => {
    const ws = new WebSocket(serve.wsUrl, ['parley.v1'], { localAddress: '127.0.6.1' });
    ws.on('error', () => {});
    const started = Date.now();
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 4006);
    assert.ok(Date.now() - started < 3000);
    assert.equal(await metric(serve.httpUrl, 'parley_signaling_idle_closed_total'), 1);
  });
});

test('a resume that replays a full buffer is not taken for a slow reader, whatever --max-send-queue says', async () => {
  await withServe(['--max-send-queue', '256'], async (serve) => {
    const sender = await joinAs(serve.wsUrl, 'full-replay', '127.0.9.1');
    const victim = await joinAs(serve.wsUrl, 'full-replay', '127.0.9.2');
    drop(victim.ws);
    await new Promise((r) => setTimeout(r, 100));
    // ~960 KB waiting for the dropped peer: just under its 1 MiB replay buffer.
    const blob = 'r'.repeat(60_000);
    for (let i = 0; i < 16; i++)
      sender.ws.send(JSON.stringify({ type: 'message', data: blob, to: victim.id }));
    await new Promise((r) => setTimeout(r, 300));
    const ws = new WebSocket(serve.wsUrl, ['parley.v1'], { localAddress: '127.0.9.2' });
    ws.on('error', () => {});
    await once(ws, 'open');
    let relayed = 0;
    let resumed = false;
    const done = new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as { type: string };
        if (f.type === 'resumed') resumed = true;
        if (f.type === 'message' && ++relayed === 16) resolve();
      });
    });
    ws.send(JSON.stringify({ type: 'resume', token: victim.resumeToken, lastSeq: 0 }));
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    assert.ok(resumed);
    assert.equal(relayed, 16, 'every missed frame replayed');
    assert.equal(await metric(serve.httpUrl, 'parley_signaling_slow_dropped_total'), 0);
    ws.close();
    sender.ws.close();
  });
});

test('a resume in a full room with large metadata and a full replay buffer gets every frame', async () => {
  await withServe(['--max-sessions-per-ip', '100'], async (serve) => {
    const name = 'n'.repeat(4000);
    const peers = [];
    for (let i = 0; i < 48; i++)
      peers.push(await joinAs(serve.wsUrl, 'busy', `127.0.10.${i + 1}`, { metadata: { name } }));
    const victim = await joinAs(serve.wsUrl, 'busy', '127.0.11.1', { metadata: { name } });
    drop(victim.ws);
    await new Promise((r) => setTimeout(r, 100));
    const sender = peers[0]!;
    const blob = 'm'.repeat(10_000);
    for (let i = 0; i < 90; i++) {
      sender.ws.send(JSON.stringify({ type: 'message', to: victim.id, data: blob }));
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 300));
    const ws = new WebSocket(serve.wsUrl, ['parley.v1'], { localAddress: '127.0.11.1' });
    ws.on('error', () => {});
    await once(ws, 'open');
    let relayed = 0;
    let peersSeen = -1;
    const done = new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as { type: string; peers?: unknown[] };
        if (f.type === 'resumed') peersSeen = f.peers?.length ?? 0;
        if (f.type === 'message' && ++relayed === 90) resolve();
      });
    });
    ws.send(JSON.stringify({ type: 'resume', token: victim.resumeToken, lastSeq: 0 }));
    await Promise.race([done, new Promise((r) => setTimeout(r, 8000))]);
    assert.equal(peersSeen, 48);
    assert.equal(relayed, 90, 'every missed frame replayed');
    assert.equal(await metric(serve.httpUrl, 'parley_signaling_slow_dropped_total'), 0);
    ws.close();
    for (const p of peers) p.ws.close();
  });
});

test('every spelling of one room token counts as that token', async () => {
  const token = spawnSync(process.execPath, [
    cliBin,
    'token',
    '--room',
    'vip',
    '--secret',
    's3cret',
    '--ttl',
    '600',
  ])
    .stdout.toString()
    .trim();
  // The last base64url character of an HS256 signature carries 2 spare bits: these spellings all verify.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(token.at(-1)!);
  const spellings = [0, 1, 2, 3].map((spare) => token.slice(0, -1) + alphabet[(last & ~3) | spare]);
  const serve = await startServe(['--room-secret', 's3cret', '--max-sessions-per-token', '2']);
  try {
    const answers = [];
    for (const [i, t] of spellings.entries()) {
      const { ws, reply } = await firstFrame(
        serve.wsUrl,
        { type: 'join', room: 'vip', token: t },
        `127.0.12.${i + 1}`,
      );
      answers.push(reply.type === 'joined' ? 'joined' : String(reply.code));
      if (reply.type !== 'joined') ws.close();
    }
    assert.deepEqual(answers, ['joined', 'joined', 'TOKEN_IN_USE', 'TOKEN_IN_USE']);
  } finally {
    await serve.stop();
  }
});

test('big frames before a join are refused unparsed, whatever the number of sockets from one address', async () => {
  await withServe([], async (serve, pair) => {
    const meta = Object.fromEntries(Array.from({ length: 7000 }, (_, i) => [`k${i}`, 0]));
    const frame = JSON.stringify({ type: 'join', room: 'a', metadata: meta });
    assert.ok(frame.length > 60_000);
    const sockets = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const ws = new WebSocket(serve.wsUrl, ['parley.v1'], { localAddress: '127.0.13.1' });
        ws.on('error', () => {});
        await once(ws, 'open');
        return ws;
      }),
    );
    const codes = new Map<string, number>();
    for (const ws of sockets)
      ws.on('message', (d) => {
        const code = String((JSON.parse(String(d)) as { code?: string }).code);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      });
    for (let i = 0; i < 40; i++) for (const ws of sockets) ws.send(frame);
    await new Promise((r) => setTimeout(r, 1500));
    const ms = await pair.roundTrip();
    assert.deepEqual([...codes.keys()].sort(), ['FRAME_TOO_LARGE', 'RATE_LIMITED']);
    console.log(
      `# 320 frames of 64 KB before a join: ${JSON.stringify(Object.fromEntries(codes))}; bystanders ${ms.toFixed(1)} ms`,
    );
    for (const ws of sockets) ws.close();
  });
});

test('a resume whose answer is lost with its socket can be retried with the same token', async () => {
  await withServe([], async (serve) => {
    const peer = await joinAs(serve.wsUrl, 'lost-answer', '127.0.14.1');
    drop(peer.ws);
    await new Promise((r) => setTimeout(r, 100));
    const first = new WebSocket(serve.wsUrl, ['parley.v1'], { localAddress: '127.0.14.1' });
    first.on('error', () => {});
    await once(first, 'open');
    first.send(JSON.stringify({ type: 'resume', token: peer.resumeToken, lastSeq: 0 }));
    first.terminate(); // gone before the client read `resumed`
    await new Promise((r) => setTimeout(r, 200));
    const again = await firstFrame(
      serve.wsUrl,
      { type: 'resume', token: peer.resumeToken, lastSeq: 0 },
      '127.0.14.1',
    );
    assert.equal(again.reply.type, 'resumed', JSON.stringify(again.reply));
    assert.equal(again.reply.selfId, peer.id);
    again.ws.close();
  });
});
