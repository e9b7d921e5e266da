/**
 * The inputs that once ended `parley serve`, each against the real process: afterwards it is alive,
 * /healthz answers and a bystander pair in another room still exchanges messages.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertSurvived, type Bystanders, bystanders, type Serve, startServe } from './harness.js';
import { REFUSED_FRAMES, rawUpgrade } from './raw-ws.js';

describe('inputs that once crashed parley serve', () => {
  let serve: Serve;
  let pair: Bystanders;
  before(async () => {
    // A web app of its own, so the static-file paths are exercised whether or not apps/web is built.
    const dir = mkdtempSync(join(tmpdir(), 'parley-static-'));
    writeFileSync(join(dir, 'index.html'), `<!doctype html><title>t</title>${'x'.repeat(2000)}`);
    serve = await startServe(['--static', dir]);
    pair = await bystanders(serve.wsUrl);
  });
  after(async () => {
    pair.close();
    await serve.stop();
  });

  test('a Range header in any form gets an answer, never a crash (an inverted range once killed the process)', async () => {
    const ranges = [
      'bytes=10-5',
      'bytes=-5',
      'bytes=5-',
      'bytes=abc',
      'bytes=0-0,9-3',
      'bytes=99999999-',
      'items=0-1',
      'bytes=-0',
      'bytes=1-2-3',
    ];
    for (const path of ['/', '/index.html', '/room/x']) {
      for (const range of ranges) {
        const r = await fetch(`${serve.httpUrl}${path}`, { headers: { range } });
        await r.arrayBuffer();
        assert.ok([200, 206, 416].includes(r.status), `${path} ${range}: ${r.status}`);
      }
    }
    const inverted = await fetch(`${serve.httpUrl}/index.html`, { headers: { range: 'bytes=10-5' } });
    assert.equal(inverted.status, 416);
    await assertSurvived(serve, pair);
  });

  for (const offer of [undefined, 'parley.v2', 'chat, superchat']) {
    test(`after a handshake offering ${offer ?? 'no subprotocol'}, every frame ws refuses costs only that socket`, async () => {
      for (const [what, bytes] of Object.entries(REFUSED_FRAMES)) {
        const raw = await rawUpgrade(serve.host, serve.port, offer);
        assert.match(raw.head, /^HTTP\/1\.1 101/, `${what}: ${raw.head}`);
        raw.socket.write(bytes);
        await Promise.race([raw.ended, new Promise((r) => setTimeout(r, 1000))]);
        raw.socket.destroy();
        assert.ok(serve.alive(), `${what} ended the process:\n${serve.output().slice(-2000)}`);
      }
      await assertSurvived(serve, pair);
    });
  }

  test('sockets reset at every moment of the handshake cost only themselves', async () => {
    const request = `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: parley.v1\r\n\r\n`;
    for (let cut = 0; cut <= request.length; cut += 7) {
      const s = connect({ host: serve.host, port: serve.port });
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      s.write(request.slice(0, cut));
      await new Promise((r) => setImmediate(r));
      s.resetAndDestroy();
    }
    // And refused upgrades (wrong path, bad version) reset right after the answer.
    for (const line of ['GET /nope HTTP/1.1', 'GET /ws HTTP/1.1']) {
      const s = connect({ host: serve.host, port: serve.port });
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      s.write(
        `${line}\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\n\r\n`,
      );
      await new Promise((r) => setTimeout(r, 20));
      s.resetAndDestroy();
    }
    await assertSurvived(serve, pair);
  });
});
