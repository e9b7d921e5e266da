import { type Allocation, FiveTupleMap } from './allocation-record.js';
import { Credentials } from './auth/credentials.js';
import { Nonces } from './auth/nonces.js';
import { type RateLimitOptions, SourceRateLimiter } from './auth/unauthorized-limiter.js';
import { newCounters } from './counters.js';
import { createPeerPolicy } from './peer-policy.js';
import { canonicalIp } from './permission.js';
import {
  type DataPathMirror,
  DEFAULT_LIFETIMES,
  DEFAULT_QUOTAS,
  type Lifetimes,
  type Quotas,
  type ServerState,
} from './state.js';
import type { IpFamily } from './types.js';

export interface TurnCoreOptions {
  readonly realm: string;
  /** TURN REST shared secrets (several, for rotation). */
  readonly secrets?: readonly string[];
  /** Static long-term users: username → password. */
  readonly users?: Readonly<Record<string, string>>;
  /** CIDR blocks peers may be in despite the default deny-list. */
  readonly allowPeers?: readonly string[];
  /** Extra CIDR blocks to refuse. */
  readonly denyPeers?: readonly string[];
  /** Relayed addresses to advertise per family (the relay sockets' public addresses). */
  readonly relayAddresses: Partial<Record<IpFamily, string>>;
  /**
   * The server's own addresses. Their IPs are refused as peers on every port (relays must not reach into
   * the host nor loop into the server), except the relayed addresses of live allocations.
   */
  readonly selfAddresses?: readonly { readonly address: string; readonly port?: number }[];
  /**
   * 'all' (default): no port of a server IP is a peer. 'listeners': only the listening ports given in
   * `selfAddresses` are refused — for a test rig whose peers can only live on the server's own address
   * (IPv6 loopback has just ::1); never for a server reachable from elsewhere.
   */
  readonly selfPeerPorts?: 'all' | 'listeners';
  readonly quotas?: Partial<Quotas>;
  readonly lifetimes?: Partial<Lifetimes>;
  /** How long a nonce is fresh, in seconds. Default 600. */
  readonly nonceLifetimeSec?: number;
  readonly unauthorizedRateLimit?: RateLimitOptions;
  /** Randomness (tokens, nonce key); defaults to the platform CSPRNG. */
  readonly random?: (bytes: number) => Uint8Array;
  /** Kept in step with allocations, permissions and channels (the native UDP fast path). */
  readonly mirror?: DataPathMirror;
}

const cryptoRandom = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/** What a fresh core starts from: its options with the defaults filled in, and every table empty. */
export function initialState(options: TurnCoreOptions): ServerState {
  const random = options.random ?? cryptoRandom;
  return {
    realm: options.realm,
    credentials: new Credentials({ realm: options.realm, secrets: options.secrets, users: options.users }),
    nonces: new Nonces({ key: random(32), lifetimeMs: (options.nonceLifetimeSec ?? 600) * 1000 }),
    unauthorizedLimiter: new SourceRateLimiter(options.unauthorizedRateLimit),
    policy: createPeerPolicy({ allow: options.allowPeers, deny: options.denyPeers }),
    quotas: { ...DEFAULT_QUOTAS, ...options.quotas },
    lifetimes: { ...DEFAULT_LIFETIMES, ...options.lifetimes },
    relayAddresses: options.relayAddresses,
    counters: newCounters(),
    selfIps: new Set(
      [...(options.selfAddresses ?? []).map((s) => s.address), ...Object.values(options.relayAddresses)].map(
        canonicalIp,
      ),
    ),
    selfRanges: [],
    relayedTransports: new Set(),
    channelsToRelays: new Map(),
    selfTransports: new Set(
      (options.selfAddresses ?? [])
        .filter((s) => s.port !== undefined)
        .map((s) => `${canonicalIp(s.address)}|${s.port}`),
    ),
    selfPeerPorts: options.selfPeerPorts ?? 'all',
    random,
    allocationsByTuple: new FiveTupleMap<Allocation>(),
    allocationsById: new Map(),
    usageByUser: new Map(),
    allocationsBySource: new Map(),
    reservations: new Map(),
    connections: new Map(),
    pendingConnects: new Map(),
    dataConnections: new FiveTupleMap<number>(),
    pendingAllocates: new Map(),
    nextAllocationId: 1,
    mirror: options.mirror,
  };
}
