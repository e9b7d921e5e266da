/** Waiting for a condition with a deadline and a message that says what never happened: @parley/testing's. */
export { type Truthy, type WaitOptions, waitUntil } from '@parley/testing';
