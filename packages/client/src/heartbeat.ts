/**
 * App-level liveness for the signaling socket. Browsers cannot send WebSocket pings and do not notice a
 * silent path on their own, so the client sends `ping` frames and counts a socket as dead after a stretch
 * of silence (any frame from the server counts as a sign of life).
 */
export interface HeartbeatOptions {
  /** How often to ping (default 5 s). */
  intervalMs?: number;
  /** Silence after which the socket is given up (default 15 s). */
  timeoutMs?: number;
}

export class Heartbeat {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly #ping: (id: number) => void;
  readonly #dead: () => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;
  #id = 0;

  constructor(options: HeartbeatOptions, ping: (id: number) => void, dead: () => void) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.#ping = ping;
    this.#dead = dead;
  }

  /** Starts (or restarts) watching a freshly adopted socket. */
  start(): void {
    this.stop();
    this.#lastHeard = Date.now();
    this.#timer = setInterval(() => {
      if (Date.now() - this.#lastHeard > this.timeoutMs) {
        this.stop();
        this.#dead();
        return;
      }
      this.#ping(++this.#id);
    }, this.intervalMs);
  }

  /** The server said something. */
  heard(): void {
    this.#lastHeard = Date.now();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
