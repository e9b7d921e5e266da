/**
 * The Chromium side of `bench:transfer`: a page (one per browser instance) with the SDK, the transfer
 * engine and its browser sinks bundled in, driven by the benchmark through `window.bench`. The receiving
 * page stages into the Origin Private File System with `opfsSink()` (the default browser sink) or, for the
 * second engine row, holds the file with `memorySink()`; the sending page offers a synthetic file
 * (rounds.ts). Whole-file hashing is the engine's default in a browser (@noble/hashes), block hashing Web
 * Crypto, as in the web app.
 */
import { joinRoom, type Room } from '@parley/client';
import { BLOCK_SIZE, CHUNK_SIZE, nobleSha256, type SourceFile } from '@parley/client/files';
import { listStaged, memorySink, opfsSink } from '@parley/client/files/browser';
import {
  describeConnection,
  firstPeer,
  openRaw,
  pump,
  type Received,
  receive,
  sendEngine,
  syntheticFile,
} from './rounds.js';

export type PageMode = 'raw' | 'engine-opfs' | 'engine-memory';

export interface PagePrepare {
  role: 'sender' | 'receiver';
  mode: PageMode;
  url: string;
  room: string;
  bytes: number;
  /** The offered file's name (a new one each round, so that staging never resumes an older round). */
  path: string;
}

/** What a page can measure on its own: the receiving side's costs one at a time, in MB/s. */
export interface Ceilings {
  bytes: number;
  /** `opfsSink()` alone, written as the engine writes (chunks or whole blocks), a checkpoint per block. */
  opfsSinkMBps: number;
  /** The whole-file streaming SHA-256 the engine uses in a browser (@noble/hashes), 1 MiB updates. */
  nobleSha256MBps: number;
  /** Web Crypto SHA-256 of 1 MiB blocks (the per-block hash). */
  webCryptoBlockMBps: number;
}

export interface BenchPage {
  /** The sender resolves with the connection's selected candidate pair. */
  prepare(p: PagePrepare): Promise<string | undefined>;
  go(): Promise<number>;
  collect(): Promise<Received>;
  leave(): Promise<void>;
  ceilings(bytes: number): Promise<Ceilings>;
  /** Used JS heap, bytes (precise with Chromium's --enable-precise-memory-info). */
  heap(): number;
}

declare global {
  interface Window {
    bench?: BenchPage;
    benchError?: string;
  }
}

const heap = () =>
  (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? Number.NaN;

let room: Room | undefined;
let go: (() => Promise<number>) | undefined;
let received: Promise<Received> | undefined;

async function clearStaging(): Promise<void> {
  for (const s of await listStaged()) await s.remove();
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

const page: BenchPage = {
  async prepare(p) {
    room = await joinRoom({ url: p.url, room: p.room, iceServers: [] });
    if (p.role === 'receiver') {
      await clearStaging();
      const sink = p.mode === 'engine-memory' ? memorySink(() => {}) : opfsSink();
      received = receive(room, p.mode === 'raw' ? 'raw' : 'engine', p.bytes, (o) => o.accept(sink), heap);
      received.catch(() => {});
      return undefined;
    }
    const peer = await firstPeer(room);
    if (p.mode === 'raw') {
      const ch = await openRaw(peer);
      go = () => pump(ch, p.bytes);
    } else {
      const files: SourceFile[] = [syntheticFile(p.path, p.bytes)];
      go = () => sendEngine(peer, files, {});
    }
    return describeConnection(peer);
  },
  async go() {
    if (!go) throw new Error('go before prepare');
    const run = go;
    go = undefined;
    return run();
  },
  async collect() {
    if (!received) throw new Error('collect before prepare');
    return received;
  },
  async leave() {
    await room?.leave();
    room = undefined;
    received = undefined;
    await clearStaging();
  },
  async ceilings(bytes) {
    const block = new Uint8Array(BLOCK_SIZE);
    for (let i = 0; i < block.length; i += 65536) crypto.getRandomValues(block.subarray(i, i + 65536));
    const blocks = Math.max(1, Math.floor(bytes / BLOCK_SIZE));
    const size = blocks * BLOCK_SIZE;
    await clearStaging();
    let t0 = performance.now();
    const key = 'f'.repeat(64);
    const info = { path: 'ceiling.bin', size, mime: 'application/octet-stream', mtime: Date.now() };
    const f = await opfsSink().open(info, key, BLOCK_SIZE);
    // Written as the engine writes to it: a sink that keeps unverified bytes (`partial`, files wire v2)
    // gets every chunk as it arrives; one that keeps only verified bytes gets whole blocks.
    const partial = (f as { partial?: boolean }).partial === true;
    for (let i = 0; i < blocks; i++) {
      if (partial)
        for (let o = 0; o < BLOCK_SIZE; o += CHUNK_SIZE)
          await f.write(i * BLOCK_SIZE + o, block.subarray(o, o + CHUNK_SIZE));
      else await f.write(i * BLOCK_SIZE, block);
      await f.checkpoint({ key, verified: (i + 1) * BLOCK_SIZE, lastBlockHash: 'x', blockSize: BLOCK_SIZE });
    }
    await f.commit('0'.repeat(64));
    const opfsSinkMBps = mbps(size, performance.now() - t0);
    await clearStaging();
    t0 = performance.now();
    const h = nobleSha256();
    for (let i = 0; i < blocks; i++) h.update(block);
    h.digest();
    const nobleSha256MBps = mbps(size, performance.now() - t0);
    t0 = performance.now();
    for (let i = 0; i < blocks; i++) await crypto.subtle.digest('SHA-256', block);
    const webCryptoBlockMBps = mbps(size, performance.now() - t0);
    return { bytes: size, opfsSinkMBps, nobleSha256MBps, webCryptoBlockMBps };
  },
  heap,
};

window.bench = page;
