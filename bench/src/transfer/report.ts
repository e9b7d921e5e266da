/**
 * `bench:transfer`'s figures: memory at 25/50/75/100 % of the bytes, whether a path's figures can be
 * trusted, the medians and the Markdown tables. Pure functions (tests/repo/bench-transfer.test.ts).
 */
import type { CpuShare } from './procs.js';
import type { Sample } from './rounds.js';

export const MiB = 1024 * 1024;
/** Fewer rounds than this make no median worth reading. */
export const MIN_ROUNDS = 3;
/** A phase shorter than this is mostly connection warm-up and timer granularity. */
export const MIN_PHASE_MS = 2000;
/** Raw rounds further apart than this (max − min over the median) say the machine was not quiet. */
export const MAX_RAW_SPREAD = 0.3;
/**
 * Memory is flat when, from the 25 % mark on, it grew to its peak by at most FLAT_SHARE of the bytes (or
 * FLAT_MIN), or it kept at most FLAT_SHARE of every byte that came in (the slope of memory against bytes:
 * garbage collected in a saw-tooth keeps none, a leak or a whole file held keeps all).
 */
export const FLAT_SHARE = 0.1;
export const FLAT_MIN = 16 * MiB;

/** Memory (bytes) as the receiving side measured it, when 25/50/75/100 % of the bytes were in. */
export interface MemoryProfile {
  before: number;
  at: [number, number, number, number];
  peak: number;
  /** Bytes of memory kept per byte received from the 25 % mark on (least-squares slope). */
  keptPerByte: number;
  /** See FLAT_SHARE. */
  flat: boolean;
}

