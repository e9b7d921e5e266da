import { AttributeType } from '../constants.js';
import { type TextLimits, textCodec } from './codec.js';

// RFC 8489 §14.9–14.10, §14.14: "fewer than 128 characters (which can be as long as 509 bytes when encoding
// them and as long as 763 bytes when decoding them)". We accept what a decoder must accept.
const SHORT_TEXT: TextLimits = { maxBytes: 763, maxChars: 127 };

/**
 * RFC 8489 §14.3 USERNAME. RFC 8489 asks senders for fewer than 509 bytes; RFC 5389 allowed fewer than 513.
 * We accept up to 512 bytes either way so older peers interoperate.
 */
export const Username = textCodec(AttributeType.Username, 'USERNAME', { maxBytes: 512 });
/** RFC 8489 §14.9 REALM: the long-term credential realm, fewer than 128 characters. */
export const Realm = textCodec(AttributeType.Realm, 'REALM', SHORT_TEXT);
/** RFC 8489 §14.10 NONCE: the server's nonce, fewer than 128 characters. */
export const Nonce = textCodec(AttributeType.Nonce, 'NONCE', SHORT_TEXT);
/** RFC 8489 §14.14 SOFTWARE: the agent's name and version, fewer than 128 characters. */
export const Software = textCodec(AttributeType.Software, 'SOFTWARE', SHORT_TEXT);
/** RFC 8489 §14.16 ALTERNATE-DOMAIN: the domain name for the ALTERNATE-SERVER's TLS certificate (≤ 255 bytes). */
export const AlternateDomain = textCodec(AttributeType.AlternateDomain, 'ALTERNATE-DOMAIN', {
  maxBytes: 255,
});
