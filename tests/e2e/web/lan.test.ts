/**
 * The web app from another device on a LAN, played in a network namespace of the test's own (a veth pair
 * with 10.213.7.1 and .2): `parley serve --host 0.0.0.0 --tls-self-signed` and Chromium both run inside,
 * and the page is loaded from the non-loopback address 10.213.7.1, where only a secure page gets a camera.
 * Over HTTPS, with the server's certificate trusted as a user would trust it (Chromium is told its key,
 * `--ignore-certificate-errors-spki-list`, nothing else), two people hold a call with video; a browser
 * that was not told refuses the certificate. Over plain HTTP the page explains why calls cannot work and
 * names the fix. Screenshots go to tests/e2e/artifacts/web/lan-*.png.
 */
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { playwrightPage } from '../harness/browsers.js';
import { launchChromium } from '../harness/chromium.js';
import { createNetns, type Netns, netnsUnavailable } from '../harness/netns.js';
import { type ParleyServe, REPO_ROOT, startParleyServe } from '../harness/parley-serve.js';
import { type ChromiumWebPage, joinCall, shot, waitFramesRising, waitIn, waitRemotes } from './harness.js';

const unavailable = netnsUnavailable();
const dist = join(REPO_ROOT, 'apps/web/dist');
const WEB_FLAGS = ['--autoplay-policy=no-user-gesture-required'];

/** Base64 of the SHA-256 of a certificate's public key: what Chromium's SPKI list takes. */
function spkiHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  return createHash('sha256').update(spki).digest('base64');
}

