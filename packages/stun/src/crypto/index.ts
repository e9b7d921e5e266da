import { Md5 } from './md5.js';
import { Sha1 } from './sha1.js';
import { Sha256 } from './sha256.js';

export { crc32 } from './crc32.js';
export type { Hash } from './md-hash.js';
export { Md5, Sha1, Sha256 };

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
}

function create(algorithm: DigestAlgorithm): Md5 | Sha1 | Sha256 {
  if (algorithm === 'md5') return new Md5();
  if (algorithm === 'sha1') return new Sha1();
  return new Sha256();
}

/** HMAC (RFC 2104) over any of our 64-byte-block hashes. */
function hmac(algorithm: HmacAlgorithm, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? create(algorithm).update(key).digest() : key);
  const inner = create(algorithm);
  const outer = create(algorithm);
  for (let i = 0; i < 64; i++) block[i] = block[i]! ^ 0x36;
  inner.update(block);
  for (const p of parts) inner.update(p);
  const innerDigest = inner.digest();
  for (let i = 0; i < 64; i++) block[i] = block[i]! ^ 0x36 ^ 0x5c;
  return outer.update(block).update(innerDigest).digest();
}

/** Pure TypeScript implementations: synchronous, dependency-free, identical in browsers and Node. */
export const pureCrypto: StunCrypto = {
  digest(algorithm, parts) {
    const h = create(algorithm);
    for (const p of parts) h.update(p);
    return h.digest();
  },
  hmac,
};
