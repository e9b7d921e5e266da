/**
 * The code check between two real node-datachannel peers through a real server: the same code
 * authenticates both ways over the connection's DTLS fingerprints; another code fails on both sides with
 * AUTH_FAILED at once (by the key confirmation, not a timeout). The man-in-the-middle cases run through the
 * CLI in apps/cli/test/send-receive-mitm.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '@parley/server';
import { authenticate } from '../src/files/index.js';
import type { Room } from '../src/index.js';
import { pair } from './files-helpers.js';
import { releaseNative, startTestServer } from './helpers.js';

describe('authenticate (SPAKE2 by the transfer code)', () => {
  let server: RunningServer;
  const rooms: Room[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const r of rooms) await r.leave();
    await server.close();
    releaseNative();
  });

  it('the same code: both sides are through, and both see the same two fingerprints', async () => {
    const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'auth-same');
    rooms.push(a, b);
    await Promise.all([
      authenticate(bOnA, '4127-oak-fox', 'sender'),
      authenticate(aOnB, '4127-oak-fox', 'receiver'),
    ]);
    const fa = bOnA.fingerprints();
    const fb = aOnB.fingerprints();
    assert.ok(fa && fb);
    assert.match(fa.local, /^sha-256 [0-9A-F:]+$/);
    assert.equal(fa.local, fb.remote);
    assert.equal(fa.remote, fb.local);
    assert.notEqual(fa.local, fa.remote);
  });

  it('another code: both sides fail with AUTH_FAILED, and say why', async () => {
    const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'auth-other');
    rooms.push(a, b);
    const started = performance.now();
    const results = await Promise.allSettled([
      authenticate(bOnA, '4127-oak-fox', 'sender', { timeoutMs: 20_000 }),
      authenticate(aOnB, '4127-oak-fog', 'receiver', { timeoutMs: 20_000 }),
    ]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason as { code: string; message: string };
      assert.equal(err.code, 'AUTH_FAILED');
      assert.match(err.message, /the code did not match, or someone is in the middle/);
    }
    assert.ok(performance.now() - started < 15_000, 'by the confirmation, not the timeout');
  });
});
