// The browser suite needs Debian's Chromium. Install it when we can (root with apt-get), otherwise stop
// with the exact command; never skip the suite silently.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

export function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canApt) {
    console.error(
      `parley test: Chromium is missing at ${CHROMIUM}. Install it with:\n  sudo apt-get update && sudo apt-get install -y chromium\n(or set PARLEY_CHROMIUM to a Chromium binary)`,
    );
    process.exit(1);
  }
  console.log('parley test: installing Debian chromium (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const cmd of [
    ['apt-get', ['update', '-qq']],
    ['apt-get', ['install', '-y', '-qq', 'chromium']],
  ]) {
    const r = spawnSync(cmd[0], cmd[1], { stdio: 'inherit', env });
    if (r.status !== 0) {
      console.error(
        `parley test: "${cmd[0]} ${cmd[1].join(' ')}" failed; install Chromium by hand: apt-get install -y chromium`,
      );
      process.exit(1);
    }
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`parley test: apt-get finished but ${CHROMIUM} is still missing`);
    process.exit(1);
  }
}
