/**
 * The one place the browser suite picks its browsers: Debian's Chromium (playwright-core, CDP) and Debian's
 * Firefox ESR (puppeteer-core, WebDriver BiDi). Both are driven through `DrivenBrowser`/`DrivenPage`, so a
 * test asks for `'chromium'` or `'firefox'` and uses the same few calls on either. Never downloads a browser.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser as PlaywrightBrowser, Page as PlaywrightPage } from 'playwright-core';
import puppeteer, { type Browser as PuppeteerBrowser, type Page as PuppeteerPage } from 'puppeteer-core';
import { launchChromium } from './chromium.js';

export type BrowserName = 'chromium' | 'firefox';
export const BROWSER_NAMES: readonly BrowserName[] = ['chromium', 'firefox'];

export const FIREFOX_PATH = process.env.PARLEY_FIREFOX ?? '/usr/bin/firefox-esr';

/**
 * Firefox preferences for calls in a headless browser on a machine without devices: fake camera and
 * microphone (a test pattern and a tone), no permission prompt, real host addresses in ICE candidates
 * (not mDNS names, which a peer on the same machine may not resolve), and autoplay.
 */
export const FIREFOX_PREFS: Readonly<Record<string, unknown>> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.loopback': true,
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // A page the harness drives is rarely the focused tab: without these, Firefox throttles its timers (the
  // web app renders from a timer) until a state change shows up seconds late, or not before a screenshot.
  'dom.min_background_timeout_value': 4,
  'dom.min_background_timeout_value_without_budget_throttling': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
  'dom.suspend_inactive.enabled': false,
  // No picture-in-picture button over videos in screenshots.
  'media.videocontrols.picture-in-picture.video-toggle.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'browser.shell.checkDefaultBrowser': false,
};

export interface Viewport {
  width: number;
  height: number;
}

/** A file to put in an `<input type=file>`. */
export interface InputFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** One tab in a browser context of its own, with the calls the tests need in either browser. */
export interface DrivenPage {
  readonly browser: BrowserName;
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  url(): string;
  /** Runs `fn` in the page; it is serialized, so it may only use globals and its JSON argument. */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  click(selector: string): Promise<void>;
  /** Replaces an input's value as typing would (input events). */
  fill(selector: string, text: string): Promise<void>;
  setInputFiles(selector: string, file: InputFile): Promise<void>;
  waitForSelector(selector: string, timeoutMs?: number): Promise<void>;
  /** A PNG of the viewport, or of the whole page with `fullPage`. */
  screenshot(path: string, fullPage?: boolean): Promise<void>;
  /** Lines of the page's console and its uncaught errors, from the first one. */
  onConsole(listener: (type: string, text: string) => void): void;
}

