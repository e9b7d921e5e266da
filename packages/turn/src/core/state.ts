import type { Allocation, Channel, FiveTupleMap, PeerConnection } from './allocation-record.js';
import type { Credentials } from './auth/credentials.js';
import type { Nonces } from './auth/nonces.js';
import type { SourceRateLimiter } from './auth/unauthorized-limiter.js';
import type { TurnCounters } from './counters.js';
import type { Cidr, PeerPolicy } from './peer-policy.js';
import type { AuthedRequest } from './request.js';
import type { IpFamily, Now } from './types.js';

/**
 * Per-user, per-source, per-allocation and server-wide limits. A request past a limit gets 486 (allocations)
 * or 508 (the rest); each refusal is counted in `counters().limits`.
 */
export interface Quotas {
  /** Live allocations one user may hold. Default 10. */
  readonly allocationsPerUser: number;
  /**
   * Live allocations one client source may hold, whatever usernames it presents (REST credentials are
   * minted per signaling join, so a per-user quota alone is no bound). A source is the client's IPv4
   * address, or its IPv6 address cut to `sourcePrefixV6` bits. Default 500: an office NAT of 50 browsers
   * at the per-user 10 each.
   */
  readonly allocationsPerSource: number;
  /** IPv6 sources are counted per prefix of this many bits (one customer's /64, RFC 6177). Default 64. */
  readonly sourcePrefixV6: number;
  /** Live permissions one user may hold across their allocations (so per allocation too). Default 100. */
  readonly permissionsPerUser: number;
  /** Channel bindings (live or cooling down) one allocation may hold. Default 256 (a call needs a few). */
  readonly channelsPerAllocation: number;
  /** Channel bindings one user may hold across their allocations. Default 1024. */
  readonly channelsPerUser: number;
  /** RFC 6062 peer TCP connections of one allocation, connecting, pending or bound. Default 32. */
  readonly peerConnectionsPerAllocation: number;
  /** Live allocations on the whole server. Default 10 000. */
  readonly allocationsTotal: number;
  /** Optional cap per allocation, in bytes per second each way combined; undefined means no cap. */
  readonly bytesPerSecondPerAllocation: number | undefined;
}

export const DEFAULT_QUOTAS: Quotas = {
  allocationsPerUser: 10,
  allocationsPerSource: 500,
  sourcePrefixV6: 64,
  permissionsPerUser: 100,
  channelsPerAllocation: 256,
  channelsPerUser: 1024,
  peerConnectionsPerAllocation: 32,
  allocationsTotal: 10_000,
  bytesPerSecondPerAllocation: undefined,
};

/** What one user holds, for the quotas (exact, unlike the display counters, which share '(other)'). */
export interface UserUsage {
  allocations: number;
  permissions: number;
  channels: number;
}

/** RFC 8656 timers, in seconds. */
export interface Lifetimes {
  /** §7.2 default allocation lifetime: 600. */
  readonly allocationDefault: number;
  /** Longest lifetime granted: 3600 (RFC 8656 §7.2 "maximum lifetime"). */
  readonly allocationMax: number;
  /** §9 permission lifetime: 300. */
  readonly permission: number;
  /** §12 channel binding lifetime: 600. */
  readonly channel: number;
  /** §12: a channel number or peer stays unusable for other bindings this long after expiry: 300. */
  readonly channelCooldown: number;
  /** §7.2: a reserved (EVEN-PORT R) port is held about 30 s. */
  readonly reservation: number;
  /** RFC 6062 §5.2/§5.3: a peer connection waits this long for its ConnectionBind: 30. */
  readonly connectionBind: number;
}

export const DEFAULT_LIFETIMES: Lifetimes = {
  allocationDefault: 600,
  allocationMax: 3600,
  permission: 300,
  channel: 600,
  channelCooldown: 300,
  reservation: 30,
  connectionBind: 30,
};

export interface Reservation {
  readonly family: IpFamily;
  readonly expiresAt: Now;
}

