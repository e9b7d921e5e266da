/**
 * The web app's browser harness: one Chromium (and Firefox, for the files that ask for it) and one
 * `parley serve` (which serves apps/web/dist at /) per test file, one browser context per participant. Builds reused read-only from ../harness. Screenshots
 * asked for with `shot()` go to tests/e2e/artifacts/web/; a failing test also gets every page's console,
 * screenshot and the server's output in tests/e2e/artifacts/web/<test>/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  type BrowserName,
  type DrivenBrowser,
  type DrivenPage,
  launchBrowser,
  playwrightPage,
} from '../harness/browsers.js';
import { launchChromium } from '../harness/chromium.js';
import { type ParleyServe, REPO_ROOT, startParleyServe } from '../harness/parley-serve.js';
import { waitUntil } from '../harness/wait.js';

export const WEB_ARTIFACTS = join(REPO_ROOT, 'tests/e2e/artifacts/web');

/** Chromium's fake screen capture picks "Entire screen" without a dialog; audio may play unprompted. */
const WEB_FLAGS = [
  '--auto-select-desktop-capture-source=Entire screen',
  '--autoplay-policy=no-user-gesture-required',
];

/** A participant's page in either browser; the helpers below take this. */
export interface WebPage {
  readonly name: string;
  readonly browser: BrowserName;
  readonly driver: DrivenPage;
  readonly console: string[];
}

/** A participant's page in Chromium, with playwright's own page for its locators. */
export interface ChromiumWebPage extends WebPage {
  readonly page: Page;
}

type Viewport = { width: number; height: number };
const DEFAULT_VIEWPORT: Viewport = { width: 1100, height: 720 };
/** tsx compiles the tests with esbuild's keepNames, so functions handed to pages may call `__name`. */
const INIT_SCRIPT = 'globalThis.__name ??= (f) => f;';

export interface WebScenario {
  /** Opens `path` (e.g. `/?relay=1#/r/room`, or a full URL) of the served app in a fresh Chromium context. */
  open(name: string, path?: string, viewport?: Viewport): Promise<ChromiumWebPage>;
  /** The same in the named browser (which the file asked for in `webE2EForFile`). */
  openIn(browser: BrowserName, name: string, path?: string, viewport?: Viewport): Promise<WebPage>;
}

export interface WebE2E {
  readonly serve: ParleyServe;
  readonly browser: Browser;
  /** Every browser this file runs, Chromium first; `version` says which build. */
  readonly browsers: ReadonlyMap<BrowserName, DrivenBrowser>;
  scenario(name: string, body: (s: WebScenario) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** The machine's own addresses as /32 and /128 ranges, for `--turn-allow-peer` (TURN's default deny-list refuses them otherwise). */
export function ownAddressRanges(): string[] {
  const ranges = ['127.0.0.0/8', '::1/128'];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal || a.address.startsWith('fe80')) continue;
      ranges.push(`${a.address}/${a.family === 'IPv4' ? 32 : 128}`);
    }
  }
  return ranges;
}

/**
 * One Chromium (plus the `also` browsers) and one `parley serve` for the calling test file: started before
 * its tests, closed after them. Call at the top level; the returned box holds them once the tests start.
 */
export function webE2EForFile(
  serveArgs: readonly string[] = [],
  also: readonly BrowserName[] = [],
): { readonly current: WebE2E } {
  const box: { current?: WebE2E } = {};
  before(async () => {
    box.current = await startWebE2E(serveArgs, also);
  });
  after(async () => {
    await box.current?.close();
  });
  return {
    get current(): WebE2E {
      if (!box.current)
        throw new Error('the web e2e harness has not started (call webE2EForFile at the top level)');
      return box.current;
    },
  };
}

export async function startWebE2E(
  serveArgs: readonly string[] = [],
  also: readonly BrowserName[] = [],
): Promise<WebE2E> {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-needed'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const dist = join(REPO_ROOT, 'apps/web/dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`the web app is not built (${dist})`);
  const browser = await launchChromium(WEB_FLAGS);
  const others = new Map<BrowserName, DrivenBrowser>();
  let serve: ParleyServe;
  try {
    for (const name of also) if (name !== 'chromium') others.set(name, await launchBrowser(name));
    serve = await startParleyServe(['--turn-port', '0', '--static', dist, ...serveArgs]);
  } catch (err) {
    await Promise.allSettled([browser.close(), ...[...others.values()].map((b) => b.close())]);
    throw err;
  }
  const chromium: DrivenBrowser = {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    newPage: () => Promise.reject(new Error('open Chromium pages with s.open()')),
    closePages: async () => undefined,
    close: () => browser.close(),
  };
  const browsers = new Map<BrowserName, DrivenBrowser>([['chromium', chromium], ...others]);
  return {
    serve,
    browser,
    browsers,
    scenario: (name, body) => runScenario(browser, others, serve, name, body),
    async close() {
      await Promise.allSettled([...[...browsers.values()].map((b) => b.close()), serve.stop()]);
    },
  };
}

