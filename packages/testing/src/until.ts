/** Polling waits for state no event announces: the one implementation every package's tests use. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, in words: "the chat channel to open". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Called on timeout to add the current state to the error message. */
  describe?: () => unknown;
}

/** What a truthy check lets through. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Polls `condition` (sync or async) until it returns a truthy value, which it resolves with; rejects after
 * `timeoutMs` (default 10 s) with an error naming `what` and, with `describe`, the state at that moment.
 */
export async function waitUntil<T>(
  condition: () => T | Promise<T>,
  { what, timeoutMs = 10_000, intervalMs = 20, describe }: WaitOptions,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) {
      const state = describe ? `\nstate: ${JSON.stringify(await describe(), null, 2)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state}`);
    }
    await sleep(intervalMs);
  }
}

/** waitUntil for a boolean check, with its options as arguments. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<void> {
  await waitUntil(check, { what, timeoutMs, intervalMs: everyMs });
}
