// Helpers for tests that drive TURN over TCP or TLS with @parley/turn/client's StreamTurnClient.

/** Resolves true if `socket` closes within `ms`, false if it is still open then. */
export function closesWithin(closed: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

/** The TURN TCP port from `parley serve`'s banner ("stun/turn  udp 3478, tcp 3478"). */
export function tcpTurnPort(banner: string): number {
  const m = /stun\/turn\s+udp [\d,]+, tcp (\d+)/.exec(banner);
  if (!m) throw new Error(`no TURN TCP port in:\n${banner}`);
  return Number(m[1]);
}
