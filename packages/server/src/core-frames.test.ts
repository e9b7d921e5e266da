import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVER_FRAMES } from '@parley/protocol';
import { SignalingCore } from './core.js';
import { counterRandom, FakeClock, Wire } from './core-harness.js';

test('every frame the core sends, of every type, decodes against the server schemas', () => {
  const clock = new FakeClock();
  const wire = new Wire();
  const core = new SignalingCore<string>(
    { resumeWindowMs: 1000, maxPeersPerRoom: 2, iceServers: [{ urls: ['stun:127.0.0.1:3478'] }] },
    { transport: wire, clock, random: counterRandom() },
  );
  const send = (conn: string, frame: unknown) =>
    core.receive(conn, typeof frame === 'string' ? frame : JSON.stringify(frame));
  core.open('A');
  core.open('B');
  core.open('C');
  send('A', { type: 'join', room: 'r', metadata: { name: 'Ann "the" \u2603' } });
  send('B', { type: 'join', room: 'r' });
  send('C', { type: 'join', room: 'r' });
  const a = wire.raw.get('A')!.map((t) => JSON.parse(t))[0] as { selfId: string; resumeToken: string };
  const b = JSON.parse(wire.raw.get('B')![0]!) as { selfId: string; resumeToken: string };
  send('A', { type: 'signal', to: b.selfId, data: { description: { type: 'offer', sdp: 'v=0\r\n' } } });
  send('A', { type: 'signal', to: b.selfId, data: { candidate: null } });
  send('B', { type: 'message', data: { nested: [1, { deep: 'ok' }] } });
  send('B', { type: 'message', to: a.selfId, data: 'hi' });
  send('A', { type: 'ping', id: 3 });
  send('A', { type: 'ping' });
  for (const bad of [
    'nope',
    '{"type":"warp"}',
    '{"type":"join"}',
    '{"type":"message","to":"ghost","data":1}',
  ])
    send('A', bad);
  core.receiveBinary('A');
  send('C', { type: 'leave' });
  core.closed('B');
  core.open('B2');
  send('B2', { type: 'resume', token: b.resumeToken, lastSeq: 0 });
  send('A', { type: 'leave' });
  send('B2', { type: 'leave' });
  core.closed('B2');
  clock.advance(60_000);
  assert.deepEqual(wire.invalid, []);
  const types = new Set([...wire.raw.values()].flat().map((t) => (JSON.parse(t) as { type: string }).type));
  assert.deepEqual([...types].sort(), Object.keys(SERVER_FRAMES).sort(), 'every server frame type was sent');
  assert.ok(wire.serverFrames >= 20, `${wire.serverFrames} frames checked`);
});
