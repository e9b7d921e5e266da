/**
 * The connectivity check: can this browser reach the signaling server, does STUN tell it its reflexive
 * address, and does TURN give it a relay candidate (per TURN URL: UDP, TCP…)?
 */

export interface CheckResult {
  ok: boolean;
  /** What was found (an address), or why it failed, in words. */
  detail: string;
}

/** Joins a throwaway room over a bare WebSocket to get the ICE servers (with TURN credentials), then leaves. */
export function fetchIceServers(url: string, timeoutMs = 5000): Promise<RTCIceServer[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['parley.v1']);
    const timer = setTimeout(
      () => finish(new Error(`no answer from ${url} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const finish = (err: Error | undefined, servers?: RTCIceServer[]) => {
      clearTimeout(timer);
      ws.onmessage = ws.onerror = ws.onclose = null;
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'leave' }));
      ws.close();
      if (err) reject(err);
      else resolve(servers ?? []);
    };
    ws.onopen = () =>
      ws.send(JSON.stringify({ type: 'join', room: `check-${crypto.randomUUID().slice(0, 8)}` }));
    ws.onmessage = (ev) => {
      const frame = JSON.parse(String(ev.data)) as {
        type?: string;
        iceServers?: RTCIceServer[];
        message?: string;
        code?: string;
      };
      if (frame.type === 'joined') finish(undefined, frame.iceServers ?? []);
      else if (frame.type === 'error') finish(new Error(`${frame.code}: ${frame.message}`));
    };
    ws.onerror = () => finish(new Error(`could not open a WebSocket to ${url}`));
    ws.onclose = (ev) => finish(new Error(`the server closed the connection (code ${ev.code})`));
  });
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
  if (g.found.length)
    return { ok: true, detail: `your address as the STUN server sees it: ${describeCandidates(g.found)}` };
  if (g.complete && g.errors.length === 0 && g.hosts.length) {
    return {
      ok: true,
      detail: `the server answered with this device's own address (${describeCandidates(g.hosts)}): no NAT between you`,
    };
  }
  const why = g.errors.length ? ` (${g.errors[0]})` : '';
  return { ok: false, detail: `no answer from the STUN server${why}: UDP to it is blocked or it is down` };
}

export function urlsOf(server: RTCIceServer): string[] {
  return Array.isArray(server.urls) ? server.urls : [server.urls];
}

export function describeCandidates(list: RTCIceCandidate[]): string {
  const seen = new Set(list.map((c) => `${c.address}:${c.port} (${c.protocol})`));
  return [...seen].join(', ');
}
