// The browser suite needs Debian's Chromium and Firefox ESR. Install them when we can (root with apt-get),
// otherwise stop with the exact command; never skip the suite silently.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
export const FIREFOX = process.env.PARLEY_FIREFOX ?? '/usr/bin/firefox-esr';

export function ensureChromium() {
  ensureBrowser('Chromium', CHROMIUM, 'chromium', 'PARLEY_CHROMIUM');
}

export function ensureFirefox() {
  ensureBrowser('Firefox', FIREFOX, 'firefox-esr', 'PARLEY_FIREFOX');
}

/** `name` at `path`, from Debian's package `pkg`; `envVar` points at another build. */
function ensureBrowser(name, path, pkg, envVar) {
  if (existsSync(path)) return;
  const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) {
    console.error(
      `parley test: ${name} is missing at ${path}. Install it with:\n  sudo apt-get update && sudo apt-get install -y ${pkg}\n(or set ${envVar} to a ${name} binary)`,
    );
    process.exit(1);
  }
  console.log(`parley test: installing Debian ${pkg} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const cmd of [
    ['apt-get', ['update', '-qq']],
    ['apt-get', ['install', '-y', '-qq', pkg]],
  ]) {
    const r = spawnSync(cmd[0], cmd[1], { stdio: 'inherit', env });
    if (r.status !== 0) {
      console.error(
        `parley test: "${cmd[0]} ${cmd[1].join(' ')}" failed; install ${name} by hand: apt-get install -y ${pkg}`,
      );
      process.exit(1);
    }
  }
  if (!existsSync(path)) {
    console.error(`parley test: apt-get finished but ${path} is still missing`);
    process.exit(1);
  }
}
