import { createHash, createHmac } from 'node:crypto';
import type { StunCrypto } from '@parley/stun';

/** The codec's hash functions backed by OpenSSL: the server verifies every request's MAC. */
export const nodeCrypto: StunCrypto = {
  digest(algorithm, parts) {
    const h = createHash(algorithm);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
  hmac(algorithm, key, parts) {
    const h = createHmac(algorithm, key);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
};
