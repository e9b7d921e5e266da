import { StunDecodeError, StunEncodeError } from './errors.js';

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is data and must round-trip.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Rounds a length up to the next multiple of 4 (STUN attributes and ChannelData over streams are padded). */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** UTF-8 bytes of `s`. Short ASCII text (realms, nonces, reason phrases) skips TextEncoder, which costs ~1 µs. */
export function utf8Encode(s: string): Uint8Array {
  const n = s.length;
  if (n > 128) return encoder.encode(s);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return encoder.encode(s);
    out[i] = c;
  }
  return out;
}

/** Decodes UTF-8, throwing a StunDecodeError that names `place` for malformed sequences. */
export function utf8Decode(bytes: Uint8Array, place: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new StunDecodeError('BAD_ATTRIBUTE', place, 'invalid UTF-8');
  }
}

/** Number of Unicode code points (the RFCs count "characters" for REALM, NONCE, SOFTWARE). */
export function codePointCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A DataView over exactly these bytes. Costly per call in V8: hot paths use the helpers below instead. */
export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Big-endian 16-bit read at `at` (the caller has checked the bounds). */
export function readUint16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/** Big-endian 32-bit unsigned read at `at` (the caller has checked the bounds). */
export function readUint32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function writeUint16(b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 8;
  b[at + 1] = n;
}

export function writeUint32(b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 24;
  b[at + 1] = n >>> 16;
  b[at + 2] = n >>> 8;
  b[at + 3] = n;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Compares two MACs in time that depends only on their lengths, never on where they first differ,
 * so an attacker cannot learn a valid MAC byte by byte from response timing.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean))
    throw new StunEncodeError('hex', `not hex: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]!;
  return s;
}

/**
 * Allocates exactly `size` bytes, lets `write` fill them through a DataView, and checks that it wrote exactly
 * that many: the two-pass encoding rule (compute the length, allocate once, write, verify).
 */
export function allocWrite(
  size: number,
  place: string,
  write: (v: DataView, out: Uint8Array) => number,
): Uint8Array {
  const out = new Uint8Array(size);
  const written = write(view(out), out);
  if (written !== size) throw new StunEncodeError(place, `wrote ${written} bytes, allocated ${size}`);
  return out;
}
