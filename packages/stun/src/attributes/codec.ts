import { codePointCount, readUint32, utf8Decode, utf8Encode, view, writeUint32 } from '../bytes.js';
import { StunDecodeError, StunEncodeError } from '../errors.js';

/**
 * How one attribute type reads and writes its value. `decode` throws StunDecodeError naming the attribute;
 * `encode` throws StunEncodeError for values the wire format cannot carry. The transaction id is passed
 * because XOR-*-ADDRESS values depend on it.
 */
export interface AttributeCodec<T> {
  readonly type: number;
  readonly name: string;
  decode(value: Uint8Array, transactionId: Uint8Array): T;
  encode(value: T, transactionId: Uint8Array): Uint8Array;
}

export function decodeError(name: string, detail: string): StunDecodeError {
  return new StunDecodeError('BAD_ATTRIBUTE', `attribute ${name}`, detail);
}

export function encodeError(name: string, detail: string): StunEncodeError {
  return new StunEncodeError(`attribute ${name}`, detail);
}

export function expectLength(name: string, value: Uint8Array, need: number): DataView {
  if (value.length !== need) throw decodeError(name, `length ${value.length}, need ${need}`);
  return view(value);
}

export function checkUint(name: string, n: number, bits: 8 | 16 | 32): void {
  if (!Number.isInteger(n) || n < 0 || n > 2 ** bits - 1)
    throw encodeError(name, `${n} is not a ${bits}-bit number`);
}

/** A 32-bit unsigned integer value (LIFETIME, PRIORITY, CONNECTION-ID, CACHE-TIMEOUT). */
export function uint32Codec(type: number, name: string): AttributeCodec<number> {
  return {
    type,
    name,
    decode(value) {
      if (value.length !== 4) throw decodeError(name, `length ${value.length}, need 4`);
      return readUint32(value, 0);
    },
    encode(n) {
      checkUint(name, n, 32);
      const out = new Uint8Array(4);
      writeUint32(out, 0, n);
      return out;
    },
  };
}

/** A flag attribute with an empty value (DONT-FRAGMENT, USE-CANDIDATE): present means true. */
export function flagCodec(type: number, name: string): AttributeCodec<true> {
  return {
    type,
    name,
    decode(value) {
      expectLength(name, value, 0);
      return true;
    },
    encode: () => new Uint8Array(0),
  };
}

/** Opaque bytes, optionally of a fixed length (DATA, PADDING, RESERVATION-TOKEN, USERHASH). */
export function bytesCodec(type: number, name: string, fixedLength?: number): AttributeCodec<Uint8Array> {
  return {
    type,
    name,
    decode(value) {
      if (fixedLength !== undefined) expectLength(name, value, fixedLength);
      return value;
    },
    encode(bytes) {
      if (fixedLength !== undefined && bytes.length !== fixedLength) {
        throw encodeError(name, `${bytes.length} bytes, need ${fixedLength}`);
      }
      return bytes;
    },
  };
}

/** Limits the RFCs put on a text attribute: UTF-8 bytes, and for some, characters. */
export interface TextLimits {
  maxBytes: number;
  maxChars?: number;
}

/** Checks a decoded or to-be-encoded string against its limits; returns a problem description or undefined. */
export function textProblem(s: string, byteLength: number, limits: TextLimits): string | undefined {
  if (byteLength > limits.maxBytes) return `${byteLength} bytes, at most ${limits.maxBytes}`;
  // A string never has more code points than UTF-8 bytes: only count when the bytes could exceed the limit.
  if (limits.maxChars !== undefined && byteLength > limits.maxChars) {
    const chars = codePointCount(s);
    if (chars > limits.maxChars) return `${chars} characters, at most ${limits.maxChars}`;
  }
  return undefined;
}

/** A UTF-8 text value (USERNAME, REALM, NONCE, SOFTWARE, ALTERNATE-DOMAIN). */
export function textCodec(type: number, name: string, limits: TextLimits): AttributeCodec<string> {
  return {
    type,
    name,
    decode(value) {
      const s = utf8Decode(value, `attribute ${name}`);
      const problem = textProblem(s, value.length, limits);
      if (problem) throw decodeError(name, problem);
      return s;
    },
    encode(s) {
      const bytes = utf8Encode(s);
      const problem = textProblem(s, bytes.length, limits);
      if (problem) throw encodeError(name, problem);
      return bytes;
    },
  };
}
