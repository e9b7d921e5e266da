/**
 * TURN REST credentials (draft-uberti-behave-turn-rest, as coturn's --use-auth-secret): the username is
 * `expiry:user` and the password base64(HMAC-SHA1(secret, username)), so any TURN server that knows the
 * secret can check them without talking to us.
 */
import { createHmac } from 'node:crypto';
import type { IceServerConfig } from '@parley/protocol';

export interface TurnCredentialOptions {
  /** The shared secret; the first one signs (TURN servers may accept several, for rotation). */
  secret: string;
  /** Lifetime of each credential in seconds (default 3600). */
  ttlSeconds?: number;
  /** STUN URLs, e.g. `stun:turn.example.com:3478`. */
  stunUrls: string[];
  /** TURN URLs, e.g. `turn:turn.example.com:3478?transport=udp`. */
  turnUrls: string[];
}

export function turnCredential(
  secret: string,
  user: string,
  expiresAt: number,
): { username: string; credential: string } {
  const username = `${Math.floor(expiresAt / 1000)}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** An `iceServers` function for the signaling core: per-peer TURN credentials that expire. */
export function turnIceServers(options: TurnCredentialOptions, now: () => number = Date.now) {
  const ttl = (options.ttlSeconds ?? 3600) * 1000;
  return (peerId: string): IceServerConfig[] => {
    const servers: IceServerConfig[] = [];
    if (options.stunUrls.length) servers.push({ urls: options.stunUrls });
    if (options.turnUrls.length)
      servers.push({ urls: options.turnUrls, ...turnCredential(options.secret, peerId, now() + ttl) });
    return servers;
  };
}
