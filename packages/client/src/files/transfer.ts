/** What outgoing and incoming transfers share: their events, states and a few small helpers. */
import { CLIENT_ERROR_CODES, type ClientErrorCode, ParleyError } from '@parley/protocol/client';
import type { FileResult, Progress, TransferSummary } from './types.js';

export type TransferState = 'offered' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export type TransferEvents = {
  state: [state: TransferState];
  /** At most every PROGRESS_MS while bytes move, and once at the end. */
  progress: [progress: Progress];
  /** One file verified end to end. */
  file: [result: FileResult];
  done: [summary: TransferSummary];
  /** The transfer stopped for good; `error.code` says why (FILE_DECLINED, DISK_FULL, PEER_GONE…). */
  error: [error: ParleyError];
};

export const PROGRESS_MS = 100;

/** The ParleyError for a `cancel` a peer sent: its code when we know it, else FILE_CANCELLED. */
export function errorFromPeer(code: string, message: string | undefined, side: string): ParleyError {
  const known = Object.hasOwn(CLIENT_ERROR_CODES, code) ? (code as ClientErrorCode) : 'FILE_CANCELLED';
  return new ParleyError(known, `${side}: ${message ?? CLIENT_ERROR_CODES[known]}`);
}

export function asParleyError(err: unknown, fallback: ClientErrorCode): ParleyError {
  if (err instanceof ParleyError) return err;
  return new ParleyError(fallback, String((err as Error)?.message ?? err), { cause: err });
}

/** A random transfer id (URL-safe, 16 characters). */
export function newTransferId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_');
}

/** One pending wait that any event can end; a timeout guards against an event that never comes. */
export class Waker {
  #resolve: (() => void) | undefined;

  wake(): void {
    const r = this.#resolve;
    this.#resolve = undefined;
    r?.();
  }

  wait(maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), maxMs);
      this.#resolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
