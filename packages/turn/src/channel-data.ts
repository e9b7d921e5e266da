// ChannelData for the server, accepting RFC 5766's channel range 0x4000–0x7FFF. RFC 8656 §12 narrowed it to
// 0x4000–0x4FFF, but deployed clients (coturn's turnutils_uclient among them) still pick numbers up to 0x7FFF,
// and coturn accepts them; refusing them breaks interop for no security gain.
// TODO(stun): @parley/stun's decodeChannelData / writeChannelData / StunStreamFramer only take 0x4000–0x4FFF;
// this file can move there as a `legacyRange` option.
import { HEADER_LENGTH, readHeader, StunDecodeError } from '@parley/stun';

export const CHANNEL_MIN = 0x4000;
/** RFC 5766 §11 upper bound (RFC 8656 uses 0x4FFF). */
export const CHANNEL_MAX = 0x7fff;

/** True for a number a client may bind: 0x4000–0x7FFF. */
export function isBindableChannel(n: number): boolean {
  return Number.isInteger(n) && n >= CHANNEL_MIN && n <= CHANNEL_MAX;
}

/** True when a packet's first byte says ChannelData (0x40–0x7F) rather than STUN (0x00–0x03). */
export function looksLikeChannelData(first: number | undefined): boolean {
  return first !== undefined && first >= 0x40 && first <= 0x7f;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * RFC 8656 §12.4: reads a ChannelData datagram (padding optional over UDP). Returns the data length, or -1
 * when the datagram is malformed; the channel is `(bytes[0] << 8) | bytes[1]` and the data starts at 4.
 * Returning numbers keeps the hot path free of allocations and exceptions.
 */
export function channelDataLength(bytes: Uint8Array): number {
  if (bytes.length < 4) return -1;
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (bytes.length < 4 + length || bytes.length > 4 + pad4(length)) return -1;
  return length;
}

/**
 * Builds a ChannelData message, zero-padded to 4 bytes for stream transports. Node's pooled allocUnsafe is
 * several times cheaper than a fresh Uint8Array for packet-sized buffers; every byte is written below.
 */
export function encodeChannelFrame(channel: number, data: Uint8Array, pad: boolean): Uint8Array {
  const size = 4 + (pad ? pad4(data.length) : data.length);
  const out = Buffer.allocUnsafe(size);
  out.fill(0, 4 + data.length, size);
  out[0] = channel >> 8;
  out[1] = channel & 0xff;
  out[2] = data.length >> 8;
  out[3] = data.length & 0xff;
  out.set(data, 4);
  return out;
}

export type ServerFrame =
  | { readonly kind: 'stun'; readonly bytes: Uint8Array }
  | { readonly kind: 'channel-data'; readonly channel: number; readonly data: Uint8Array };

const EMPTY = new Uint8Array(0);

/**
 * Cuts STUN messages and padded ChannelData out of a TCP/TLS stream (RFC 8656 §12.4), the input split
 * anywhere. A frame that starts with neither is a StunDecodeError: the stream cannot resynchronise.
 */
export class ServerStreamFramer {
  private pending: Uint8Array = EMPTY;
  /** Set once the stream stopped making sense; frames before that point were still returned. */
  failure: StunDecodeError | undefined;

  get buffered(): number {
    return this.pending.length;
  }

  /** Hands back the bytes not yet framed and stops framing (RFC 6062: the stream turns into a raw pipe). */
  takeRest(): Uint8Array {
    const rest = this.pending;
    this.pending = EMPTY;
    return rest;
  }

  /**
   * Feeds a chunk; returns the frames it completes. At the first byte that is neither STUN nor ChannelData
   * (or a STUN header that does not check out) it returns the frames before it and sets `failure`; later
   * pushes throw it.
   */
  push(chunk: Uint8Array): ServerFrame[] {
    if (this.failure) throw this.failure;
    const buf = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const frames: ServerFrame[] = [];
    let at = 0;
    while (buf.length - at >= 4) {
      const first = buf[at]!;
      const length = (buf[at + 2]! << 8) | buf[at + 3]!;
      const stun = first <= 0x03;
      if (!stun && !looksLikeChannelData(first)) {
        this.failure = new StunDecodeError(
          'BAD_HEADER',
          'stream',
          `first byte 0x${first.toString(16)} is not STUN or ChannelData`,
        );
        break;
      }
      const size = stun ? HEADER_LENGTH + length : 4 + pad4(length);
      if (buf.length - at < size) break;
      const frame = buf.subarray(at, at + size);
      if (stun) {
        try {
          readHeader(frame);
        } catch (err) {
          this.failure =
            err instanceof StunDecodeError ? err : new StunDecodeError('BAD_HEADER', 'stream', String(err));
          break;
        }
        frames.push({ kind: 'stun', bytes: frame });
      } else {
        frames.push({
          kind: 'channel-data',
          channel: (first << 8) | frame[1]!,
          data: frame.subarray(4, 4 + length),
        });
      }
      at += size;
    }
    this.pending = this.failure || at === buf.length ? EMPTY : buf.slice(at);
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
