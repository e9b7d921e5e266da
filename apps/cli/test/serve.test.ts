import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const bin = fileURLToPath(new URL('../bin/parley.js', import.meta.url));

/** Starts `parley serve` and resolves with the signaling URL it prints. */
async function startCli(
  args: string[],
): Promise<{ child: ChildProcess; wsUrl: string; stdout: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 10_000;
  while (!/signaling\s+(ws:\S+)/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`parley serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, wsUrl: /signaling\s+(ws:\S+)/.exec(out)![1]!, stdout: () => out };
}

test('parley serve prints its URLs, relays signaling, and stops cleanly on SIGTERM', async () => {
  const { child, wsUrl, stdout } = await startCli([
    '--port',
    '0',
    '--turn-port',
    '0',
    '--log-level',
    'silent',
  ]);
  assert.match(stdout(), /health\s+http:\/\/127\.0\.0\.1:\d+\/healthz/);
  const health = await fetch(wsUrl.replace('ws:', 'http:').replace('/ws', '/healthz'));
  assert.equal(health.status, 200);
  const ws = new WebSocket(wsUrl, ['parley.v1']);
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'join', room: 'cli' }));
  const [msg] = await once(ws, 'message');
  assert.equal(JSON.parse(String(msg)).type, 'joined');
  const closed = once(ws, 'close');
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.equal((await closed)[0], 1001);
  assert.match(stdout(), /Parley stopped/);
});

test('parley serve refuses a bad port with a clear message and a non-zero exit', async () => {
  const child = spawn(process.execPath, [bin, 'serve', '--port', 'eighty'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const [code] = await once(child, 'exit');
  assert.notEqual(code, 0);
  assert.match(err, /a port is a whole number/);
});

test('with --room-secret, a join needs a token from `parley token` for that room', async () => {
  const { child, wsUrl } = await startCli([
    '--port',
    '0',
    '--log-level',
    'silent',
    '--room-secret',
    'topsecret',
  ]);
  try {
    const mint = spawn(process.execPath, [
      bin,
      'token',
      '--room',
      'vip',
      '--secret',
      'topsecret',
      '--ttl',
      '60',
    ]);
    let token = '';
    mint.stdout.on('data', (d) => {
      token += d;
    });
    assert.equal((await once(mint, 'exit'))[0], 0);
    const answer = async (join: Record<string, unknown>) => {
      const ws = new WebSocket(wsUrl, ['parley.v1']);
      await once(ws, 'open');
      ws.send(JSON.stringify({ type: 'join', ...join }));
      const [msg] = await once(ws, 'message');
      ws.close();
      return JSON.parse(String(msg)) as { type: string; code?: string };
    };
    assert.equal((await answer({ room: 'vip' })).code, 'UNAUTHORIZED');
    assert.equal((await answer({ room: 'other', token: token.trim() })).code, 'UNAUTHORIZED');
    assert.equal((await answer({ room: 'vip', token: token.trim() })).type, 'joined');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});
