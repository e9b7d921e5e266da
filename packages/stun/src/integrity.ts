import { constantTimeEqual, readUint32, writeUint16 } from './bytes.js';
import { AttributeType, HEADER_LENGTH } from './constants.js';
import { crc32 } from './crypto/crc32.js';
import { pureCrypto, type StunCrypto } from './crypto/index.js';
import { FINGERPRINT_XOR } from './encode.js';
import type { DecodedStunMessage } from './message.js';

/**
 * The header bytes with the length field rewritten to `length`, as RFC 8489 §14.5 asks: the MAC covers the
 * message up to the integrity attribute, with the length counting up to the end of that attribute.
 */
function adjustedHeader(raw: Uint8Array, length: number): Uint8Array {
  const header = raw.slice(0, HEADER_LENGTH);
  writeUint16(header, 2, length);
  return header;
}

function indexOfType(msg: DecodedStunMessage, type: number): number {
  return msg.attributes.findIndex((a) => a.type === type);
}

function verifyMac(
  msg: DecodedStunMessage,
  type: number,
  algorithm: 'sha1' | 'sha256',
  key: Uint8Array,
  crypto: StunCrypto,
): boolean {
  const i = indexOfType(msg, type);
  const attr = msg.attributes[i];
  const offset = msg.offsets[i];
  if (!attr || offset === undefined) return false;
  const end = offset + 4 + attr.value.length;
  const mac = crypto.hmac(algorithm, key, [
    adjustedHeader(msg.raw, end - HEADER_LENGTH),
    msg.raw.subarray(HEADER_LENGTH, offset),
  ]);
  // MESSAGE-INTEGRITY-SHA256 may be truncated (RFC 8489 §14.6): compare the prefix the sender kept.
  const expected = mac.subarray(0, attr.value.length);
  if (expected.length !== attr.value.length) return false;
  return (crypto.timingSafeEqual ?? constantTimeEqual)(expected, attr.value);
}

/** RFC 8489 §14.5: true when MESSAGE-INTEGRITY is present and its HMAC-SHA1 under `key` matches. */
export function verifyMessageIntegrity(
  msg: DecodedStunMessage,
  key: Uint8Array,
  crypto = pureCrypto,
): boolean {
  return verifyMac(msg, AttributeType.MessageIntegrity, 'sha1', key, crypto);
}

/** RFC 8489 §14.6: true when MESSAGE-INTEGRITY-SHA256 is present and its (possibly truncated) HMAC matches. */
export function verifyMessageIntegritySha256(
  msg: DecodedStunMessage,
  key: Uint8Array,
  crypto = pureCrypto,
): boolean {
  return verifyMac(msg, AttributeType.MessageIntegritySha256, 'sha256', key, crypto);
}

/** RFC 8489 §14.7: true when FINGERPRINT is present, is the last attribute, and matches the CRC. */
export function verifyFingerprint(msg: DecodedStunMessage): boolean {
  const last = msg.attributes.length - 1;
  const attr = msg.attributes[last];
  const offset = msg.offsets[last];
  if (!attr || offset === undefined || attr.type !== AttributeType.Fingerprint || attr.value.length !== 4) {
    return false;
  }
  // FINGERPRINT is last, so the header length already covers it: the raw bytes are hashed as they are.
  const expected = (crc32(msg.raw.subarray(0, offset)) ^ FINGERPRINT_XOR) >>> 0;
  return readUint32(attr.value, 0) === expected;
}

export type VerifyResult = 'ok' | 'bad-fingerprint' | 'missing-integrity' | 'bad-integrity';

export interface VerifyOptions {
  crypto?: StunCrypto;
  /** Fail with 'bad-fingerprint' when FINGERPRINT is absent (ICE requires it). */
  requireFingerprint?: boolean;
}

/**
 * Checks a received message the way RFC 8489 §9 orders it: FINGERPRINT first (cheap, and tells STUN from
 * other protocols), then MESSAGE-INTEGRITY-SHA256 when present, else MESSAGE-INTEGRITY.
 */
export function verifyMessage(
  msg: DecodedStunMessage,
  key: Uint8Array,
  options: VerifyOptions = {},
): VerifyResult {
  const crypto = options.crypto ?? pureCrypto;
  const hasFingerprint = indexOfType(msg, AttributeType.Fingerprint) >= 0;
  if ((hasFingerprint || options.requireFingerprint) && !verifyFingerprint(msg)) return 'bad-fingerprint';
  if (indexOfType(msg, AttributeType.MessageIntegritySha256) >= 0) {
    return verifyMessageIntegritySha256(msg, key, crypto) ? 'ok' : 'bad-integrity';
  }
  if (indexOfType(msg, AttributeType.MessageIntegrity) >= 0) {
    return verifyMessageIntegrity(msg, key, crypto) ? 'ok' : 'bad-integrity';
  }
  return 'missing-integrity';
}
