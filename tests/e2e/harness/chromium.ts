/**
 * Launches Debian's Chromium through playwright-core with the flags seen working headless
 * on these machines. Never downloads a browser.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Fake media permission: besides fake devices, it makes Chromium offer real host IPs, not mDNS names.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

/**
 * One browser per test file. Playwright gives every `launch()` a fresh `--user-data-dir` of its own
 * (a temporary `playwright_chromiumdev_profile-*` directory, removed on close) and refuses one passed in
 * `args`, so the profile is fresh without us managing it.
 */
export async function launchChromium(
  extraFlags: readonly string[] = [],
  /** Another executable that runs Chromium (a script that starts it in a network namespace, say). */
  executablePath = CHROMIUM_PATH,
): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: apt-get install -y chromium (or set PARLEY_CHROMIUM)`,
    );
  }
  return chromium.launch({
    executablePath,
    args: [...CHROMIUM_FLAGS, ...extraFlags],
    timeout: 30_000,
  });
}
