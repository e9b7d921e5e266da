/**
 * Protected rooms from a browser: `parley serve --room-secret` refuses joins without a valid room token,
 * and a token printed by `parley token` lets a page in.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mintRoomToken } from '@parley/server';
import { type E2E, type PeerPage, startE2E } from './harness/e2e.js';

const SECRET = 'e2e-room-secret-0123456789abcdef';
const CLI = fileURLToPath(new URL('../../apps/cli/bin/parley.js', import.meta.url));

let e2e: E2E;
before(async () => {
  e2e = await startE2E({ serveArgs: ['--room-secret', SECRET] });
});
after(async () => {
  await e2e?.close();
});

/** A token from the real `parley token` command. */
function cliToken(room: string): string {
  return execFileSync(process.execPath, [CLI, 'token', '--room', room, '--secret', SECRET, '--ttl', '120'], {
    encoding: 'utf8',
  }).trim();
}

/** Joins and says how it went: 'joined', or the error code the SDK rejected with. */
const tryJoin = (peer: PeerPage, url: string, room: string, token?: string) =>
  peer.evaluate(
    async ({ url, room, token }) => {
      try {
        await window.e2e.sdk!.join(url, room, token ? { token } : {});
        return 'joined';
      } catch (err) {
        return (err as { code?: string }).code ?? String(err);
      }
    },
    { url, room, token },
  );

test('pages holding a token from `parley token` join a protected room and connect', { timeout: 60_000 }, () =>
  e2e.scenario('token admits', async (s) => {
    const room = `vip-${Date.now().toString(36)}`;
    const alice = await s.openPage('alice', 'sdk');
    const bob = await s.openPage('bob', 'sdk');
    const token = cliToken(room);
    assert.equal(await tryJoin(alice, s.wsUrl, room, token), 'joined');
    assert.equal(await tryJoin(bob, s.wsUrl, room, token), 'joined');
    const bobId = await bob.evaluate(() => window.e2e.sdk!.room!.selfId);
    await alice.waitFor('the channel to bob to open', (to) => window.e2e.sdk!.isOpen(to), bobId);
    await alice.evaluate((to) => window.e2e.sdk!.send(to, 'members only'), bobId);
    await bob.waitFor('the message from alice', () => window.e2e.sdk!.messages[0]);
    assert.equal((await bob.evaluate(() => window.e2e.sdk!.messages))[0]?.data, 'members only');
  }),
);

test('a page without a valid room token is refused with UNAUTHORIZED', { timeout: 60_000 }, () =>
  e2e.scenario('token refuses', async (s) => {
    const room = `vip-${Date.now().toString(36)}`;
    const page = await s.openPage('page', 'sdk');
    assert.equal(await tryJoin(page, s.wsUrl, room), 'UNAUTHORIZED', 'no token');
    assert.equal(
      await tryJoin(page, s.wsUrl, room, mintRoomToken(SECRET, 'another-room', 120)),
      'UNAUTHORIZED',
      'a token for another room',
    );
    assert.equal(
      await tryJoin(page, s.wsUrl, room, mintRoomToken('not-the-secret-000000000000000', room, 120)),
      'UNAUTHORIZED',
      'a token signed with another secret',
    );
    assert.equal(
      await tryJoin(page, s.wsUrl, room, mintRoomToken(SECRET, room, 120)),
      'joined',
      'and a good token still works',
    );
  }),
);
