// @parley/turn: the STUN/TURN server. A pure core (TurnCore) plus listeners on real sockets (startTurnServer).

export { Credentials, Nonces, type RateLimitOptions, SourceRateLimiter } from './auth.js';
export { TurnCore, type TurnCoreOptions } from './core.js';
export {
  type AuthFailureReason,
  LIMIT_NAMES,
  type LimitName,
  type TurnCounters,
  type UserCounters,
} from './counters.js';
export { nodeCrypto } from './node-crypto.js';
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
} from './peer-policy.js';
export { mintRestCredential, restExpiry, restPassword } from './rest-credentials.js';
export { type ListenAddress, startTurnServer, type TurnServer, type TurnServerOptions } from './server.js';
export { DEFAULT_LIFETIMES, DEFAULT_QUOTAS, type Lifetimes, type Quotas } from './state.js';
export { defaultStreamLimits, type StreamLimits } from './stream-gate.js';
export type { Action, ClientAddress, ClientTransport, IpFamily, PeerAddress } from './types.js';
