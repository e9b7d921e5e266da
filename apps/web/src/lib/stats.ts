/**
 * Per-peer connection facts from getStats(): the selected candidate pair (direct or relayed through TURN),
 * its round-trip time, the bitrate both ways, and how many video frames were decoded.
 */
import type { Peer } from '@parley/client';

export interface PeerStats {
  /** 'relayed' when either end of the selected pair is a TURN relay candidate. */
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
  bytesSent: number;
  bytesReceived: number;
}

type Report = Record<string, unknown> & { type: string; id: string };

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** `source`: the SDK's Peer (its getStats() follows the connection across recoveries). */
export async function readStats(
  source: { getStats(): Promise<RTCStatsReport> },
  previous: PeerStats | undefined,
): Promise<PeerStats> {
  const report = await source.getStats();
  const all = new Map<string, Report>();
  report.forEach((r: Report) => {
    all.set(r.id, r);
  });
  const pair = selectedPair(all);
  const local = pair ? all.get(String(pair.localCandidateId)) : undefined;
  const remote = pair ? all.get(String(pair.remoteCandidateId)) : undefined;
  const localType = String(local?.candidateType ?? '?');
  const remoteType = String(remote?.candidateType ?? '?');
  let framesDecoded = 0;
  let frameWidth: number | undefined;
  let frameHeight: number | undefined;
  let fps: number | undefined;
  for (const r of all.values()) {
    if (r.type !== 'inbound-rtp' || r.kind !== 'video') continue;
    framesDecoded += num(r.framesDecoded) ?? 0;
    frameWidth = num(r.frameWidth) ?? frameWidth;
    frameHeight = num(r.frameHeight) ?? frameHeight;
    fps = num(r.framesPerSecond) ?? fps;
  }
  const at = performance.now();
  const bytesSent = num(pair?.bytesSent) ?? 0;
  const bytesReceived = num(pair?.bytesReceived) ?? 0;
  const dt = previous ? (at - previous.at) / 1000 : 0;
  const rate = (now: number, before: number | undefined) =>
    dt > 0 && before !== undefined && now >= before ? ((now - before) * 8) / dt : 0;
  const rtt = num(pair?.currentRoundTripTime);
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
  };
}

function selectedPair(all: Map<string, Report>): Report | undefined {
  for (const r of all.values()) {
    if (r.type !== 'transport' || typeof r.selectedCandidatePairId !== 'string') continue;
    const pair = all.get(r.selectedCandidatePairId);
    if (pair) return pair;
  }
  // Browsers without transport.selectedCandidatePairId: the nominated pair that succeeded.
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
