import { AttributeType } from '../constants.js';
import { type AttributeCodec, bytesCodec, decodeError, encodeError, uint32Codec } from './codec.js';

/**
 * RFC 8489 §14.5 MESSAGE-INTEGRITY: the 20-byte HMAC-SHA1 as bytes. To add one, pass `integrity` to
 * encodeMessage; to check one, use verifyMessageIntegrity. This codec only reads and writes the value.
 */
export const MessageIntegrity = bytesCodec(AttributeType.MessageIntegrity, 'MESSAGE-INTEGRITY', 20);

/** RFC 8489 §14.6 MESSAGE-INTEGRITY-SHA256: an HMAC-SHA256, possibly truncated to 16–32 bytes in steps of 4. */
export const MessageIntegritySha256: AttributeCodec<Uint8Array> = {
  type: AttributeType.MessageIntegritySha256,
  name: 'MESSAGE-INTEGRITY-SHA256',
  decode(value) {
    if (value.length < 16 || value.length > 32 || value.length % 4 !== 0) {
      throw decodeError('MESSAGE-INTEGRITY-SHA256', `length ${value.length}, need 16 to 32 in steps of 4`);
    }
    return value;
  },
  encode(mac) {
    if (mac.length < 16 || mac.length > 32 || mac.length % 4 !== 0) {
      throw encodeError('MESSAGE-INTEGRITY-SHA256', `length ${mac.length}, need 16 to 32 in steps of 4`);
    }
    return mac;
  },
};

/** RFC 8489 §14.7 FINGERPRINT: CRC-32 of the message XOR 0x5354554e. Add with encodeMessage's `fingerprint`. */
export const Fingerprint = uint32Codec(AttributeType.Fingerprint, 'FINGERPRINT');

/** RFC 8489 §14.4 USERHASH: SHA-256(username ":" realm), 32 bytes, sent instead of USERNAME for privacy. */
export const Userhash = bytesCodec(AttributeType.Userhash, 'USERHASH', 32);
