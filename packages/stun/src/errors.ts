/** Why decoding failed, as a stable code a caller can switch on. */
export type StunDecodeErrorCode =
  | 'TRUNCATED'
  | 'BAD_HEADER'
  | 'BAD_MAGIC_COOKIE'
  | 'BAD_LENGTH'
  | 'BAD_ATTRIBUTE'
  | 'BAD_CHANNEL';

/**
 * Thrown by every decoder for bytes it cannot read. `place` names where decoding failed
 * (`header`, `attribute XOR-MAPPED-ADDRESS`, `channel data`), so a log line points at the byte that broke it.
 */
export class StunDecodeError extends Error {
  override readonly name = 'StunDecodeError';
  readonly code: StunDecodeErrorCode;
  readonly place: string;

  constructor(code: StunDecodeErrorCode, place: string, detail: string) {
    super(`${place}: ${detail}`);
    this.code = code;
    this.place = place;
  }
}

/** Thrown when asked to encode a value the wire format cannot carry (a port above 65535, a bad address). */
export class StunEncodeError extends Error {
  override readonly name = 'StunEncodeError';
  readonly place: string;

  constructor(place: string, detail: string) {
    super(`${place}: ${detail}`);
    this.place = place;
  }
}
