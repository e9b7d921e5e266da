import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import type { Peer, Room } from '../src/index.js';
import { join, next } from './helpers.js';

export { listFiles, randomFile, sha256File } from '@parley/testing';

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

export function remove(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
