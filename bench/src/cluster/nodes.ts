/** The processes of bench:cluster: `parley serve` nodes (one cluster on one Redis) and Redis's INFO. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;

export interface Node {
  child: ChildProcess;
  port: number;
}

/** Flags every bench node gets: limits far above what the benchmark offers. */
const BENCH_FLAGS: Record<string, string> = {
  '--rate': '100000',
  '--rate-per-ip': '1000000',
  '--max-sessions-per-ip': '10000',
  '--max-conns-per-ip': '10000',
};

/**
 * Starts `parley serve` (from the TypeScript sources) on a free port; `flags` override or add to
 * BENCH_FLAGS. With `openFiles`, its open-file limit is raised to that first (as root even past the
 * hard limit; otherwise to the hard limit): read the limit it got from /proc/<pid>/limits.
 */
export async function startNode(
  redisUrl: string | undefined,
  flags: Record<string, string> = {},
  openFiles?: number,
): Promise<Node> {
  const args = [
    '--conditions=@parley/source',
    '--import',
    'tsx',
    join(root, 'apps/cli/src/main.ts'),
    'serve',
    '--port',
    '0',
    '--no-turn',
    '--log-level',
    'warn',
    ...Object.entries({ ...BENCH_FLAGS, ...flags }).flat(),
  ];
  const env = redisUrl
    ? { ...process.env, PARLEY_REDIS_URL: redisUrl, PARLEY_CLUSTER_SECRET: 'bench' }
    : process.env;
  const sh = `ulimit -n ${openFiles} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  const child =
    openFiles === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env })
      : spawn('sh', ['-c', sh, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 30_000;
  while (!/signaling\s+ws:\/\/[^:]+:(\d+)/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`node did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port: Number(/signaling\s+ws:\/\/[^:]+:(\d+)/.exec(out)?.[1]) };
}

/** One section of Redis's INFO, as text. */
export async function redisInfo(port: number, section: string): Promise<string> {
  const socket = createConnection({ port, host: '127.0.0.1' });
  socket.write(`INFO ${section}\r\n`);
  let got = Buffer.alloc(0);
  const text = await new Promise<string>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const eol = got.indexOf('\r\n');
      if (eol < 0) return;
      const len = Number(got.subarray(1, eol).toString());
      if (got.length >= eol + 2 + len) resolve(got.subarray(eol + 2, eol + 2 + len).toString());
    });
  });
  socket.destroy();
  return text;
}

/** Redis's command counts (INFO commandstats): script calls (what the nodes send), and every command. */
export async function redisCalls(port: number): Promise<{ scripts: number; all: number }> {
  const text = await redisInfo(port, 'commandstats');
  let scripts = 0;
  let all = 0;
  for (const m of text.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
    if (m[1] === 'info') continue;
    all += Number(m[2]);
    if (m[1] === 'evalsha' || m[1] === 'eval') scripts += Number(m[2]);
  }
  return { scripts, all };
}

/** Bytes Redis holds for data (INFO memory used_memory) and its resident set (used_memory_rss). */
export async function redisMemory(port: number): Promise<{ used: number; rss: number }> {
  const text = await redisInfo(port, 'memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { used: field('used_memory'), rss: field('used_memory_rss') };
}
