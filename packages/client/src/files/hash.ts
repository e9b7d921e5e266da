/**
 * SHA-256 for the engine. A block's hash is one call (Web Crypto where it exists: native speed, in
 * browsers and Node); the whole file's is streamed through a `StreamingHash` — by default @noble/hashes
 * (pure JS, the same everywhere, since Web Crypto cannot stream), or a faster one a platform passes in
 * (Node: `nodeSha256` from `@parley/client/files/node`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { FileInfo } from './types.js';

/** The part of a streaming hash the engine uses: @noble/hashes' and node:crypto's both fit. */
export interface StreamingHash {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

export type HashFactory = () => StreamingHash;

export const nobleSha256: HashFactory = () => sha256.create();

export function sha256Hex(data: Uint8Array): string {
  return bytesToHex(sha256(data));
}

/** A block's SHA-256 in hex, with Web Crypto when the platform has it. */
export async function blockHashHex(data: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return sha256Hex(data);
  return bytesToHex(new Uint8Array(await subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)));
}

export function digestHex(h: StreamingHash): string {
  return bytesToHex(h.digest());
}

/** A file's identity: the hex SHA-256 of its manifest entry as the sender offered it. */
export function fileKey(f: FileInfo): string {
  return sha256Hex(new TextEncoder().encode(JSON.stringify([f.path, f.size, f.mime, f.mtime])));
}
