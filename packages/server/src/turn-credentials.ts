/**
 * TURN REST credentials (draft-uberti-behave-turn-rest, as coturn's --use-auth-secret): the username is
 * `expiry:user` and the password base64(HMAC-SHA1(secret, username)), so any TURN server that knows the
 * secret can check them without talking to us.
 */
import { createHmac } from 'node:crypto';
import type { IceServerConfig } from '@parley/protocol';
import type { ConnContext } from './options.js';

export interface TurnEndpoint {
  transport: 'udp' | 'tcp' | 'tls';
  port: number;
}

export interface TurnCredentialOptions {
  /** The shared secret that signs credentials (TURN servers may accept several, for rotation). */
  secret: string;
  /** Lifetime of each credential in seconds (default 3600). */
  ttlSeconds?: number;
  /** The host in the URLs. Default: the host the client reached signaling by, else 127.0.0.1. */
  host?: string;
  /** Where the TURN server listens; a `udp` one also serves STUN. */
  endpoints: TurnEndpoint[];
}

export function turnCredential(
  secret: string,
  user: string,
  expiresAt: number,
): { username: string; credential: string } {
  const username = `${Math.floor(expiresAt / 1000)}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
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
    const servers: IceServerConfig[] = [];
    if (stun.length) servers.push({ urls: stun });
    if (turn.length) servers.push({ urls: turn, ...turnCredential(options.secret, peerId, now() + ttl) });
    return servers;
  };
}
