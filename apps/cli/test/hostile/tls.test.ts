/**
 * The HTTPS port of a real `parley serve --tls-cert` under what a browser never sends: garbage instead of
 * a handshake, plain HTTP, a handshake that stops halfway or is reset, a flood of half-open handshakes
 * from one address, and garbage inside a finished TLS session. After each: the process is alive,
 * /healthz answers over HTTPS and a bystander pair in another room still exchanges messages over WSS.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { SeededRandom } from '@parley/testing';
import {
  assertSurvived,
  type Bystanders,
  bystanders,
  httpsGetText,
  httpsStatus,
  type Serve,
  startServe,
} from './harness.js';
import { issueCert, testCa } from './tls-cert.js';

/** The first bytes a real TLS client sends (its ClientHello), caught by a plain TCP listener. */
async function clientHello(): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const got = once(server, 'connection').then(async (args) => {
    const s = args[0] as Socket;
    const [data] = (await once(s, 'data')) as [Buffer];
    s.destroy();
    return data;
  });
  const client = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost' });
  client.on('error', () => {});
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

/** Opens a TCP connection to the HTTPS port, writes `bytes`, and resolves when the server closes it (with the time it took) or after `waitMs`. */
async function send(serve: Serve, bytes: Buffer, opts: { waitMs?: number; localAddress?: string } = {}) {
  const s = tcpConnect({
    host: serve.host,
    port: serve.port,
    localAddress: opts.localAddress ?? '127.0.0.1',
  });
  s.on('error', () => {});
  s.on('data', () => {});
  await once(s, 'connect');
  const started = Date.now();
  s.write(bytes);
  const closed = await Promise.race([
    once(s, 'close').then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), opts.waitMs ?? 5000)),
  ]);
  s.destroy();
  return { closed, ms: Date.now() - started };
}

/** parley_http_connections_refused_total{limit="perAddress"} from /metrics over HTTPS. */
async function refusedPerAddress(serve: Serve, ca: string): Promise<number> {
  const text = (await httpsGetText(`${serve.httpUrl}/metrics`, ca)).body;
  return Number(/parley_http_connections_refused_total\{limit="perAddress"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe('parley serve over TLS under hostile input', () => {
  let dir: string;
  let ca: string;
  let serve: Serve;
  let pair: Bystanders;
  let hello: Buffer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tls-hostile-'));
    const authority = testCa(dir);
    ca = readFileSync(authority.cert, 'utf8');
    const cert = issueCert(authority, 'server', ['127.0.0.1', 'localhost']);
    serve = await startServe(
      [
        '--tls-cert',
        cert.cert,
        '--tls-key',
        cert.key,
        '--turn-tls-port',
        '0',
        '--headers-timeout',
        '1',
      ].concat(['--max-conns-per-ip', '40']),
      {},
      { ca },
    );
    pair = await bystanders(serve.wsUrl, undefined, {}, { ca });
    hello = await clientHello();
  });
  after(async () => {
    pair?.close();
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('garbage bytes and plain HTTP instead of a handshake cost only their own connection', async () => {
    const random = new SeededRandom(20261207);
    for (let i = 0; i < 20; i++) {
      const garbage = Buffer.from(Array.from({ length: 1 + random.int(4096) }, () => random.int(256)));
      const r = await send(serve, garbage);
      assert.ok(r.closed, `garbage ${i} (${garbage.length} bytes) was not closed`);
    }
    // A TLS record header that declares a huge record, then nothing.
    assert.ok((await send(serve, Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff]))).closed);
    const http = await send(serve, Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.ok(http.closed, 'plain HTTP on the HTTPS port is closed');
    await assertSurvived(serve, pair);
  });

  test('a handshake that stops halfway is cut after --headers-timeout; one reset halfway costs nothing', async () => {
    const half = await send(serve, hello.subarray(0, Math.floor(hello.length / 2)), { waitMs: 8000 });
    console.log(
      `# half-open handshake (${Math.floor(hello.length / 2)} of ${hello.length} bytes) closed after ${half.ms} ms`,
    );
    assert.ok(half.closed && half.ms < 4000, `half-open handshake closed after ${half.ms} ms`);
    const whole = await send(serve, hello, { waitMs: 8000 });
    assert.ok(whole.closed, 'a ClientHello with no reply to the server is cut too');
    for (let i = 0; i < 20; i++) {
      const s = tcpConnect({ host: serve.host, port: serve.port });
      s.on('error', () => {});
      await once(s, 'connect');
      s.write(hello.subarray(0, 10 + i * 7));
      await new Promise((r) => setTimeout(r, 5));
      s.resetAndDestroy();
    }
    await assertSurvived(serve, pair);
  });

  test('a flood of half-open handshakes from one address meets --max-conns-per-ip; others are served', async () => {
    const refusedBefore = await refusedPerAddress(serve, ca);
    const sockets: Socket[] = [];
    let closed = 0;
    for (let i = 0; i < 120; i++) {
      const s = tcpConnect({ host: serve.host, port: serve.port, localAddress: '127.0.0.3' });
      s.on('error', () => {});
      s.on('close', () => closed++);
      s.on('connect', () => s.write(hello.subarray(0, 30)));
      s.resume(); // reads, so that it sees the server's FIN
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 200));
    // While the flood holds its connections, the bystanders and a new HTTPS client are served.
    assert.equal(await httpsStatus(`${serve.httpUrl}/healthz`, ca), 200);
    await pair.roundTrip();
    // The admitted ones are cut by the handshake deadline (--headers-timeout 1), the rest were refused.
    const deadline = Date.now() + 10_000;
    while (closed < 120 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(closed, 120, 'every half-open handshake of the flood is closed');
    const refused = (await refusedPerAddress(serve, ca)) - refusedBefore;
    console.log(
      `# flood: ${refused} of 120 half-open handshakes from 127.0.0.3 refused at accept, the rest cut after 1 s`,
    );
    assert.ok(refused >= 120 - 40, `connections past the per-address bound are refused (${refused})`);
    await assertSurvived(serve, pair);
  });

  test('garbage inside a finished TLS session gets 400 and the connection closed', async () => {
    const s = tlsConnect({ host: serve.host, port: serve.port, ca, servername: 'localhost' });
    s.on('error', () => {});
    await once(s, 'secureConnect');
    let out = '';
    s.on('data', (d) => {
      out += d;
    });
    s.write(Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 13, 10, 13, 10]));
    await Promise.race([once(s, 'close'), new Promise((r) => setTimeout(r, 3000))]);
    s.destroy();
    assert.match(out, /^HTTP\/1\.1 400/);
    await assertSurvived(serve, pair);
  });
});
