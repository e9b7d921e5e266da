import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, until } from '@parley/testing';
import { runDoctor } from './doctor-run.js';
import { type Serve, startServe } from './hostile/harness.js';
import { issueCert, type TestCa, testCa } from './hostile/tls-cert.js';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));

// TURN relays between the probe's two loopback relayed addresses only when allowed to.
const ALLOW = ['--turn-allow-peer', '127.0.0.0/8'];

describe('parley doctor', () => {
  let dir: string;
  let ca: TestCa;
  let cert: { cert: string; key: string };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-doctor-'));
    ca = testCa(dir);
    cert = issueCert(ca, 'server', ['127.0.0.1']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a healthy parley serve passes every check (TURN over UDP, TCP and TLS, a relayed round trip) and exits 0', async () => {
    const serve = await startServe([...ALLOW, '--turn-cert', cert.cert, '--turn-key', cert.key]);
    try {
      const r = await runDoctor([serve.httpUrl, '--ca', ca.cert]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const id of [
        'http',
        'clock',
        'ready',
        'websocket',
        'join',
        'stun',
        'turn-udp',
        'turn-tcp',
        'turn-tls',
        'relay',
      ])
        assert.equal(r.status[id], 'ok', `${id}:\n${r.stdout}`);
      assert.equal(r.status['tls-cert'], 'skip', 'plain HTTP has no certificate');
      assert.match(r.stdout, /protocol parley\.v1/);
      assert.match(r.stdout, /sees this machine as 127\.0\.0\.1:\d+/);
      assert.match(r.stdout, /round trip in \d+ ms/);
      assert.match(r.stdout, /passed, 0 failed, 1 skipped: healthy/);

      const json = await runDoctor([serve.wsUrl, '--json', '--ca', ca.cert]);
      assert.equal(json.code, 0, json.stdout);
      const report = JSON.parse(json.stdout) as {
        healthy: boolean;
        checks: { id: string; status: string }[];
      };
      assert.equal(report.healthy, true);
      assert.equal(report.checks.find((c) => c.id === 'relay')?.status, 'pass');
    } finally {
      await serve.stop();
    }
  });

  test('over HTTPS it checks the certificate, and names one that expires within a week', async () => {
    const serve = await startServe(
      [...ALLOW, '--tls-cert', cert.cert, '--tls-key', cert.key],
      {},
      { ca: ca.cert },
    );
    try {
      const r = await runDoctor([serve.httpUrl, '--ca', ca.cert]);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.status['tls-cert'], 'FAIL', r.stdout);
      assert.match(r.stdout, /tls-cert +server by Parley test CA, expires .* \(\d\.\d days\)\n +fix: renew/);
      // TURN over TLS takes the same certificate, and the rest passes.
      for (const id of ['http', 'websocket', 'join', 'turn-udp', 'turn-tls', 'relay'])
        assert.equal(r.status[id], 'ok', `${id}:\n${r.stdout}`);
      const untrusted = await runDoctor([serve.httpUrl]);
      assert.equal(untrusted.code, 1);
      assert.equal(untrusted.status.http, 'FAIL', untrusted.stdout);
      assert.match(untrusted.stdout, /TLS: .*\n +fix: serve a certificate browsers trust/);
    } finally {
      await serve.stop();
    }
  });

  test('a TURN that allocates but will not relay for these addresses fails the relay check, with the cause', async () => {
    // No --turn-allow-peer: the TURN server's default deny-list refuses loopback peers.
    const serve = await startServe([]);
    try {
      const r = await runDoctor([serve.httpUrl]);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.status['turn-udp'], 'ok', r.stdout);
      assert.equal(r.status.relay, 'FAIL', r.stdout);
      assert.match(
        r.stdout,
        /relay +turn:\S+: refused \(403 Forbidden\)\n +fix: the TURN server will not relay between its own relayed addresses.*--turn-allow-peer/,
      );
    } finally {
      await serve.stop();
    }
  });

  test('with TURN off it fails STUN and TURN, says how to turn them on, and exits 1', async () => {
    const serve = await startServe(['--no-turn']);
    try {
      const r = await runDoctor([serve.httpUrl]);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.status.join, 'ok', r.stdout);
      assert.equal(r.status.stun, 'FAIL');
      assert.equal(r.status.turn, 'FAIL');
      assert.match(r.stdout, /hands out no TURN server.*\n +fix: run parley serve without --no-turn/);
      assert.match(r.stdout, /: not healthy$/m);
    } finally {
      await serve.stop();
    }
  });

  test('a server that is not there fails the first check, names the address, and exits 1', async () => {
    const port = await freeTcpPort();
    const r = await runDoctor([`http://127.0.0.1:${port}`, '--timeout', '3']);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.status.http, 'FAIL');
    assert.match(r.stdout, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/healthz: .*ECONNREFUSED`));
    assert.match(r.stdout, /fix: is parley serve running there\?/);
  });

  test('a probe join a server refuses is named with its error code', async () => {
    const serve: Serve = await startServe([...ALLOW, '--room-secret', 'a-room-secret-of-32-characters!!']);
    try {
      const r = await runDoctor([serve.httpUrl]);
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.status.join, 'FAIL');
      assert.match(r.stdout, /refused: UNAUTHORIZED: .*\n +fix: the server wants a room token/);
    } finally {
      await serve.stop();
    }
  });

  test('a cluster node whose Redis is down fails readiness, and says so', async (t) => {
    const help = spawnSync(process.execPath, [BIN, 'serve', '--help'], { encoding: 'utf8' }).stdout;
    if (!help.includes('--redis')) return t.skip('cluster mode (--redis) is not in this build yet');
    const redisPort = await freeTcpPort();
    const redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    let serve: Awaited<ReturnType<typeof startServe>> | undefined;
    try {
      serve = await startServe([
        ...ALLOW,
        '--redis',
        `redis://127.0.0.1:${redisPort}`,
        '--cluster-secret',
        'doctor-test-cluster-secret-32-chars',
      ]);
      const url = serve.httpUrl;
      await until(
        async () => (await runDoctor([url])).code === 0,
        'the node to be ready with Redis up',
        30_000,
        500,
      );
      redis.kill('SIGKILL');
      let last = await runDoctor([url]);
      await until(
        async () => {
          last = await runDoctor([url]);
          return last.status.ready === 'FAIL';
        },
        'doctor to see the node not ready',
        30_000,
        500,
      );
      assert.equal(last.code, 1);
      assert.match(last.stdout, /\/readyz 503.*\n +fix: the node is not ready/);
    } finally {
      redis.kill('SIGKILL');
      await serve?.stop();
    }
  });
});
