/** The soak's figures: merging the workers' counters, the readable table, and what not to trust. */
import { Histogram } from '../signaling/histogram.js';
import type { FleetTotals, HostileReply } from './ipc.js';

export interface LatencySummary {
  samples: number;
  p50Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
}

/** Percentiles from the merged histogram; null past its 2 s range (the max is exact). */
function summarize(h: Histogram, maxUs: number): LatencySummary {
  const q = (f: number) => {
    const v = h.quantileMs(f);
    return Number.isFinite(v) ? v : null;
  };
  return {
    samples: h.total,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    p999Ms: q(0.999),
    maxMs: h.total ? Math.round(maxUs / 10) / 100 : null,
  };
}

export type Merged = Omit<FleetTotals, 'liveHist' | 'replayHist' | 'liveMaxUs' | 'replayMaxUs' | 'elu'> & {
  latency: { live: LatencySummary; replay: LatencySummary };
  workerElu: number[];
};

export function mergeTotals(all: FleetTotals[]): Merged {
  const live = new Histogram();
  const replay = new Histogram();
  const sumRec = (pick: (t: FleetTotals) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const t of all) for (const [k, v] of Object.entries(pick(t))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const sum = (pick: (t: FleetTotals) => number) => all.reduce((a, t) => a + pick(t), 0);
  for (const t of all) {
    live.addSparse(t.liveHist);
    replay.addSparse(t.replayHist);
  }
  return {
    clients: sum((t) => t.clients),
    aliveAtEnd: sum((t) => t.aliveAtEnd),
    sent: sum((t) => t.sent),
    sentMessage: sum((t) => t.sentMessage),
    sentSignal: sum((t) => t.sentSignal),
    receivedUnique: sum((t) => t.receivedUnique),
    duplicates: sum((t) => t.duplicates),
    lost: sum((t) => t.lost),
    lostToFailedResume: sum((t) => t.lostToFailedResume),
    misdelivered: sum((t) => t.misdelivered),
    seqGaps: sum((t) => t.seqGaps),
    seqRepeats: sum((t) => t.seqRepeats),
    replayed: sum((t) => t.replayed),
    drops: sum((t) => t.drops),
    resumesOk: sum((t) => t.resumesOk),
    resumesFailed: sum((t) => t.resumesFailed),
    resumeFailReasons: sumRec((t) => t.resumeFailReasons),
    resumeRetryReasons: sumRec((t) => t.resumeRetryReasons),
    resumeTimeoutSamples: all.flatMap((t) => t.resumeTimeoutSamples).slice(0, 60),
    resumeMsSum: sum((t) => t.resumeMsSum),
    resumeMsMax: Math.max(0, ...all.map((t) => t.resumeMsMax)),
    rejoins: sum((t) => t.rejoins),
    unexpectedCloses: sum((t) => t.unexpectedCloses),
    closeReasons: sumRec((t) => t.closeReasons),
    errorFrames: sumRec((t) => t.errorFrames),
    errorSamples: all.flatMap((t) => t.errorSamples).slice(0, 10),
    skippedBackpressure: sum((t) => t.skippedBackpressure),
    latency: {
      live: summarize(live, Math.max(0, ...all.map((t) => t.liveMaxUs))),
      replay: summarize(replay, Math.max(0, ...all.map((t) => t.replayMaxUs))),
    },
    workerElu: all.map((t) => Math.round(t.elu * 100) / 100),
  };
}

const n = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '—'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (v: number | null) => (v === null ? '> 2,000 ms' : `${n(v, 2)} ms`);
const mapText = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${n(v)}`)
    .join('; ') || '—';

export interface TableInput {
  requested: number;
  reached: number;
  minutes: number;
  runSeconds: number;
  merged: Merged | null;
  rss: { startMiB: number; afterSetupMiB: number; peakMiB: number; endMiB: number };
  serverSurvived: boolean;
  /** Commit and whether product code had uncommitted changes (the build ran them). */
  commit: string;
  cores: { server: number; workers: number; others: number; of: number };
  serverExit: string;
  hostile: HostileReply | null;
  trust: string[];
  verdict: string;
}

export function table(x: TableInput): string {
  const m = x.merged;
  const rows: Array<[string, string]> = [
    ['verdict', x.verdict],
    ['clients reached / requested', `${n(x.reached)} / ${n(x.requested)}`],
    ['load duration', `${n(x.runSeconds)} s (asked ${x.minutes} min)`],
    ['server survived', x.serverSurvived ? 'yes' : `**no**: ${x.serverExit}`],
    ['ran against', x.commit],
    [
      'CPU, mean cores of ' + x.cores.of + ': server / soak workers / other processes',
      `${n(x.cores.server, 2)} / ${n(x.cores.workers, 2)} / ${n(x.cores.others, 2)}`,
    ],
  ];
  if (m) {
    const meanResume = m.resumesOk ? m.resumeMsSum / m.resumesOk : null;
    rows.push(
      ['frames sent (message + signal)', `${n(m.sent)} (${n(m.sentMessage)} + ${n(m.sentSignal)})`],
      ['frames received exactly once', n(m.receivedUnique)],
      [
        '**frames lost** (target 0)',
        `${n(m.lost)}${m.lost ? ` (${n(m.lostToFailedResume)} to sessions a failed resume ended, ${n(m.lost - m.lostToFailedResume)} to peers that kept their session)` : ''}`,
      ],
      ['frames duplicated', n(m.duplicates)],
      [
        'misdelivered / seq gaps / seq repeats',
        `${n(m.misdelivered)} / ${n(m.seqGaps)} / ${n(m.seqRepeats)}`,
      ],
      ['drops (terminate, no leave)', n(m.drops)],
      [
        'resumes ok / failed',
        `${n(m.resumesOk)} / ${n(m.resumesFailed)}${m.resumesFailed ? ` (${mapText(m.resumeFailReasons)})` : ''}`,
      ],
      ['resume time mean / max', `${n(meanResume, 1)} / ${n(m.resumeMsMax, 1)} ms`],
      ['resume attempts that went wrong', mapText(m.resumeRetryReasons)],
      ['frames replayed after a resume', n(m.replayed)],
      [
        'relay latency p50 / p99 / max (live)',
        `${ms(m.latency.live.p50Ms)} / ${ms(m.latency.live.p99Ms)} / ${ms(m.latency.live.maxMs)} (${n(m.latency.live.samples)} samples)`,
      ],
      [
        'latency of replayed frames p50 / p99 / max',
        `${ms(m.latency.replay.p50Ms)} / ${ms(m.latency.replay.p99Ms)} / ${ms(m.latency.replay.maxMs)} (${n(m.latency.replay.samples)} samples)`,
      ],
      [
        'closes the fleet did not ask for',
        `${n(m.unexpectedCloses)}${m.unexpectedCloses ? ` (${mapText(m.closeReasons)})` : ''}`,
      ],
      ['error frames to the fleet', mapText(m.errorFrames)],
      ['load worker event-loop use', m.workerElu.join(', ')],
    );
  }
  rows.push([
    'server RSS start / after setup / peak / end',
    `${n(x.rss.startMiB, 1)} / ${n(x.rss.afterSetupMiB, 1)} / ${n(x.rss.peakMiB, 1)} / ${n(x.rss.endMiB, 1)} MiB`,
  ]);
  let out = `| figure | value |\n| --- | --- |\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}\n`;
  if (x.hostile) {
    out += '\n| hostile kind | sent | outcomes |\n| --- | --- | --- |\n';
    for (const [k, s] of Object.entries(x.hostile))
      out += `| ${k} | ${n(s.sent)} ${s.unit} | ${mapText(s.outcomes)}${s.notes.length ? `<br>${s.notes.join('<br>')}` : ''} |\n`;
  }
  if (x.trust.length) out += `\nNot to be trusted as is:\n${x.trust.map((t) => `- ${t}`).join('\n')}\n`;
  return out;
}
