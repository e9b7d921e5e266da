import { pad4, readUint16 } from './bytes.js';
import {
  CHANNEL_DATA_HEADER_LENGTH,
  type ChannelRangeOptions,
  decodeChannelData,
  startsChannelData,
} from './channel-data.js';
import { HEADER_LENGTH } from './constants.js';
import { StunDecodeError } from './errors.js';
import { readHeader } from './message.js';

/** One message cut from a byte stream. STUN frames are left for decodeMessage; ChannelData is parsed. */
export type StreamFrame =
  | { kind: 'stun'; bytes: Uint8Array }
  | { kind: 'channel-data'; channel: number; data: Uint8Array };

export interface StreamFramerOptions extends ChannelRangeOptions {
  /**
   * Largest frame accepted, in bytes (header, body and padding). A header declaring more fails the stream
   * with BAD_LENGTH before any of its body is buffered. Default: no limit beyond the 16-bit length fields.
   */
  readonly maxFrameBytes?: number;
}

const EMPTY = new Uint8Array(0);
/** Bytes that give a frame's size: the STUN type and length, or the channel number and length. */
const SIZE_PREFIX = 4;

/**
 * Cuts STUN messages and ChannelData messages out of a TCP/TLS byte stream (RFC 8656 §12.4: over streams,
 * ChannelData is padded to 4 bytes; STUN lengths are already multiples of 4). Input may be split anywhere.
 *
 * Every byte is copied at most once: frames wholly inside a pushed chunk are views of it (handle them before
 * reusing that memory); only a frame split across chunks is assembled, in a buffer of exactly its declared
 * size (so a connection holds no more than the frame it is in the middle of, never the reader's chunk).
 * After a StunDecodeError the stream cannot be resynchronised; the framer keeps failing and the caller
 * should close the connection.
 */
export class StunStreamFramer {
  /** The frame being assembled: SIZE_PREFIX bytes until its size is known, then exactly that size. */
  private partial: Uint8Array = EMPTY;
  private filled = 0;
  private sized = false;
  private copied = 0;
  private failed: StunDecodeError | undefined;

  constructor(private readonly options: StreamFramerOptions = {}) {}

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.filled;
  }

  /** Bytes copied into assembly buffers so far (never more than the bytes pushed plus 4 per frame). */
  get copiedBytes(): number {
    return this.copied;
  }

  /** Set once the stream stopped making sense. */
  get failure(): StunDecodeError | undefined {
    return this.failed;
  }

  /** Feeds the next chunk of the stream; returns every frame it completes, in order. */
  push(chunk: Uint8Array): StreamFrame[] {
    const frames = this.pushUntilFailure(chunk);
    if (this.failed) throw this.failed;
    return frames;
  }

  /**
   * Like push, but at the first byte that breaks the framing it returns the frames before it and sets
   * `failure` instead of throwing (a server handles what a client sent before garbage). Throws once failed.
   */
  pushUntilFailure(chunk: Uint8Array): StreamFrame[] {
    if (this.failed) throw this.failed;
    const frames: StreamFrame[] = [];
    try {
      let at = this.filled > 0 ? this.assemble(chunk, frames) : 0;
      if (this.filled > 0) return frames; // the chunk ended inside the frame being assembled
      for (;;) {
        const size = frameSize(chunk, at, this.options);
        if (size === undefined || chunk.length - at < size) break;
        frames.push(cut(chunk.subarray(at, at + size), this.options));
        at += size;
      }
      if (at < chunk.length) this.keep(chunk, at);
    } catch (err) {
      if (!(err instanceof StunDecodeError)) throw err;
      this.failed = err;
      this.reset();
    }
    return frames;
  }

  /** Hands back the bytes not yet framed and empties the buffer (RFC 6062: the stream turns into a raw pipe). */
  takeRest(): Uint8Array {
    const rest = this.partial.subarray(0, this.filled);
    this.reset();
    return rest;
  }

  private reset(): void {
    this.partial = EMPTY;
    this.filled = 0;
    this.sized = false;
  }

  /** Starts assembling the incomplete frame at `chunk[at..]` (its size was checked, if its prefix is there). */
  private keep(chunk: Uint8Array, at: number): void {
    const rest = chunk.length - at;
    const size = rest >= SIZE_PREFIX ? frameSize(chunk, at, this.options) : undefined;
    this.partial = new Uint8Array(size ?? SIZE_PREFIX);
    this.sized = size !== undefined;
    this.copy(chunk, at, rest);
  }

  /** Continues the frame being assembled from the start of `chunk`; returns how many bytes it took. */
  private assemble(chunk: Uint8Array, frames: StreamFrame[]): number {
    let at = 0;
    if (!this.sized) {
      at = this.copy(chunk, 0, Math.min(SIZE_PREFIX - this.filled, chunk.length));
      if (this.filled < SIZE_PREFIX) return at;
      const size = frameSize(this.partial, 0, this.options)!;
      if (size > SIZE_PREFIX) {
        const grown = new Uint8Array(size);
        grown.set(this.partial);
        this.copied += SIZE_PREFIX;
        this.partial = grown;
      }
      this.sized = true;
    }
    at += this.copy(chunk, at, Math.min(this.partial.length - this.filled, chunk.length - at));
    if (this.filled === this.partial.length) {
      const frame = this.partial;
      this.reset();
      frames.push(cut(frame, this.options));
    }
    return at;
  }

  private copy(chunk: Uint8Array, at: number, n: number): number {
    this.partial.set(chunk.subarray(at, at + n), this.filled);
    this.filled += n;
    this.copied += n;
    return n;
  }
}

/** Total size of the frame starting at `at`, or undefined while its first 4 bytes have not all arrived. */
function frameSize(buf: Uint8Array, at: number, options: StreamFramerOptions): number | undefined {
  if (buf.length - at < SIZE_PREFIX) return undefined;
  const first = buf[at]!;
  const length = readUint16(buf, at + 2);
  let size: number;
  if (first <= 0x03) {
    if (length % 4 !== 0)
      throw new StunDecodeError('BAD_LENGTH', 'stream', `STUN length ${length} is not a multiple of 4`);
    size = HEADER_LENGTH + length;
  } else if (startsChannelData(first, options)) {
    size = CHANNEL_DATA_HEADER_LENGTH + pad4(length);
  } else {
    throw new StunDecodeError(
      'BAD_HEADER',
      'stream',
      `first byte 0x${first.toString(16).padStart(2, '0')} starts neither STUN nor ChannelData`,
    );
  }
  const max = options.maxFrameBytes;
  if (max !== undefined && size > max)
    throw new StunDecodeError('BAD_LENGTH', 'stream', `frame of ${size} bytes is over the ${max}-byte limit`);
  return size;
}

function cut(frame: Uint8Array, options: ChannelRangeOptions): StreamFrame {
  if (frame[0]! <= 0x03) {
    readHeader(frame); // rejects a bad magic cookie now, before the caller trusts the framing
    return { kind: 'stun', bytes: frame };
  }
  const { channel, data } = decodeChannelData(frame, options);
  return { kind: 'channel-data', channel, data };
}
