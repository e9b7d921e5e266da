import type { Bucket } from '@parley/limits';
import { encodePeer, type FrameBody, type PeerMetadata, sequenced } from '@parley/protocol';
import { QUIET } from './liveness.js';
import type { CoreOptions } from './options.js';
import { type ReplayBudget, ReplayBuffer } from './replay-buffer.js';

/**
 * One connection (one WebSocket). A connection holds at most one session at a time. Kept lean: an idle
 * connection is this object and its map entry, so the rate-limit bucket lives in its own fields.
 */
export class Conn<C> implements Bucket {
  session: Session<C> | undefined = undefined;
  /** Frames refused in a row for rate. */
  strikes = 0;
  milliTokens: number;
  last: number;
  /** Liveness: the tick its unanswered ping went out on, or QUIET, or HEARD; see liveness.ts. */
  pingAt = QUIET;
  /** Cancels the idle timer, while the connection is in no room. */
  cancelIdle: (() => void) | undefined = undefined;
  /** The server is closing this connection: nothing it sends is handled any more. */
  closing = false;
  /** In a cluster: its resume waits for the session to come over from another node. */
  claiming = false;

  constructor(
    readonly handle: C,
    /** The host name the client connected to (from the handshake), for ICE server URLs. */
    readonly host: string | undefined,
    /** The client's address as per-address limits count it. */
    readonly address: string,
    bucket: Bucket,
  ) {
    this.milliTokens = bucket.milliTokens;
    this.last = bucket.last;
  }
}

/** One shared, frozen object for every peer that joined without metadata. */
export const NO_METADATA: PeerMetadata = Object.freeze({}) as PeerMetadata;

/** A peer in a room. Outlives its connection for the resume window. */
export class Session<C> {
  /** The last sequence number given to a frame for this session. */
  seq = 0;
  conn: Conn<C> | undefined;
  /** Cancels the resume-window timer, while the session waits for its client to come back. */
  cancelExpiry: (() => void) | undefined;
  /** The token the last resume used, good until the client shows it got the new one. */
  previousResumeToken: string | undefined = undefined;
  /** When its socket last dropped (clock ms). */
  droppedAt = 0;
  /** Resumes left in its bucket (see CoreOptions.resumeRate); set by the core when the session starts. */
  resumes: Bucket = { milliTokens: 0, last: 0 };
  /** In a cluster: the node that holds this peer's client, when it is not this one. */
  remoteNode: string | undefined = undefined;
  private buffer: ReplayBuffer | undefined;

  constructor(
    readonly id: string,
    readonly room: string,
    readonly metadata: PeerMetadata,
    /** `<id>.<secret>`: the id finds the session, the secret proves the right to resume it. */
    public resumeToken: string,
    private readonly replay: CoreOptions['replay'],
    private readonly budget: ReplayBudget,
    /** The address of the client that joined, as per-address limits count it. */
    readonly address: string,
    /** The room token it joined with, when joins need tokens. */
    readonly tokenKey: string | undefined,
  ) {}

  /** JSON of `{id, metadata}` as peers see it. */
  descriptor(): string {
    return encodePeer(this.id, this.metadata);
  }

  /**
   * Numbers a frame body (the JSON after its opening brace), keeps it for replay and returns its UTF-8
   * bytes. Encoding once here means the bytes kept for replay are the bytes sent, and the strings the
   * frame was built from die young instead of being promoted while they wait for an ack.
   */
  stamp(body: FrameBody): Buffer {
    const seq = ++this.seq;
    const bytes = Buffer.from(sequenced(seq, body));
    if (this.replay.maxFrames > 0) {
      this.buffer ??= new ReplayBuffer(this.replay.maxFrames, this.replay.maxBytes, this.budget);
      this.buffer.push(seq, bytes);
    }
    return bytes;
  }

  /** Keeps frame `seq`, stamped by another node before this session moved here, for replay. */
  restore(seq: number, bytes: Buffer): void {
    this.seq = seq;
    if (this.replay.maxFrames <= 0) return;
    this.buffer ??= new ReplayBuffer(this.replay.maxFrames, this.replay.maxBytes, this.budget);
    this.buffer.push(seq, bytes);
  }

  ack(seq: number): void {
    if (!this.buffer) return;
    this.buffer.ack(Math.min(seq, this.seq));
    // A quiet session that has everything acknowledged keeps no buffer at all.
    if (this.buffer.size === 0 && !this.buffer.holdsRing) this.buffer = undefined;
  }

  /** The session is over: its replay memory goes back to the budget. */
  release(): void {
    this.buffer?.release();
    this.buffer = undefined;
  }

  /** Frames after `lastSeq`, or undefined when some are no longer kept. */
  replaySince(lastSeq: number): Uint8Array[] | undefined {
    if (lastSeq > this.seq) return undefined;
    // No buffer: nothing was sent yet, or everything sent was acknowledged (so `lastSeq` must be the last).
    if (!this.buffer) return lastSeq === this.seq ? [] : undefined;
    return this.buffer.since(lastSeq);
  }
}

/** How many of something each key holds (sessions per address, per token); a key at zero is forgotten. */
export class Counts {
  private readonly map = new Map<string, number>();
  get(key: string): number {
    return this.map.get(key) ?? 0;
  }
  add(key: string): void {
    this.map.set(key, this.get(key) + 1);
  }
  remove(key: string): void {
    const n = this.get(key) - 1;
    if (n > 0) this.map.set(key, n);
    else this.map.delete(key);
  }
}
