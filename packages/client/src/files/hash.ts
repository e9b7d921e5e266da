/** SHA-256 for the engine: streaming (@noble/hashes, the same in browsers and Node) and hex. */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { FileInfo } from './types.js';

export type StreamingHash = ReturnType<typeof sha256.create>;

export const newHash = (): StreamingHash => sha256.create();

export function sha256Hex(data: Uint8Array): string {
  return bytesToHex(sha256(data));
}

export function digestHex(h: StreamingHash): string {
  return bytesToHex(h.digest());
}

/** A file's identity: the hex SHA-256 of its manifest entry as the sender offered it. */
export function fileKey(f: FileInfo): string {
  return sha256Hex(new TextEncoder().encode(JSON.stringify([f.path, f.size, f.mime, f.mtime])));
}
