/**
 * What an app usually wants from getStats(): whether the connection is direct or relayed through TURN, and
 * its round-trip time, read from the selected ICE candidate pair (W3C webrtc-stats §7.12, §7.13).
 */

export interface ConnectionInfo {
  /** 'relayed' when either end of the selected pair is a TURN relay candidate. */
  type: 'direct' | 'relayed';
  /** The pair's current round-trip time (STUN consent checks), when measured yet. */
  rttMs: number | undefined;
  /** 'host', 'srflx', 'prflx' or 'relay'. */
  localCandidateType: string;
  remoteCandidateType: string;
  /** The local candidate's transport to its peer (or to the TURN server): 'udp' or 'tcp'. */
  protocol: string;
  /**
   * When the local candidate is a TURN relay, how this side reaches the TURN server: 'udp', 'tcp' or
   * 'tls' (browsers report it; node-datachannel does not, and only speaks UDP to TURN).
   */
  relayProtocol?: string;
}

type Stat = Record<string, unknown> & { id: string; type: string };

/** The selected candidate pair's facts, or undefined while no pair is selected. */
export function connectionInfoFrom(report: RTCStatsReport): ConnectionInfo | undefined {
  const stats = new Map<string, Stat>();
  report.forEach((s: Stat) => {
    stats.set(s.id, s);
  });
  const pair = selectedPair(stats);
  if (!pair) return undefined;
  const local = stats.get(String(pair.localCandidateId));
  const remote = stats.get(String(pair.remoteCandidateId));
  const localCandidateType = String(local?.candidateType ?? 'unknown');
  const remoteCandidateType = String(remote?.candidateType ?? 'unknown');
  const rtt = pair.currentRoundTripTime;
  return {
    type: localCandidateType === 'relay' || remoteCandidateType === 'relay' ? 'relayed' : 'direct',
    rttMs: typeof rtt === 'number' ? Math.round(rtt * 1000) : undefined,
    localCandidateType,
    remoteCandidateType,
    protocol: String(local?.protocol ?? 'unknown'),
    ...(localCandidateType === 'relay' && typeof local?.relayProtocol === 'string'
      ? { relayProtocol: local.relayProtocol }
      : {}),
  };
}

function selectedPair(stats: Map<string, Stat>): Stat | undefined {
  for (const s of stats.values()) {
    if (s.type !== 'transport' || typeof s.selectedCandidatePairId !== 'string') continue;
    const pair = stats.get(s.selectedCandidatePairId);
    if (pair) return pair;
  }
  // Implementations without transport.selectedCandidatePairId: the nominated pair that succeeded.
  for (const s of stats.values()) {
    if (s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded') return s;
  }
  return undefined;
}