describe('the web app from another device on the LAN', { skip: unavailable }, () => {
  let dir: string;
  let netns: Netns;
  let https: ParleyServe;
  let http: ParleyServe;
  let trusting: Browser;
  let plain: Browser;
  let certPem: string;
  const contexts: BrowserContext[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-lan-'));
    netns = createNetns();
    const serveArgs = ['--host', '0.0.0.0', '--turn-port', '0', '--static', dist];
    https = await startParleyServe(
      [...serveArgs, '--tls-self-signed', '--state-dir', join(dir, 'state'), '--http-redirect-port', '0'],
      { prefix: netns.prefix },
    );
    http = await startParleyServe(serveArgs, { prefix: netns.prefix });
    certPem = readFileSync(join(dir, 'state/tls/self-signed-cert.pem'), 'utf8');
    // The command docs/security.md gives for it says the same.
    const byOpenssl = execSync(
      `openssl x509 -in ${join(dir, 'state/tls/self-signed-cert.pem')} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
      { encoding: 'utf8' },
    ).trim();
    assert.equal(byOpenssl, spkiHash(certPem));
    const launcher = netns.chromiumLauncher(dir);
    trusting = await launchChromium(
      [...WEB_FLAGS, `--ignore-certificate-errors-spki-list=${spkiHash(certPem)}`],
      launcher,
    );
    plain = await launchChromium(WEB_FLAGS, launcher);
  });
  after(async () => {
    await Promise.allSettled(contexts.map((c) => c.close()));
    await Promise.allSettled([trusting?.close(), plain?.close(), https?.stop(), http?.stop()]);
    netns?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A participant: a page of its own browser context, its console kept for the failure message. */
  async function open(browser: Browser, name: string, url: string): Promise<ChromiumWebPage> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    const lines: string[] = [];
    page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
    await page.goto(url);
    return { name, browser: 'chromium', page, driver: playwrightPage(page), console: lines };
  }

  test('parley serve lists the LAN address with a QR code and the certificate it made for it', () => {
    const port = new URL(https.httpUrl).port;
    const out = https.output();
    const lanUrl = `https://${netns.address}:${port}/`;
    // Both interfaces of the namespace, in the order the system lists them; the QR code is of the first.
    const urls = [...out.matchAll(/(https:\/\/[\d.]+:\d+\/)\s+\((lan[01])\)/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(urls.slice().sort(), [`${lanUrl} lan0`, `https://${netns.peerAddress}:${port}/ lan1`]);
    assert.match(out, /network\s+https:\/\/10\.213\.7\.[12]:\d+\/\s+\(lan[01]\)/);
    const qrOf = /scan to open (https:\S+) on a phone:\n(\s+[█▀▄ ]+\n){10,}/.exec(out)?.[1];
    assert.equal(qrOf, urls[0]?.split(' ')[0]);
    assert.match(out, new RegExp(`self-signed certificate for .*${netns.address.replace(/\./g, '\\.')}`));
    const cert = new X509Certificate(certPem);
    assert.match(cert.subjectAltName ?? '', /IP Address:10\.213\.7\.1\b/);
    assert.match(out, new RegExp(`SHA-256 ${cert.fingerprint256}`));
    assert.match(http.output(), /warning\s+other devices get this page over plain HTTP/);
    assert.doesNotMatch(out, /^ {2}warning /m);
    console.log(`# banner: ${lanUrl} (lan0), QR code, SHA-256 ${cert.fingerprint256.slice(0, 23)}…`);
  });

  test('over HTTPS from 10.213.7.1, two people hold a call with video', { timeout: 180_000 }, async () => {
    const port = new URL(https.httpUrl).port;
    const room = `lan-call-${process.pid}`;
    const url = `https://${netns.address}:${port}/#/r/${room}`;
    const ann = await open(trusting, 'ann', url);
    assert.equal(await ann.page.evaluate(() => window.isSecureContext), true);
    await ann.page.locator('.preview video').waitFor({ timeout: 15_000 });
    await joinCall(ann, 'Ann');
    const ben = await open(trusting, 'ben', url);
    await joinCall(ben, 'Ben');
    await waitRemotes(ann, ['Ben']);
    await waitRemotes(ben, ['Ann']);
    const seenByAnn = await waitFramesRising(ann);
    const seenByBen = await waitFramesRising(ben);
    console.log(`# https call: Ann decoded ${seenByAnn.Ben} frames from Ben, Ben ${seenByBen.Ann} from Ann`);
    const signaling = await ann.page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => e.name)
        .find((n) => n.startsWith('wss:')),
    );
    assert.ok(signaling === undefined || signaling.startsWith(`wss://${netns.address}`));
    await shot(ann, 'lan-https-call');
  });

  test('a browser not told the certificate refuses it; the redirect port leads to HTTPS', async () => {
    const port = new URL(https.httpUrl).port;
    const context = await plain.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const refused = await page.goto(`https://${netns.address}:${port}/`).then(
      () => 'loaded',
      (e: Error) => e.message,
    );
    assert.match(refused, /ERR_CERT_AUTHORITY_INVALID/);
    const redirectPort = /redirect\s+http:\/\/0\.0\.0\.0:(\d+)\//.exec(https.output())?.[1];
    assert.ok(redirectPort, 'the banner names the redirect port');
    const viaRedirect = await trusting.newContext();
    contexts.push(viaRedirect);
    const p = await viaRedirect.newPage();
    await p.goto(`http://${netns.address}:${redirectPort}/#/r/redirected`);
    assert.equal(p.url(), `https://${netns.address}:${port}/#/r/redirected`);
  });

  test('over plain HTTP from 10.213.7.1, the page says why calls cannot work and how to fix it', async () => {
    const port = new URL(http.httpUrl).port;
    const guest = await open(plain, 'guest', `http://${netns.address}:${port}/#/r/lan-plain`);
    const notice = guest.page.getByTestId('media-blocked');
    await notice.waitFor({ timeout: 15_000 });
    const text = (await notice.textContent()) ?? '';
    assert.match(text, /Camera and microphone are blocked on this page/);
    assert.match(text, /--tls-self-signed/);
    assert.match(text, new RegExp(`https://10\\.213\\.7\\.1:${port}/#/r/lan-plain`));
    assert.equal(await guest.page.evaluate(() => window.isSecureContext), false);
    // Joining without a camera still works (chat and files), on a page that is not a secure context.
    await joinCall(guest, 'Guest');
    await guest.driver.click('[data-testid=chat-toggle]');
    await guest.driver.fill('#chat-input', 'sent over plain http');
    await guest.driver.click('.panel form button[type=submit]');
    await waitIn(
      guest,
      'the chat message, shown in the panel',
      () => document.querySelector('.panel')?.textContent?.includes('sent over plain http') === true,
      null,
    );
    await guest.page.goBack().catch(() => undefined);
    await guest.page.goto(`http://${netns.address}:${port}/#/r/lan-plain-2`);
    await notice.waitFor({ timeout: 15_000 });
    await shot(guest, 'lan-http-explained');
    console.log(`# plain http: "${await notice.locator('h2').textContent()}" and the fix shown`);
  });
});
