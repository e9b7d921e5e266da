// The order of the ICE servers a peer is handed: STUN, then TURN over UDP, then TCP, then TLS. Browsers try
// TURN URLs in list order, and behind a firewall that drops UDP only the TCP and TLS ones get through, so
// this order makes the best transport win without any configuration by the user.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { selfSignedCert } from './hostile/tls-cert.js';

const bin = fileURLToPath(new URL('../bin/parley.js', import.meta.url));

test('parley serve hands out STUN, then TURN over UDP, TCP and TLS, in that order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ice-order-'));
  const { cert, key } = selfSignedCert(dir);
  const serve = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--port',
      '0',
      '--turn-port',
      '0',
      '--turn-tls-port',
      '0',
      '--turn-cert',
      cert,
      '--turn-key',
      key,
      '--log-level',
      'silent',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    let out = '';
    serve.stdout!.on('data', (d) => {
      out += d;
    });
    const deadline = Date.now() + 30_000;
    while (!/signaling\s+ws:\S+/.test(out)) {
      assert.equal(serve.exitCode, null, `parley serve exited: ${out}`);
      assert.ok(Date.now() < deadline, `parley serve did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const ws = new WebSocket(/signaling\s+(ws:\S+)/.exec(out)![1]!, ['parley.v1']);
    await once(ws, 'open');
    ws.send(JSON.stringify({ type: 'join', room: 'order' }));
    const joined = JSON.parse(String((await once(ws, 'message'))[0])) as {
      iceServers: { urls: string[] }[];
    };
    ws.close();
    const urls = joined.iceServers.flatMap((s) => s.urls);
    const kinds = urls.map((u) =>
      u.startsWith('stun:') ? 'stun' : u.startsWith('turns:') ? 'tls' : /transport=(\w+)/.exec(u)![1],
    );
    assert.deepEqual(kinds, ['stun', 'udp', 'tcp', 'tls'], urls.join(' '));
  } finally {
    serve.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
