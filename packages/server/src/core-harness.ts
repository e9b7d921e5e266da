/** Test doubles for the signaling core's injected parts: a fake clock, a recording wire, counting ids. */
import { decodeServerFrame, decodeServerFrameLight } from '@parley/protocol';
import type { Random, Transport } from './core.js';

export { FakeClock } from '@parley/testing';

/** Records what the core sends to each connection (connections are plain strings here). */
export class Wire implements Transport<string> {
  frames = new Map<string, Record<string, unknown>[]>();
  raw = new Map<string, string[]>();
  closes: { conn: string; code: number; reason: string }[] = [];
  /** Frames sent that decoded against the server schemas. */
  serverFrames = 0;
  /** Frames sent that did not decode (each also throws where it was sent). */
  invalid: string[] = [];
  send(conn: string, data: string | Uint8Array) {
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    // Everything the server sends must decode against the protocol's server schemas, and pass the SDK's
    // light decoder too.
    const decoded = decodeServerFrame(text);
    if (!decoded.ok)
      throw new Error(`the core sent a frame clients cannot decode (${decoded.message}): ${text}`);
    const light = decodeServerFrameLight(text);
    if (!light.ok)
      throw new Error(`the SDK's light decoder refuses a server frame (${light.message}): ${text}`);
    this.serverFrames++;
    if (!this.raw.has(conn)) this.raw.set(conn, []);
    this.raw.get(conn)!.push(text);
    if (!this.frames.has(conn)) this.frames.set(conn, []);
    this.frames.get(conn)!.push(JSON.parse(text));
  }
  close(conn: string, code: number, reason: string) {
    this.closes.push({ conn, code, reason });
  }
  take(conn: string) {
    const out = this.frames.get(conn) ?? [];
    this.frames.set(conn, []);
    return out;
  }
  last(conn: string) {
    return this.frames.get(conn)?.at(-1);
  }
}

export function counterRandom(): Random {
  let n = 0;
  return { peerId: () => `peer${++n}`, token: () => `token${++n}` };
}
