import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';

export { crc32 } from './crc32.js';

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256';
export type HmacAlgorithm = 'sha1' | 'sha256';

/**
 * The hash functions the codec needs, injectable so a Node server can pass `node:crypto`-backed ones.
 * Inputs come as parts so callers can hash a message with its adjusted header without copying it.
 * Every function is synchronous: Web Crypto's async API cannot serve a synchronous decode path.
 */
export interface StunCrypto {
  digest(algorithm: DigestAlgorithm, parts: readonly Uint8Array[]): Uint8Array;
  hmac(algorithm: HmacAlgorithm, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
  /**
   * Compares two MACs of equal length in constant time (Node: `crypto.timingSafeEqual`). Without it the
   * codec falls back to a branch-free loop, the best a browser can do (Web Crypto has no such primitive).
   */
  timingSafeEqual?(a: Uint8Array, b: Uint8Array): boolean;
}

const HASHES = { md5, sha1, sha256 } as const;

/** @noble/hashes (audited, synchronous, no dependencies): identical results in browsers and Node. */
export const pureCrypto: StunCrypto = {
  digest(algorithm, parts) {
    const h = HASHES[algorithm].create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  hmac(algorithm, key, parts) {
    const h = nobleHmac.create(HASHES[algorithm], key);
    for (const p of parts) h.update(p);
    return h.digest();
  },
};
