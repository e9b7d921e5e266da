/** The HTTP side of a real `parley serve` under requests a browser would never send. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { assertSurvived, type Bystanders, bystanders, type Serve, startServe } from './harness.js';

/** Sends raw bytes on a fresh connection and resolves with everything received until the server closes (or 3 s). */
async function raw(serve: Serve, bytes: string, waitMs = 3000): Promise<string> {
  const s = connect({ host: serve.host, port: serve.port });
  s.on('error', () => {});
  let out = '';
  s.on('data', (d) => {
    out += d.toString('latin1');
  });
  await new Promise((r) => s.once('connect', r));
  s.write(bytes);
  await Promise.race([new Promise((r) => s.once('close', r)), new Promise((r) => setTimeout(r, waitMs))]);
  s.destroy();
  return out;
}

describe('parley serve over HTTP', () => {
  let serve: Serve;
  let pair: Bystanders;
  before(async () => {
    serve = await startServe(['--headers-timeout', '1']);
    pair = await bystanders(serve.wsUrl);
  });
  after(async () => {
    pair.close();
    await serve.stop();
  });

  test('every response carries the security headers the web app needs', async () => {
    for (const path of ['/', '/healthz', '/nope.js']) {
      const r = await fetch(`${serve.httpUrl}${path}`);
      await r.arrayBuffer();
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /script-src 'self'/, path);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', path);
      assert.match(r.headers.get('permissions-policy') ?? '', /camera=\(self\)/, path);
    }
  });

  test('only GET and HEAD are answered; source maps are not served', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await fetch(`${serve.httpUrl}/`, { method });
      await r.arrayBuffer();
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get('allow'), 'GET, HEAD');
    }
    const head = await fetch(`${serve.httpUrl}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    const map = await fetch(`${serve.httpUrl}/assets/index.js.map`);
    await map.arrayBuffer();
    assert.equal(map.status, 404);
    const traversal = await raw(
      serve,
      'GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.doesNotMatch(traversal, /root:/);
  });

  test('requests Node cannot parse get 400, oversized headers 431, and the server goes on', async () => {
    assert.match(await raw(serve, 'BLAH\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.match(
      await raw(
        serve,
        'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
      ),
      /^HTTP\/1\.1 400/,
    );
    assert.match(
      await raw(serve, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      /^HTTP\/1\.1 431/,
    );
    assert.match(await raw(serve, 'GET / HTTP/1.1\r\nHost: \x00\x01\r\n\r\n'), /^HTTP\/1\.1 400/);
    await assertSurvived(serve, pair);
  });

  test('a slow sender is cut at the headers timeout, and pipelined requests are each answered', async () => {
    const started = Date.now();
    const slow = await raw(serve, 'GET / HTTP/1.1\r\nHost: x\r\n', 8000);
    const took = Date.now() - started;
    assert.ok(took < 4000, `cut after ${took} ms (timeout 1 s)`);
    assert.match(slow, /^HTTP\/1\.1 408/);
    const piped = await raw(
      serve,
      'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(5) +
        'GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.equal(piped.match(/HTTP\/1\.1 200/g)?.length, 6);
    await assertSurvived(serve, pair);
  });
});

test('with --metrics-allow, /metrics answers only the listed addresses; /healthz stays open', async () => {
  const { get } = await import('node:http');
  const status = (url: string, localAddress: string) =>
    new Promise<number>((resolve, reject) => {
      get(url, { localAddress }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
  const serve = await startServe(['--metrics-allow', '127.0.0.2/32']);
  try {
    assert.equal(await status(`${serve.httpUrl}/metrics`, '127.0.0.1'), 403);
    assert.equal(await status(`${serve.httpUrl}/metrics`, '127.0.0.2'), 200);
    assert.equal(await status(`${serve.httpUrl}/healthz`, '127.0.0.1'), 200);
  } finally {
    await serve.stop();
  }
  const { spawnSync } = await import('node:child_process');
  const bad = spawnSync(process.execPath, [
    new URL('../../bin/parley.js', import.meta.url).pathname,
    'serve',
    '--metrics-allow',
    '10.0.0.0/99',
  ]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr.toString(), /not an address or CIDR block/);
});
