/**
 * The load generator's TURN client: @parley/testing/turn's UdpTurnClient (the one STUN/TURN test client:
 * requests with retransmission, Allocate with the 401 → nonce → authenticated retry, CreatePermission,
 * ChannelBind, Refresh) on a socket connected to the server, with large buffers, OpenSSL hashes and RFC 8489
 * backoff (500 ms doubling, 4 tries). The relay's hot loop stays the bench's own, so the shared client adds
 * nothing per datagram to what is measured: loadgen.ts sends prebuilt ChannelData straight on
 * `client.socket` and counts what comes back through `onChannelData` (handed over without a copy).
 */
import { nodeCrypto, UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential } from '@parley/turn';

export { TurnError, UdpTurnClient as TurnClient } from '@parley/testing/turn';

export interface Endpoint {
  host: string;
  port: number;
}

/** TURN REST credentials for `user`, valid for `ttlSec` from now (minted by @parley/turn, as the server does). */
export function restCredentials(
  secret: string,
  user: string,
  ttlSec = 3600,
): { username: string; password: string } {
  return mintRestCredential(secret, user, Math.floor(Date.now() / 1000) + ttlSec);
}

/** A client on a fresh socket from `local` (a loopback address), connected to the server. */
export function openTurnClient(
  server: Endpoint,
  creds: { username: string; password: string },
  local = '127.0.0.1',
): Promise<UdpTurnClient> {
  // Large buffers so the load side drops nothing when its core is busy (rmem_max caps them).
  return UdpTurnClient.open(server, creds, local, {
    connect: true,
    bufferBytes: 4 << 20,
    rtoMs: 500,
    tries: 4,
    backoff: true,
    crypto: nodeCrypto,
  });
}