function recordConsole(driver: DrivenPage): string[] {
  const lines: string[] = [];
  const stamp = () => new Date().toISOString().slice(11, 23);
  driver.onConsole((type, text) => lines.push(`${stamp()} [${type}] ${text}`));
  return lines;
}

async function runScenario(
  browser: Browser,
  others: ReadonlyMap<BrowserName, DrivenBrowser>,
  serve: ParleyServe,
  name: string,
  body: (s: WebScenario) => Promise<void>,
): Promise<void> {
  const pages: WebPage[] = [];
  const contexts: BrowserContext[] = [];
  const outputStart = serve.output().length;
  const urlOf = (path: string) => (/^https?:/.test(path) ? path : `${serve.httpUrl}${path}`);
  const scenario: WebScenario = {
    async open(pageName, path = '/', viewport = DEFAULT_VIEWPORT) {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      await context.addInitScript({ content: INIT_SCRIPT });
      const page = await context.newPage();
      const driver = playwrightPage(page);
      const p = {
        name: pageName,
        browser: 'chromium' as const,
        page,
        driver,
        console: recordConsole(driver),
      };
      pages.push(p);
      await page.goto(urlOf(path));
      return p;
    },
    async openIn(which, pageName, path = '/', viewport = DEFAULT_VIEWPORT) {
      if (which === 'chromium') return scenario.open(pageName, path, viewport);
      const other = others.get(which);
      if (!other) throw new Error(`${which} is not running: pass it to webE2EForFile`);
      const driver = await other.newPage({ viewport, initScript: INIT_SCRIPT });
      const p = { name: pageName, browser: which, driver, console: recordConsole(driver) };
      pages.push(p);
      await driver.goto(urlOf(path));
      return p;
    },
  };
  try {
    await body(scenario);
  } catch (err) {
    const dir = join(WEB_ARTIFACTS, name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'error.txt'), err instanceof Error ? (err.stack ?? err.message) : String(err));
    writeFileSync(join(dir, 'parley-serve.log'), serve.output().slice(outputStart));
    for (const p of pages) {
      writeFileSync(join(dir, `${p.name}.console.txt`), `${p.console.join('\n')}\n`);
      await p.driver.screenshot(join(dir, `${p.name}.png`)).catch(() => undefined);
    }
    console.error(`web e2e: artifacts of "${name}" saved in ${dir}`);
    throw err;
  } finally {
    await Promise.allSettled([
      ...contexts.map((c) => c.close()),
      ...[...others.values()].map((b) => b.closePages()),
    ]);
  }
}

/** Saves a screenshot (of the whole page with `fullPage`) as tests/e2e/artifacts/web/<name>.png. */
export async function shot(p: WebPage, name: string, fullPage = false): Promise<string> {
  mkdirSync(WEB_ARTIFACTS, { recursive: true });
  const path = join(WEB_ARTIFACTS, `${name}.png`);
  await p.driver.screenshot(path, fullPage);
  return path;
}

/** Polls `fn` in the page until it returns a truthy value; a timeout says what never happened. */
export function waitIn<R, A>(p: WebPage, what: string, fn: (arg: A) => R, arg: A, timeoutMs = 15_000) {
  return waitUntil(() => p.driver.evaluate(fn, arg), {
    what: `${p.name}: ${what}`,
    timeoutMs,
    intervalMs: 100,
    describe: () => p.console.slice(-20),
  });
}

/**
 * Answers the first offer waiting on `p` (its Files panel open, or the receive page) with **Accept**: into
 * staging, or what the page has instead. Resolves once clicked.
 */
export async function acceptOffer(p: WebPage, timeoutMs = 30_000): Promise<void> {
  await waitIn(
    p,
    'an offer to accept',
    () => {
      const accept = document.querySelector<HTMLButtonElement>(
        '[data-testid=offer] [data-testid=offer-accept]',
      );
      accept?.click();
      return !!accept;
    },
    null,
    timeoutMs,
  );
}

