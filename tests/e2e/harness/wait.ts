/** Waiting for a condition with a deadline and a message that says what never happened. */
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

/** Polls `condition` (in Node) until it returns a truthy value, which it resolves with. */
export async function waitUntil<T>(
  condition: () => T | Promise<T>,
  { what, timeoutMs = 10_000, intervalMs = 25, describe }: WaitOptions,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (Date.now() >= deadline) {
      const state = describe ? `\nstate: ${JSON.stringify(await describe(), null, 2)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state}`);
    }
    await sleep(intervalMs);
  }
}
