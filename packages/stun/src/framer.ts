import { concatBytes, pad4, readUint16 } from './bytes.js';
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

const EMPTY = new Uint8Array(0);

/**
 * Cuts STUN messages and ChannelData messages out of a TCP/TLS byte stream (RFC 8656 §12.4: over streams,
 * ChannelData is padded to 4 bytes; STUN lengths are already multiples of 4). Input may be split anywhere.
 * Frames may be views of the pushed chunk: handle them before reusing that memory.
 * After a StunDecodeError the stream cannot be resynchronised; the framer keeps failing and the caller
 * should close the connection.
 */
export class StunStreamFramer {
  private pending: Uint8Array = EMPTY;
  private failed: StunDecodeError | undefined;

  constructor(private readonly options: ChannelRangeOptions = {}) {}

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.pending.length;
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
    const buf = this.pending.length === 0 ? chunk : concatBytes([this.pending, chunk]);
    const frames: StreamFrame[] = [];
    let at = 0;
    try {
      for (;;) {
        const size = frameSize(buf, at, this.options);
        if (size === undefined || buf.length - at < size) break;
        frames.push(cut(buf.subarray(at, at + size), this.options));
        at += size;
      }
    } catch (err) {
      if (!(err instanceof StunDecodeError)) throw err;
      this.failed = err;
    }
    // Keep the remainder as a copy, so the caller may reuse its chunk buffer after push returns.
    this.pending = this.failed || at === buf.length ? EMPTY : buf.slice(at);
    return frames;
  }

  /** Hands back the bytes not yet framed and empties the buffer (RFC 6062: the stream turns into a raw pipe). */
  takeRest(): Uint8Array {
    const rest = this.pending;
    this.pending = EMPTY;
    return rest;
  }
}

/** Total size of the frame starting at `at`, or undefined while its first 4 bytes have not all arrived. */
function frameSize(buf: Uint8Array, at: number, options: ChannelRangeOptions): number | undefined {
  if (buf.length - at < 4) return undefined;
  const first = buf[at]!;
  const length = readUint16(buf, at + 2);
  if (first <= 0x03) {
    if (length % 4 !== 0)
      throw new StunDecodeError('BAD_LENGTH', 'stream', `STUN length ${length} is not a multiple of 4`);
    return HEADER_LENGTH + length;
  }
  if (startsChannelData(first, options)) return CHANNEL_DATA_HEADER_LENGTH + pad4(length);
  throw new StunDecodeError(
    'BAD_HEADER',
    'stream',
    `first byte 0x${first.toString(16).padStart(2, '0')} starts neither STUN nor ChannelData`,
  );
}

function cut(frame: Uint8Array, options: ChannelRangeOptions): StreamFrame {
  if (frame[0]! <= 0x03) {
    readHeader(frame); // rejects a bad magic cookie now, before the caller trusts the framing
    return { kind: 'stun', bytes: frame };
  }
  const { channel, data } = decodeChannelData(frame, options);
  return { kind: 'channel-data', channel, data };
}
