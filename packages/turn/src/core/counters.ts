/** Per-user traffic and state, as metrics exporters want it (gauges and monotonic totals). */
export interface UserCounters {
  allocations: number;
  permissions: number;
  channels: number;
  /** Bytes and packets relayed client → peer. */
  bytesToPeers: number;
  packetsToPeers: number;
  /** Bytes and packets relayed peer → client. */
  bytesToClients: number;
  packetsToClients: number;
}

export type AuthFailureReason =
  | 'missing-integrity'
  | 'bad-request'
  | 'stale-nonce'
  | 'unknown-user'
  | 'expired'
  | 'bad-integrity'
  | 'wrong-credentials';

/**
 * Each hardening limit, by the name its refusals are counted under in `TurnCounters.limits` (docs/turn.md
 * lists the option, flag and error code of each).
 */
export const LIMIT_NAMES = [
  /** Allocate refused: the client source holds `allocationsPerSource` (486). */
  'allocationsPerSource',
  /** Allocate refused: the user holds `allocationsPerUser` (486). */
  'allocationsPerUser',
  /** Allocate refused: the server holds `allocationsTotal` (486). */
  'allocationsTotal',
  /** CreatePermission/ChannelBind refused: the user holds `permissionsPerUser` (508). */
  'permissionsPerUser',
  /** ChannelBind refused: the allocation holds `channelsPerAllocation` (508). */
  'channelsPerAllocation',
  /** ChannelBind refused: the user holds `channelsPerUser` (508). */
  'channelsPerUser',
  /** Connect refused (508), or an incoming peer connection closed: `peerConnectionsPerAllocation`. */
  'peerConnectionsPerAllocation',
  /** A peer on one of the server's own IPs refused (403 or dropped): not a live relayed address. */
  'selfPeer',
  /** A TCP/TLS client connection closed at accept: its source holds `connectionsPerSource`. */
  'streamConnectionsPerSource',
  /** A TCP/TLS client connection closed at accept: the server holds `connectionsTotal`. */
  'streamConnectionsTotal',
  /** A TCP/TLS connection closed: no valid STUN message within `firstMessageTimeoutMs`. */
  'streamFirstMessageTimeout',
  /** A TCP/TLS connection without an allocation closed after `idleTimeoutMs` without traffic. */
  'streamIdleTimeout',
  /** A TCP/TLS connection closed: a frame header declared more than `maxFrameBytes`. */
  'streamFrameTooLarge',
  /** An exception caught in a socket event handler (a bug, but it cost only that event). */
  'handlerErrors',
] as const;

export type LimitName = (typeof LIMIT_NAMES)[number];

/** Server-wide counters; `users` holds one entry per user identity seen. */
export interface TurnCounters {
  /** Datagrams and stream frames received from clients. */
  received: number;
  allocations: number;
  allocationsTotal: number;
  permissions: number;
  channels: number;
  bytesToPeers: number;
  packetsToPeers: number;
  bytesToClients: number;
  packetsToClients: number;
  authFailures: Record<AuthFailureReason, number>;
  /** 401 responses not sent because the source was over its rate limit. */
  unauthorizedRateLimited: number;
  /** CreatePermission/ChannelBind/Send naming a peer the policy refuses. */
  refusedPeers: number;
  /** Packets dropped: no permission, over the bandwidth cap, malformed, or not ours. */
  dropped: number;
  /** Requests refused for quota (486) or capacity (508). */
  quotaRejections: number;
  /** Refusals and closes by limit (see LIMIT_NAMES). */
  limits: Record<LimitName, number>;
  users: Map<string, UserCounters>;
}

/** Users tracked individually; beyond this, new users share one '(other)' entry so memory stays bounded. */
const MAX_TRACKED_USERS = 10_000;

export function newUserCounters(): UserCounters {
  return {
    allocations: 0,
    permissions: 0,
    channels: 0,
    bytesToPeers: 0,
    packetsToPeers: 0,
    bytesToClients: 0,
    packetsToClients: 0,
  };
}

export function newCounters(): TurnCounters {
  return {
    received: 0,
    allocations: 0,
    allocationsTotal: 0,
    permissions: 0,
    channels: 0,
    bytesToPeers: 0,
    packetsToPeers: 0,
    bytesToClients: 0,
    packetsToClients: 0,
    authFailures: {
      'missing-integrity': 0,
      'bad-request': 0,
      'stale-nonce': 0,
      'unknown-user': 0,
      expired: 0,
      'bad-integrity': 0,
      'wrong-credentials': 0,
    },
    unauthorizedRateLimited: 0,
    refusedPeers: 0,
    dropped: 0,
    quotaRejections: 0,
    limits: Object.fromEntries(LIMIT_NAMES.map((n) => [n, 0])) as Record<LimitName, number>,
    users: new Map(),
  };
}

/** The counters object for a user, created on first sight. */
export function userCounters(c: TurnCounters, user: string): UserCounters {
  let u = c.users.get(user);
  if (u) return u;
  const key = c.users.size >= MAX_TRACKED_USERS ? '(other)' : user;
  u = c.users.get(key) ?? newUserCounters();
  c.users.set(key, u);
  return u;
}

/** A deep copy, safe to hand to a metrics exporter while the server keeps counting. */
export function snapshotCounters(c: TurnCounters): TurnCounters {
  return {
    ...c,
    authFailures: { ...c.authFailures },
    limits: { ...c.limits },
    users: new Map([...c.users].map(([k, v]) => [k, { ...v }])),
  };
}
