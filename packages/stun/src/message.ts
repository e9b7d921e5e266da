import { pad4, readUint16, readUint32, writeUint16, writeUint32 } from './bytes.js';
import {
  AttributeType,
  attributeName,
  HEADER_LENGTH,
  MAGIC_COOKIE,
  type MessageClass,
  TRANSACTION_ID_LENGTH,
} from './constants.js';
import { StunDecodeError, StunEncodeError } from './errors.js';

/** One attribute as it sits on the wire: its type and its value bytes (without padding). */
export interface StunAttribute {
  type: number;
  value: Uint8Array;
}

/**
 * A STUN message. `attributes` keeps wire order and duplicates; typed access goes through
 * `getAttribute(msg, Codec)` / `addAttribute(msg, Codec, value)`.
 */
export interface StunMessage {
  class: MessageClass;
  method: number;
  transactionId: Uint8Array;
  attributes: StunAttribute[];
}

/**
 * A message read from bytes. `raw` is the exact input and `offsets[i]` the position of attribute i's header
 * in it, so integrity and fingerprint are checked over what was received, not over a re-encoding.
 * Attribute values are views into `raw` (no copies): copy the message if the input buffer will be reused.
 */
export interface DecodedStunMessage extends StunMessage {
  raw: Uint8Array;
  offsets: number[];
}

/*
 * RFC 8489 §5: the 14-bit message type interleaves the class bits C1 C0 with the 12 method bits.
 *
 *   0                 1
 *   2  3  4 5 6 7 8 9 0 1 2 3 4 5
 *  +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
 *  |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
 *  +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export function encodeMessageType(method: number, cls: MessageClass): number {
  return (
    (method & 0x000f) |
    ((method & 0x0070) << 1) |
    ((method & 0x0f80) << 2) |
    ((cls & 1) << 4) |
    ((cls & 2) << 7)
  );
}

export function decodeMessageType(type: number): { method: number; class: MessageClass } {
  const method = (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
  const cls = (((type >> 4) & 1) | ((type >> 7) & 2)) as MessageClass;
  return { method, class: cls };
}

/** The fixed header of a STUN message, read without touching the attributes. */
export interface StunHeader {
  class: MessageClass;
  method: number;
  /** Length of the attribute section (the header's length field). */
  length: number;
  /** A view into the input, not a copy. */
  transactionId: Uint8Array;
}

/**
 * Reads and checks the 20-byte header: top bits zero, magic cookie, length a multiple of 4.
 * Cheap enough for a hot path; does not require the whole message to be present.
 */
export function readHeader(bytes: Uint8Array): StunHeader {
  if (bytes.length < HEADER_LENGTH) {
    throw new StunDecodeError('TRUNCATED', 'header', `${bytes.length} bytes, need ${HEADER_LENGTH}`);
  }
  if ((bytes[0]! & 0xc0) !== 0)
    throw new StunDecodeError('BAD_HEADER', 'header', 'first two bits are not zero');
  const cookie = readUint32(bytes, 4);
  if (cookie !== MAGIC_COOKIE) {
    throw new StunDecodeError('BAD_MAGIC_COOKIE', 'header', `magic cookie 0x${cookie.toString(16)}`);
  }
  const length = readUint16(bytes, 2);
  if (length % 4 !== 0)
    throw new StunDecodeError('BAD_LENGTH', 'header', `length ${length} is not a multiple of 4`);
  const { method, class: cls } = decodeMessageType(readUint16(bytes, 0));
  return { class: cls, method, length, transactionId: bytes.subarray(8, HEADER_LENGTH) };
}

/** True when `bytes` is exactly one STUN message by its header (RFC 8489 §6 checks); never throws. */
export function isStunMessage(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_LENGTH || (bytes[0]! & 0xc0) !== 0) return false;
  const length = readUint16(bytes, 2);
  return readUint32(bytes, 4) === MAGIC_COOKIE && length % 4 === 0 && HEADER_LENGTH + length === bytes.length;
}

/**
 * Decodes one STUN message from exactly `bytes` (a datagram, or one frame cut by StunStreamFramer).
 * Checks the header and the attribute framing, and the sizes of the integrity attributes; attribute values
 * are decoded later, on access. Throws StunDecodeError for anything malformed.
 */
