// Test support only (not exported by the package): a node:crypto-backed StunCrypto, the kind a Node server
// injects, so tests can check that both implementations give the same bytes.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { StunCrypto } from '../crypto/index.js';

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
  timingSafeEqual: (a, b) => a.length === b.length && timingSafeEqual(a, b),
};
