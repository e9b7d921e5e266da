/** Medians, spreads and ours/coturn ratios over the alternating rounds, and the table printed on stdout. */
import type { Sample, ScenarioName } from './scenarios.js';
import type { SystemName } from './servers.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(xs: number[]): Spread {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n };
  const median = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  return { median, min: s[0]!, max: s[n - 1]!, n };
}

export interface SystemSummary {
  perSec: Spread;
  cpuUsPerUnit: Spread;
  userUsPerUnit: Spread;
  sysUsPerUnit: Spread;
  serverCpuPct: Spread;
  /** relay only: Mbit/s of relayed application data (payload bytes of every relayed datagram). */
  mbitPerSec?: Spread;
  /** relay only: % of sent datagrams that came back through the relay twice. */
  roundTripPct?: Spread;
  /** relay only: CPU µs the bare Node echo peer spent per datagram (receive + send): a Node floor. */
  echoCpuUsPerDatagram?: Spread;
}

export interface Ratio {
  perSec: number;
  cpuUsPerUnit: number;
}

const SYSTEMS = ['parley', 'parley-dgram', 'coturn'] as const;

function ratio(a: SystemSummary | undefined, b: SystemSummary | undefined): Ratio | null {
  if (!a || !b) return null;
  return {
    perSec: a.perSec.median / b.perSec.median,
    cpuUsPerUnit: a.cpuUsPerUnit.median / b.cpuUsPerUnit.median,
  };
}

export interface ScenarioSummary {
  scenario: ScenarioName;
  unit: string;
  systems: Partial<Record<SystemName, SystemSummary>>;
  /** ours / coturn, on medians. CPU ratio below 1 means we spend less per unit. */
  ratio: Ratio | null;
  /** Our server on node:dgram (`--dgram`) / coturn. */
  dgramRatio: Ratio | null;
}

const UNITS: Record<ScenarioName, string> = {
  relay: 'relayed datagram',
  alloc: 'allocation (Allocate 401 + Allocate + Refresh 0)',
  binding: 'Binding request',
};

export function summarize(samples: Sample[], payload: number): ScenarioSummary[] {
  const out: ScenarioSummary[] = [];
  for (const scenario of ['relay', 'alloc', 'binding'] as const) {
    const mine = samples.filter((s) => s.scenario === scenario);
    if (mine.length === 0) continue;
    const systems: ScenarioSummary['systems'] = {};
    for (const system of SYSTEMS) {
      const xs = mine.filter((s) => s.system === system);
      if (xs.length === 0) continue;
      const sum: SystemSummary = {
        perSec: spread(xs.map((s) => s.perSec)),
        cpuUsPerUnit: spread(xs.map((s) => s.cpuUsPerUnit)),
        userUsPerUnit: spread(xs.map((s) => s.userUsPerUnit)),
        sysUsPerUnit: spread(xs.map((s) => s.sysUsPerUnit)),
        serverCpuPct: spread(xs.map((s) => s.serverCpuPct)),
      };
      if (scenario === 'relay') {
        sum.mbitPerSec = spread(xs.map((s) => (s.perSec * payload * 8) / 1e6));
        sum.roundTripPct = spread(xs.map((s) => Number(s.extra.roundTripPct)));
        sum.echoCpuUsPerDatagram = spread(xs.map((s) => Number(s.extra.echoCpuUsPerDatagram)));
      }
      systems[system] = sum;
    }
    out.push({
      scenario,
      unit: UNITS[scenario],
      systems,
      ratio: ratio(systems.parley, systems.coturn),
      dgramRatio: ratio(systems['parley-dgram'], systems.coturn),
    });
  }
  return out;
}

function fmt(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function cell(s: Spread | undefined, digits = 1): string {
  if (!s) return '—';
  return s.n > 1
    ? `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
    : fmt(s.median, digits);
}

/** A Markdown table: median (min–max) per system, and the ours/coturn ratios. */
export function table(summaries: ScenarioSummary[]): string {
  const rows = [
    '| scenario | server | per second | Mbit/s | server CPU µs / unit | user / kernel µs | server CPU % of a core | round trips % |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of summaries) {
    for (const system of SYSTEMS) {
      const x = s.systems[system];
      if (!x) continue;
      rows.push(
        `| ${s.scenario} | ${system} | ${cell(x.perSec, 0)} | ${cell(x.mbitPerSec)} | ${cell(x.cpuUsPerUnit, 2)} | ` +
          `${fmt(x.userUsPerUnit.median, 1)} / ${fmt(x.sysUsPerUnit.median, 1)} | ${cell(x.serverCpuPct, 0)} | ${cell(x.roundTripPct)} |`,
      );
    }
    for (const [label, r] of [
      ['**ours / coturn**', s.ratio],
      ['node:dgram / coturn', s.dgramRatio],
    ] as const) {
      if (r)
        rows.push(
          `| ${s.scenario} | ${label} | ${fmt(r.perSec, 2)}× | | **${fmt(r.cpuUsPerUnit, 2)}×** | | |`,
        );
    }
  }
  const echo = summaries.find((s) => s.scenario === 'relay')?.systems.parley?.echoCpuUsPerDatagram;
  const floor = echo
    ? `\n\nNode floor: the echo peer (a bare node:dgram echo on connected sockets, no JS work) spent ${cell(echo, 2)} µs of CPU per datagram it received and sent back.`
    : '';
  const units = summaries.map((s) => `${s.scenario}: one ${s.unit}`).join('; ');
  return `${rows.join('\n')}\n\nUnits: ${units}. Cells: median (min–max) over rounds.${floor}`;
}
