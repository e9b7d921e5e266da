import { randomBytes } from 'node:crypto';
import type { Random } from './core.js';

/** Peer ids (72 random bits) and resume tokens (192 bits), URL-safe. */
export const cryptoRandom: Random = {
  peerId: () => randomBytes(9).toString('base64url'),
  token: () => randomBytes(24).toString('base64url'),
};
