import { pad4, readUint16, writeUint16 } from './bytes.js';
import { CHANNEL_MAX, CHANNEL_MAX_LEGACY, CHANNEL_MIN } from './constants.js';
import { StunDecodeError, StunEncodeError } from './errors.js';

/*
 * RFC 8656 §12.4 ChannelData message:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Channel Number        |            Length             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  /                       Application Data                        /
 *  /                                                               /
 *  |                                                               |
 *  |                               +-------------------------------+
 *  |                               |
 *  +-------------------------------+
 *
 * Over TCP/TLS the message is padded to a multiple of 4 (the padding is not counted in Length);
 * over UDP the padding may be omitted.
 */

export const CHANNEL_DATA_HEADER_LENGTH = 4;

/** A ChannelData message; `data` is a view into the input, not a copy. */
export interface ChannelData {
  channel: number;
  data: Uint8Array;
}

export interface ChannelRangeOptions {
  /** Accept RFC 5766's channel range 0x4000–0x7FFF instead of RFC 8656's 0x4000–0x4FFF (as coturn does). */
  readonly legacyRange?: boolean;
}

function channelMax(options: ChannelRangeOptions | undefined): number {
  return options?.legacyRange ? CHANNEL_MAX_LEGACY : CHANNEL_MAX;
}

function rangeText(options: ChannelRangeOptions | undefined): string {
  return `0x4000–0x${channelMax(options).toString(16)}`;
}

/** True for channel numbers a client may bind (RFC 8656 §12: 0x4000 through 0x4FFF; 0x7FFF with legacyRange). */
export function isValidChannelNumber(channel: number, options?: ChannelRangeOptions): boolean {
  return Number.isInteger(channel) && channel >= CHANNEL_MIN && channel <= channelMax(options);
}

/**
 * True when a packet's first byte can start ChannelData (RFC 7983 §7: 64–79, or 64–127 with legacyRange),
 * as opposed to STUN (0–3). Only a hint: decode to be sure.
 */
export function startsChannelData(first: number | undefined, options?: ChannelRangeOptions): boolean {
  return first !== undefined && first >= 0x40 && first <= channelMax(options) >> 8;
}

/**
 * The data length of a ChannelData datagram (padding optional), or -1 when it is malformed. For hot paths
 * that drop bad datagrams without building an error; the channel is `(bytes[0] << 8) | bytes[1]` and the
 * data starts at byte 4. Use decodeChannelData to learn what is wrong.
 */
export function peekChannelData(bytes: Uint8Array): number {
  if (bytes.length < CHANNEL_DATA_HEADER_LENGTH) return -1;
  const length = readUint16(bytes, 2);
  if (bytes.length < CHANNEL_DATA_HEADER_LENGTH + length) return -1;
  if (bytes.length > CHANNEL_DATA_HEADER_LENGTH + pad4(length)) return -1;
  return length;
}

/**
 * Decodes one ChannelData message from a datagram. Accepts the message with or without its padding;
 * anything shorter than Length, or longer than the padded size, is a StunDecodeError. No allocation but
 * the result object: `data` views `bytes`.
 */
export function decodeChannelData(bytes: Uint8Array, options?: ChannelRangeOptions): ChannelData {
  if (bytes.length < CHANNEL_DATA_HEADER_LENGTH) {
    throw new StunDecodeError('TRUNCATED', 'channel data', `${bytes.length} bytes, need 4`);
  }
  const channel = readUint16(bytes, 0);
  if (!isValidChannelNumber(channel, options)) {
    throw new StunDecodeError(
      'BAD_CHANNEL',
      'channel data',
      `channel number 0x${channel.toString(16)} outside ${rangeText(options)}`,
    );
  }
  const length = readUint16(bytes, 2);
  const end = CHANNEL_DATA_HEADER_LENGTH + length;
  if (bytes.length < end || bytes.length > CHANNEL_DATA_HEADER_LENGTH + pad4(length)) {
    throw new StunDecodeError(
      'BAD_LENGTH',
      'channel data',
      `length field ${length} with ${bytes.length - 4} bytes after the header`,
    );
  }
  return { channel, data: bytes.subarray(CHANNEL_DATA_HEADER_LENGTH, end) };
}

/** Size of a ChannelData message carrying `dataLength` bytes, padded when `pad` (stream transports). */
export function channelDataLength(dataLength: number, pad = false): number {
  return CHANNEL_DATA_HEADER_LENGTH + (pad ? pad4(dataLength) : dataLength);
}

/**
 * Writes a ChannelData message into `out` at `offset` (so a server can frame into a reused buffer);
 * returns the bytes written. Padding bytes, when asked for, are zeroed.
 */
export function writeChannelData(
  out: Uint8Array,
  offset: number,
  channel: number,
  data: Uint8Array,
  pad = false,
  options?: ChannelRangeOptions,
): number {
  if (!isValidChannelNumber(channel, options)) {
    throw new StunEncodeError(
      'channel data',
      `channel number 0x${channel.toString(16)} outside ${rangeText(options)}`,
    );
  }
  if (data.length > 0xffff)
    throw new StunEncodeError('channel data', `${data.length} bytes of data, at most 65535`);
  const size = channelDataLength(data.length, pad);
  if (offset + size > out.length)
    throw new StunEncodeError('channel data', `needs ${size} bytes at offset ${offset}`);
  writeUint16(out, offset, channel);
  writeUint16(out, offset + 2, data.length);
  out.set(data, offset + CHANNEL_DATA_HEADER_LENGTH);
  for (let i = offset + CHANNEL_DATA_HEADER_LENGTH + data.length; i < offset + size; i++) out[i] = 0;
  return size;
}

/** Encodes a ChannelData message into a new buffer of exactly its size. */
export function encodeChannelData(
  channel: number,
  data: Uint8Array,
  pad = false,
  options?: ChannelRangeOptions,
): Uint8Array {
  const out = new Uint8Array(channelDataLength(data.length, pad));
  const written = writeChannelData(out, 0, channel, data, pad, options);
  if (written !== out.length)
    throw new StunEncodeError('channel data', `wrote ${written} bytes, allocated ${out.length}`);
  return out;
}
