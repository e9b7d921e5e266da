/**
 * The NAT's mapping behaviour as far as a browser can tell. With RFC 5780 discovery on, the server hands
 * out STUN on two IPs; one RTCPeerConnection asks both from the same local socket, and the reflexive ports
 * they saw tell the mapping: one and the same → endpoint-independent (a cone NAT), different →
 * address- or port-dependent (symmetric). A browser cannot send RFC 5780's CHANGE-REQUEST nor read
 * OTHER-ADDRESS, so the filtering behaviour stays unknown here (`parley nat` tells it).
 */
import type { CheckResult } from './check.js';

export interface Reflexive {
  /** The STUN URL that produced the candidate (the event's `url`), when the browser says. */
  url: string | undefined;
  address: string;
  port: number;
}

export interface NatGathered {
  seen: Reflexive[];
  complete: boolean;
  /** Errors by STUN URL. */
  errors: { url: string; text: string }[];
}

/** The two STUN URLs to compare: the first two with different hosts, or undefined. */
export function stunPair(urls: readonly string[]): [string, string] | undefined {
  const host = (u: string) => u.replace(/^stun:/, '').replace(/:\d+$/, '');
  const first = urls[0];
  const second = urls.find((u) => first !== undefined && host(u) !== host(first));
  return first && second ? [first, second] : undefined;
}

/** Gathers reflexive candidates from both STUN URLs on one peer connection. */
export async function gatherReflexive(urls: [string, string], timeoutMs = 8000): Promise<NatGathered> {
  const pc = new RTCPeerConnection({ iceServers: [{ urls }] });
  const out: NatGathered = { seen: [], complete: false, errors: [] };
  pc.onicecandidateerror = (ev) =>
    out.errors.push({ url: ev.url, text: `${ev.errorCode} ${ev.errorText}`.trim() });
  try {
    pc.createDataChannel('nat');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      pc.onicecandidate = (ev) => {
        const c = ev.candidate;
        if (!c) {
          out.complete = true;
          clearTimeout(timer);
          resolve();
        } else if (c.type === 'srflx' && c.address && c.port !== null)
          out.seen.push({
            // Deprecated in the spec, kept by Chromium and Firefox: which STUN URL found it.
            url: (ev as { url?: string | null }).url ?? undefined,
            address: c.address,
            port: c.port,
          });
      };
      void pc.createOffer().then((o) => pc.setLocalDescription(o));
    });
  } finally {
    pc.close();
  }
  return out;
}

const CANNOT_FILTER =
  'A browser cannot tell how the NAT filters what comes in (full, restricted or port-restricted cone); `parley nat` on a computer on this network can.';

/** The verdict, in plain words, saying what a browser cannot tell. Informational: never a failure. */
export function mappingVerdict(pair: [string, string] | undefined, g: NatGathered | undefined): CheckResult {
  if (!pair || !g)
    return {
      ok: true,
      detail:
        'Cannot tell: this server offers STUN on one address only (its operator can add a second with parley serve --stun-alternate-ip).',
    };
  const distinct = [...new Set(g.seen.map((s) => `${s.address}:${s.port}`))];
  if (distinct.length > 1)
    return {
      ok: true,
      detail: `Symmetric NAT: the server's two addresses saw you at different ports (${distinct.join(', ')}), so your NAT maps every destination anew. Direct connections to other symmetric NATs will need the relay.`,
    };
  const failedAlt = g.errors.some((e) => e.url === pair[1]);
  if (distinct.length === 1 && g.complete && !failedAlt)
    return {
      ok: true,
      detail: `Cone NAT (endpoint-independent mapping): both of the server's addresses saw you at ${distinct[0]}. ${CANNOT_FILTER}`,
    };
  if (distinct.length === 0 && g.complete && g.errors.length === 0)
    return {
      ok: true,
      detail: 'No NAT: both of the server’s addresses saw this device’s own address.',
    };
  return {
    ok: true,
    detail: `Cannot tell: ${distinct.length ? 'only one' : 'neither'} of the server's two STUN addresses answered${g.errors[0] ? ` (${g.errors[0].text})` : ''}. If UDP is blocked here, calls go through the relay over TCP or TLS.`,
  };
}
