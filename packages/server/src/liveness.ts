/**
 * Liveness by ping/pong, spread over the ping interval. Every socket is visited once per interval, a
 * slice at a time (one tick every `intervalMs / slices`) rather than all of them in one tick: with tens
 * of thousands of idle sockets, one burst stalls the event loop and puts a young generation's worth of
 * write state in flight at once, and an idle server that allocates in bursts never looks idle to V8, so
 * V8 never gives back the young generation a connection storm grew.
 *
 * A socket that sent anything since its last visit (the SDK's own heartbeat, say) is alive and is not
 * pinged; any other is pinged, and dropped if neither a pong nor a frame comes back within the timeout.
 * Nothing is kept per socket but one small integer on its connection record (see LivenessRecord). The
 * records are walked with one live iterator (a Map iterator survives inserts and deletes); each tick's
 * pinged slice is remembered until its timeout.
 */

/** `pingAt` when nothing is outstanding and nothing has been heard since the last visit. */
export const QUIET = -1;
/** `pingAt` when the socket has sent something since the last visit. */
export const HEARD = -2;

export interface LivenessRecord<S> {
  readonly handle: S;
  /**
   * The tick its unanswered ping went out on (a whole number, so the field never needs a heap number of
   * its own), or QUIET, or HEARD.
   */
  pingAt: number;
}

export interface LivenessSource<S> {
  readonly connectionCount: number;
  /** A fresh iterator over the open connections' records, asked for at the start of every round. */
  livenessRecords(): Iterator<LivenessRecord<S>>;
}

export interface LivenessOptions<S> {
  intervalMs: number;
  /** A ping unanswered this long gets its socket terminated. Default: half the interval. */
  timeoutMs?: number;
  /** Ticks per interval. */
  slices: number;
  ping(socket: S): void;
  /** Drops the socket at once; its close handling runs as for any other close. */
  terminate(socket: S): void;
}

/** About four ticks a second, at most one per 10 ms interval. */
export function slicesFor(intervalMs: number): number {
  return Math.max(1, Math.round(intervalMs / 250));
}

interface Batch<S> {
  tick: number;
  records: LivenessRecord<S>[];
}

export class Liveness<S> {
  private walk: Iterator<LivenessRecord<S>> | null = null;
  private ticks = 0;
  private roundStart = Number.NEGATIVE_INFINITY;
  /** The slices pinged within the last timeout, oldest first. */
  private batches: Batch<S>[] = [];
  private readonly timeoutTicks: number;

  constructor(
    private readonly source: LivenessSource<S>,
    private readonly options: LivenessOptions<S>,
  ) {
    const tickMs = options.intervalMs / options.slices;
    this.timeoutTicks = Math.max(1, Math.round((options.timeoutMs ?? options.intervalMs / 2) / tickMs));
  }

  /**
   * One tick (call it every `intervalMs / slices`): drop the sockets whose ping has gone unanswered for
   * the timeout, then visit the next slice, about a `slices`-th of the sockets. A round visits every
   * socket once and lasts at least `slices` ticks (longer while sockets keep arriving, as they join the
   * walk's end).
   */
  tick(): void {
    const now = ++this.ticks;
    this.expire(now);
    const { slices } = this.options;
    const pinged: LivenessRecord<S>[] = [];
    for (let quota = Math.ceil(this.source.connectionCount / slices); quota > 0; ) {
      if (this.walk === null) {
        if (now - this.roundStart < slices) break;
        this.walk = this.source.livenessRecords();
        this.roundStart = now;
      }
      const next = this.walk.next();
      if (next.done) {
        this.walk = null;
        continue;
      }
      quota--;
      const record = next.value;
      if (record.pingAt === HEARD) {
        record.pingAt = QUIET;
      } else if (record.pingAt === QUIET) {
        record.pingAt = now;
        pinged.push(record);
        this.options.ping(record.handle);
      }
      // Otherwise a ping is still out (a timeout longer than the interval): its batch will judge it.
    }
    if (pinged.length > 0) this.batches.push({ tick: now, records: pinged });
  }

  private expire(now: number): void {
    let done = 0;
    for (const batch of this.batches) {
      if (now - batch.tick < this.timeoutTicks) break;
      done++;
      for (const record of batch.records) {
        // Answered or heard from since (QUIET, HEARD), or pinged again later: not this batch's to judge.
        if (record.pingAt !== batch.tick) continue;
        record.pingAt = QUIET;
        this.options.terminate(record.handle);
      }
    }
    if (done > 0) this.batches = this.batches.slice(done);
  }
}
