/**
 * Error codes the SDK itself raises (the server's codes live in @parley/protocol's ERROR_CODES and reach
 * the app unchanged). docs/client.md documents each; a test fails when it misses one.
 */
export const CLIENT_ERROR_CODES = {
  CONNECT_FAILED:
    'The WebSocket to the signaling server could not be opened, or closed before the room was joined.',
  NO_WEBSOCKET: 'No WebSocket implementation: pass `WebSocket` (in Node: the `ws` package).',
  NO_WEBRTC: 'No RTCPeerConnection implementation: pass `rtc` (in Node: node-datachannel/polyfill).',
  ROOM_CLOSED: 'The room was left or closed; it cannot send any more.',
  PEER_CLOSED: 'The peer left or was closed; it cannot send any more.',
  CHANNEL_CLOSED: 'The channel was closed; it cannot send any more.',
  SEND_QUEUE_FULL: 'Too many messages are waiting for a channel or the signaling connection to (re)open.',
  BAD_SERVER_FRAME:
    'The server sent a frame this SDK cannot read: not a Parley signaling server, or another protocol version.',
  MEDIA_UNSUPPORTED:
    'The RTCPeerConnection implementation cannot send media (node-datachannel has no tracks).',
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;
