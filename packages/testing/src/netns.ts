/**
 * A small lab of Linux network namespaces for tests and benchmarks that need a real link between two Node
 * peers (node-datachannel gathers no loopback candidates): namespaces named `parley-<tag>-<name>-<pid>`,
 * veth pairs with addresses of their own, commands run inside them. Needs root. Namespaces a killed run
 * left behind (their pid is gone) are removed when a new lab with the same tag starts.
 */
import { execFileSync } from 'node:child_process';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'the ip command cannot manage network namespaces here';
  }
}

export class NetnsLab {
  readonly #tag: string;
  readonly #made: string[] = [];

  constructor(tag: string) {
    this.#tag = tag;
    this.#removeStale();
    // Also when the runner is interrupted: exit handlers mostly run, `after` hooks do not on a signal.
    process.once('exit', () => this.destroy());
  }

  /** Creates a namespace with loopback up; returns its name. */
  namespace(name: string): string {
    const ns = `parley-${this.#tag}-${name}-${process.pid}`;
    ip('netns', 'add', ns);
    this.#made.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** A veth pair between two namespaces, each end up with its address (CIDR) if given. */
  veth(a: { ns: string; dev: string; addr?: string }, b: { ns: string; dev: string; addr?: string }): void {
    ip('link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns);
    for (const end of [a, b]) {
      if (end.addr) ip('-n', end.ns, 'addr', 'add', end.addr, 'dev', end.dev);
      ip('-n', end.ns, 'link', 'set', end.dev, 'up');
    }
  }

  /** Runs a command inside a namespace; returns its stdout. */
  exec(ns: string, command: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8' });
  }

  /** The argv that runs a command inside a namespace (for spawn). */
  argv(ns: string, command: string, ...args: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', ns, command, ...args]];
  }

  destroy(): void {
    // Deleting a namespace deletes the veth ends inside it, and so the pairs.
    for (const ns of this.#made.splice(0)) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // Already gone.
      }
    }
  }

  #removeStale(): void {
    const pattern = new RegExp(`^parley-${this.#tag}-[\\w]+-(\\d+)$`);
    const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.split(' ')[0] ?? '');
    for (const name of names) {
      const pid = Number(pattern.exec(name)?.[1]);
      if (!pid || pid === process.pid || alive(pid)) continue;
      try {
        ip('netns', 'del', name);
      } catch {
        // Raced with another cleanup.
      }
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
