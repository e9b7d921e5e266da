import type { IceServerConfig } from '@parley/protocol';

/** What the transport knows about a connection that the core may use. */
export interface ConnContext {
  /** The host name or address the client connected to, without port (IPv6 without brackets). */
  host?: string;
  /** Who connected, as per-address limits count it (see address-key.ts). */
  address?: string;
}

/** What the signaling core needs to know; every field has a default (see DEFAULTS). */
export interface CoreOptions {
  /** How long a session whose socket dropped is kept for a resume, in ms (0: never resumable). */
  resumeWindowMs: number;
  /** The largest frame processed, in bytes; larger ones get FRAME_TOO_LARGE. */
  maxFrameBytes: number;
  /** Per-connection token bucket; a frame costs one token, and one more per whole 4 KiB. */
  rateLimit: { perSecond: number; burst: number };
  /** The same, shared by every connection from one client address (see address-key.ts). */
  addressRateLimit: { perSecond: number; burst: number };
  /** Resumes of one session: a bucket of `burst`, refilled one per `everyMs`. */
  resumeRate: { burst: number; everyMs: number };
  /** Frames refused in a row for rate before the connection is closed for abuse (1008). */
  maxRateStrikes: number;
  maxPeersPerRoom: number;
  /** Bounds of each session's replay buffer (unacknowledged frames kept for resume). */
  replay: { maxFrames: number; maxBytes: number };
  /**
   * Bytes every replay buffer together may hold. Past it, buffers stop keeping frames (and forget what
   * they kept): a resume that needs them fails with RESUME_FAILED and the client joins again.
   */
  replayTotalBytes: number;
  /** Sessions (connected, or dropped and inside their resume window) one client address may hold. */
  maxSessionsPerAddress: number;
  /** Sessions one room token may hold at once (when joins need tokens). */
  maxSessionsPerToken: number;
  /** Rooms on the server. */
  maxRooms: number;
  /** A join's metadata as JSON, in characters: every peer of the room receives it. */
  maxMetadataBytes: number;
  /** A connection in no room (before its first join, after a leave) is closed after this, in ms (0: never). */
  idleTimeoutMs: number;
  /**
   * ICE servers handed to each peer in `joined`/`resumed`. A function can mint per-peer credentials and
   * name the host the client reached us by (`context.host`, from the handshake's Host header).
   */
  iceServers: IceServerConfig[] | ((peerId: string, context: ConnContext) => IceServerConfig[]);
  /** Decides whether a join may enter a room; absent: every join may. */
  authorize?: (join: { room: string; token: string | undefined }) => boolean;
}

export const DEFAULTS: CoreOptions = {
  resumeWindowMs: 30_000,
  maxFrameBytes: 64 * 1024,
  rateLimit: { perSecond: 100, burst: 300 },
  addressRateLimit: { perSecond: 500, burst: 1500 },
  resumeRate: { burst: 3, everyMs: 5000 },
  maxRateStrikes: 50,
  maxPeersPerRoom: 50,
  replay: { maxFrames: 1024, maxBytes: 1024 * 1024 },
  replayTotalBytes: 256 * 1024 * 1024,
  maxSessionsPerAddress: 32,
  maxSessionsPerToken: 4,
  maxRooms: 100_000,
  maxMetadataBytes: 4096,
  idleTimeoutMs: 30_000,
  iceServers: [],
};
