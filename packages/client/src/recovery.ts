/**
 * When to restart ICE for one peer connection. Fed the connection's states, it calls `restart` when the
 * connection has failed, closed by itself, stayed `disconnected` too long, or not connected in time after a
 * (re)start. Timers are injected so tests run it on a fake clock.
 *
 * Measured with node-datachannel 0.33 (libjuice) when the link under a live connection goes down: no
 * `disconnected` or `failed` at all; the side whose interface went down reports `closed` after ~13 s and the
 * other side after ~30 s (SCTP gives up). An attempt made while the link is down never connects, even after the
 * link returns, so attempts that do not connect in time are abandoned and tried again.
 */
export interface RecoveryOptions {
  /** Restart when the connection stays `disconnected` this long (default 3 s). */
  disconnectedTimeoutMs?: number;
  /**
   * Give up on a (re)start that has not connected after this long, and try again (default 10 s). Each
   * further attempt without success waits twice as long (up to 8×), so that a slow path (a loaded machine,
   * DTLS retransmissions at 1, 2, 4 s) is not cut short forever.
   */
  connectTimeoutMs?: number;
}

export interface TimerApi {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: TimerApi = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** What the policy reacts to: the connection state, with `closed` meaning closed by itself, not by us. */
export type ObservedState = RTCPeerConnectionState;

export class IceRecovery {
  readonly #restart: () => void;
  readonly #timers: TimerApi;
  readonly #disconnectedMs: number;
  readonly #connectMs: number;
  /** The polite side waits longer, so that usually only one side starts a restart. */
  readonly #patience: number;
  #timer: unknown;
  #reason: 'disconnected' | 'failed' | 'watchdog' | undefined;
  #disposed = false;
  /** Attempts since the last time the connection was up. */
  #attempts = 0;

  constructor(restart: () => void, options: RecoveryOptions & { polite?: boolean; timers?: TimerApi } = {}) {
    this.#restart = restart;
    this.#timers = options.timers ?? realTimers;
    this.#disconnectedMs = options.disconnectedTimeoutMs ?? 3000;
    this.#connectMs = options.connectTimeoutMs ?? 10_000;
    this.#patience = options.polite ? 1.5 : 1;
  }

  /** A connection attempt (first or restart) has begun: restart it if it does not connect in time. */
  started(): void {
    const backoff = 2 ** Math.min(this.#attempts++, 3);
    this.#arm('watchdog', this.#connectMs * backoff * this.#patience);
  }

  /** Feeds a state change of the current connection. */
  observe(state: ObservedState): void {
    switch (state) {
      case 'connected':
        this.#clear();
        this.#attempts = 0;
        return;
      case 'disconnected':
        if (this.#reason !== 'failed') this.#arm('disconnected', this.#disconnectedMs * this.#patience);
        return;
      case 'failed':
      case 'closed':
        this.#arm('failed', this.#patience > 1 ? 1000 : 0);
        return;
      default:
    }
  }

  dispose(): void {
    this.#disposed = true;
    this.#clear();
  }

  #arm(reason: 'disconnected' | 'failed' | 'watchdog', ms: number): void {
    if (this.#disposed) return;
    this.#clear();
    this.#reason = reason;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = this.#reason = undefined;
      if (!this.#disposed) this.#restart();
    }, ms);
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = this.#reason = undefined;
  }
}