/**
 * Told of every change to what the UDP data path may relay, so a native fast path (NativeMirror in
 * src/shell/native-mirror.ts) can
 * keep its own tables in step. The core stays the source of truth: entries are pushed only after its
 * policy, family and quota checks, and removed when they expire or go.
 */
export interface DataPathMirror {
  /** The allocation's relay socket is open (its `expiresAt` is set). */
  opened(a: Allocation): void;
  /** `a.expiresAt` changed (Refresh). */
  refreshed(a: Allocation): void;
  /** The allocation is being forgotten: it must relay nothing more. */
  closed(a: Allocation): void;
  /** A permission for `ip` was installed or refreshed. */
  permission(a: Allocation, ip: string, expiresAt: Now): void;
  permissionRemoved(a: Allocation, ip: string): void;
  /** A channel binding was made or refreshed. */
  channel(a: Allocation, ch: Channel): void;
  /** A channel binding expired (it may still cool down in the core) or was removed. */
  channelRemoved(a: Allocation, ch: Channel): void;
}

/** Everything the core's step functions read and change. */
export interface ServerState {
  readonly realm: string;
  readonly credentials: Credentials;
  readonly nonces: Nonces;
  readonly unauthorizedLimiter: SourceRateLimiter;
  readonly policy: PeerPolicy;
  readonly quotas: Quotas;
  readonly lifetimes: Lifetimes;
  /** Relayed addresses advertised in XOR-RELAYED-ADDRESS, per family; a missing family gets 440. */
  readonly relayAddresses: Partial<Record<IpFamily, string>>;
  readonly counters: TurnCounters;
  /**
   * The server's own IPs (listeners, relay hosts, advertised addresses), canonical: no port on them is a
   * peer, except the relayed transport addresses of live allocations (two clients relaying to each other).
   */
  readonly selfIps: Set<string>;
  /** Whole blocks that are the server's own (127.0.0.0/8 behind a wildcard listener, which answers on all of it). */
  readonly selfRanges: Cidr[];
  /** Relayed transport addresses of open allocations, as 'udp|ip|port' or 'tcp|ip|port'. */
  readonly relayedTransports: Set<string>;
  /**
   * Channels bound to a relayed address on the server's own IP, by that address's key: removed when that
   * allocation goes, so no channel outlives the relay it pointed at (its port could be anyone's next).
   */
  readonly channelsToRelays: Map<string, Map<Channel, Allocation>>;
  /** The server's own STUN/TURN listening transport addresses, as 'ip|port' (see `selfPeerPorts`). */
  readonly selfTransports: Set<string>;
  /** 'all' (default): every port of a self IP is refused; 'listeners': only `selfTransports`. */
  readonly selfPeerPorts: 'all' | 'listeners';
  readonly random: (bytes: number) => Uint8Array;
  readonly allocationsByTuple: FiveTupleMap<Allocation>;
  readonly allocationsById: Map<number, Allocation>;
  /** Quota usage by user identity; an entry lives while the user holds an allocation. */
  readonly usageByUser: Map<string, UserUsage>;
  /** Live allocations by client source (see Quotas.allocationsPerSource). */
  readonly allocationsBySource: Map<string, number>;
  readonly reservations: Map<string, Reservation>;
  /** RFC 6062 peer connections by CONNECTION-ID. */
  readonly connections: Map<number, PeerConnection>;
  /** Connect requests waiting for their TCP connection, by connection id. */
  readonly pendingConnects: Map<number, AuthedRequest>;
  /** Client connections that carried a ConnectionBind: never control connections afterwards. */
  readonly dataConnections: FiveTupleMap<number>;
  /** Allocate requests waiting for their relay socket, by allocation id. */
  readonly pendingAllocates: Map<number, AuthedRequest>;
  nextAllocationId: number;
  /** The native data path's tables, when there is one. */
  readonly mirror: DataPathMirror | undefined;
}
