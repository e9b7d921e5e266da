/**
 * The connectivity check: can this browser reach the signaling server, does STUN tell it its reflexive
 * address, and does TURN give it a relay candidate (per TURN URL: UDP, TCP…)?
 */
import { fetchIceServers as sdkFetchIceServers } from '@parley/client';

export interface CheckResult {
  ok: boolean;
  /** What was found (an address), or why it failed, in words. */
  detail: string;
}

/** The ICE servers signaling hands out (with TURN credentials), from the SDK: it speaks the protocol. */
export function fetchIceServers(url: string, timeoutMs = 5000): Promise<RTCIceServer[]> {
  return sdkFetchIceServers(url, { timeoutMs }) as Promise<RTCIceServer[]>;
}

export interface Gathered {
  /** Candidates of the asked type (srflx or relay). */
  found: RTCIceCandidate[];
  /** Host candidates with real addresses. */
  hosts: RTCIceCandidate[];
  /** Gathering finished: every server answered or failed (an unreachable STUN server keeps it going). */
  complete: boolean;
  errors: string[];
}

/** Gathers ICE candidates with these servers, for up to `timeoutMs`. */
export async function gather(
  iceServers: RTCIceServer[],
  type: 'srflx' | 'relay',
  timeoutMs = 8000,
): Promise<Gathered> {
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: type === 'relay' ? 'relay' : 'all' });
  const result: Gathered = { found: [], hosts: [], complete: false, errors: [] };
  pc.onicecandidateerror = (ev) => result.errors.push(`${ev.errorCode} ${ev.errorText}`.trim());
  try {
    pc.createDataChannel('check');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      pc.onicecandidate = (ev) => {
        const c = ev.candidate;
        if (!c) {
          result.complete = true;
          clearTimeout(timer);
          resolve();
        } else if (c.type === type) result.found.push(c);
        else if (c.type === 'host' && c.protocol === 'udp' && c.address && !c.address.endsWith('.local'))
          result.hosts.push(c);
      };
      void pc.createOffer().then((o) => pc.setLocalDescription(o));
    });
  } finally {
    pc.close();
  }
  return result;
}

/** The STUN verdict. A browser drops a reflexive candidate equal to a host one, so "complete, no error, no
 * srflx" means the server answered with this device's own address: no NAT on the way. */
export function stunVerdict(g: Gathered): CheckResult {
  if (g.found.length) return { ok: true, detail: `The server sees you at ${describeCandidates(g.found)}.` };
  if (g.complete && g.errors.length === 0 && g.hosts.length) {
    return {
      ok: true,
      detail: `The server sees this device's own address (${describeCandidates(g.hosts)}): no NAT between you and it.`,
    };
  }
  const why = g.errors.length ? ` (${g.errors[0]})` : '';
  return { ok: false, detail: `No answer from the STUN server${why}: UDP to it is blocked, or it is down.` };
}

/** The TURN allocation verdict: the relay address the server gave, and how this browser reached it. */
export function turnVerdict(server: RTCIceServer, g: Gathered): CheckResult {
  const url = String(server.urls);
  const via = transportName(relayTransport(url));
  if (g.found.length) {
    return {
      ok: true,
      detail: `The relay gave you the address ${describeCandidates(g.found)}, reached over ${via} (${url}).`,
    };
  }
  const why = g.errors.length ? ` (${g.errors[0]})` : '';
  return {
    ok: false,
    detail: `No relay address over ${via}${why}: the relay is blocked or unreachable from here, or it refused the credentials (${url}).`,
  };
}

export function urlsOf(server: RTCIceServer): string[] {
  return Array.isArray(server.urls) ? server.urls : [server.urls];
}

/** How a browser reaches the TURN server of `url` (RFC 7065): `turns:` is TLS, else `?transport=`, else UDP. */
export function relayTransport(url: string): 'udp' | 'tcp' | 'tls' {
  if (url.startsWith('turns:')) return 'tls';
  return /[?&]transport=tcp\b/i.test(url) ? 'tcp' : 'udp';
}

export function transportName(t: 'udp' | 'tcp' | 'tls'): string {
  return t === 'tls' ? 'TLS' : t.toUpperCase();
}

/** Candidates' addresses, each once, IPv6 in brackets (what a person would paste). */
export function describeCandidates(list: RTCIceCandidate[]): string {
  // Chromium writes an IPv6 candidate address in brackets already, Firefox without.
  const host = (a: string) => (a.includes(':') ? `[${a.replace(/^\[|\]$/g, '')}]` : a);
  const seen = new Set(list.map((c) => `${host(c.address ?? '')}:${c.port}`));
  return [...seen].join(', ');
}
