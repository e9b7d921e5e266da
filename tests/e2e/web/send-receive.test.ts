/**
 * The web app's own send and receive pages, browser to browser (two Chromium contexts): the `#/send` page
 * gives a code, the `#receive=<code>` page opened with it checks the code (SPAKE2), asks, and receives the
 * file with equal SHA-256. With a wrong code (the right number, other words) both pages stop and say so
 * in the app's alert style, with what to do next; the receive page's line reads sensibly at every stage.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { acceptOffer, type ChromiumWebPage, shot, waitIn, webE2EForFile } from './harness.js';

const web = webE2EForFile();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** The pages' viewport: their content is short, so the screenshots in docs/web.md are too. */
const SHOT = { width: 1000, height: 280 };

/** Opens the send page in its own context, picks `name`, and returns the page and the code it shows. */
async function sendPage(
  s: Parameters<Parameters<typeof web.current.scenario>[1]>[0],
  name: string,
  bytes: Buffer,
) {
  const sender = await s.open('sender', '/#/send', SHOT);
  await sender.page
    .getByTestId('send-input')
    .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
  const code = await waitIn(
    sender,
    'the code',
    () => document.querySelector('[data-testid=send-code]')?.textContent,
    null,
    30_000,
  );
  return { sender, code };
}

const statusLine = (p: ChromiumWebPage) => p.page.getByTestId('receive-status').textContent();

test('the send page to the receive page: the code, Accept, equal SHA-256', { timeout: 120_000 }, () =>
  web.current.scenario('send page to receive page', async (s) => {
    const bytes = randomBytes(3 * 1024 * 1024 + 21);
    const { sender, code } = await sendPage(s, 'page-to-page.bin', bytes);
    assert.match(code, /^\d{1,4}-[a-z]+-[a-z]+$/);
    const receiver = await s.open('receiver', `/#receive=${code}`);
    await acceptOffer(receiver);
    await waitIn(
      receiver,
      'the file verified',
      () => document.querySelector('[data-testid=received-file][data-path="page-to-page.bin"]'),
      null,
      60_000,
    );
    assert.equal(
      await statusLine(receiver),
      `Code ${code}: files from the sender, verified before they are offered for saving.`,
    );
    const [download] = await Promise.all([
      receiver.page.waitForEvent('download'),
      receiver.page
        .locator('[data-testid=received-file][data-path="page-to-page.bin"] [data-testid=save]')
        .click(),
    ]);
    assert.equal(sha(readFileSync(await download.path())), sha(bytes), 'the same bytes');
    await waitIn(
      sender,
      'delivered',
      () => document.querySelector('[data-testid=transfer][data-direction=send][data-status=done]'),
      null,
      30_000,
    );
  }),
);

test('a wrong code: both pages say so in an alert, with what to do next', { timeout: 120_000 }, () =>
  web.current.scenario('receive page wrong code', async (s) => {
    // Alone in the room first: the receive page waits for the sender, and says so.
    const early = await s.open('early', '/#receive=9876-zzzz-zzzz');
    await waitIn(
      early,
      'waiting for the sender',
      () =>
        document
          .querySelector('[data-testid=receive-status]')
          ?.textContent?.includes('waiting for the sender'),
      null,
    );
    assert.equal(
      await statusLine(early),
      'Code 9876-zzzz-zzzz: waiting for the sender (the page or `parley send` that gave you the code)…',
    );

    const { sender, code } = await sendPage(s, 'secret.bin', randomBytes(100_000));
    const wrong = `${code.split('-')[0]}-zzzz-zzzz`;
    const receiver = await s.open('receiver', `/#receive=${wrong}`, SHOT);
    const alert = await waitIn(
      receiver,
      'the alert',
      () => {
        const a = document.querySelector<HTMLElement>('[data-testid=auth-error]');
        return a && { role: a.getAttribute('role'), cls: a.className, text: a.textContent };
      },
      null,
      40_000,
    );
    assert.equal(alert.role, 'alert');
    assert.equal(alert.cls, 'error');
    // The receiver checks the sender's confirmation first, so it is the one that finds the mismatch.
    assert.match(
      alert.text ?? '',
      /^Authentication failed(, the other side says)?: the code did not match, or someone is in the middle\. Nothing was received\. Check the code with the sender and try again; if it was already used, ask the sender to start again with a new code\.$/,
    );
    assert.equal(await statusLine(receiver), `Code ${wrong}: the check with the sender failed.`);
    assert.equal(await receiver.page.getByTestId('offer').count(), 0, 'no offer reached the receiver');
    await shot(receiver, 'receive-wrong-code');

    const sent = await waitIn(
      sender,
      'the alert on the send page',
      () => {
        const a = document.querySelector<HTMLElement>('[data-testid=auth-error]');
        return (
          a && {
            cls: a.className,
            text: a.textContent,
            again: !!a.querySelector('[data-testid=start-again]'),
          }
        );
      },
      null,
      40_000,
    );
    assert.equal(sent.cls, 'error');
    assert.match(
      sent.text ?? '',
      /^Authentication failed.*Nothing was sent to that receiver.*start again with a new code/,
    );
    assert.ok(sent.again, 'a Start again button');
    assert.equal(await sender.page.getByTestId('transfer').count(), 0, 'nothing offered');
    await shot(sender, 'send-wrong-code');
  }),
);
