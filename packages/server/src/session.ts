import type { PeerMetadata } from '@parley/protocol';
import type { ConnContext, CoreOptions } from './options.js';
import type { TokenBucket } from './rate-limit.js';
import { ReplayBuffer } from './replay-buffer.js';

/** One connection (one WebSocket). A connection holds at most one session at a time. */
export interface Conn<C> {
  readonly handle: C;
  readonly context: ConnContext;
  session: Session<C> | undefined;
  /** Frames refused in a row for rate. */
  strikes: number;
  readonly bucket: TokenBucket;
}

/** A peer in a room. Outlives its connection for the resume window. */
export class Session<C> {
  /** The last sequence number given to a frame for this session. */
  seq = 0;
  conn: Conn<C> | undefined;
  /** Cancels the resume-window timer, while the session waits for its client to come back. */
  cancelExpiry: (() => void) | undefined;
  private buffer: ReplayBuffer | undefined;

  constructor(
    readonly id: string,
    readonly room: string,
    readonly metadata: PeerMetadata,
    public resumeToken: string,
    private readonly replay: CoreOptions['replay'],
  ) {}

  /** JSON of `{id, metadata}` as peers see it, computed once. */
  get descriptor(): string {
    this._descriptor ??= JSON.stringify({ id: this.id, metadata: this.metadata });
    return this._descriptor;
  }
  private _descriptor: string | undefined;

  /**
   * Numbers a frame body (the JSON after its opening brace), keeps it for replay and returns its UTF-8
   * bytes. Encoding once here means the bytes kept for replay are the bytes sent, and the strings the
   * frame was built from die young instead of being promoted while they wait for an ack.
   */
  stamp(body: string): Buffer {
    const seq = ++this.seq;
    const bytes = Buffer.from(`{"seq":${seq},${body}`);
    if (this.replay.maxFrames > 0) {
      this.buffer ??= new ReplayBuffer(this.replay.maxFrames, this.replay.maxBytes);
      this.buffer.push(seq, bytes);
    }
    return bytes;
  }

  ack(seq: number): void {
    this.buffer?.ack(Math.min(seq, this.seq));
  }

  /** Frames after `lastSeq`, or undefined when some are no longer kept. */
  replaySince(lastSeq: number): Uint8Array[] | undefined {
    if (lastSeq > this.seq) return undefined;
    if (!this.buffer) return lastSeq === this.seq || this.replay.maxFrames > 0 ? [] : undefined;
    return this.buffer.since(lastSeq);
  }
}
