// @parley/turn: the STUN/TURN server. A pure core (TurnCore) plus listeners on real sockets (startTurnServer).

export { Credentials } from './core/auth/credentials.js';
export { Nonces } from './core/auth/nonces.js';
export { mintRestCredential, restExpiry, restPassword } from './core/auth/rest-credentials.js';
export { type RateLimitOptions, SourceRateLimiter } from './core/auth/unauthorized-limiter.js';
export {
  type AuthFailureReason,
  LIMIT_NAMES,
  type LimitName,
  type TurnCounters,
  type UserCounters,
} from './core/counters.js';
export { nodeCrypto } from './core/node-crypto.js';
export {
  type Cidr,
  canonicalBytes,
  cidrContains,
  createPeerPolicy,
  DEFAULT_DENIED_IPV4,
  DEFAULT_DENIED_IPV6,
  embeddedIpv4,
  type PeerPolicy,
  type PeerPolicyOptions,
  type PeerVerdict,
  parseCidr,
} from './core/peer-policy.js';
export { DEFAULT_LIFETIMES, DEFAULT_QUOTAS, type Lifetimes, type Quotas } from './core/state.js';
export { TurnCore, type TurnCoreOptions } from './core/turn-core.js';
export type { Action, ClientAddress, ClientTransport, IpFamily, PeerAddress } from './core/types.js';
export {
  discoverNatBehavior,
  type NatDiscoveryOptions,
  type NatReport,
} from './discovery/nat-behavior.js';
export { type Filtering, type Mapping, type NatKind, natKind, natSummary } from './discovery/nat-verdict.js';
export { defaultStreamLimits, type StreamLimits } from './shell/stream-gate.js';
export {
  type ListenAddress,
  startTurnServer,
  type TurnServer,
  type TurnServerOptions,
} from './shell/turn-server.js';
