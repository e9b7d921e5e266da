/**
 * The browser suite's harness: one Chromium (plus Firefox for the files that ask for it) and one
 * `parley serve` (which also serves the test pages) per test file; a fresh browser context (own storage, own page) per peer in each test. When a test fails, every
 * page's console, state and screenshot, the server's output and the error go to tests/e2e/artifacts/<test>/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  type BrowserName,
  type DrivenBrowser,
  type DrivenPage,
  launchBrowser,
  playwrightPage,
} from './browsers.js';
import { launchChromium } from './chromium.js';
import { type PageKind, type PagesDir, writePages } from './pages.js';
import { type ParleyServe, REPO_ROOT, startParleyServe } from './parley-serve.js';
import { type Truthy, waitUntil } from './wait.js';
import './pages/globals.js';

export const ARTIFACTS = join(REPO_ROOT, 'tests/e2e/artifacts');

export interface E2EOptions {
  /** Extra arguments for `parley serve`. */
  serveArgs?: readonly string[];
  chromiumFlags?: readonly string[];
  /** Browsers besides Chromium that this file opens pages in (`openPageIn`). */
  also?: readonly BrowserName[];
}

export interface E2E {
  readonly browser: Browser;
  /** The other browsers started with `also`, e.g. to print their versions. */
  readonly others: ReadonlyMap<BrowserName, DrivenBrowser>;
  readonly serve: ParleyServe;
  /** Runs one test's body; saves artifacts if it throws, and always closes what it opened. */
  scenario(name: string, body: (s: Scenario) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** Builds what is stale (the SDK bundle, the CLI), writes the pages, starts Chromium and `parley serve`. */
export async function startE2E(options: E2EOptions = {}): Promise<E2E> {
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-needed'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const pages = await writePages();
  const also = (options.also ?? []).filter((b) => b !== 'chromium');
  const [browser, serve, ...others] = await Promise.allSettled([
    launchChromium(options.chromiumFlags),
    // STUN/TURN on free ports too, so that test files (and other runs on this machine) never collide on 3478.
    startParleyServe(['--static', pages.dir, '--turn-port', '0', ...(options.serveArgs ?? [])]),
    ...also.map((b) => launchBrowser(b)),
  ] as const);
  if (
    browser.status !== 'fulfilled' ||
    serve.status !== 'fulfilled' ||
    others.some((o) => o.status !== 'fulfilled')
  ) {
    const started = [browser, serve, ...others];
    await Promise.allSettled(
      started.map((r) =>
        r.status === 'fulfilled' ? ('stop' in r.value ? r.value.stop() : r.value.close()) : 0,
      ),
    );
    pages.remove();
    const reasons = started.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    throw new Error(`e2e harness failed to start:\n${reasons.join('\n')}`);
  }
  const otherBrowsers = new Map(
    others.flatMap((o) => (o.status === 'fulfilled' ? [[o.value.name, o.value] as const] : [])),
  );
  const env: Env = { browser: browser.value, others: otherBrowsers, serve: serve.value, pages };
  return {
    browser: env.browser,
    others: otherBrowsers,
    serve: env.serve,
    scenario: (name, body) => runScenario(env, name, body),
    async close() {
      await Promise.allSettled([
        env.browser.close(),
        ...[...otherBrowsers.values()].map((b) => b.close()),
        env.serve.stop(),
      ]);
      pages.remove();
    },
  };
}

/** One peer: a page in its own browser context (either browser), with its console recorded from the first line. */
export interface AnyPeerPage {
  readonly name: string;
  readonly browser: BrowserName;
  readonly driver: DrivenPage;
  readonly console: string[];
  /** Runs `fn` in the page; it is serialized, so it may only use `window.e2e` and its JSON argument. */
  evaluate<R, A = undefined>(fn: InPage<A, R>, arg?: A): Promise<R>;
  /** Polls `fn` in the page until it returns a truthy value; on timeout the error holds the page's state. */
  waitFor<R, A = undefined>(what: string, fn: InPage<A, R>, arg?: A, timeoutMs?: number): Promise<Truthy<R>>;
  /** Reloads the page (a fresh page script, same context) and waits until it is ready again. */
  reload(): Promise<void>;
}

/** A peer in Chromium, with playwright's page. */
export interface PeerPage extends AnyPeerPage {
  readonly page: Page;
}

type InPage<A, R> = (arg: A) => R | Promise<R>;

export interface Scenario {
  readonly name: string;
  readonly wsUrl: string;
  /** The ports of the STUN/TURN server `parley serve` runs (on 127.0.0.1), unless it runs without. */
  readonly turn: ParleyServe['turn'];
  /** Opens `/raw.html` or `/sdk.html` in a new context and waits until its script is ready. */
  openPage(name: string, kind: PageKind): Promise<PeerPage>;
  /** The same in the named browser (started with the `also` option). */
  openPageIn(browser: BrowserName, name: string, kind: PageKind): Promise<AnyPeerPage>;
  /** Registers a cleanup (a Node peer, a socket) to run after the test, last registered first. */
  defer(cleanup: () => unknown): void;
  /** Names a Node-side peer whose state goes into the artifacts if the test fails. */
  watch(name: string, describe: () => unknown): void;
}

interface Watched {
  name: string;
  describe: () => unknown;
}

interface Env {
  browser: Browser;
  others: ReadonlyMap<BrowserName, DrivenBrowser>;
  serve: ParleyServe;
  pages: PagesDir;
}

async function runScenario(env: Env, name: string, body: (s: Scenario) => Promise<void>): Promise<void> {
  const peers: AnyPeerPage[] = [];
  const contexts: BrowserContext[] = [];
  const cleanups: (() => unknown)[] = [];
  const watched: Watched[] = [];
  const serveOutputStart = env.serve.output().length;
  const pageUrl = (kind: PageKind) => `${env.serve.httpUrl}/${kind}.html`;
  const scenario: Scenario = {
    name,
    wsUrl: env.serve.wsUrl,
    turn: env.serve.turn,
    async openPage(peerName, kind) {
      const context = await env.browser.newContext();
      contexts.push(context);
      await context.addInitScript({ content: INIT_SCRIPT });
      const page = await context.newPage();
      const peer = { ...(await openPeer(playwrightPage(page), peerName, pageUrl(kind))), page };
      peers.push(peer);
      return peer;
    },
    async openPageIn(which, peerName, kind) {
      if (which === 'chromium') return scenario.openPage(peerName, kind);
      const other = env.others.get(which);
      if (!other) throw new Error(`${which} is not running: pass it to startE2E({ also })`);
      const peer = await openPeer(await other.newPage({ initScript: INIT_SCRIPT }), peerName, pageUrl(kind));
      peers.push(peer);
      return peer;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
    watch(watchName, describe) {
      watched.push({ name: watchName, describe });
    },
  };
  try {
    await body(scenario);
  } catch (err) {
    await saveArtifacts(name, peers, watched, env.serve.output().slice(serveOutputStart), err);
    throw err;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // A cleanup that fails must not hide the test's own result.
      }
    }
    await Promise.allSettled([
      ...contexts.map((c) => c.close()),
      ...[...env.others.values()].map((b) => b.closePages()),
    ]);
  }
}

/** tsx compiles the tests with esbuild's keepNames, so functions handed to page.evaluate may call
 * esbuild's `__name` helper, which pages lack. */
const INIT_SCRIPT = 'globalThis.__name ??= (f) => f;';

async function openPeer(page: DrivenPage, name: string, url: string): Promise<AnyPeerPage> {
  const lines: string[] = [];
  const stamp = () => new Date().toISOString().slice(11, 23);
  page.onConsole((type, text) => lines.push(`${stamp()} [${type}] ${text}`));
  const describe = () =>
    page.evaluate(() => window.e2e?.describe(), null).catch((e: Error) => `(${e.message})`);
  const ready = async () => {
    const state = await waitUntil(
      () => page.evaluate(() => (window.e2e?.ready ? 'ready' : window.e2e?.loadError), null),
      { what: `page ${name} (${url}) to load its script`, timeoutMs: 10_000, describe: () => lines },
    );
    if (state !== 'ready') throw new Error(`page ${name} failed to load: ${state}`);
  };
  await page.goto(url);
  await ready();
  return {
    name,
    browser: page.browser,
    driver: page,
    console: lines,
    evaluate: (fn, arg) => page.evaluate(fn as InPage<unknown, never>, arg),
    waitFor: (what, fn, arg, timeoutMs = 10_000) =>
      waitUntil(() => page.evaluate(fn as InPage<unknown, never>, arg), {
        what: `${name}: ${what}`,
        timeoutMs,
        describe,
      }),
    async reload() {
      await page.reload();
      await ready();
    },
  };
}

async function saveArtifacts(
  test: string,
  peers: AnyPeerPage[],
  watched: Watched[],
  serveOutput: string,
  err: unknown,
): Promise<void> {
  const dir = join(
    ARTIFACTS,
    test
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 80),
  );
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'error.txt'), err instanceof Error ? (err.stack ?? err.message) : String(err));
  writeFileSync(join(dir, 'parley-serve.log'), serveOutput);
  const fileName = (name: string) => name.replace(/[^A-Za-z0-9]+/g, '-');
  const saveState = (name: string, state: unknown) =>
    writeFileSync(join(dir, `${fileName(name)}.state.json`), `${JSON.stringify(state, null, 2)}\n`);
  for (const peer of peers) {
    const file = fileName(peer.name);
    writeFileSync(join(dir, `${file}.console.txt`), `${peer.console.join('\n')}\n`);
    saveState(
      peer.name,
      await peer.driver.evaluate(() => window.e2e?.describe(), null).catch((e: Error) => e.message),
    );
    await peer.driver.screenshot(join(dir, `${file}.png`)).catch(() => undefined);
  }
  for (const w of watched) {
    try {
      saveState(w.name, w.describe());
    } catch (e) {
      saveState(w.name, String(e));
    }
  }
  console.error(`e2e: artifacts of "${test}" saved in ${dir}`);
}
