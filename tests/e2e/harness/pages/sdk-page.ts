/** /sdk.js: a page peer using the SDK bundle, loaded from its URL the way an application loads it. */
import type * as Client from '@parley/client';
import { SdkAgent } from '../sdk-agent.js';
import { pageMedia } from './media.js';
import './globals.js';
import { showState } from './show-state.js';

// A string-typed URL keeps the import dynamic for esbuild and untyped for tsc; the cast gives it the SDK's types.
const bundleUrl: string = '/parley-client.browser.js';

try {
  const sdk = (await import(bundleUrl)) as typeof Client;
  const agent = new SdkAgent(sdk.joinRoom);
  window.e2e = { ready: true, sdk: agent, media: pageMedia(agent), describe: () => agent.describe() };
  showState();
} catch (err) {
  window.e2e = { ready: false, loadError: `loading ${bundleUrl}: ${String(err)}`, describe: () => ({}) };
}
