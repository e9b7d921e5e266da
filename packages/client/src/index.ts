/**
 * @parley/client: the Parley SDK for browsers and Node. `joinRoom()` is the entry point; see docs/client.md.
 */
export { ERROR_MESSAGES, ParleyError } from '@parley/protocol/client';
export { type BackoffOptions, backoffDelay } from './backoff.js';
export {
  Channel,
  type ChannelData,
  type ChannelEvents,
  type ChannelOptions,
  type ChannelState,
} from './channel.js';
export type { ConnectionInfo } from './connection-info.js';
export { Emitter, type EventMap, type Listener, setListenerErrorHandler } from './emitter.js';
export { CLIENT_ERROR_CODES, type ClientErrorCode, type ParleyErrorCode } from './errors.js';
export { fetchIceServers, type IceServersOptions } from './ice-servers.js';
export { DEFAULT_CHANNEL, Peer, type PeerEvents } from './peer.js';
export type { RecoveryOptions } from './recovery.js';
export { type JoinOptions, joinRoom, Room, type RoomEvents, type RoomState } from './room.js';
export { isRoomName } from './room-name.js';
export type { RTCPeerConnectionConstructor, RtcImplementation, WebSocketConstructor } from './types.js';
