/**
 * A Web Worker that computes a file's SHA-256 HASH_SLICE at a time, off the page's thread (the call's video
 * keeps rendering), and posts how far it got after each slice, then the digest.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { hex } from './format.js';

export type HashRequest = { file: Blob; slice: number };
export type HashReply = { hashed: number } | { sha256: string } | { error: string };

const post = (reply: HashReply) => postMessage(reply);

addEventListener('message', async (e: MessageEvent<HashRequest>) => {
  const { file, slice } = e.data;
  try {
    const hash = sha256.create();
    for (let offset = 0; offset < file.size; ) {
      const end = Math.min(offset + slice, file.size);
      hash.update(new Uint8Array(await file.slice(offset, end).arrayBuffer()));
      offset = end;
      post({ hashed: offset });
    }
    post({ sha256: hex(hash.digest()) });
  } catch (err) {
    post({ error: (err as Error).message });
  }
});
