/**
 * Recovery shows as a state: when a participant's signaling connection drops (cut at a TCP proxy, new
 * connections refused for a while), the room says it is reconnecting while the call goes on peer to peer,
 * and once signaling is back the banner goes and the room works as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTcpProxy } from '../harness/tcp-proxy.js';
import { joinCall, shot, tiles, waitFramesRising, waitIn, waitRemotes, webE2EForFile } from './harness.js';

const web = webE2EForFile();

test(
  'a signaling drop shows "reconnecting" without ending the call, and clears once resumed',
  { timeout: 120_000 },
  () =>
    web.current.scenario('signaling drop', async (s) => {
      const proxy = await startTcpProxy(web.current.serve.wsUrl);
      try {
        const room = `drop-${Date.now().toString(36)}`;
        const alice = await s.open('alice', `/#/r/${room}`);
        await joinCall(alice, 'Alice');
        // Bob loads the app, and so reaches signaling, through the proxy.
        const bob = await s.open(
          'bob',
          `${proxy.wsUrl.replace(/^ws/, 'http').replace(/\/ws$/, '')}/#/r/${room}`,
        );
        await joinCall(bob, 'Bob');
        await waitRemotes(bob, ['Alice']);
        await waitFramesRising(bob);
        const aliceId = (await tiles(bob)).find((t) => t.name === 'Alice')?.id;

        proxy.refuse(true);
        proxy.cut();
        await waitIn(
          bob,
          'the reconnecting banner',
          () => document.querySelector('[data-testid=room-state]')?.textContent?.includes('Reconnecting'),
          null,
        );
        // The call itself carries on peer to peer.
        await waitFramesRising(bob);
        assert.equal((await tiles(bob)).find((t) => t.name === 'Alice')?.id, aliceId);
        await shot(bob, 'reconnecting');

        proxy.refuse(false);
        await waitIn(
          bob,
          'the banner to clear',
          () => !document.querySelector('[data-testid=room-state]'),
          null,
          20_000,
        );
        await waitRemotes(alice, ['Bob']);
        await bob.page.getByTestId('chat-toggle').click();
        await bob.page.getByLabel('Message', { exact: true }).fill('back again');
        await bob.page.getByRole('button', { name: 'Send' }).click();
        await waitIn(
          alice,
          'the unread message',
          () => document.querySelector('[data-testid=unread]')?.textContent === '1',
          null,
        );
        assert.ok(proxy.accepted >= 2, 'bob reconnected through the proxy');
      } finally {
        await proxy.close();
      }
    }),
);
