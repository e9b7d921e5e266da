import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { fetchIceServers, isRoomName, ParleyError } from '../src/index.js';
import { startTestServer } from './helpers.js';

test('fetchIceServers returns what a join hands out and leaves at once', async () => {
  const iceServers = [
    { urls: ['stun:127.0.0.1:3478'] },
    { urls: 'turn:127.0.0.1:3478', username: 'u', credential: 'c' },
  ];
  const server = await startTestServer({ iceServers });
  try {
    assert.deepEqual(await fetchIceServers(server.wsUrl, { WebSocket }), iceServers);
    for (let i = 0; i < 50 && server.core.stats().sessions > 0; i++) await sleep(10);
    assert.equal(server.core.stats().sessions, 0, 'the throwaway session left');
  } finally {
    await server.close();
  }
});

test('fetchIceServers rejects with CONNECT_FAILED when nothing listens', async () => {
  const err = await fetchIceServers('ws://127.0.0.1:1/ws', { WebSocket, timeoutMs: 2000 }).catch((e) => e);
  assert.ok(err instanceof ParleyError);
  assert.equal(err.code, 'CONNECT_FAILED');
});

test('isRoomName follows the protocol: the names the server accepts, and no others', () => {
  for (const ok of ['a', 'brave-otter-42', 'team.sync', 'A_b~c', 'x'.repeat(64)])
    assert.ok(isRoomName(ok), ok);
  for (const bad of ['', '-x', '.x', 'x'.repeat(65), 'has space', 'ü', 'a/b'])
    assert.ok(!isRoomName(bad), bad);
});
