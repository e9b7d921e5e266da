import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '@parley/server';
import type { Peer, Room } from '../src/index.js';
import { collect, join, next, releaseNative, startTestServer, text, until } from './helpers.js';

describe('channels', () => {
  let server: RunningServer;
  const rooms: Room[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const r of rooms) await r.leave();
    await server.close();
    releaseNative();
  });

  /** a is in the room first; b joins. Returns each side's Peer for the other, right after the join. */
  async function pair(room: string): Promise<{ a: Room; b: Room; bOnA: Peer; aOnB: Peer }> {
    const a = await join(server.wsUrl, room);
    const joined = next(a, 'peer-joined');
    const b = await join(server.wsUrl, room);
    rooms.push(a, b);
    const [bOnA] = await joined;
    return { a, b, bOnA, aOnB: b.peers.get(a.selfId)! };
  }

  it('messages sent before the connection is up wait and arrive in order once it opens', async () => {
    const { bOnA, aOnB } = await pair('early-send');
    const got = collect(aOnB, 'message');
    for (let i = 0; i < 20; i++) bOnA.send(`m${i}`);
    await until(() => got.length === 20, '20 messages', 10_000);
    assert.deepEqual(
      got.map(([d]) => text(d)),
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
  });

  it('a channel the waiting side asks for before the first exchange opens on both sides once connected', async () => {
    const { bOnA, aOnB } = await pair('early-channel');
    // a did not offer (the newcomer b does), so its channel waits for the connection.
    const early = bOnA.channel('early', { ordered: false });
    early.send('queued on the waiting side');
    const [remote] = await next(aOnB, 'channel', (c) => c.label === 'early');
    const [data] = await next(remote, 'message');
    assert.equal(data, 'queued on the waiting side');
    const back = next(early, 'message');
    remote.send('reply');
    assert.deepEqual(await back, ['reply']);
    assert.equal(bOnA.channels.get('early'), early, 'one Channel object per label');
  });

  it('a sender that waits for bufferedamountlow below a high-water mark delivers every byte', async () => {
    const { bOnA, aOnB } = await pair('low-water');
    const ch = bOnA.channel('bulk');
    ch.bufferedAmountLowThreshold = 64 * 1024;
    assert.equal(ch.bufferedAmountLowThreshold, 64 * 1024);
    const [remote] = await next(aOnB, 'channel', (c) => c.label === 'bulk');
    let received = 0;
    remote.on('message', (d) => {
      received += typeof d === 'string' ? d.length : d.byteLength;
    });
    await until(() => ch.readyState === 'open', 'open', 10_000);
    const chunk = new Uint8Array(16 * 1024);
    const total = 4 * 1024 * 1024;
    let sent = 0;
    let lows = 0;
    ch.on('bufferedamountlow', () => lows++);
    while (sent < total) {
      if (ch.bufferedAmount >= 256 * 1024) {
        await next(ch, 'bufferedamountlow');
        continue;
      }
      ch.send(chunk);
      sent += chunk.byteLength;
    }
    await until(() => received === total, 'every byte', 20_000);
    assert.ok(lows > 0, 'the sender waited for the buffer to drain at least once');
  });

  it('both sides opening the same label at once get one channel each way and every message once', async () => {
    const { bOnA, aOnB } = await pair('glare');
    await until(() => bOnA.state === 'connected' && aOnB.state === 'connected', 'connected', 10_000);
    const onA = bOnA.channel('both');
    const onB = aOnB.channel('both');
    await until(() => onA.readyState === 'open' && onB.readyState === 'open', 'both open', 10_000);
    const gotA = collect(onA, 'message');
    const gotB = collect(onB, 'message');
    for (let i = 0; i < 5; i++) {
      onA.send(`a${i}`);
      onB.send(`b${i}`);
    }
    await until(() => gotA.length >= 5 && gotB.length >= 5, 'messages both ways', 10_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      gotB.map(([d]) => d),
      ['a0', 'a1', 'a2', 'a3', 'a4'],
    );
    assert.deepEqual(
      gotA.map(([d]) => d),
      ['b0', 'b1', 'b2', 'b3', 'b4'],
    );
    assert.equal(bOnA.channels.get('both'), onA);
    assert.equal(aOnB.channels.get('both'), onB);
  });

  it('closing a channel closes it on the other side too, and sending on it then throws CHANNEL_CLOSED', async () => {
    const { bOnA, aOnB } = await pair('close');
    const mine = aOnB.channel('short-lived');
    const [theirs] = await next(bOnA, 'channel', (c) => c.label === 'short-lived');
    await until(() => mine.readyState === 'open' && theirs.readyState === 'open', 'open', 10_000);
    const closed = next(theirs, 'close');
    mine.close();
    await closed;
    assert.equal(theirs.readyState, 'closed');
    assert.throws(() => mine.send('x'), { code: 'CHANNEL_CLOSED' });
    assert.equal(bOnA.channels.has('short-lived'), false);
    // The default channel is untouched.
    const got = next(aOnB, 'message');
    bOnA.send('still here');
    assert.equal(text((await got)[0]), 'still here');
  });
});