export function decodeMessage(bytes: Uint8Array): DecodedStunMessage {
  const header = readHeader(bytes);
  if (HEADER_LENGTH + header.length !== bytes.length) {
    throw new StunDecodeError(
      'BAD_LENGTH',
      'header',
      `length field ${header.length} does not match ${bytes.length - HEADER_LENGTH} bytes after the header`,
    );
  }
  const attributes: StunAttribute[] = [];
  const offsets: number[] = [];
  let at = HEADER_LENGTH;
  while (at < bytes.length) {
    // The length field is a multiple of 4 and every step is padded to 4, so 4 header bytes are always here.
    const type = readUint16(bytes, at);
    const length = readUint16(bytes, at + 2);
    const end = at + 4 + length;
    if (end > bytes.length) {
      throw new StunDecodeError(
        'BAD_ATTRIBUTE',
        `attribute ${attributeName(type)}`,
        `length ${length} runs past the end of the message (${bytes.length - at - 4} bytes left)`,
      );
    }
    checkIntegrityAttributeLength(type, length);
    attributes.push({ type, value: bytes.subarray(at + 4, end) });
    offsets.push(at);
    at += 4 + pad4(length);
  }
  return {
    class: header.class,
    method: header.method,
    transactionId: header.transactionId,
    attributes,
    offsets,
    raw: bytes,
  };
}

function checkIntegrityAttributeLength(type: number, length: number): void {
  const bad = (need: string) =>
    new StunDecodeError(
      'BAD_ATTRIBUTE',
      `attribute ${attributeName(type)}`,
      `length ${length}, need ${need}`,
    );
  if (type === AttributeType.MessageIntegrity && length !== 20) throw bad('20');
  if (type === AttributeType.Fingerprint && length !== 4) throw bad('4');
  // RFC 8489 §14.6: at least 16, at most 32, a multiple of 4.
  if (type === AttributeType.MessageIntegritySha256 && (length < 16 || length > 32 || length % 4 !== 0)) {
    throw bad('16 to 32 in steps of 4');
  }
}

/** Exact encoded size of a message: header plus each attribute's 4-byte header and padded value. */
export function encodedLength(msg: StunMessage): number {
  let n = HEADER_LENGTH;
  for (const a of msg.attributes) n += 4 + pad4(a.value.length);
  return n;
}

/** Writes the header and attributes of `msg` into `out` (sized by the caller); returns bytes written. */
export function writeMessage(msg: StunMessage, out: Uint8Array, bodyLength: number): number {
  checkEncodable(msg);
  writeUint16(out, 0, encodeMessageType(msg.method, msg.class));
  writeUint16(out, 2, bodyLength);
  writeUint32(out, 4, MAGIC_COOKIE);
  out.set(msg.transactionId, 8);
  let at = HEADER_LENGTH;
  for (const a of msg.attributes) at = writeAttribute(out, at, a.type, a.value);
  return at;
}

/** Writes one attribute (header, value, zero padding) at `at`; returns the offset after it. */
export function writeAttribute(out: Uint8Array, at: number, type: number, value: Uint8Array): number {
  if (value.length > 0xffff)
    throw new StunEncodeError(`attribute ${attributeName(type)}`, 'value over 65535 bytes');
  writeUint16(out, at, type);
  writeUint16(out, at + 2, value.length);
  out.set(value, at + 4);
  // `out` is freshly allocated (zeroed) by encoders; pad explicitly only when there is padding.
  const end = at + 4 + pad4(value.length);
  for (let i = at + 4 + value.length; i < end; i++) out[i] = 0;
  return end;
}

function checkEncodable(msg: StunMessage): void {
  if (msg.transactionId.length !== TRANSACTION_ID_LENGTH) {
    throw new StunEncodeError('header', `transaction id has ${msg.transactionId.length} bytes, need 12`);
  }
  if (!Number.isInteger(msg.method) || msg.method < 0 || msg.method > 0xfff) {
    throw new StunEncodeError('header', `method ${msg.method} is not a 12-bit number`);
  }
  if (!Number.isInteger(msg.class) || msg.class < 0 || msg.class > 3) {
    throw new StunEncodeError('header', `class ${msg.class} is not 0–3`);
  }
}

/** Creates a message with no attributes. Pass a random 12-byte transaction id for requests. */
export function createMessage(
  method: number,
  cls: MessageClass,
  transactionId: Uint8Array,
  attributes: StunAttribute[] = [],
): StunMessage {
  return { class: cls, method, transactionId, attributes };
}

/** 12 random bytes from the platform CSPRNG (globalThis.crypto: browsers and Node ≥ 19). */
export function randomTransactionId(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(TRANSACTION_ID_LENGTH));
}
