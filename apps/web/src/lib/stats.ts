/**
 * Per-peer connection facts from getStats(): the candidate pair that carries the media (direct or relayed
 * through TURN), its round-trip time, the bitrate both ways, and how many video frames were decoded.
 *
 * The pair a browser reports as selected is not always the one the bytes travel on: when Chromium talks to
 * Firefox through a relay, Chromium's selected pair can stay idle while the other side's pick carries all
 * the media. So the bitrate counts the bytes of every pair, and the path and RTT come from the pair whose
 * byte counts grew the most since the last sample (the selected pair until one has).
 */
import type { Peer } from '@parley/client';

export interface PeerStats {
  /** 'relayed' when either end of the pair carrying the media is a TURN relay candidate. */
  path: 'direct' | 'relayed' | 'unknown';
  /** e.g. "host ↔ host (udp)". */
  pair: string;
  rttMs: number | undefined;
  sendBps: number;
  recvBps: number;
  framesDecoded: number;
  frameWidth: number | undefined;
  frameHeight: number | undefined;
  fps: number | undefined;
  at: number;
  /** Bytes over every candidate pair so far. */
  bytesSent: number;
  bytesReceived: number;
  /** Bytes sent plus received per candidate pair id, to tell which pair carries the media. */
  pairBytes: Record<string, number>;
}

export type StatsReport = Record<string, unknown> & { type: string; id: string };

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** `source`: the SDK's Peer (its getStats() follows the connection across recoveries). */
export async function readStats(
  source: { getStats(): Promise<RTCStatsReport> },
  previous: PeerStats | undefined,
): Promise<PeerStats> {
  const report = await source.getStats();
  const reports: StatsReport[] = [];
  report.forEach((r: StatsReport) => {
    reports.push(r);
  });
  return statsFrom(reports, previous, performance.now());
}

/** The pure part of readStats(): one getStats() report (as a list) and the previous sample. */
export function statsFrom(
  reports: readonly StatsReport[],
  previous: PeerStats | undefined,
  at: number,
): PeerStats {
  const all = new Map<string, StatsReport>();
  for (const r of reports) all.set(r.id, r);
  const pairs = [...all.values()].filter((r) => r.type === 'candidate-pair');
  const pairBytes: Record<string, number> = {};
  let bytesSent = 0;
  let bytesReceived = 0;
  for (const p of pairs) {
    const sent = num(p.bytesSent) ?? 0;
    const received = num(p.bytesReceived) ?? 0;
    bytesSent += sent;
    bytesReceived += received;
    pairBytes[p.id] = sent + received;
  }
  const pair = carryingPair(pairs, previous?.pairBytes) ?? selectedPair(all);
  const local = pair ? all.get(String(pair.localCandidateId)) : undefined;
  const remote = pair ? all.get(String(pair.remoteCandidateId)) : undefined;
  const localType = String(local?.candidateType ?? '?');
  const remoteType = String(remote?.candidateType ?? '?');
  let framesDecoded = 0;
  let frameWidth: number | undefined;
  let frameHeight: number | undefined;
  let fps: number | undefined;
  let rtcpRtt: number | undefined;
  for (const r of all.values()) {
    if (r.type === 'remote-inbound-rtp') rtcpRtt ??= num(r.roundTripTime);
    if (r.type !== 'inbound-rtp' || r.kind !== 'video') continue;
    framesDecoded += num(r.framesDecoded) ?? 0;
    frameWidth = num(r.frameWidth) ?? frameWidth;
    frameHeight = num(r.frameHeight) ?? frameHeight;
    fps = num(r.framesPerSecond) ?? fps;
  }
  const dt = previous ? (at - previous.at) / 1000 : 0;
  const rate = (now: number, before: number | undefined) =>
    dt > 0 && before !== undefined && now >= before ? ((now - before) * 8) / dt : 0;
  const rtt = pair ? (pairRtt(pair) ?? rtcpRtt) : undefined;
  return {
    path: !pair ? 'unknown' : localType === 'relay' || remoteType === 'relay' ? 'relayed' : 'direct',
    pair: pair ? `${localType} ↔ ${remoteType} (${String(local?.protocol ?? '?')})` : 'no pair selected yet',
    rttMs: rtt === undefined ? undefined : Math.round(rtt * 1000),
    sendBps: rate(bytesSent, previous?.bytesSent),
    recvBps: rate(bytesReceived, previous?.bytesReceived),
    framesDecoded,
    frameWidth,
    frameHeight,
    fps,
    at,
    bytesSent,
    bytesReceived,
    pairBytes,
  };
}

/** The pair whose bytes grew the most since the previous sample, if any grew. */
function carryingPair(
  pairs: readonly StatsReport[],
  before: Record<string, number> | undefined,
): StatsReport | undefined {
  if (!before) return undefined;
  let best: StatsReport | undefined;
  let bestGrowth = 0;
  for (const p of pairs) {
    const growth = (num(p.bytesSent) ?? 0) + (num(p.bytesReceived) ?? 0) - (before[p.id] ?? 0);
    if (growth > bestGrowth) {
      best = p;
      bestGrowth = growth;
    }
  }
  return best;
}

/** The pair's STUN round trip: the latest (Chromium), else the average so far (Firefox). */
function pairRtt(pair: StatsReport): number | undefined {
  const current = num(pair.currentRoundTripTime);
  if (current !== undefined) return current;
  const total = num(pair.totalRoundTripTime);
  const responses = num(pair.responsesReceived);
  return total !== undefined && responses ? total / responses : undefined;
}

function selectedPair(all: Map<string, StatsReport>): StatsReport | undefined {
  for (const r of all.values()) {
    if (r.type !== 'transport' || typeof r.selectedCandidatePairId !== 'string') continue;
    const pair = all.get(r.selectedCandidatePairId);
    if (pair) return pair;
  }
  // Browsers without transport.selectedCandidatePairId (Firefox): the pair it marks selected, else the
  // nominated pair that succeeded.
  for (const r of all.values()) {
    if (r.type === 'candidate-pair' && r.selected === true) return r;
  }
  for (const r of all.values()) {
    if (r.type === 'candidate-pair' && r.nominated === true && r.state === 'succeeded') return r;
  }
  return undefined;
}

/** The loudest audio the peer sends us now (0…1), from the connection's inbound audio stats. */
export async function audioLevel(peer: Peer): Promise<number> {
  let level = 0;
  (await peer.getStats()).forEach((s: { type: string; kind?: string; audioLevel?: number }) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') level = Math.max(level, s.audioLevel ?? 0);
  });
  return level;
}
