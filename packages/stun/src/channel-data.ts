import { pad4, view } from './bytes.js';
import { CHANNEL_MAX, CHANNEL_MIN } from './constants.js';
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

/** True for channel numbers a client may bind (RFC 8656 §12: 0x4000 through 0x4FFF). */
export function isValidChannelNumber(channel: number): boolean {
  return Number.isInteger(channel) && channel >= CHANNEL_MIN && channel <= CHANNEL_MAX;
}

/**
 * Decodes one ChannelData message from a datagram. Accepts the message with or without its padding;
 * anything shorter than Length, or longer than the padded size, is a StunDecodeError. No allocation but
 * the result object: `data` views `bytes`.
 */
export function decodeChannelData(bytes: Uint8Array): ChannelData {
  if (bytes.length < CHANNEL_DATA_HEADER_LENGTH) {
    throw new StunDecodeError('TRUNCATED', 'channel data', `${bytes.length} bytes, need 4`);
  }
  const v = view(bytes);
  const channel = v.getUint16(0);
  if (!isValidChannelNumber(channel)) {
    throw new StunDecodeError(
      'BAD_CHANNEL',
      'channel data',
      `channel number 0x${channel.toString(16)} outside 0x4000–0x4fff`,
    );
  }
  const length = v.getUint16(2);
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
): number {
  if (!isValidChannelNumber(channel)) {
    throw new StunEncodeError(
      'channel data',
      `channel number 0x${channel.toString(16)} outside 0x4000–0x4fff`,
    );
  }
  if (data.length > 0xffff)
    throw new StunEncodeError('channel data', `${data.length} bytes of data, at most 65535`);
  const size = channelDataLength(data.length, pad);
  if (offset + size > out.length)
    throw new StunEncodeError('channel data', `needs ${size} bytes at offset ${offset}`);
  const v = view(out);
  v.setUint16(offset, channel);
  v.setUint16(offset + 2, data.length);
  out.set(data, offset + CHANNEL_DATA_HEADER_LENGTH);
  out.fill(0, offset + CHANNEL_DATA_HEADER_LENGTH + data.length, offset + size);
  return size;
}

/** Encodes a ChannelData message into a new buffer of exactly its size. */
export function encodeChannelData(channel: number, data: Uint8Array, pad = false): Uint8Array {
  const out = new Uint8Array(channelDataLength(data.length, pad));
  const written = writeChannelData(out, 0, channel, data, pad);
  if (written !== out.length)
    throw new StunEncodeError('channel data', `wrote ${written} bytes, allocated ${out.length}`);
  return out;
}
