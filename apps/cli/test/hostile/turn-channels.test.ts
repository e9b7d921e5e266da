/**
 * Defect 7: one user bound 65,536 channels in seconds (16,384 per allocation were allowed). Channel
 * bindings are capped per allocation (default 256) and per user (default 1024) with 508; permissions per
 * allocation are bounded by the per-user permission quota (default 100).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChannelNumber, Method, RequestedTransport, XorPeerAddress } from '@parley/stun';
import { attr, errorCode, UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential } from '@parley/turn';
import { withServe } from './harness.js';

const SECRET = 'hostile-channels';
// Peers in an allow-listed range, off the server's own address (no port of a server IP is a peer).
const ARGS = ['--turn-secret', SECRET, '--turn-allow-peer', '127.0.0.0/8'];

async function allocation(port: number, user: string): Promise<UdpTurnClient> {
  const credential = mintRestCredential(SECRET, user, Math.floor(Date.now() / 1000) + 3600);
  const c = await UdpTurnClient.open({ host: '127.0.0.1', port }, credential);
  assert.equal(errorCode(await c.allocate([attr(RequestedTransport, 17)])), undefined);
  return c;
}

/** ChannelBind `number` to 127.0.0.3:`peerPort`; the error code, undefined for success. */
async function bind(c: UdpTurnClient, number: number, peerPort: number, ip = '127.0.0.3') {
  const res = await c.request(Method.ChannelBind, [
    attr(ChannelNumber, number),
    attr(XorPeerAddress, { family: 'IPv4', address: ip, port: peerPort }),
  ]);
  return errorCode(res);
}

/** Binds channels 0x4000 + from … + to - 1 (peer port 10000 + n), 32 requests at a time; returns the codes. */
async function bindRange(c: UdpTurnClient, from: number, to: number): Promise<(number | undefined)[]> {
  const codes: (number | undefined)[] = [];
  for (let n = from; n < to; n += 32) {
    const batch = Array.from({ length: Math.min(32, to - n) }, (_, k) =>
      bind(c, 0x4000 + n + k, 10_000 + n + k),
    );
    codes.push(...(await Promise.all(batch)));
  }
  return codes;
}

test('default: channel 257 on one allocation gets 508; a refresh and another allocation still bind', async () => {
  await withServe(ARGS, async (serve) => {
    const a = await allocation(serve.turnPort!, 'chan-a');
    const b = await allocation(serve.turnPort!, 'chan-b');
    try {
      const codes = await bindRange(a, 0, 256);
      assert.deepEqual(
        codes.filter((c) => c !== undefined),
        [],
        'the first 256 bind',
      );
      assert.equal(await bind(a, 0x4000 + 256, 10_256), 508, 'channel 257 on the allocation');
      assert.equal(await bind(a, 0x4000, 10_000), undefined, 'refreshing a bound channel is free');
      assert.equal(await bind(b, 0x4000, 10_000), undefined, 'another allocation binds');
      console.log('# channel 257 on one allocation → 508; refresh → success; other allocation → success');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

test('--turn-channels-per-user caps one user across allocations with 508', async () => {
  await withServe([...ARGS, '--turn-channels-per-user', '300'], async (serve) => {
    const a1 = await allocation(serve.turnPort!, 'same-user');
    const a2 = await allocation(serve.turnPort!, 'same-user');
    const other = await allocation(serve.turnPort!, 'someone-else');
    try {
      assert.deepEqual((await bindRange(a1, 0, 256)).filter(Boolean), []);
      assert.deepEqual((await bindRange(a2, 0, 44)).filter(Boolean), [], 'bindings 257–300 of the user');
      assert.equal(await bind(a2, 0x4000 + 44, 10_044), 508, 'binding 301 of the user');
      assert.equal(await bind(other, 0x4000, 10_000), undefined, 'another user binds');
      console.log('# binding 301 of one user (2 allocations) → 508; another user → success');
    } finally {
      await a1.close();
      await a2.close();
      await other.close();
    }
  });
});

test('default: permission 101 of an allocation gets 508 (CreatePermission and ChannelBind alike)', async () => {
  await withServe(ARGS, async (serve) => {
    const a = await allocation(serve.turnPort!, 'perm');
    try {
      const perm = async (ip: string) =>
        errorCode(
          await a.request(Method.CreatePermission, [
            attr(XorPeerAddress, { family: 'IPv4', address: ip, port: 9 }),
          ]),
        );
      const codes: (number | undefined)[] = [];
      for (let i = 0; i < 100; i += 25) {
        codes.push(
          ...(await Promise.all(Array.from({ length: 25 }, (_, k) => perm(`127.0.1.${i + k + 1}`)))),
        );
      }
      assert.deepEqual(codes.filter(Boolean), [], 'the first 100 permissions');
      assert.equal(await perm('127.0.2.1'), 508, 'permission 101');
      assert.equal(await bind(a, 0x4000, 9, '127.0.2.2'), 508, 'a ChannelBind needing permission 101');
      assert.equal(await bind(a, 0x4000, 9, '127.0.1.1'), undefined, 'a channel to a permitted IP');
      console.log('# permission 101 on one allocation → 508 (CreatePermission and ChannelBind)');
    } finally {
      await a.close();
    }
  });
});
