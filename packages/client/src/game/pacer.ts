/**
 * Send-rate control for one peer's state lane. State updates are "latest wins": the caller keeps only the
 * newest state and asks the pacer, at each chance, whether to send it now. The pacer says no
 * - while the data channel holds more than one update (`bufferedAmount`: the link cannot keep up),
 * - while more updates are unacknowledged than the link holds in one round trip at the current rate (plus
 *   two): updates queued below the data channel (in the SCTP stack, where some implementations do not count
 *   `bufferedAmount`, or in a router) show up here, as acknowledgements stop coming;
 * - and while it is not yet time at the current rate.
 * The rate falls multiplicatively when the buffer backs up or the RTT (measured by pings and by the
 * acknowledgements of updates) rises well above the least seen, and climbs back one step per update sent:
 * a slow or lossy link gets fewer, fresher updates instead of a backlog. At `minHz` an update goes even into
 * a full window, so that a link whose acknowledgements were all lost gets going again.
 */

export interface PacerOptions {
  /** The most updates per second (default 60). */
  maxHz?: number;
  /** The fewest updates per second, however bad the link (default 5). */
  minHz?: number;
}

export class SendPacer {
  readonly maxHz: number;
  readonly minHz: number;
  #rate: number;
  #nextAt = Number.NEGATIVE_INFINITY;
  #lastCut = Number.NEGATIVE_INFINITY;
  #lastSent = Number.NEGATIVE_INFINITY;
  #baseRtt: number | undefined;
  #baseAt = 0;
  #queueing = 0;

  constructor(options: PacerOptions = {}) {
    this.maxHz = options.maxHz ?? 60;
    this.minHz = Math.min(options.minHz ?? 5, this.maxHz);
    // A quarter of the most to start with, so the first round trips are measured on an unloaded link.
    this.#rate = Math.max(this.minHz, this.maxHz / 4);
  }

  /** Updates per second now. */
  get rateHz(): number {
    return this.#rate;
  }

  /** When the next update may go (same clock as `decide`'s `now`). */
  get nextAt(): number {
    return this.#nextAt;
  }

  /** How much queueing delay (ms) counts as a queue forming: half the least RTT, at least 20 ms. */
  get #allowance(): number {
    return Math.max(20, (this.#baseRtt ?? 100) / 2);
  }

  /** How many unacknowledged updates may be out: a round trip's worth at the current rate, plus two. */
  get window(): number {
    return 2 + Math.ceil((this.#rate * ((this.#baseRtt ?? 100) + this.#allowance)) / 1000);
  }

  /** A new RTT measurement of this link (ms), taken at `now`: from a ping, or from an update's acknowledgement. */
  observeRtt(rttMs: number, now: number): void {
    // The least RTT of the last 10 s: a route that got longer for good stops counting as queueing then.
    if (this.#baseRtt === undefined || rttMs <= this.#baseRtt || now - this.#baseAt > 10_000) {
      this.#baseRtt = rttMs;
      this.#baseAt = now;
    }
    this.#queueing = this.#queueing * 0.7 + (rttMs - this.#baseRtt) * 0.3;
    if (this.#queueing > this.#allowance) this.#cut(0.8, now);
  }

  /**
   * Whether to send an update now. `bufferedAmount` is the channel's, `packetBytes` the update's size,
   * `inFlight` how many sent updates the receiver has not acknowledged yet.
   * Calling it when the answer is no is harmless: the caller tries again later with its newest state.
   */
  decide(now: number, bufferedAmount: number, packetBytes: number, inFlight = 0): boolean {
    if (bufferedAmount > packetBytes) {
      this.#cut(0.7, now);
      return false;
    }
    // 1 ms of slack: timers fire a little early or late.
    if (now < this.#nextAt - 1) return false;
    if (inFlight > this.window) {
      this.#cut(0.7, now);
      if (now - this.#lastSent < 1000 / this.minHz) return false;
    }
    this.#lastSent = now;
    // Climb back only while no queue shows.
    if (this.#queueing < this.#allowance / 2) this.#rate = Math.min(this.maxHz, this.#rate + 1);
    const interval = 1000 / this.#rate;
    // On time: keep the cadence. Late (a busy event loop): one update may follow sooner, never a burst.
    this.#nextAt = Math.max(this.#nextAt + interval, now + interval / 2);
    return true;
  }

  /** At most one cut per update interval: a buffer that stays full for a while is one signal, not many. */
  #cut(factor: number, now: number): void {
    if (now - this.#lastCut < Math.max(1000 / this.#rate, this.#baseRtt ?? 0)) return;
    this.#lastCut = now;
    this.#rate = Math.max(this.minHz, this.#rate * factor);
  }
}
