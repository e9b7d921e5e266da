/**
 * The ICE servers `parley serve` hands each peer: the embedded STUN/TURN server's, and the TURN servers of
 * --turn-url (an existing coturn with `use-auth-secret`, or the TURN of other nodes), all with one credential
 * minted under the first --turn-secret. Every node given the same secret mints credentials every one of
 * those servers accepts.
 */
import { type ServerOptions, turnIceServers } from '@parley/server';
import { mintRestCredential } from '@parley/turn';
import { withAlternateStun } from './nat.js';
import type { StartedTurn, TurnFlags } from './turn.js';

/** Throws with a readable message when --turn-url is given without the secret its servers check. */
export function checkTurnUrls(flags: TurnFlags): void {
  if (flags.turnUrl.length && !flags.turnSecret.length)
    throw new Error(
      '--turn-url needs --turn-secret: the secret the other TURN server checks credentials with (coturn: use-auth-secret and static-auth-secret)',
    );
}

/** The signaling server's `iceServers` option: none when there is neither an embedded TURN nor a --turn-url. */
export function iceServersOption(
  flags: TurnFlags,
  turn: StartedTurn | undefined,
): Pick<ServerOptions, 'iceServers'> {
  const secret = turn?.secret ?? flags.turnSecret[0];
  if (secret === undefined || (!turn && !flags.turnUrl.length)) return {};
  const iceServers = turnIceServers({
    mint: (user, expiresAtSec) => mintRestCredential(secret, user, expiresAtSec),
    ttlSeconds: flags.turnTtl,
    endpoints: turn?.endpoints ?? [],
    urls: flags.turnUrl,
    ...(flags.turnExternalIp ? { host: flags.turnExternalIp } : {}),
  });
  // With --stun-alternate-ip, STUN on the second address too, so a browser can tell its NAT's mapping.
  return { iceServers: turn ? withAlternateStun(iceServers, turn) : iceServers };
}
