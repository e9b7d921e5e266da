/**
 * CPU profile of a server under a steady relay load (`node --cpu-prof`), reduced to the functions that
 * took the most self time and to time per module, so the hot spots can be named in the results.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReply } from './ipc.js';
import { startRig } from './procs.js';
import type { SystemName } from './systems.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface HotSpot {
  function: string;
  where: string;
  selfPct: number;
}

export interface ProfileResult {
  system: SystemName;
  rate: number;
  achieved: number;
  file: string;
  top: HotSpot[];
  byModule: Array<{ module: string; selfPct: number }>;
}

const repoRoot = new URL('../../../', import.meta.url).pathname;

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  return path.startsWith(repoRoot) ? path.slice(repoRoot.length) : path;
}

function moduleOf(url: string): string {
  if (!url) return '(native / vm)';
  if (url.startsWith('node:')) return 'node core';
  const s = shortUrl(url);
  if (s.startsWith('packages/')) return s.split('/').slice(0, 2).join('/');
  return s.split('/')[0]!.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
}

/** esbuild starts each bundled module with a `// path/to/source.ts` line: map bundle lines back to sources. */
const sourceMaps = new Map<string, (line: number) => string | null>();
function sourceOfBundleLine(url: string, line: number): string | null {
  if (!url.includes('/.cache/parley-bench/')) return null;
  let find = sourceMaps.get(url);
  if (!find) {
    const marks: Array<[number, string]> = [];
    readFileSync(url.replace(/^file:\/\//, ''), 'utf8')
      .split('\n')
      .forEach((l, i) => {
        const m = /^\/\/ ((?:packages|bench|apps)\/\S+\.ts)$/.exec(l);
        if (m) marks.push([i, m[1]!]);
      });
    find = (n) => {
      let best: string | null = null;
      for (const [i, p] of marks) if (i <= n) best = p;
      return best;
    };
    sourceMaps.set(url, find);
  }
  return find(line);
}

export function summarize(file: string, topN = 15): Pick<ProfileResult, 'top' | 'byModule'> {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: CpuProfileNode[] };
  const self = new Map<string, { fn: string; where: string; hits: number }>();
  const mods = new Map<string, number>();
  let total = 0;
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    total += hits;
    const fn = functionName || '(anonymous)';
    const src = sourceOfBundleLine(url, lineNumber);
    const where = src ?? (url ? `${shortUrl(url)}:${lineNumber + 1}` : '');
    const key = `${fn}@${where}`;
    const e = self.get(key) ?? { fn, where, hits: 0 };
    e.hits += hits;
    self.set(key, e);
    const m = fn.startsWith('(') && !url ? fn : src ? src.split('/').slice(0, 2).join('/') : moduleOf(url);
    mods.set(m, (mods.get(m) ?? 0) + hits);
  }
  const pct = (h: number) => Math.round((1000 * h) / Math.max(1, total)) / 10;
  return {
    top: [...self.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, topN)
      .map((e) => ({ function: e.fn, where: e.where, selfPct: pct(e.hits) })),
    byModule: [...mods.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([module, h]) => ({ module, selfPct: pct(h) })),
  };
}

export async function profileServer(
  system: SystemName,
  rate: number,
  pairs: number,
  seconds: number,
  dir: string,
  cpus: { server: string; client: string },
): Promise<ProfileResult> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${system}-${Date.now()}.cpuprofile`);
  const rig = await startRig(system, { serverCpu: cpus.server, clientCpu: cpus.client, pairs, prefix: 'p' });
  const { server, worker } = rig;
  let achieved = 0;
  try {
    // Warm the JIT first, then profile a steady window only.
    await worker.request<RunReply>({ op: 'run', rate, warmupMs: 0, windowMs: 1000, drainMs: 300 });
    await server.request({ op: 'prof-start' });
    const rep = await worker.request<RunReply>({
      op: 'run',
      rate,
      warmupMs: 0,
      windowMs: seconds * 1000,
      drainMs: 0,
    });
    await server.request({ op: 'prof-stop', file });
    achieved = Math.round(rep.received / seconds);
  } finally {
    await rig.stop();
  }
  return { system, rate, achieved, file, ...summarize(file) };
}
