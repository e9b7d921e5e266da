/** What the test pages expose on `window`, for the tests' `page.evaluate` calls. */
import type { RawPeer } from '../raw-peer.js';
import type { SdkAgent } from '../sdk-agent.js';
import type { PageMedia } from './media.js';

export interface PageApi {
  /** Set once the page script has run (and, for the SDK page, the SDK bundle has loaded). */
  ready: boolean;
  /** Why the page could not get ready, if it could not. */
  loadError?: string;
  raw?: RawPeer;
  sdk?: SdkAgent;
  /** The SDK page's media helpers. */
  media?: PageMedia;
  /** A snapshot of the peer's state, for failure messages. */
  describe(): object;
}

declare global {
  interface Window {
    e2e: PageApi;
  }
}