/** Goes through the pre-join screen the page is on and waits until the call is on screen. */
export async function joinCall(p: WebPage, name: string, button = 'Join'): Promise<void> {
  await p.driver.fill('input[name="display-name"]', name);
  await waitIn(
    p,
    `the ${button} button to be enabled`,
    (label) =>
      [...document.querySelectorAll<HTMLButtonElement>('.join-form button')].some(
        (b) => b.textContent === label && !b.disabled,
      ),
    button,
  );
  await p.driver.evaluate((label) => {
    for (const b of document.querySelectorAll<HTMLButtonElement>('.join-form button'))
      if (b.textContent === label) b.click();
  }, button);
  await p.driver.waitForSelector('.room', 15_000);
}

/** Clicks the button inside `scope` whose text is `text` (in either browser). */
export async function clickButton(p: WebPage, text: string, scope = 'body'): Promise<void> {
  await waitIn(
    p,
    `the button "${text}" in ${scope}`,
    ({ text, scope }) => {
      const button = [...document.querySelectorAll<HTMLButtonElement>(`${scope} button`)].find(
        (b) => b.textContent?.trim() === text && !b.disabled,
      );
      button?.click();
      return !!button;
    },
    { text, scope },
  );
}

/** What a page's tiles say: `data-*` attributes of every tile, keyed by name. */
export interface TileInfo {
  id: string;
  name: string;
  self: boolean;
  muted: boolean;
  screen: boolean;
  frames: number;
  path: string;
  size: string;
}

export function tiles(p: WebPage): Promise<TileInfo[]> {
  return p.driver.evaluate(
    () =>
      [...document.querySelectorAll<HTMLElement>('.tile')].map((t) => ({
        id: t.dataset.peerId ?? '',
        name: t.dataset.name ?? '',
        self: t.dataset.self === 'true',
        muted: t.dataset.muted === 'true',
        screen: t.dataset.screen === 'true',
        frames: Number(t.dataset.frames ?? 0),
        path: t.dataset.path ?? '',
        size: t.dataset.frameSize ?? '',
      })),
    null,
  );
}

/** Waits until the page shows exactly these remote participants (by name). */
export function waitRemotes(p: WebPage, names: string[], timeoutMs = 20_000) {
  const want = [...names].sort().join(',');
  return waitUntil(
    async () => {
      const got = (await tiles(p)).filter((t) => !t.self).map((t) => t.name);
      return got.sort().join(',') === want;
    },
    { what: `${p.name}: remote tiles ${want}`, timeoutMs, intervalMs: 100, describe: () => tiles(p) },
  );
}

/** Alice and Bob in a fresh room `<prefix>-<time>`, each seeing the other, both with the Files panel open. */
export async function filesPair(
  s: WebScenario,
  prefix: string,
): Promise<{ alice: ChromiumWebPage; bob: ChromiumWebPage }> {
  const room = `${prefix}-${Date.now().toString(36)}`;
  const alice = await s.open('alice', `/#/r/${room}`);
  await joinCall(alice, 'Alice');
  const bob = await s.open('bob', `/#/r/${room}`);
  await joinCall(bob, 'Bob');
  await waitRemotes(alice, ['Bob']);
  await waitRemotes(bob, ['Alice']);
  for (const p of [alice, bob]) await p.page.getByTestId('files-toggle').click();
  return { alice, bob };
}

/** Waits until each remote tile's decoded-frame count rises past what it was, and returns the counts. */
export async function waitFramesRising(p: WebPage, timeoutMs = 30_000): Promise<Record<string, number>> {
  const remote = async () => (await tiles(p)).filter((t) => !t.self);
  const first = await waitUntil(
    async () => {
      const r = await remote();
      return r.length > 0 && r.every((t) => t.frames > 0) && r;
    },
    { what: `${p.name}: frames decoded from every remote`, timeoutMs, intervalMs: 200, describe: remote },
  );
  const before = new Map(first.map((t) => [t.name, t.frames]));
  const after = await waitUntil(
    async () => {
      const r = await remote();
      return r.every((t) => t.frames > (before.get(t.name) ?? 0) + 5) && r;
    },
    { what: `${p.name}: frames decoded rising`, timeoutMs, intervalMs: 200, describe: remote },
  );
  return Object.fromEntries(after.map((t) => [t.name, t.frames]));
}
