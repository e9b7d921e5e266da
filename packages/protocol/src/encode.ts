/**
 * Encoders for every frame the server sends: the one place a server frame is spelled. The server's hot
 * path builds frames as text without a second serialisation: a relayed frame is the client's own bytes
 * with `from` stamped in front, and a sequenced frame is its body with `seq` in front.
 *
 * A *body* is a frame's JSON after its opening brace, without `seq`: the session that delivers it gives
 * it its number (`sequenced`), and keeps the numbered bytes for replay.
 */
import type { ErrorCode } from './errors.js';
import type { IceServerConfig, PeerDescriptor, PeerLeaveReason, PeerMetadata } from './frames.js';
import { SUPPORTED_VERSIONS, subprotocol } from './version.js';

/** A sequenced frame's JSON after its opening brace, without `seq`. */
export type FrameBody = string & { readonly __frameBody: true };

/** `{id, metadata}` as peers see a peer, in `joined` and `peer-joined`. */
export function encodePeer(id: string, metadata: PeerMetadata): string {
  return JSON.stringify({ id, metadata } satisfies PeerDescriptor);
}

/** `peer-joined`, from a peer's encoded descriptor (see encodePeer). */
export function peerJoinedBody(peer: string): FrameBody {
  return `"type":"peer-joined","peer":${peer}}` as FrameBody;
}

export function peerLeftBody(peerId: string, reason: PeerLeaveReason): FrameBody {
  return `"type":"peer-left","peerId":${JSON.stringify(peerId)},"reason":"${reason}"}` as FrameBody;
}

/**
 * A relayed `signal` or `message`: the client's own frame text (already decoded and checked) with the
 * sender stamped in front. The client schema forbids a `from` or `seq` of its own, and a key twice in one
 * object, so the stamp cannot be overridden and every receiver reads the same frame.
 */
export function relayedBody(from: string, clientText: string): FrameBody {
  return `"from":${JSON.stringify(from)},${clientText.slice(clientText.indexOf('{') + 1)}` as FrameBody;
}

/** The frame text of `body` numbered `seq`. */
export function sequenced(seq: number, body: FrameBody): string {
  return `{"seq":${seq},${body}`;
}

export interface SessionFrameFields {
  room: string;
  selfId: string;
  peers: readonly PeerDescriptor[];
  iceServers: readonly IceServerConfig[];
  resumeToken: string;
  resumeWindowMs: number;
  seq: number;
}

/** `joined` or `resumed`. */
export function encodeSessionFrame(type: 'joined' | 'resumed', fields: SessionFrameFields): string {
  return JSON.stringify({ type, ...fields });
}

export function encodeError(code: ErrorCode, message: string, ref?: string): string {
  return JSON.stringify(
    ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref },
  );
}

/** The error a connection that offered no version in common gets before close 4001. */
export function encodeUnsupportedVersion(): string {
  return JSON.stringify({
    type: 'error',
    code: 'UNSUPPORTED_VERSION' satisfies ErrorCode,
    message: `offer one of: ${SUPPORTED_VERSIONS.map(subprotocol).join(', ')} as WebSocket subprotocol`,
    supported: SUPPORTED_VERSIONS,
  });
}

export function encodePong(id: number | undefined): string {
  return JSON.stringify(id === undefined ? { type: 'pong' } : { type: 'pong', id });
}