export interface DrivenBrowser {
  readonly name: BrowserName;
  /** e.g. "Chromium 140.0.7339.80", "Firefox 153.8.0". */
  readonly version: string;
  /** A new page in a fresh context (own storage); `initScript` runs before every document's scripts. */
  newPage(options: { viewport?: Viewport; initScript?: string }): Promise<DrivenPage>;
  /** Closes every context this browser opened for pages so far. */
  closePages(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the named browser; a missing binary fails with the command that installs it. */
export function launchBrowser(
  name: BrowserName,
  chromiumFlags: readonly string[] = [],
): Promise<DrivenBrowser> {
  return name === 'chromium' ? launchDrivenChromium(chromiumFlags) : launchFirefox();
}

export async function launchDrivenChromium(flags: readonly string[] = []): Promise<DrivenBrowser> {
  return drivenChromium(await launchChromium(flags));
}

/** Wraps a running playwright Chromium (whose contexts the caller may also open itself). */
export function drivenChromium(browser: PlaywrightBrowser): DrivenBrowser {
  const contexts: { close(): Promise<void> }[] = [];
  return {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    async newPage({ viewport, initScript }) {
      const context = await browser.newContext(viewport ? { viewport } : {});
      contexts.push(context);
      if (initScript) await context.addInitScript({ content: initScript });
      return playwrightPage(await context.newPage());
    },
    async closePages() {
      await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
    },
    close: () => browser.close(),
  };
}

/** What playwright's and puppeteer's pages have in common, as far as `DrivenPage` needs it. */
interface CommonPage {
  goto(url: string): Promise<unknown>;
  reload(): Promise<unknown>;
  url(): string;
  evaluate(fn: (a: unknown) => never, arg: unknown): Promise<unknown>;
  locator(selector: string): { click(): Promise<void>; fill(text: string): Promise<void> };
}

function commonCalls(
  browser: BrowserName,
  page: CommonPage,
): Pick<DrivenPage, 'browser' | 'goto' | 'reload' | 'url' | 'evaluate' | 'click' | 'fill'> {
  return {
    browser,
    async goto(url) {
      await page.goto(url);
    },
    async reload() {
      await page.reload();
    },
    url: () => page.url(),
    evaluate: (fn, arg) => page.evaluate(fn as (a: unknown) => never, arg) as Promise<never>,
    click: (selector) => page.locator(selector).click(),
    fill: (selector, text) => page.locator(selector).fill(text),
  };
}

let uploadsForChromium: string | undefined;
/** Files handed to Chromium's file inputs, removed when the test process exits. */
function chromiumUploads(): string {
  if (!uploadsForChromium) {
    const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-upload-'));
    uploadsForChromium = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return uploadsForChromium;
}

export function playwrightPage(page: PlaywrightPage): DrivenPage {
  return {
    ...commonCalls('chromium', page),
    async setInputFiles(selector, file) {
      // By path, as the Firefox driver does: a buffer goes to the page base64-encoded over CDP, about 1 s
      // per MiB on a busy 2-core machine (24 MiB took 20 s alone and hit the 30 s timeout inside a call);
      // a path takes half a second. The file stays until the process exits (the page reads it lazily).
      // Its own folder, so that the page sees the file's own name (the MIME type follows its extension).
      const path = join(mkdtempSync(join(chromiumUploads(), 'f-')), file.name);
      writeFileSync(path, file.buffer);
      await page.locator(selector).setInputFiles(path);
    },
    async waitForSelector(selector, timeoutMs = 15_000) {
      await page.locator(selector).first().waitFor({ timeout: timeoutMs });
    },
    async screenshot(path, fullPage = false) {
      await page.screenshot({ path, fullPage, timeout: 10_000 });
    },
    onConsole(listener) {
      page.on('console', (m) => listener(m.type(), m.text()));
      page.on('pageerror', (e) => listener('pageerror', e.stack ?? e.message));
      page.on('crash', () => listener('crash', 'the page crashed'));
    },
  };
}

export async function launchFirefox(): Promise<DrivenBrowser> {
  if (!existsSync(FIREFOX_PATH)) {
    throw new Error(
      `Firefox is missing at ${FIREFOX_PATH}: apt-get install -y firefox-esr (or set PARLEY_FIREFOX)`,
    );
  }
  // puppeteer-core makes (and removes on close) a fresh profile holding these preferences.
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: { ...FIREFOX_PREFS },
    timeout: 30_000,
  });
  const version = (await browser.version()).replace(/^firefox\//i, 'Firefox ');
  return drivenFirefox(browser, version);
}

function drivenFirefox(browser: PuppeteerBrowser, version: string): DrivenBrowser {
  const contexts: { close(): Promise<void> }[] = [];
  // Files handed to inputs stay on disk while a page may still read them (a File is read lazily).
  const uploads = mkdtempSync(join(tmpdir(), 'parley-e2e-upload-'));
  return {
    name: 'firefox',
    version,
    async newPage({ viewport, initScript }) {
      const context = await browser.createBrowserContext();
      contexts.push(context);
      const page = await context.newPage();
      if (viewport) await page.setViewport(viewport);
      if (initScript) await page.evaluateOnNewDocument(initScript);
      return puppeteerPage(page, uploads);
    },
    async closePages() {
      await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
    },
    async close() {
      await browser.close();
      rmSync(uploads, { recursive: true, force: true });
    },
  };
}

function puppeteerPage(page: PuppeteerPage, uploads: string): DrivenPage {
  return {
    ...commonCalls('firefox', page),
    async setInputFiles(selector, file) {
      // WebDriver BiDi's input.setFiles takes paths: the file goes through the browser's upload folder.
      const dir = mkdtempSync(join(uploads, 'f-'));
      const path = join(dir, file.name);
      writeFileSync(path, file.buffer);
      const input = await page.waitForSelector(selector);
      if (!input) throw new Error(`no ${selector} to put ${file.name} in`);
      await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(path);
    },
    async waitForSelector(selector, timeoutMs = 15_000) {
      await page.waitForSelector(selector, { timeout: timeoutMs });
    },
    async screenshot(path, fullPage = false) {
      await page.screenshot({ path: path as `${string}.png`, fullPage });
    },
    onConsole(listener) {
      page.on('console', (m) => listener(m.type(), m.text()));
      page.on('pageerror', (e) =>
        listener('pageerror', e instanceof Error ? (e.stack ?? e.message) : String(e)),
      );
    },
  };
}
