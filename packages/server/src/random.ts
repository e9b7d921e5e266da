import { randomFillSync } from 'node:crypto';
import type { Random } from './core.js';

/**
 * Random bytes drawn from one refilled pool: a fresh small Buffer per id made every join allocate (and
 * later free) native memory, which fragments malloc's heap between the long-lived sockets.
 */
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomString(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const s = pool.toString('base64url', used, used + bytes);
  // Each byte is used once: zero it so a later reader of the pool can never see it again.
  pool.fill(0, used, used + bytes);
  used += bytes;
  return s;
}

/** Peer ids (72 random bits) and resume tokens (192 bits), URL-safe. */
export const cryptoRandom: Random = {
  peerId: () => randomString(9),
  token: () => randomString(24),
};
