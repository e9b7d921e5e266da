/**
 * Every error code Parley's signaling speaks, in one registry. docs/protocol.md documents each one and a
 * test fails when it misses one.
 */
export const ERROR_CODES = {
  UNSUPPORTED_VERSION: 'The client offered no protocol version this server speaks.',
  BAD_JSON: 'The frame is not valid JSON, or not a JSON object.',
  BINARY_NOT_SUPPORTED: 'Signaling frames are text; a binary frame was received.',
  UNKNOWN_TYPE: 'The frame has a type this protocol version does not know.',
  BAD_FRAME:
    'The frame does not match the schema of its type (a missing field, a wrong type, an extra field).',
  FRAME_TOO_LARGE: 'The frame is larger than the server accepts (64 KiB by default).',
  RATE_LIMITED: 'The connection sends frames faster than its rate limit; the frame was not processed.',
  NOT_IN_ROOM: 'The frame needs a joined room, and this connection has not joined one.',
  ALREADY_IN_ROOM: 'This connection has already joined a room; leave it first.',
  ROOM_FULL: 'The room has as many peers as the server allows.',
  METADATA_TOO_LARGE: 'The join carries more metadata than the server accepts (4 KiB by default).',
  TOO_MANY_ROOMS: 'The server holds as many rooms as it allows; join an existing room or try later.',
  TOO_MANY_SESSIONS:
    'This address holds as many sessions (in rooms or waiting to resume) as the server allows.',
  TOKEN_IN_USE: 'This room token already holds as many sessions as the server allows.',
  PEER_NOT_FOUND: 'No peer with that id is in your room.',
  UNAUTHORIZED: 'The room token is missing, invalid or expired.',
  RESUME_FAILED: 'The resume token is unknown or expired, or frames it needs are gone; join again.',
  ORIGIN_FORBIDDEN: 'The page origin is not on the server allow-list.',
  TOO_MANY_CONNECTIONS:
    'This address has as many connections open as the server allows; the handshake is refused with 503.',
  SERVER_FULL: 'The server has as many connections open as it allows; the handshake is refused with 503.',
  SERVER_SHUTTING_DOWN: 'The server is shutting down; reconnect to another node or later.',
  INTERNAL: 'The server failed while handling the frame; it keeps serving.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** WebSocket close codes the server uses, each documented in docs/protocol.md. */
export const CLOSE_CODES = {
  /** Server shutting down (standard 1001 Going Away). */
  GOING_AWAY: 1001,
  /** Abuse, e.g. a sustained flood past the rate limit (standard 1008 Policy Violation). */
  POLICY_VIOLATION: 1008,
  /** A frame beyond the hard size cap (standard 1009 Message Too Big). */
  TOO_BIG: 1009,
  /** No protocol version in common. */
  UNSUPPORTED_VERSION: 4001,
  /** This session was resumed on another connection; the old one is closed. */
  SESSION_RESUMED: 4002,
  /** Removed by the server (e.g. an admin kick). */
  KICKED: 4004,
  /** The origin is not allowed. */
  ORIGIN_FORBIDDEN: 4005,
  /** The connection stayed in no room for longer than the server allows. */
  IDLE: 4006,
  /** The server is draining (SIGTERM in a cluster): reconnect and resume, on another node when there is one. */
  DRAINING: 4007,
} as const;

/**
 * Error codes the SDK raises itself (the server's reach the app unchanged). docs/client.md documents
 * each; a test fails when it misses one.
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
  UNKNOWN_SERVER_ERROR:
    'The server sent an error code this SDK does not know (a newer server?); the message names it.',
  MEDIA_UNSUPPORTED:
    'The RTCPeerConnection implementation cannot send media (node-datachannel has no tracks).',
  FILE_DECLINED: 'The receiver declined the file offer.',
  FILE_CANCELLED: 'The transfer was cancelled by one side; the message says which.',
  DISK_FULL: 'The receiver ran out of storage space; the partial file is kept for a resume.',
  SOURCE_CHANGED: 'The file changed on the sending side after it was offered; its transfer stopped.',
  PEER_GONE: 'The other side of a file transfer left or closed the transfer channel before it completed.',
  HASH_MISMATCH:
    'A block or the whole file did not match its SHA-256 after every retry; nothing unverified was saved.',
  BAD_FILE_FRAME: 'A file transfer message is malformed, too large or of another wire version.',
  BAD_FILE_NAME: 'An offered file name has nothing usable left once made safe (e.g. "..").',
  AUTH_FAILED:
    'The other side did not prove it knows the transfer code (a wrong code, or a man in the middle).',
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;

/** Every code a ParleyError can carry: the server's and the SDK's. */
export type ParleyErrorCode = ErrorCode | ClientErrorCode;

/** One human message per code, for errors raised without a message of their own. */
export const ERROR_MESSAGES: Readonly<Record<ParleyErrorCode, string>> = {
  ...ERROR_CODES,
  ...CLIENT_ERROR_CODES,
};

/** Whether `code` (say, from the wire) is one the server speaks. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** A typed error with a stable code, a human message and an optional cause. */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  readonly code: ParleyErrorCode;
  constructor(code: ParleyErrorCode, message: string = ERROR_MESSAGES[code], options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /**
   * From an error frame: its code when this SDK knows it, else UNKNOWN_SERVER_ERROR with the server's
   * code kept in the message (a newer server may speak codes an older SDK does not).
   */
  static fromServer(code: string, message: string): ParleyError {
    return isErrorCode(code)
      ? new ParleyError(code, message)
      : new ParleyError('UNKNOWN_SERVER_ERROR', `${code}: ${message}`);
  }
}
