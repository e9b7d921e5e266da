import { utf8Encode } from './bytes.js';
import { PasswordAlgorithm } from './constants.js';
import { pureCrypto, type StunCrypto } from './crypto/index.js';

/**
 * RFC 8265 §4.2 OpaqueString, the profile RFC 8489 §9.2.2 applies to the realm and the password (RFC 5389
 * used SASLprep, which also dropped some characters and applied NFKC): non-ASCII spaces become U+0020,
 * then NFC. Enforcement (refusing control characters) is not done: passwords here are compared, not
 * displayed, and a refused password would only lock its owner out. ASCII, all that TURN REST credentials
 * produce, passes through unchanged.
 */
export function opaqueString(s: string): string {
  return s.replace(/[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g, ' ').normalize('NFC');
}

/** RFC 8489 §9.1.1: the short-term credential key is OpaqueString(password), as UTF-8. */
export function shortTermKey(password: string): Uint8Array {
  return utf8Encode(opaqueString(password));
}

/**
 * RFC 8489 §9.2.2: long-term key = H(username ":" OpaqueString(realm) ":" OpaqueString(password)), H = MD5
 * by default or SHA-256 when PASSWORD-ALGORITHM says so (§18.5.1). The username is used as given: it is
 * taken from USERNAME, where OpaqueString has already been applied.
 */
export function longTermKey(
  username: string,
  realm: string,
  password: string,
  algorithm: number = PasswordAlgorithm.MD5,
  crypto: StunCrypto = pureCrypto,
): Uint8Array {
  const input = utf8Encode(`${username}:${opaqueString(realm)}:${opaqueString(password)}`);
  if (algorithm === PasswordAlgorithm.MD5) return crypto.digest('md5', [input]);
  if (algorithm === PasswordAlgorithm.SHA256) return crypto.digest('sha256', [input]);
  throw new RangeError(`unknown password algorithm 0x${algorithm.toString(16)}`);
}

/** RFC 8489 §14.4: USERHASH = SHA-256(username ":" realm). */
export function userHash(username: string, realm: string, crypto: StunCrypto = pureCrypto): Uint8Array {
  return crypto.digest('sha256', [utf8Encode(`${username}:${realm}`)]);
}
