import { createHash, createHmac } from 'node:crypto';
import type { StunCrypto } from '@parley/stun';

/**
 * OpenSSL-backed hashes for clients that sign at volume (the benchmarks' load generator, the fuzzers), so
 * they spend their CPU on sending rather than on pure-JS SHA-1. Tests that only sign a few messages use the
 * codec's own hashes, so the server (OpenSSL) is checked against a second implementation.
 */
export const nodeCrypto: StunCrypto = {
  digest(algorithm, parts) {
    const h = createHash(algorithm);
    for (const p of parts) h.update(p);
    return h.digest();
  },
  hmac(algorithm, key, parts) {
    const h = createHmac(algorithm, key);
    for (const p of parts) h.update(p);
    return h.digest();
  },
};
