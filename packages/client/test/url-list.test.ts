/**
 * `joinRoom({ url: [...] })`: a (re)connect that fails moves on to the next URL. Two independent servers
 * (no cluster): what moves is the client, which joins again on the second when its session is not there.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import type { RunningServer } from '@parley/server';
import { join, next, releaseNative, startTestServer } from './helpers.js';

/** A URL nothing listens on (a port taken and released). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `ws://127.0.0.1:${port}/ws`;
}

describe('a list of signaling URLs', () => {
  const servers: RunningServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    releaseNative();
  });

  it('joins through the first URL that answers', async () => {
    const live = await startTestServer();
    servers.push(live);
    const room = await join([await deadUrl(), live.wsUrl], 'list-first');
    assert.equal(room.state, 'connected');
    assert.equal(live.core.stats().sessions, 1);
    await room.leave();
  });

  it('fails with CONNECT_FAILED when no URL answers', async () => {
    await assert.rejects(join([await deadUrl(), await deadUrl()], 'nobody'), {
      code: 'CONNECT_FAILED',
    });
  });

  it('reconnects to the next URL when its server goes away', async () => {
    const [one, two] = [await startTestServer(), await startTestServer()];
    servers.push(two);
    const room = await join([one.wsUrl, two.wsUrl], 'list-move', {
      reconnect: { minDelayMs: 50, maxDelayMs: 200 },
    });
    const rejoined = next(room, 'rejoined', () => true, 20_000);
    await one.close();
    await rejoined;
    assert.equal(room.state, 'connected');
    assert.equal(two.core.stats().sessions, 1);
    await room.leave();
  });
});
