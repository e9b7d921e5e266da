/**
 * The ICE servers each peer is handed: STUN, and TURN with a credential of its own that expires. The
 * credential is minted by whoever runs the TURN server (its minting and checking live together in
 * @parley/turn); this module only asks for one per peer and builds the URLs.
 */
import type { IceServerConfig } from '@parley/protocol';
import type { ConnContext } from './options.js';

export interface TurnEndpoint {
  transport: 'udp' | 'tcp' | 'tls';
  port: number;
}

/** Mints a TURN credential for `user` valid until `expiresAtSec` (Unix seconds). */
export type MintTurnCredential = (
  user: string,
  expiresAtSec: number,
) => { username: string; password: string };

export interface TurnCredentialOptions {
  /** Mints each peer's credential (in `parley serve`: @parley/turn's mintRestCredential under its secret). */
  mint: MintTurnCredential;
  /** Lifetime of each credential in seconds (default 3600). */
  ttlSeconds?: number;
  /** The host in the URLs. Default: the host the client reached signaling by, else 127.0.0.1. */
  host?: string;
  /** Where the TURN server listens; a `udp` one also serves STUN. */
  endpoints: TurnEndpoint[];
  /**
   * Other TURN servers that check the same secret (`turn:host:3478?transport=udp`, `turns:…`), handed out
   * after the embedded one with the same credential; a UDP one also serves STUN.
   */
  urls?: string[];
}

/** A `stun:`, `turn:` or `turns:` URL read (RFC 7064, RFC 7065): TLS for `turns:`, UDP unless it says TCP. */
export interface IceUrl {
  scheme: 'stun' | 'turn' | 'turns';
  /** A name or an address, IPv6 without brackets. */
  host: string;
  /** The URL's port, else 3478 (5349 for `turns:`). */
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
}

const ICE_URL =
  /^(stun|turns?):(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/;

/** Reads a STUN or TURN URL; undefined when it is not one. */
export function parseIceUrl(url: string): IceUrl | undefined {
  const m = ICE_URL.exec(url);
  if (!m || (m[1] === 'stun' && m[4])) return undefined;
  const scheme = m[1] as IceUrl['scheme'];
  const port = m[3] ? Number(m[3]) : scheme === 'turns' ? 5349 : 3478;
  if (port < 1 || port > 65535) return undefined;
  const transport = scheme === 'turns' ? 'tls' : m[4] === 'tcp' ? 'tcp' : 'udp';
  return { scheme, host: m[2]!.replace(/^\[|\]$/g, ''), port, transport };
}

/** `stun:`/`turn:`/`turns:` URLs for the endpoints on `host`. */
export function iceUrls(host: string, endpoints: TurnEndpoint[]): { stun: string[]; turn: string[] } {
  const h = host.includes(':') ? `[${host}]` : host;
  const stun = endpoints.filter((e) => e.transport === 'udp').map((e) => `stun:${h}:${e.port}`);
  const turn = endpoints.map((e) =>
    e.transport === 'tls'
      ? `turns:${h}:${e.port}?transport=tcp`
      : `turn:${h}:${e.port}?transport=${e.transport}`,
  );
  return { stun, turn };
}

/** An `iceServers` function for the signaling core: STUN, and TURN with per-peer credentials that expire. */
export function turnIceServers(options: TurnCredentialOptions, now: () => number = Date.now) {
  const ttl = (options.ttlSeconds ?? 3600) * 1000;
  return (peerId: string, context: ConnContext = {}): IceServerConfig[] => {
    const { stun, turn } = iceUrls(options.host ?? context.host ?? '127.0.0.1', options.endpoints);
    for (const url of options.urls ?? []) {
      turn.push(url);
      const u = parseIceUrl(url);
      if (u?.scheme === 'turn' && u.transport === 'udp') stun.push(...iceUrls(u.host, [u]).stun);
    }
    const servers: IceServerConfig[] = [];
    if (stun.length) servers.push({ urls: stun });
    if (turn.length) {
      const { username, password } = options.mint(peerId, Math.floor((now() + ttl) / 1000));
      servers.push({ urls: turn, username, credential: password });
    }
    return servers;
  };
}
