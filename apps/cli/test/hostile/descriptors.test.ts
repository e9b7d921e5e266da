/** Descriptor exhaustion: accept() failing with EMFILE must cost the connections it refuses, not the process. */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { assertSurvived, bystanders, startServe } from './harness.js';

test('with every descriptor taken, parley serve refuses connections and serves again once they close', async () => {
  const serve = await startServe(['--max-conns-per-ip', '10000'], {}, { fdLimit: 160 });
  const pair = await bystanders(serve.wsUrl);
  const held: Socket[] = [];
  try {
    // More connections than the process has descriptors, from many loopback addresses.
    for (let i = 0; i < 300; i++) {
      const s = connect({ host: serve.host, port: serve.port, localAddress: `127.0.8.${(i % 200) + 1}` });
      s.on('error', () => {});
      held.push(s);
    }
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(serve.alive(), `the process exited at descriptor exhaustion:\n${serve.output().slice(-2000)}`);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 1500));
    const ms = await assertSurvived(serve, pair);
    console.log(`# 300 connections against 160 descriptors: alive; bystander round trip ${ms.toFixed(1)} ms`);
  } finally {
    for (const s of held) s.destroy();
    pair.close();
    await serve.stop();
  }
});
