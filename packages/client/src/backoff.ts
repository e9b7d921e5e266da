/** Reconnect delays: exponential backoff with jitter, so that clients dropped together do not return together. */
export interface BackoffOptions {
  /** The base delay of the first retry (default 250 ms). */
  minDelayMs?: number;
  /** No delay exceeds this (default 10 s). */
  maxDelayMs?: number;
}

export const DEFAULT_BACKOFF = { minDelayMs: 250, maxDelayMs: 10_000 } as const;

/**
 * The delay before retry number `attempt` (0-based): the exponential step min·2^attempt capped at max,
 * then "equal jitter": half of it fixed, half random. A retry never comes sooner than half its step.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const min = Math.max(0, options.minDelayMs ?? DEFAULT_BACKOFF.minDelayMs);
  const max = Math.max(min, options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs);
  // 2 ** 31 is far past any cap; clamping the exponent keeps the arithmetic finite.
  const step = Math.min(max, min * 2 ** Math.min(Math.max(0, attempt), 31));
  return Math.round(step / 2 + random() * (step / 2));
}
