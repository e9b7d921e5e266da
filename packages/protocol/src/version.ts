/**
 * Protocol version negotiation. The client offers WebSocket subprotocols (`parley.v1`, …) and the server
 * picks the highest one it speaks; with none in common it sends an UNSUPPORTED_VERSION error and closes.
 */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];

export function subprotocol(version: number): string {
  return `parley.v${version}`;
}

/** Parses `parley.vN`; returns undefined for anything else. */
export function parseSubprotocol(name: string): number | undefined {
  const m = /^parley\.v([1-9][0-9]{0,3})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The highest version both sides speak, or undefined. */
export function negotiateVersion(
  offered: Iterable<string>,
  supported = SUPPORTED_VERSIONS,
): number | undefined {
  let best: number | undefined;
  for (const name of offered) {
    const v = parseSubprotocol(name);
    if (v !== undefined && supported.includes(v) && (best === undefined || v > best)) best = v;
  }
  return best;
}
