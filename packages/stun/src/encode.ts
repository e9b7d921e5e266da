import { writeUint16, writeUint32 } from './bytes.js';
import { AttributeType, HEADER_LENGTH } from './constants.js';
import { crc32 } from './crypto/crc32.js';
import { pureCrypto, type StunCrypto } from './crypto/index.js';
import { StunEncodeError } from './errors.js';
import { encodedLength, type StunMessage, writeAttribute, writeMessage } from './message.js';

/** RFC 8489 §14.7: the CRC-32 is XORed with this so FINGERPRINT differs from other protocols' CRCs. */
export const FINGERPRINT_XOR = 0x5354554e;

export interface EncodeOptions {
  /** Appends MESSAGE-INTEGRITY (HMAC-SHA1) keyed with this (see longTermKey / shortTermKey). */
  integrity?: Uint8Array;
  /** Appends MESSAGE-INTEGRITY-SHA256 keyed with this, after MESSAGE-INTEGRITY if both are asked for. */
  integritySha256?: Uint8Array;
  /** Bytes of the HMAC-SHA256 to keep: 16–32 in steps of 4 (RFC 8489 §14.6). Default 32. */
  integritySha256Length?: number;
  /** Appends FINGERPRINT last. */
  fingerprint?: boolean;
  /** Hash implementation; defaults to the pure TypeScript one. */
  crypto?: StunCrypto;
}

/**
 * Encodes a message, then appends MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT as asked,
 * each computed over the bytes before it with the header length covering it (RFC 8489 §14.5–14.7).
 * Allocates the output once at its exact final size.
 */
export function encodeMessage(msg: StunMessage, options: EncodeOptions = {}): Uint8Array {
  const sha256Length = options.integritySha256Length ?? 32;
  if (sha256Length < 16 || sha256Length > 32 || sha256Length % 4 !== 0) {
    throw new StunEncodeError(
      'attribute MESSAGE-INTEGRITY-SHA256',
      `length ${sha256Length}, need 16 to 32 in steps of 4`,
    );
  }
  const crypto = options.crypto ?? pureCrypto;
  const total =
    encodedLength(msg) +
    (options.integrity ? 24 : 0) +
    (options.integritySha256 ? 4 + sha256Length : 0) +
    (options.fingerprint ? 8 : 0);
  if (total - HEADER_LENGTH > 0xffff)
    throw new StunEncodeError('header', `message body of ${total - HEADER_LENGTH} bytes`);
  const out = new Uint8Array(total);
  let at = writeMessage(msg, out, total - HEADER_LENGTH);
  if (options.integrity) {
    writeUint16(out, 2, at + 24 - HEADER_LENGTH);
    const mac = crypto.hmac('sha1', options.integrity, [out.subarray(0, at)]);
    at = writeAttribute(out, at, AttributeType.MessageIntegrity, mac);
  }
  if (options.integritySha256) {
    writeUint16(out, 2, at + 4 + sha256Length - HEADER_LENGTH);
    const mac = crypto.hmac('sha256', options.integritySha256, [out.subarray(0, at)]);
    at = writeAttribute(out, at, AttributeType.MessageIntegritySha256, mac.subarray(0, sha256Length));
  }
  writeUint16(out, 2, total - HEADER_LENGTH);
  if (options.fingerprint) {
    writeUint16(out, at, AttributeType.Fingerprint);
    writeUint16(out, at + 2, 4);
    writeUint32(out, at + 4, (crc32(out.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0);
    at += 8;
  }
  if (at !== total) throw new StunEncodeError('message', `wrote ${at} bytes, allocated ${total}`);
  return out;
}
