/**
 * The SDK in Firefox (Debian's firefox-esr, puppeteer-core over WebDriver BiDi) beside Chromium: a Firefox
 * page and a Node peer (node-datachannel), each side offering once; a Firefox page and a Chromium page.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type E2E, startE2E } from './harness/e2e.js';
import { sdkNodePeer, stopNodeDataChannel } from './harness/node-peer.js';
import { errors, join, messages, roomName, waitOpen } from './harness/sdk-steps.js';
import { waitUntil } from './harness/wait.js';

let e2e: E2E;
before(async () => {
  e2e = await startE2E({ also: ['firefox'] });
  console.log(`browsers: Chromium ${e2e.browser.version()}, ${e2e.others.get('firefox')?.version}`);
});
after(async () => {
  await e2e?.close();
  stopNodeDataChannel();
});

for (const nodeFirst of [true, false]) {
  test(
    `a Firefox page and a Node peer connect and exchange messages both ways (${nodeFirst ? 'the page offers' : 'the Node peer offers'})`,
    { timeout: 60_000 },
    () =>
      e2e.scenario(`firefox sdk and node ${nodeFirst ? 'page offers' : 'node offers'}`, async (s) => {
        const room = roomName('ff-node');
        const node = sdkNodePeer();
        s.defer(() => node.leave());
        s.watch('node', () => node.describe());
        const page = await s.openPageIn('firefox', 'firefox', 'sdk');
        let n: { selfId: string };
        let p: { selfId: string; peers: string[] };
        if (nodeFirst) {
          n = await node.join(s.wsUrl, room);
          p = await join(page, s.wsUrl, room);
          assert.deepEqual(p.peers, [n.selfId], 'the Firefox page finds the Node peer');
        } else {
          p = await join(page, s.wsUrl, room);
          n = await node.join(s.wsUrl, room);
        }
        // As with Chromium, libdatachannel's first DTLS handshake as the offerer may fail; the SDK recovers.
        await waitOpen(page, n.selfId);
        await waitUntil(() => node.isOpen(p.selfId), {
          what: 'the Node peer channel to open',
          timeoutMs: 20_000,
          describe: () => node.describe(),
        });
        node.send(p.selfId, 'hello from node');
        node.sendBytes(p.selfId, [1, 2, 3]);
        await page.evaluate((to) => window.e2e.sdk!.send(to, 'hello from firefox'), n.selfId);
        await page.waitFor('2 messages from the Node peer', () => window.e2e.sdk!.messages.length >= 2);
        await waitUntil(() => node.messages.length >= 1, {
          what: 'the message from Firefox',
          describe: () => node.describe(),
        });
        assert.deepEqual(
          (await messages(page)).map((m) => m.data),
          ['hello from node', 'bytes:1,2,3'],
        );
        assert.deepEqual(node.messages, [{ from: p.selfId, label: 'parley', data: 'hello from firefox' }]);
        assert.deepEqual(await errors(page), []);
        assert.deepEqual(node.errors, []);
      }),
  );
}

test(
  'a Firefox page and a Chromium page exchange messages on the default and a named channel',
  { timeout: 60_000 },
  () =>
    e2e.scenario('firefox and chromium sdk', async (s) => {
      const room = roomName('ff-cr');
      const fox = await s.openPageIn('firefox', 'firefox', 'sdk');
      const chrome = await s.openPage('chromium', 'sdk');
      const f = await join(fox, s.wsUrl, room);
      const c = await join(chrome, s.wsUrl, room);
      assert.deepEqual(c.peers, [f.selfId]);
      await waitOpen(fox, c.selfId);
      await waitOpen(chrome, f.selfId);
      await fox.evaluate((to) => window.e2e.sdk!.send(to, 'from firefox'), c.selfId);
      await chrome.evaluate((to) => window.e2e.sdk!.send(to, 'from chromium'), f.selfId);
      await chrome.evaluate(
        (to) => window.e2e.sdk!.openChannel(to, 'game', { ordered: false, maxRetransmits: 0 }),
        f.selfId,
      );
      await waitOpen(chrome, f.selfId, 'game');
      await waitOpen(fox, c.selfId, 'game');
      assert.equal(
        (await fox.evaluate((from) => window.e2e.sdk!.channelOptions(from, 'game'), c.selfId))?.ordered,
        false,
        'Firefox sees the unordered channel as Chromium made it',
      );
      await chrome.evaluate((to) => window.e2e.sdk!.sendOn(to, 'game', 'move 1', 'move 2'), f.selfId);
      await fox.waitFor('3 messages from Chromium', () => window.e2e.sdk!.messages.length >= 3);
      await chrome.waitFor('the message from Firefox', () => window.e2e.sdk!.messages.length >= 1);
      assert.deepEqual((await messages(fox)).map((m) => `${m.label}:${m.data}`).sort(), [
        'game:move 1',
        'game:move 2',
        'parley:from chromium',
      ]);
      assert.deepEqual(await messages(chrome), [{ from: f.selfId, label: 'parley', data: 'from firefox' }]);
    }),
);
