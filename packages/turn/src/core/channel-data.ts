import { type ChannelRangeOptions, channelDataLength, writeChannelData } from '@parley/stun';

/**
 * The server accepts RFC 5766's channel range 0x4000–0x7FFF. RFC 8656 §12 narrowed it to 0x4000–0x4FFF, but
 * deployed clients (coturn's turnutils_uclient among them) still pick numbers up to 0x7FFF, and coturn
 * accepts them; refusing them breaks interop for no security gain.
 */
export const CHANNELS: ChannelRangeOptions = Object.freeze({ legacyRange: true });

/**
 * Builds a ChannelData message for a client, zero-padded to 4 bytes for stream transports. Node's pooled
 * allocUnsafe is several times cheaper than a fresh Uint8Array for packet-sized buffers; writeChannelData
 * writes every byte.
 */
export function encodeChannelFrame(channel: number, data: Uint8Array, pad: boolean): Uint8Array {
  const out = Buffer.allocUnsafe(channelDataLength(data.length, pad));
  writeChannelData(out, 0, channel, data, pad, CHANNELS);
  return out;
}
