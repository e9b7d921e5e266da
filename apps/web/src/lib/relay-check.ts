/**
 * The relay path check: a TURN server that hands out relay addresses may still carry nothing (it refuses
 * the peers' addresses, a firewall drops relayed traffic). So the check page opens a real relay-only
 * connection between two RTCPeerConnections in this page, both through the same TURN URL, and sends data
 * over it there and back. Each side's only candidates are its relay addresses, so every byte that arrives
 * went through the relay.
 */
import type { CheckResult } from './check.js';

export interface RelayPathResult extends CheckResult {
  /** The two relay addresses the connection ran between (or tried to). */
  relays: string[];
  /** Messages that came back, of those sent. */
  echoed: number;
  sent: number;
  rttMs: number | undefined;
}

const MESSAGES = 20;
const MESSAGE_BYTES = 1000;

/** Connects two relay-only peers through `server`, sends MESSAGES messages from one, and waits for their echo. */
export async function checkRelayPath(server: RTCIceServer, timeoutMs = 10_000): Promise<RelayPathResult> {
  const a = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
  const b = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
  const relays = new Set<string>();
  const errors: string[] = [];
  const result = (r: Omit<RelayPathResult, 'relays'>): RelayPathResult => ({ ...r, relays: [...relays] });
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Candidates wait until both sides have both descriptions (a candidate added before them is refused).
  let described: () => void = () => undefined;
  const bothDescribed = new Promise<void>((resolve) => {
    described = resolve;
  });
  try {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      from.onicecandidate = (ev) => {
        if (!ev.candidate) return;
        const { address, port } = ev.candidate;
        if (address)
          relays.add(
            address.includes(':') && !address.startsWith('[') ? `[${address}]:${port}` : `${address}:${port}`,
          );
        const candidate = ev.candidate;
        void bothDescribed.then(() => to.addIceCandidate(candidate)).catch(() => undefined);
      };
      from.onicecandidateerror = (ev) => errors.push(`${ev.errorCode} ${ev.errorText}`.trim());
    }
    const channel = a.createDataChannel('relay-check', { ordered: true });
    b.ondatachannel = (ev) => {
      ev.channel.onmessage = (m) => ev.channel.send(m.data);
    };
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription as RTCSessionDescriptionInit);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription as RTCSessionDescriptionInit);
    described();

    const started = performance.now();
    const outcome = await new Promise<{ echoed: number; opened: boolean; rttMs: number | undefined }>(
      (resolve) => {
        let echoed = 0;
        let opened = false;
        let rttMs: number | undefined;
        timer = setTimeout(() => resolve({ echoed, opened, rttMs }), timeoutMs);
        channel.onopen = () => {
          opened = true;
          const payload = 'x'.repeat(MESSAGE_BYTES);
          const sentAt = performance.now();
          for (let i = 0; i < MESSAGES; i++) channel.send(`${i}:${payload}`);
          channel.onmessage = () => {
            echoed++;
            if (echoed === 1) rttMs = Math.round(performance.now() - sentAt);
            if (echoed === MESSAGES) resolve({ echoed, opened, rttMs });
          };
        };
      },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const between = relays.size ? ` between ${[...relays].join(' and ')}` : '';
    if (outcome.echoed === MESSAGES) {
      return result({
        ok: true,
        detail: `Data flows through the relay${between}: ${MESSAGES} messages of ${MESSAGE_BYTES} bytes there and back in ${seconds} s (first round trip ${outcome.rttMs} ms)`,
        echoed: outcome.echoed,
        sent: MESSAGES,
        rttMs: outcome.rttMs,
      });
    }
    return result({
      ok: false,
      detail: relayFailure([...relays], errors, outcome.opened, outcome.echoed, timeoutMs),
      echoed: outcome.echoed,
      sent: outcome.opened ? MESSAGES : 0,
      rttMs: outcome.rttMs,
    });
  } finally {
    clearTimeout(timer);
    a.close();
    b.close();
  }
}

/** Why a relay-only connection failed, in plain words, with the likely cause first. */
export function relayFailure(
  relays: readonly string[],
  errors: readonly string[],
  opened: boolean,
  echoed: number,
  timeoutMs: number,
): string {
  if (relays.length === 0) {
    const why = errors.length ? ` (${errors[0]})` : '';
    return `The relay gave no address${why}, so nothing could be sent through it`;
  }
  if (opened) {
    return `A connection through the relay opened, but only ${echoed} of ${MESSAGES} messages came back within ${timeoutMs / 1000} s: the relay drops data`;
  }
  const hosts = [...new Set(relays.map((r) => r.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')))];
  const special = hosts.filter(isSpecialPurpose);
  const start = `The relay allocates addresses (${relays.join(', ')}) but no data passed through it within ${timeoutMs / 1000} s`;
  if (special.length) {
    return `${start}. Likely cause: the peers' addresses are ${special.join(', ')}, in ${
      special.length > 1 ? 'ranges' : 'a range'
    } (loopback, private or reserved) the relay refuses to send to. An operator can allow them (parley serve --turn-allow-peer CIDR) or give the relay a public address (--turn-external-ip).`;
  }
  return `${start}. Likely cause: the relay refuses to send to the peers' addresses, or a firewall between you and it drops relayed traffic. Calls that need the relay will stay "connecting…".`;
}

/** Loopback, private, link-local, shared, documentation and other special-purpose IPv4/IPv6 addresses. */
export function isSpecialPurpose(address: string): boolean {
  if (address.includes(':')) {
    const a = address.toLowerCase();
    return (
      a === '::1' ||
      a === '::' ||
      /^f[cd]/.test(a) ||
      /^fe[89ab]/.test(a) ||
      a.startsWith('2001:db8') ||
      a.startsWith('::ffff:')
    );
  }
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return false;
  const [x = 0, y = 0, z = 0] = parts;
  return (
    x === 0 ||
    x === 10 ||
    x === 127 ||
    x >= 224 ||
    (x === 100 && y >= 64 && y < 128) ||
    (x === 169 && y === 254) ||
    (x === 172 && y >= 16 && y < 32) ||
    (x === 192 && y === 168) ||
    (x === 192 && y === 0 && (z === 0 || z === 2)) ||
    (x === 198 && (y === 18 || y === 19)) ||
    (x === 198 && y === 51 && z === 100) ||
    (x === 203 && y === 0 && z === 113)
  );
}
