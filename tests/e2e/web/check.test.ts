/**
 * The connectivity check proves the relay path: on a server whose TURN refuses every address this machine
 * has (its default deny-list: loopback, private and reserved ranges), relay addresses are allocated but no
 * data flows, and the page says so with the likely cause; with `--turn-allow-peer` for those addresses the
 * same check passes. Both in Chromium and in Firefox. The page also documents forcing the relay (`?relay=1`).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, startParleyServe } from '../harness/parley-serve.js';
import { ownAddressRanges, shot, type WebPage, waitIn, webE2EForFile } from './harness.js';

// No --turn-allow-peer: TURN refuses to relay to any address of this machine.
const web = webE2EForFile([], ['firefox']);

interface CheckOutcome {
  rows: string[];
  summary: string;
}

async function outcome(p: WebPage): Promise<CheckOutcome> {
  // Each relay path check gives up after 10 s; allocation and STUN take a few seconds more at most.
  const summary = await waitIn(
    p,
    'the check to finish',
    () => document.querySelector('[data-testid=check-summary]')?.textContent,
    null,
    45_000,
  );
  const rows = await p.driver.evaluate(
    () => [...document.querySelectorAll('[data-testid=check-row]')].map((r) => r.textContent ?? ''),
    null,
  );
  return { rows, summary };
}

const row = (o: CheckOutcome, pattern: RegExp) => {
  const found = o.rows.find((r) => pattern.test(r));
  assert.ok(found, `no row matching ${pattern}:\n${o.rows.join('\n')}`);
  return found;
};

for (const browser of ['chromium', 'firefox'] as const) {
  test(
    `${browser}: the check fails on a server whose TURN allocates but cannot relay for this machine, and says why`,
    {
      timeout: 90_000,
    },
    () =>
      web.current.scenario(`check fails ${browser}`, async (s) => {
        const page = await s.openIn(browser, 'check', '/#/check');
        const o = await outcome(page);
        await shot(page, `check-relay-fails-${browser}`, true);
        console.log(
          `${browser} check on a TURN that refuses this machine's addresses:\n  ${o.rows.join('\n  ')}\n  ${o.summary}`,
        );
        row(o, /^✔ Works: Signaling/);
        assert.match(
          row(o, /^✔ Works: Relay over UDP \(TURN\)/),
          /reached over UDP \(turn:.*transport=udp\)/,
        );
        const udp = row(o, /^✘ Fails: Data through the relay over UDP/);
        assert.match(udp, /allocates addresses .* but no data passed through it/);
        assert.match(udp, /Likely cause: the peers' addresses are 127\.0\.0\.1/);
        assert.match(udp, /--turn-allow-peer/);
        row(o, /^✘ Fails: Data through the relay over TCP/);
        assert.match(o.summary, /checks failed.*The relay gives addresses but carries no data/);
      }),
  );
}

test(
  'the check passes on a server with --turn-allow-peer for this machine, in Chromium and Firefox',
  { timeout: 90_000 },
  () =>
    web.current.scenario('check passes', async (s) => {
      const allowing = await startParleyServe([
        '--turn-port',
        '0',
        '--static',
        join(REPO_ROOT, 'apps/web/dist'),
        ...ownAddressRanges().flatMap((r) => ['--turn-allow-peer', r]),
      ]);
      try {
        for (const browser of ['chromium', 'firefox'] as const) {
          const page = await s.openIn(browser, `check-${browser}`, `${allowing.httpUrl}/#/check`);
          const o = await outcome(page);
          await shot(page, `check-relay-passes-${browser}`, true);
          console.log(`${browser} check with --turn-allow-peer:\n  ${o.rows.join('\n  ')}\n  ${o.summary}`);
          for (const transport of ['udp', 'tcp']) {
            const via = transport.toUpperCase();
            // The relay address is UDP whatever the way to the server: the row names the way there.
            assert.match(
              row(o, new RegExp(`^✔ Works: Relay over ${via} \\(TURN\\)`)),
              new RegExp(
                `The relay gave you the address [\\d.]+:\\d+, reached over ${via} \\(turn:.*transport=${transport}\\)`,
              ),
            );
            assert.match(
              row(o, new RegExp(`^✔ Works: Data through the relay over ${via}`)),
              /Data flows through the relay between .*: 20 messages of 1000 bytes there and back/,
            );
          }
          assert.equal(o.rows.filter((r) => r.startsWith('✘')).length, 0, o.rows.join('\n'));
          assert.match(o.summary, /^Everything works/);
        }
      } finally {
        await allowing.stop();
      }
    }),
);

test(
  'the check page documents forcing the relay, and says when this tab forces it',
  { timeout: 60_000 },
  () =>
    web.current.scenario('force relay help', async (s) => {
      const page = await s.open('help', '/#/check');
      await page.page.getByRole('heading', { name: 'Diagnosing a network: force the relay' }).waitFor();
      const href = await page.page
        .getByRole('link', { name: 'Open the app with the relay forced' })
        .getAttribute('href');
      assert.equal(href, '/?relay=1#/');
      const forced = await s.open('forced', '/?relay=1#/check');
      await forced.page.getByTestId('relay-forced').waitFor();
    }),
);
