/** Shared by the file transfer tests: two joined rooms, temporary folders, random files, hashes. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join as joinPath, relative } from 'node:path';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import type { Peer, Room } from '../src/index.js';
import { join, next } from './helpers.js';

/** Every RTCPeerConnection made through `trackedRtc`, newest last: lets a test kill a live connection. */
export const connections: RTCPeerConnection[] = [];
class TrackedPeerConnection extends RTCPeerConnection {
  constructor(config?: RTCConfiguration) {
    super(config);
    connections.push(this);
  }
}
export const trackedRtc = { RTCPeerConnection: TrackedPeerConnection };

/** a is in the room first; b joins. Returns each side's Peer for the other. */
export async function pair(url: string, room: string): Promise<{ a: Room; b: Room; bOnA: Peer; aOnB: Peer }> {
  const a = await join(url, room, { rtc: trackedRtc });
  const joined = next(a, 'peer-joined');
  const b = await join(url, room, { rtc: trackedRtc });
  const [bOnA] = await joined;
  return { a, b, bOnA, aOnB: b.peers.get(a.selfId) as Peer };
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(joinPath(tmpdir(), `parley-${prefix}-`));
}

/** A file of `size` random bytes, written 4 MiB at a time. */
export async function randomFile(path: string, size: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const h = await open(path, 'w');
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(4 * 1024 * 1024, size - done);
      await h.write(randomBytes(n));
      done += n;
    }
  } finally {
    await h.close();
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file under `dir`, as relative paths with `/`, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(relative(dir, joinPath(e.parentPath, e.name)).split('\\').join('/'));
  return out.sort();
}

export function remove(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
