/**
 * App-level liveness for the signaling socket. Browsers cannot send WebSocket pings and do not notice a
 * silent path on their own, so the client sends `ping` frames and counts a socket as dead after a stretch
 * of silence (any frame from the server counts as a sign of life).
 *
 * It pings only after `intervalMs` without hearing from the server, so an idle connection costs the
 * server one small round trip per interval and a busy one none (the server takes any frame as proof of
 * life too, and skips its own WebSocket ping then). When something suggests the path may be gone (a peer
 * connection dropping), `probe()` asks at once and gives the socket only a few seconds to answer.
 */
export interface HeartbeatOptions {
  /** Ping after this much silence from the server (default 20 s). */
  intervalMs?: number;
  /** Silence after which the socket is given up (default 30 s). */
  timeoutMs?: number;
}

/** How long a probe waits for an answer, at most. */
export const PROBE_MS = 5000;

export class Heartbeat {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly #ping: (id: number) => void;
  readonly #dead: () => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #probe: ReturnType<typeof setTimeout> | undefined;
  #lastHeard = 0;
  #lastPing = 0;
  #id = 0;

  constructor(options: HeartbeatOptions, ping: (id: number) => void, dead: () => void) {
    this.intervalMs = options.intervalMs ?? 20_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.#ping = ping;
    this.#dead = dead;
  }

  /** Starts (or restarts) watching a freshly adopted socket. */
  start(): void {
    this.stop();
    this.#lastHeard = Date.now();
    this.#lastPing = 0;
    this.#timer = setInterval(() => this.#check(), Math.min(this.intervalMs, this.timeoutMs) / 4);
  }

  #check(): void {
    const now = Date.now();
    if (now - this.#lastHeard > this.timeoutMs) return this.#die();
    if (now - this.#lastHeard >= this.intervalMs && now - this.#lastPing >= this.intervalMs) {
      this.#lastPing = now;
      this.#ping(++this.#id);
    }
  }

  /** Asks now whether the socket is still there: it is given up unless the server answers in time. */
  probe(withinMs = PROBE_MS): void {
    if (!this.#timer || this.#probe) return;
    const asked = Date.now();
    this.#lastPing = asked;
    this.#ping(++this.#id);
    this.#probe = setTimeout(
      () => {
        this.#probe = undefined;
        if (this.#lastHeard < asked) this.#die();
      },
      Math.min(withinMs, this.timeoutMs),
    );
  }

  /** The server said something. */
  heard(): void {
    this.#lastHeard = Date.now();
  }

  #die(): void {
    this.stop();
    this.#dead();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#probe) clearTimeout(this.#probe);
    this.#timer = undefined;
    this.#probe = undefined;
  }
}
