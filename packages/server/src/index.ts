export {
  type Clock,
  type CoreDeps,
  type CoreStats,
  type Random,
  SignalingCore,
  type Transport,
} from './core.js';
export { type CoreOptions, DEFAULTS } from './options.js';
export { mintRoomToken, type RoomTokenClaims, roomTokenAuthorizer } from './room-token.js';
export { type RunningServer, type ServerOptions, startServer } from './server.js';
export { type TurnCredentialOptions, turnCredential, turnIceServers } from './turn-credentials.js';
