/**
 * A network namespace of a test's own, standing in for a LAN: loopback plus a veth pair whose two ends
 * both live in it, with private addresses. Nothing in it can reach or be reached from another machine.
 * Processes join it through `ip netns exec` (a prefix for commands, and a wrapper script for Chromium).
 * Needs root; namespaces left by a test that crashed are removed by the next one.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM_PATH } from './chromium.js';

const PREFIX = 'parley-lan-';

export interface Netns {
  readonly name: string;
  /** The address `parley serve` is reached at: the "LAN" address of this machine. */
  readonly address: string;
  /** The other end of the veth pair. */
  readonly peerAddress: string;
  /** Runs a command inside: prepend to its argv. */
  readonly prefix: readonly string[];
  /** Writes an executable script into `dir` that starts Chromium inside; returns its path. */
  chromiumLauncher(dir: string): string;
  remove(): void;
}

/** Why network namespaces cannot be made here (not root, no `ip`), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (ip netns)';
  }
  return undefined;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

/** Removes namespaces of ours whose test process is gone. */
function removeStale(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length).split('-')[0]);
    if (!processAlive(pid)) ip('netns', 'del', name);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function createNetns(tag = 'a'): Netns {
  removeStale();
  const name = `${PREFIX}${process.pid}-${tag}`;
  const address = '10.213.7.1';
  const peerAddress = '10.213.7.2';
  ip('netns', 'add', name);
  const inside = (...args: string[]) => ip('-n', name, ...args);
  try {
    inside('link', 'set', 'lo', 'up');
    // Both ends are made inside the namespace: this machine's own interfaces are never touched.
    inside('link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1');
    inside('addr', 'add', `${address}/24`, 'dev', 'lan0');
    inside('addr', 'add', `${peerAddress}/24`, 'dev', 'lan1');
    inside('link', 'set', 'lan0', 'up');
    inside('link', 'set', 'lan1', 'up');
  } catch (err) {
    ip('netns', 'del', name);
    throw err;
  }
  return {
    name,
    address,
    peerAddress,
    prefix: ['ip', 'netns', 'exec', name],
    chromiumLauncher(dir) {
      const path = join(dir, `chromium-in-${name}.sh`);
      writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${name} ${CHROMIUM_PATH} "$@"\n`);
      chmodSync(path, 0o755);
      return path;
    },
    remove() {
      try {
        ip('netns', 'del', name);
      } catch {
        // Already gone.
      }
    },
  };
}