/** Least-squares slope of memory against bytes received. */
function slope(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return Number.NaN;
  const mx = samples.reduce((a, s) => a + s.bytes, 0) / n;
  const my = samples.reduce((a, s) => a + s.mem, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const s of samples) {
    sxy += (s.bytes - mx) * (s.mem - my);
    sxx += (s.bytes - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

export function memoryProfile(before: number, samples: readonly Sample[], bytes: number): MemoryProfile {
  const at = [0.25, 0.5, 0.75, 1].map((f) => {
    const s = samples.find((x) => x.bytes >= f * bytes) ?? samples[samples.length - 1];
    return s ? s.mem : Number.NaN;
  }) as [number, number, number, number];
  const peak = Math.max(...samples.map((s) => s.mem).filter(Number.isFinite));
  const keptPerByte = slope(samples.filter((s) => s.bytes >= 0.25 * bytes && Number.isFinite(s.mem)));
  const flat = peak - at[0] <= Math.max(FLAT_SHARE * bytes, FLAT_MIN) || keptPerByte <= FLAT_SHARE;
  return { before, at, peak, keptPerByte, flat };
}

/** Bytes received at time `t`, linearly between the receiver's samples. */
export function bytesAt(samples: readonly Sample[], t: number): number {
  let prev: Sample | undefined;
  for (const s of samples) {
    if (s.t >= t) {
      if (!prev || s.t === prev.t) return s.bytes;
      return prev.bytes + ((s.bytes - prev.bytes) * (t - prev.t)) / (s.t - prev.t);
    }
    prev = s;
  }
  return prev?.bytes ?? 0;
}

/** One measured phase of a round: the raw pump or an engine variant. */
export interface Phase {
  /** 'raw', 'engine (disk)', 'engine (OPFS)', 'engine (memory)'. */
  name: string;
  ms: number;
  MBps: number;
  /** The receiving side's memory: Node RSS; a page's used JS heap. */
  memory: MemoryProfile;
  /** Chromium: the receiving browser's renderer RSS. */
  rendererRss?: MemoryProfile;
  /** The sender's selected candidate pair. */
  connection?: string;
  /**
   * UDP datagrams received and dropped on a full socket receive buffer in this network namespace during
   * the phase (every process's, so other traffic counts too).
   */
  udp?: { datagrams: number; rcvbufDrops: number };
  /** CPU over the phase by process role (% of one core), with the busiest threads. */
  cpu: Record<string, CpuShare>;
}

export interface Round {
  round: number;
  phases: Phase[];
}

export interface PathResult {
  path: 'node' | 'chromium';
  bytes: number;
  rounds: Round[];
  /** Median MB/s of each phase name over the rounds, and its ratio to the raw median. */
  medians: Record<string, { MBps: number; ofRaw: number }>;
  /**
   * Every phase's memory stayed flat in every round; phases into `memorySink()` aside, which holds the
   * file by design.
   */
  memoryFlat: boolean;
  /** Empty when the figures can be trusted; else why not. */
  untrusted: string[];
  extra?: Record<string, unknown>;
}

/** A phase whose sink holds the whole file in memory on purpose (`memorySink()`). */
const holdsFile = (phase: string) => phase.includes('(memory)');

export const median = (xs: readonly number[]): number => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Why a path's figures are not to be trusted as a result (empty: they are). */
export function trustReasons(rounds: readonly Round[], loadAtStart: number, cores: number): string[] {
  const why: string[] = [];
  if (rounds.length < MIN_ROUNDS)
    why.push(`only ${rounds.length} round(s): at least ${MIN_ROUNDS} make a median`);
  const short = rounds.flatMap((r) => r.phases.filter((p) => p.ms < MIN_PHASE_MS).map((p) => ({ r, p })));
  if (short.length) {
    const worst = short.reduce((a, b) => (b.p.ms < a.p.ms ? b : a));
    why.push(
      `${short.length} phase(s) too short to time (under ${MIN_PHASE_MS / 1000} s; ${worst.p.name} of round ${worst.r.round} took ${Math.round(worst.p.ms)} ms): use a larger --mib`,
    );
  }
  const raws = rounds.flatMap((r) => r.phases.filter((p) => p.name === 'raw').map((p) => p.MBps));
  if (raws.length >= 2) {
    const spread = (Math.max(...raws) - Math.min(...raws)) / median(raws);
    if (spread > MAX_RAW_SPREAD)
      why.push(
        `the raw pump varied by ${Math.round(100 * spread)} % between rounds (over ${100 * MAX_RAW_SPREAD} %): the machine was not quiet`,
      );
  }
  if (loadAtStart >= cores)
    why.push(`load average ${loadAtStart.toFixed(1)} at the start on ${cores} cores: the machine was busy`);
  return why;
}

export function summarize(
  path: 'node' | 'chromium',
  bytes: number,
  rounds: Round[],
  loadAtStart: number,
  cores: number,
): PathResult {
  const names = [...new Set(rounds.flatMap((r) => r.phases.map((p) => p.name)))];
  const med = (name: string) =>
    median(rounds.flatMap((r) => r.phases.filter((p) => p.name === name).map((p) => p.MBps)));
  const raw = med('raw');
  const medians = Object.fromEntries(names.map((n) => [n, { MBps: med(n), ofRaw: med(n) / raw }]));
  const memoryFlat = rounds.every((r) =>
    r.phases.every((p) => holdsFile(p.name) || (p.memory.flat && (p.rendererRss?.flat ?? true))),
  );
  return { path, bytes, rounds, medians, memoryFlat, untrusted: trustReasons(rounds, loadAtStart, cores) };
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const mib = (x: number) => (Number.isFinite(x) ? (x / MiB).toFixed(0) : '–');
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)} %` : '–');

function memCell(m: MemoryProfile): string {
  return `${mib(m.before)} → ${m.at.map(mib).join(' / ')} (peak ${mib(m.peak)}, kept ${pct(m.keptPerByte)})${m.flat ? '' : ' **not flat**'}`;
}

function cpuCell(cpu: Record<string, CpuShare>): string {
  return Object.entries(cpu)
    .map(([role, c]) => {
      const [name, share] = Object.entries(c.threads)[0] ?? ['–', 0];
      return `${role} ${c.total.toFixed(0)} % (${name} ${share.toFixed(0)} %)`;
    })
    .join('; ');
}

/** The per-round table and the summary, Markdown. */
export function markdown(results: readonly PathResult[]): string {
  let out = '';
  for (const r of results) {
    const memUnit = r.path === 'node' ? 'receiver RSS' : 'receiver JS heap';
    out += `\n### ${r.path === 'node' ? 'Node↔Node (node-datachannel, two processes)' : 'Chromium page↔page (two browser instances)'}, ${mib(r.bytes)} MiB\n\n`;
    out += `| round | phase | MB/s | ÷ raw (same round) | ${memUnit} MiB: before → 25/50/75/100 % (peak) |${r.path === 'chromium' ? ' receiver renderer RSS MiB |' : ''} CPU, % of a core (busiest thread) |\n`;
    out += `| ---: | --- | ---: | ---: | --- |${r.path === 'chromium' ? ' --- |' : ''} --- |\n`;
    for (const round of r.rounds) {
      const raw = round.phases.find((p) => p.name === 'raw')?.MBps ?? Number.NaN;
      for (const p of round.phases) {
        out += `| ${round.round} | ${p.name} | ${f1(p.MBps)} | ${p.name === 'raw' ? '' : pct(p.MBps / raw)} | ${memCell(p.memory)} |`;
        if (r.path === 'chromium') out += ` ${p.rendererRss ? memCell(p.rendererRss) : '–'} |`;
        out += ` ${cpuCell(p.cpu)} |\n`;
      }
    }
    out += '\n';
    const pairs = [...new Set(r.rounds.flatMap((x) => x.phases.map((p) => p.connection ?? 'unknown')))];
    out += `- connection (the sender's selected candidate pair): ${pairs.join('; ')}\n`;
    const drops = r.rounds.flatMap((x) => x.phases.map((p) => ({ p, d: p.udp?.rcvbufDrops ?? 0 })));
    const worst = drops.reduce((a, b) => (b.d > a.d ? b : a), drops[0] ?? { p: undefined, d: 0 });
    out += `- UDP datagrams dropped on a full receive buffer during the phases: ${drops.reduce((n, x) => n + x.d, 0)}${worst.d > 0 ? ` (most in one phase: ${worst.d}, ${worst.p?.name})` : ''}\n`;
    for (const [name, m] of Object.entries(r.medians))
      out += `- median ${name}: ${f1(m.MBps)} MB/s${name === 'raw' ? '' : ` = ${pct(m.ofRaw)} of raw (target ≥ 90 %)`}\n`;
    out += `- memory ${r.memoryFlat ? 'flat in every phase' : '**not flat** in some phase'}${r.rounds.some((x) => x.phases.some((p) => holdsFile(p.name))) ? ' but engine (memory), which holds the file by design' : ''} (from the 25 % mark: growth to the peak ≤ max(${100 * FLAT_SHARE} % of the bytes, ${FLAT_MIN / MiB} MiB), or ≤ ${100 * FLAT_SHARE} % of the bytes kept)\n`;
    out += r.untrusted.length
      ? `- **untrusted figures**: ${r.untrusted.join('; ')}\n`
      : '- trusted: enough rounds, long enough, raw steady, machine quiet at the start\n';
  }
  return out;
}
