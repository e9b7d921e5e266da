/**
 * Profiles our server under each load with `node --cpu-prof` and reduces the profile to its hot functions
 * (self time), each named with the source file it came from (read from esbuild's `// path` markers).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundlePath } from './procs.js';
import {
  type Load,
  runAlloc,
  runBinding,
  runRelay,
  type ScenarioName,
  setupRelay,
  teardownRelay,
} from './scenarios.js';
import { type ServerConfig, startParley } from './servers.js';

export interface HotFunction {
  name: string;
  source: string;
  selfPct: number;
}

export interface ProfileSummary {
  scenario: ScenarioName;
  units: number;
  cpuUsPerUnit: number;
  top: HotFunction[];
  /** Self time grouped by source file (our packages, node internals, GC…). */
  bySource: { source: string; selfPct: number }[];
  /** Our own functions (packages/*) by total time: self plus everything they call. */
  inclusive: { name: string; source: string; totalPct: number }[];
  table: string;
}

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
}

/** Bundle line → source path, from the `// packages/turn/src/core/relayed-data.ts` comments esbuild writes. */
function sourceMapper(bundle: string): (line: number) => string {
  const marks: { line: number; source: string }[] = [];
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((l, i) => {
      const m = /^\/\/ ((?:packages|bench|apps)\/\S+\.ts)$/.exec(l);
      if (m) marks.push({ line: i, source: m[1]! });
    });
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = '?';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid]!.line <= line) {
        found = marks[mid]!.source;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

export function reduceProfile(
  p: CpuProfile,
  bundle: string,
): Pick<ProfileSummary, 'top' | 'bySource' | 'inclusive'> {
  const mapLine = sourceMapper(bundle);
  const hits = new Map<number, number>();
  for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  // Percentages of the time the server was busy: idle samples are left out.
  const idle = p.nodes
    .filter((n) => n.callFrame.functionName === '(idle)')
    .reduce((a, n) => a + (hits.get(n.id) ?? 0), 0);
  const total = p.samples.length - idle || 1;
  const byFn = new Map<string, HotFunction>();
  const bySrc = new Map<string, number>();
  for (const n of p.nodes) {
    const h = hits.get(n.id) ?? 0;
    if (h === 0 || n.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const source = url.endsWith('.mjs') ? mapLine(lineNumber) : url || functionName;
    const name = functionName || '(anonymous)';
    const key = `${name}|${source}|${url.endsWith('.mjs') ? lineNumber : ''}`;
    const f = byFn.get(key) ?? { name, source, selfPct: 0 };
    f.selfPct += (h / total) * 100;
    byFn.set(key, f);
    const group = url === '' ? name : source;
    bySrc.set(group, (bySrc.get(group) ?? 0) + (h / total) * 100);
  }
  const top = [...byFn.values()].sort((a, b) => b.selfPct - a.selfPct).slice(0, 15);
  // Inclusive time of our functions: each busy sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const incl = new Map<string, { name: string; source: string; hits: number }>();
  for (const [id, h] of hits) {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      if (!f?.url.endsWith('.mjs')) continue;
      const source = mapLine(f.lineNumber);
      if (!source.startsWith('packages/')) continue;
      const name = f.functionName || '(anonymous)';
      const key = `${name}|${source}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const e = incl.get(key) ?? { name, source, hits: 0 };
      e.hits += h;
      incl.set(key, e);
    }
  }
  const inclusive = [...incl.values()]
    .map((e) => ({ name: e.name, source: e.source, totalPct: (e.hits / total) * 100 }))
    .sort((a, b) => b.totalPct - a.totalPct)
    .slice(0, 15);
  const bySource = [...bySrc.entries()]
    .map(([source, selfPct]) => ({ source, selfPct }))
    .sort((a, b) => b.selfPct - a.selfPct)
    .slice(0, 12);
  return { top, bySource, inclusive };
}

function mdTable(s: Pick<ProfileSummary, 'top' | 'bySource' | 'inclusive'>): string {
  const rows = ['| self % of busy | function | source |', '| ---: | --- | --- |'];
  for (const f of s.top) rows.push(`| ${f.selfPct.toFixed(1)} | \`${f.name}\` | ${f.source} |`);
  rows.push('', '| self % of busy | by source |', '| ---: | --- |');
  for (const g of s.bySource) rows.push(`| ${g.selfPct.toFixed(1)} | ${g.source} |`);
  rows.push('', '| total % of busy | our function (with what it calls) | source |', '| ---: | --- | --- |');
  for (const f of s.inclusive) rows.push(`| ${f.totalPct.toFixed(1)} | \`${f.name}\` | ${f.source} |`);
  return rows.join('\n');
}

export async function profileParley(
  load: Load,
  cfg: ServerConfig,
  cpu: string,
  scenarios: Set<ScenarioName>,
  o: { relayRate: number; relayClients: number; seconds: number },
): Promise<ProfileSummary[]> {
  const out: ProfileSummary[] = [];
  const ms = o.seconds * 1000;
  for (const scenario of ['relay', 'alloc', 'binding'] as const) {
    if (!scenarios.has(scenario)) continue;
    const dir = mkdtempSync(join(tmpdir(), 'parley-turn-prof-'));
    const server = await startParley(cfg, cpu, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    let units = 0;
    let cpuUsPerUnit = Number.NaN;
    try {
      if (scenario === 'relay') {
        await setupRelay(load, server, o.relayClients);
        await runRelay(load, server, -1, o.relayRate, 1000, 100);
        const s = await runRelay(load, server, 0, o.relayRate, ms, 100);
        await teardownRelay(load, server);
        ({ units, cpuUsPerUnit } = s);
      } else if (scenario === 'alloc') {
        await runAlloc(load, server, -1, 8, 1000);
        ({ units, cpuUsPerUnit } = await runAlloc(load, server, 0, 8, ms));
      } else {
        await runBinding(load, server, -1, 4, 16, 1000);
        ({ units, cpuUsPerUnit } = await runBinding(load, server, 0, 4, 16, ms));
      }
    } finally {
      await server.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    rmSync(dir, { recursive: true, force: true });
    const reduced = reduceProfile(profile, bundlePath('our-server'));
    const summary = { scenario, units, cpuUsPerUnit, ...reduced };
    out.push({ ...summary, table: mdTable(summary) });
    console.log(`  profiled ${scenario}: ${cpuUsPerUnit.toFixed(2)} µs CPU/unit under the profiler`);
  }
  return out;
}
