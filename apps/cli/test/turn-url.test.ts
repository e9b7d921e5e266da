// --turn-url with a real coturn (use-auth-secret): parley serve hands peers credentials minted under the
// shared secret, and coturn accepts them; with another secret, parley doctor names the refusal.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freeTcpPort, run } from '@parley/testing';
import { type Coturn, startCoturn, UdpTurnClient } from '@parley/testing/turn';
import { WebSocket } from 'ws';
import { runDoctor } from './doctor-run.js';
import { startServe } from './hostile/harness.js';
import { issueCert, type TestCa, testCa } from './hostile/tls-cert.js';

const SECRET = 'shared-by-every-node-and-coturn';

interface Joined {
  selfId: string;
  iceServers: { urls: string[]; username?: string; credential?: string }[];
}

async function join(wsUrl: string): Promise<Joined> {
  const ws = new WebSocket(wsUrl, ['parley.v1']);
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'join', room: 'coturn' }));
  const joined = JSON.parse(String((await once(ws, 'message'))[0])) as Joined;
  ws.close();
  return joined;
}

describe('parley serve --turn-url with coturn', () => {
  let coturn: Coturn;
  let urls: string[];
  let dir: string;
  let ca: TestCa;
  before(async () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'parley-turn-url-'));
    ca = testCa(dir);
    coturn = await startCoturn({ secret: SECRET, tls: issueCert(ca, 'coturn', ['127.0.0.1'], 30) });
    urls = [`turn:127.0.0.1:${coturn.port}?transport=udp`, `turn:127.0.0.1:${coturn.port}?transport=tcp`];
  });
  after(async () => {
    await coturn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every node with the same secret hands out credentials coturn accepts: turnutils_uclient relays 20 packets, 0 lost', async () => {
    for (const b of ['turnutils_uclient', 'turnutils_peer'])
      assert.equal(
        spawnSync('sh', ['-c', `command -v ${b}`]).status,
        0,
        `${b} is missing: apt-get install coturn`,
      );
    const turnArgs = ['--no-turn', '--turn-secret', SECRET, ...urls.flatMap((u) => ['--turn-url', u])];
    // Two nodes, as in a cluster: each mints on its own, and coturn takes either's credentials.
    const nodes = [await startServe(turnArgs), await startServe(turnArgs)];
    const children: ChildProcess[] = [];
    try {
      const peerPort = await freeTcpPort();
      const peer = spawn('turnutils_peer', ['-L', '127.0.0.2', '-p', String(peerPort)], { stdio: 'ignore' });
      children.push(peer);
      for (const node of nodes) {
        assert.match(node.output(), /turn +turn:127\.0\.0\.1:\d+\?transport=udp +\(--turn-url\)/);
        const joined = await join(node.wsUrl);
        const [stun, turn] = joined.iceServers;
        assert.deepEqual(stun?.urls, [`stun:127.0.0.1:${coturn.port}`]);
        assert.deepEqual(turn?.urls, urls);
        assert.match(turn!.username!, new RegExp(`^\\d+:${joined.selfId}$`));
        // turnutils_peer may still be binding: uclient's first try can find nobody there, so retry a few times.
        let r = { code: null as number | null, output: '' };
        for (let attempt = 0; attempt < 5; attempt++) {
          r = await run('turnutils_uclient', [
            ...['-u', turn!.username!, '-w', turn!.credential!, '-p', String(coturn.port)],
            ...['-e', '127.0.0.2', '-r', String(peerPort), '-n', '20', '-m', '1', '-l', '100', '127.0.0.1'],
          ]);
          if (/Total lost packets 0 /.test(r.output)) break;
        }
        assert.equal(r.code, 0, r.output.slice(-1500));
        assert.match(r.output, /Total lost packets 0 /, r.output.slice(-1500));
      }
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });

  test('beside the embedded TURN server, one credential opens both it and coturn', async () => {
    const serve = await startServe(['--turn-secret', SECRET, '--turn-url', urls[0]!]);
    try {
      const { iceServers } = await join(serve.wsUrl);
      const [stun, turn] = iceServers;
      assert.deepEqual(stun?.urls, [`stun:127.0.0.1:${serve.turnPort}`, `stun:127.0.0.1:${coturn.port}`]);
      assert.deepEqual(turn?.urls.slice(-1), [urls[0]]);
      assert.equal(turn?.urls.length, 3, 'the embedded UDP and TCP, then coturn');
      const credential = { username: turn!.username!, password: turn!.credential! };
      for (const port of [serve.turnPort!, coturn.port]) {
        const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential);
        try {
          const relayed = await client.allocateRelay();
          assert.equal(relayed.address, '127.0.0.1', `allocation on ${port}`);
        } finally {
          await client.close();
        }
      }
    } finally {
      await serve.stop();
    }
  });

  test('parley doctor passes through coturn: allocations over UDP, TCP and TLS and a relayed round trip', async () => {
    const tls = `turns:127.0.0.1:${coturn.tlsPort}?transport=tcp`;
    const serve = await startServe([
      '--no-turn',
      '--turn-secret',
      SECRET,
      ...[...urls, tls].flatMap((u) => ['--turn-url', u]),
    ]);
    try {
      const r = await runDoctor([serve.httpUrl, '--ca', ca.cert]);
      assert.equal(r.code, 0, r.stdout);
      for (const id of ['stun', 'turn-udp', 'turn-tcp', 'turn-tls', 'relay'])
        assert.equal(r.status[id], 'ok', `${id}:\n${r.stdout}`);
      assert.match(
        r.stdout,
        new RegExp(`via turn:127\\.0\\.0\\.1:${coturn.port}\\?transport=udp: round trip`),
      );
    } finally {
      await serve.stop();
    }
  });

  test('with a secret coturn does not know, parley doctor names the refused credentials and exits 1', async () => {
    const serve = await startServe([
      '--no-turn',
      '--turn-secret',
      'not-the-secret',
      ...urls.flatMap((u) => ['--turn-url', u]),
    ]);
    try {
      const r = await runDoctor([serve.httpUrl]);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.status.stun, 'ok', 'STUN needs no credentials');
      for (const id of ['turn-udp', 'turn-tcp', 'relay'])
        assert.equal(r.status[id], 'FAIL', `${id}:\n${r.stdout}`);
      assert.match(
        r.stdout,
        /the credentials were refused \(401 Unauthorized\)\n +fix: the TURN server checks another secret/,
      );
    } finally {
      await serve.stop();
    }
  });

  test('--turn-url without --turn-secret is refused at start, saying why', async () => {
    const r = await run(process.execPath, [
      new URL('../bin/parley.js', import.meta.url).pathname,
      'serve',
      '--port',
      '0',
      '--no-turn',
      '--turn-url',
      urls[0]!,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.output, /--turn-url needs --turn-secret/);
  });
});
