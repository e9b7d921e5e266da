/**
 * The state lane's binary frames (little-endian). Every frame starts with its kind; the sender's sequence
 * number (per destination) lets the receiver drop an update that arrives after a newer one (the lane is
 * unordered). Times are the room clock's, in ms.
 *
 *   STATE  1 | seq u32 | time f64 | state                       one player's own state
 *   WORLD  2 | seq u32 | count u8 | count × (tag u32 | flags u8 | time f64 | state)   the host's view
 *   PING   3 | t0 f64                                          t0: the sender's local clock
 *   PONG   4 | t0 f64 | t1 f64 | t2 f64                        t1, t2: the responder's room clock
 *   ACK    5 | seq u32                                         the newest STATE/WORLD seq received
 *
 * A player's `tag` is a 32-bit FNV-1a hash of its player id; WORLD flag 1 marks a state the host set
 * itself (an authoritative correction the player must take).
 */
import type { Schema } from './schema.js';

export const STATE = 1;
export const WORLD = 2;
export const PING = 3;
export const PONG = 4;
export const ACK = 5;
export const FORCED = 1;

export const STATE_HEADER = 13;
export const WORLD_HEADER = 6;
export const WORLD_ENTRY_HEADER = 13;
/**
 * The most a state-lane frame may take: well under the usual ~1200-byte payload a data channel message
 * gets in one packet (1280-byte IPv6 minimum MTU, less IP, UDP, DTLS and SCTP headers), so an update is
 * never split in fragments that each could be lost.
 */
export const MAX_FRAME = 1100;

export interface WorldEntry<S> {
  tag: number;
  flags: number;
  time: number;
  state: S;
}

export type Frame<S> =
  | { kind: typeof STATE; seq: number; time: number; state: S }
  | { kind: typeof WORLD; seq: number; entries: WorldEntry<S>[] }
  | { kind: typeof PING; t0: number }
  | { kind: typeof PONG; t0: number; t1: number; t2: number }
  | { kind: typeof ACK; seq: number };

export function encodeState<S>(schema: Schema<S>, seq: number, time: number, state: S): Uint8Array {
  const bytes = new Uint8Array(STATE_HEADER + schema.size);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, STATE);
  v.setUint32(1, seq >>> 0, true);
  v.setFloat64(5, time, true);
  schema.write(v, STATE_HEADER, state);
  return bytes;
}

export function encodeWorld<S>(
  schema: Schema<S>,
  seq: number,
  entries: readonly WorldEntry<S>[],
): Uint8Array {
  const each = WORLD_ENTRY_HEADER + schema.size;
  const bytes = new Uint8Array(WORLD_HEADER + entries.length * each);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, WORLD);
  v.setUint32(1, seq >>> 0, true);
  v.setUint8(5, entries.length);
  entries.forEach((e, i) => {
    const at = WORLD_HEADER + i * each;
    v.setUint32(at, e.tag, true);
    v.setUint8(at + 4, e.flags);
    v.setFloat64(at + 5, e.time, true);
    schema.write(v, at + WORLD_ENTRY_HEADER, e.state);
  });
  return bytes;
}

export function encodePing(t0: number): Uint8Array {
  const bytes = new Uint8Array(9);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, PING);
  v.setFloat64(1, t0, true);
  return bytes;
}

export function encodePong(t0: number, t1: number, t2: number): Uint8Array {
  const bytes = new Uint8Array(25);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, PONG);
  v.setFloat64(1, t0, true);
  v.setFloat64(9, t1, true);
  v.setFloat64(17, t2, true);
  return bytes;
}

export function encodeAck(seq: number): Uint8Array {
  const bytes = new Uint8Array(5);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, ACK);
  v.setUint32(1, seq >>> 0, true);
  return bytes;
}

/** Decodes a frame; undefined for anything malformed (a peer's bytes are never trusted). */
export function decodeFrame<S>(schema: Schema<S>, bytes: Uint8Array): Frame<S> | undefined {
  if (bytes.byteLength < 1) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = v.getUint8(0);
  switch (kind) {
    case STATE:
      if (bytes.byteLength !== STATE_HEADER + schema.size) return undefined;
      return {
        kind,
        seq: v.getUint32(1, true),
        time: v.getFloat64(5, true),
        state: schema.read(v, STATE_HEADER),
      };
    case WORLD: {
      if (bytes.byteLength < WORLD_HEADER) return undefined;
      const count = v.getUint8(5);
      const each = WORLD_ENTRY_HEADER + schema.size;
      if (bytes.byteLength !== WORLD_HEADER + count * each) return undefined;
      const entries: WorldEntry<S>[] = [];
      for (let i = 0; i < count; i++) {
        const at = WORLD_HEADER + i * each;
        entries.push({
          tag: v.getUint32(at, true),
          flags: v.getUint8(at + 4),
          time: v.getFloat64(at + 5, true),
          state: schema.read(v, at + WORLD_ENTRY_HEADER),
        });
      }
      return { kind, seq: v.getUint32(1, true), entries };
    }
    case PING:
      return bytes.byteLength === 9 ? { kind, t0: v.getFloat64(1, true) } : undefined;
    case PONG:
      return bytes.byteLength === 25
        ? { kind, t0: v.getFloat64(1, true), t1: v.getFloat64(9, true), t2: v.getFloat64(17, true) }
        : undefined;
    case ACK:
      return bytes.byteLength === 5 ? { kind, seq: v.getUint32(1, true) } : undefined;
    default:
      return undefined;
  }
}

/** A player id's 32-bit tag (FNV-1a over its UTF-16 code units). */
export function playerTag(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
