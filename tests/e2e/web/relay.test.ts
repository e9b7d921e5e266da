/**
 * Relay only: with `?relay=1` the web app forces iceTransportPolicy 'relay', so two participants reach each
 * other through our TURN server only, and their tiles say "relayed". The connectivity check page finds
 * signaling, STUN and TURN working. The machine's own addresses are allow-listed for TURN (its default deny-list refuses them).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  joinCall,
  ownAddressRanges,
  shot,
  tiles,
  waitFramesRising,
  waitIn,
  waitRemotes,
  webE2EForFile,
} from './harness.js';

const web = webE2EForFile(ownAddressRanges().flatMap((r) => ['--turn-allow-peer', r]));

test(
  'two participants with relay-only ICE connect through our TURN and the UI says "relayed"',
  { timeout: 120_000 },
  () =>
    web.current.scenario('relay only', async (s) => {
      const room = `relay-${Date.now().toString(36)}`;
      const alice = await s.open('alice', `/?relay=1#/r/${room}`);
      await joinCall(alice, 'Alice');
      const bob = await s.open('bob', `/?relay=1#/r/${room}`);
      await joinCall(bob, 'Bob');
      for (const [p, other] of [
        [alice, 'Bob'],
        [bob, 'Alice'],
      ] as const) {
        await waitRemotes(p, [other]);
        await waitIn(
          p,
          `the tile of ${other} to say relayed`,
          (name) => document.querySelector(`.tile[data-name="${name}"] .conn`)?.textContent === 'relayed',
          other,
          30_000,
        );
        await waitFramesRising(p);
        const tile = (await tiles(p)).find((t) => t.name === other);
        assert.equal(tile?.path, 'relayed');
      }
      await alice.page.getByRole('button', { name: 'Connection info for Bob' }).click();
      await waitIn(
        alice,
        'the info to show a relay pair',
        () => document.querySelector('.conn-info')?.textContent?.includes('relay'),
        null,
      );
      await shot(alice, 'relayed');
    }),
);

test('the connectivity check page finds signaling, STUN and TURN working', { timeout: 60_000 }, () =>
  web.current.scenario('connectivity check', async (s) => {
    const page = await s.open('check', '/#/check');
    const summary = await waitIn(
      page,
      'the check to finish',
      () => document.querySelector('[data-testid=check-summary]')?.textContent,
      null,
      30_000,
    );
    const rows = await page.page.evaluate(() =>
      [...document.querySelectorAll('[data-testid=check-row]')].map((r) => r.textContent ?? ''),
    );
    await shot(page, 'check');
    assert.ok(
      rows.some((r) => r.startsWith('✔ Works: Signaling')),
      rows.join('\n'),
    );
    assert.ok(
      rows.some((r) => r.startsWith('✔ Works: Your address as others see it (STUN)')),
      rows.join('\n'),
    );
    assert.ok(
      rows.some((r) => /^✔ Works: Relay over UDP \(TURN\)/.test(r)),
      rows.join('\n'),
    );
    assert.match(summary, /Everything works/);
  }),
);
