/**
 * The test pages, written to a temporary folder that `parley serve --static` serves, so pages and signaling
 * share one origin as with the web app: `/raw.html` (a peer speaking protocol v1 by hand) and `/sdk.html`
 * (a peer using the SDK bundle, loaded as `/parley-client.browser.js` like an app would). The page scripts
 * are TypeScript under harness/pages/, bundled with esbuild.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const SDK_DIST = fileURLToPath(new URL('../../../packages/client/dist/', import.meta.url));
const SDK_BUNDLE = 'parley-client.browser.js';
const PAGES = { raw: 'raw-page.ts', sdk: 'sdk-page.ts' } as const;
export type PageKind = keyof typeof PAGES;

export interface PagesDir {
  readonly dir: string;
  remove(): void;
}

const html = (kind: PageKind) =>
  `<!doctype html><meta charset="utf-8"><title>parley e2e ${kind}</title>` +
  `<link rel="icon" href="data:,"><script type="module" src="/${kind}.js"></script><body></body>`;

/** A page script, or one that reports why it could not be built, so only the tests using it fail. */
async function bundle(file: string): Promise<string> {
  try {
    const result = await build({
      entryPoints: [fileURLToPath(new URL(`pages/${file}`, import.meta.url))],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@parley/source'],
      // The page loads the SDK from its URL at run time, as an application would.
      external: [`/${SDK_BUNDLE}`],
      logLevel: 'silent',
    });
    const out = result.outputFiles[0];
    if (!out) throw new Error('esbuild produced no output');
    return out.text;
  } catch (err) {
    const loadError = JSON.stringify(`bundling ${file} failed: ${(err as Error).message}`);
    return `window.e2e = { ready: false, loadError: ${loadError}, describe: () => ({}) };\n`;
  }
}

export async function writePages(): Promise<PagesDir> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-pages-'));
  try {
    for (const [kind, file] of Object.entries(PAGES) as [PageKind, string][]) {
      writeFileSync(join(dir, `${kind}.html`), html(kind));
      writeFileSync(join(dir, `${kind}.js`), await bundle(file));
    }
    // A missing bundle shows up as the SDK page's load error (a 404 for the import).
    for (const name of [SDK_BUNDLE, `${SDK_BUNDLE}.map`]) {
      if (existsSync(SDK_DIST + name)) copyFileSync(SDK_DIST + name, join(dir, name));
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
