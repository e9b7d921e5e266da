export { addressAllowList } from './address-list.js';
export { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection-gate.js';
export {
  type Clock,
  type CoreDeps,
  type CoreStats,
  type Random,
  SignalingCore,
  type Transport,
} from './core.js';
export { mirroredCounter, pulledGauge } from './metric-builders.js';
export { type ConnContext, type CoreOptions, DEFAULTS } from './options.js';
export { mintRoomToken, type RoomTokenClaims, roomTokenAuthorizer } from './room-token.js';
export { type RunningServer, type ServerOptions, startServer, type TlsCredentials } from './server.js';
export { DEFAULT_MAX_SEND_QUEUE_BYTES } from './transport-ws.js';
export {
  type IceUrl,
  iceUrls,
  type MintTurnCredential,
  parseIceUrl,
  type TurnCredentialOptions,
  type TurnEndpoint,
  turnIceServers,
} from './turn-credentials.js';
