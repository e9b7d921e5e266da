import { utf8Encode } from './bytes.js';
import { PasswordAlgorithm } from './constants.js';
import { pureCrypto, type StunCrypto } from './crypto/index.js';

// RFC 3454 table B.1: "commonly mapped to nothing" (soft hyphen, joiners, variation selectors, …).
function mappedToNothing(c: number): boolean {
  return (
    c === 0xad ||
    c === 0x34f ||
    c === 0x1806 ||
    (c >= 0x180b && c <= 0x180d) ||
    (c >= 0x200b && c <= 0x200d) ||
    c === 0x2060 ||
    (c >= 0xfe00 && c <= 0xfe0f) ||
    c === 0xfeff
  );
}

// RFC 3454 table C.1.2: non-ASCII spaces, which SASLprep maps to U+0020.
function nonAsciiSpace(c: number): boolean {
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200b) || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/**
 * SASLprep (RFC 4013) mapping and normalisation: drops "mapped to nothing" characters, maps non-ASCII spaces
 * to U+0020, then applies NFKC. The prohibited-output and bidi checks are not done: passwords here are
 * compared, not displayed, and a rejected password would only lock its owner out.
 * ASCII passwords (all that TURN REST credentials produce) pass through unchanged.
 */
export function saslprep(s: string): string {
  let mapped = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (!mappedToNothing(c)) mapped += nonAsciiSpace(c) ? ' ' : ch;
  }
  return mapped.normalize('NFKC');
}

/** RFC 8489 §9.1.1: the short-term credential key is the SASLprep'd password itself, as UTF-8. */
export function shortTermKey(password: string): Uint8Array {
  return utf8Encode(saslprep(password));
}

/**
 * RFC 8489 §9.2.2: long-term key = H(username ":" realm ":" SASLprep(password)), H = MD5 by default or SHA-256
 * when PASSWORD-ALGORITHM says so. Username and realm are used as given (they are already exact strings).
 */
export function longTermKey(
  username: string,
  realm: string,
  password: string,
  algorithm: number = PasswordAlgorithm.MD5,
  crypto: StunCrypto = pureCrypto,
): Uint8Array {
  const input = utf8Encode(`${username}:${realm}:${saslprep(password)}`);
  if (algorithm === PasswordAlgorithm.MD5) return crypto.digest('md5', [input]);
  if (algorithm === PasswordAlgorithm.SHA256) return crypto.digest('sha256', [input]);
  throw new RangeError(`unknown password algorithm 0x${algorithm.toString(16)}`);
}

/** RFC 8489 §14.4: USERHASH = SHA-256(username ":" realm). */
export function userHash(username: string, realm: string, crypto: StunCrypto = pureCrypto): Uint8Array {
  return crypto.digest('sha256', [utf8Encode(`${username}:${realm}`)]);
}
