/**
 * Bookkeeping for sequenced server frames: drop what was already processed (a replay after resume may
 * overlap), and decide when to acknowledge so the server can trim its replay buffer.
 */
export class SequenceTracker {
  #last: number;
  #acked: number;
  readonly #ackEvery: number;

  constructor(options: { last?: number; ackEvery?: number } = {}) {
    this.#last = options.last ?? 0;
    this.#acked = this.#last;
    this.#ackEvery = options.ackEvery ?? 32;
  }

  /** The highest sequence number processed so far (what `resume` sends as `lastSeq`). */
  get last(): number {
    return this.#last;
  }

  /** True when the frame is new and must be processed; false for a duplicate or an old replay. */
  accept(seq: number): boolean {
    if (seq <= this.#last) return false;
    this.#last = seq;
    return true;
  }

  /** Whether enough frames are unacknowledged that an ack should go out now. */
  get ackDue(): boolean {
    return this.#last - this.#acked >= this.#ackEvery;
  }

  /** Whether any processed frame is not yet acknowledged. */
  get hasUnacked(): boolean {
    return this.#last > this.#acked;
  }

  /** Marks everything processed as acknowledged; returns the seq to put in the ack frame. */
  takeAck(): number {
    this.#acked = this.#last;
    return this.#last;
  }

  /** Starts over for a new session (after a fresh join, the server counts from `seq` again). */
  reset(last: number): void {
    this.#last = last;
    this.#acked = last;
  }
}
