import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, requireBinary, run } from '@parley/testing';
import { WebSocket } from 'ws';

const bin = fileURLToPath(new URL('../bin/parley.js', import.meta.url));

test('parley serve hands each peer TURN credentials that its own TURN server accepts (coturn client, 0 lost)', async () => {
  requireBinary('turnutils_uclient');
  requireBinary('turnutils_peer');
  const children: ChildProcess[] = [];
  try {
    const serve = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--port',
        '0',
        '--turn-port',
        '0',
        '--turn-allow-peer',
        '127.0.0.0/8',
        '--log-level',
        'silent',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(serve);
    let out = '';
    serve.stdout!.on('data', (d) => {
      out += d;
    });
    while (!/signaling\s+ws:\S+/.test(out)) {
      assert.equal(serve.exitCode, null, `parley serve exited: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(out, /stun\/turn\s+udp \d+, tcp \d+/);
    const wsUrl = /signaling\s+(ws:\S+)/.exec(out)![1]!;
    const ws = new WebSocket(wsUrl, ['parley.v1']);
    await once(ws, 'open');
    ws.send(JSON.stringify({ type: 'join', room: 'turn' }));
    const joined = JSON.parse(String((await once(ws, 'message'))[0])) as {
      selfId: string;
      iceServers: { urls: string[]; username?: string; credential?: string }[];
    };
    ws.close();
    const [stun, turn] = joined.iceServers;
    assert.match(stun!.urls[0]!, /^stun:127\.0\.0\.1:\d+$/);
    assert.match(turn!.username!, new RegExp(`^\\d+:${joined.selfId}$`));
    const expiry = Number(turn!.username!.split(':')[0]);
    assert.ok(Math.abs(expiry - (Date.now() / 1000 + 3600)) < 60, 'credentials expire in an hour by default');
    const udpUrl = turn!.urls.find((u) => u.endsWith('transport=udp'))!;
    const turnPort = /:(\d+)\?/.exec(udpUrl)![1]!;

    const peerPort = await freeTcpPort();
    // The peer sits on another loopback address: TURN never relays to the server's own addresses.
    const peer = spawn('turnutils_peer', ['-L', '127.0.0.2', '-p', String(peerPort)], { stdio: 'ignore' });
    children.push(peer);
    await new Promise((r) => setTimeout(r, 300));
    const r = await run('turnutils_uclient', [
      '-u',
      turn!.username!,
      '-w',
      turn!.credential!,
      '-p',
      turnPort,
      '-e',
      '127.0.0.2',
      '-r',
      String(peerPort),
      '-n',
      '20',
      '-m',
      '1',
      '-l',
      '100',
      '127.0.0.1',
    ]);
    assert.equal(r.code, 0, r.output.slice(-1500));
    const lost = /Total lost packets (\d+)/.exec(r.output);
    assert.ok(lost, `no loss summary:\n${r.output.slice(-1500)}`);
    assert.equal(Number(lost[1]), 0);

    const wrong = await run('turnutils_uclient', [
      '-u',
      turn!.username!,
      '-w',
      'not-the-password',
      '-p',
      turnPort,
      '-e',
      '127.0.0.2',
      '-r',
      String(peerPort),
      '-n',
      '1',
      '-m',
      '1',
      '127.0.0.1',
    ]);
    assert.match(wrong.output, /401|Unauthorized|cannot|error/i);
    assert.doesNotMatch(wrong.output, /Total lost packets 0 /);
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
});
