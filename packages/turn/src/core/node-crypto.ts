import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { StunCrypto } from '@parley/stun';

/**
 * The codec's hash functions backed by OpenSSL: the server verifies every request's MAC. Exported for Node
 * code that uses @parley/stun (the stun package is pure, so it ships only @noble/hashes).
 */
export const nodeCrypto: StunCrypto = {
  digest(algorithm, parts) {
    const h = createHash(algorithm);
    for (const p of parts) h.update(p);
    return h.digest(); // a Buffer is a Uint8Array: no copy
  },
  hmac(algorithm, key, parts) {
    const h = createHmac(algorithm, key);
    for (const p of parts) h.update(p);
    return h.digest();
  },
  timingSafeEqual: (a, b) => a.length === b.length && timingSafeEqual(a, b),
};
