/** Files for transfer tests: random content written fast, hashes, and the tree a receiver wrote. */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

const STEP = 8 * 1024 * 1024;

/** A file of `size` random bytes (an AES-CTR keystream: fast), folders made as needed; resolves with its SHA-256. */
export async function randomFile(path: string, size: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(Math.min(STEP, size));
  const hash = createHash('sha256');
  const h = await open(path, 'w');
  try {
    for (let done = 0; done < size; done += zeros.byteLength) {
      const bytes = cipher.update(zeros.subarray(0, Math.min(zeros.byteLength, size - done)));
      hash.update(bytes);
      await h.write(bytes);
    }
  } finally {
    await h.close();
  }
  return hash.digest('hex');
}

/** The SHA-256 of a file, read as a stream. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file under `dir`, as relative paths with `/`, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
  return out.sort();
}
