/**
 * One round of the transfer benchmark, as each side runs it: the same code in a Node child process
 * (node-peer.ts) and in a Chromium page (page.ts), only the SDK's platform pieces (sinks, hash, memory
 * reading) passed in. The sender times a round from its first byte to the receiver's word that it has
 * everything (raw: a "done" message back; engine: `sendFiles(…).done`, which waits for the receiver's
 * `verified`), so both rows pay the same one-way trip at the end.
 */
import type { Channel, Peer, Room } from '@parley/client';
import type { FileOffer, IncomingTransfer, SendOptions, SourceFile } from '@parley/client/files';
import { onFileOffers, sendFiles } from '@parley/client/files';

/** The raw pump: 64 KiB messages while `bufferedAmount` < 1 MiB, resumed at `bufferedamountlow` (256 KiB). */
export const CHUNK = 64 * 1024;
export const HIGH = 1024 * 1024;
export const LOW = 256 * 1024;
export const RAW_LABEL = 'bench-raw';
/** How often the receiver notes bytes received and its memory. */
export const SAMPLE_MS = 100;

/** The receiver's memory and progress at one moment (`t`: ms since the epoch, comparable across processes). */
export interface Sample {
  t: number;
  bytes: number;
  /** Bytes of memory as the side measures it (Node: RSS; a page: used JS heap). */
  mem: number;
}

export interface Received {
  /** Memory just before the round's first byte was expected. */
  before: number;
  samples: Sample[];
  /** ms since the epoch when the last byte (raw) or the verified file (engine) was in. */
  doneAt: number;
}

/** The first peer of `room` (waiting for one), once the default channel to it is open. */
export async function firstPeer(room: Room): Promise<Peer> {
  const peer =
    room.peers.values().next().value ??
    (await new Promise<Peer>((resolve) => room.once('peer-joined', resolve)));
  if (peer.channels.get('parley')?.readyState !== 'open')
    await new Promise<void>((resolve) => peer.once('open', () => resolve()));
  return peer;
}

/** Sender, raw: opens the pump's channel (before the clock starts). */
export async function openRaw(peer: Peer): Promise<Channel> {
  const ch = peer.channel(RAW_LABEL);
  ch.bufferedAmountLowThreshold = LOW;
  if (ch.readyState !== 'open') await new Promise<void>((r) => ch.once('open', () => r()));
  return ch;
}

/** Sender, raw: pumps `bytes`, resolves with the ms until the receiver said it has them all. */
export async function pump(ch: Channel, bytes: number): Promise<number> {
  const chunk = new Uint8Array(CHUNK);
  const acked = new Promise<void>((resolve) => ch.once('message', () => resolve()));
  const t0 = performance.now();
  let sent = 0;
  while (sent < bytes) {
    while (sent < bytes && ch.bufferedAmount < HIGH) {
      const n = Math.min(CHUNK, bytes - sent);
      ch.send(n === CHUNK ? chunk : chunk.subarray(0, n));
      sent += n;
    }
    if (sent < bytes) await new Promise<void>((r) => ch.once('bufferedamountlow', () => r()));
  }
  await acked;
  return performance.now() - t0;
}

/** Sender, engine: sends `files`, resolves with the ms until the receiver verified them. */
export async function sendEngine(peer: Peer, files: SourceFile[], options: SendOptions): Promise<number> {
  const t0 = performance.now();
  await sendFiles(peer, files, options).done;
  return performance.now() - t0;
}

/**
 * Receiver: from now on, takes the round from the peer that joins `room` (raw: counts the bytes on the
 * pump's channel and answers "done"; engine: accepts the offer with `accept`), noting its memory every
 * SAMPLE_MS. Call it right after joining, before the sender joins.
 */
export function receive(
  room: Room,
  mode: 'raw' | 'engine',
  bytes: number,
  accept: (offer: FileOffer) => IncomingTransfer,
  memory: () => number,
): Promise<Received> {
  let got = 0;
  const before = memory();
  const samples: Sample[] = [];
  const sample = () => samples.push({ t: Date.now(), bytes: got, mem: memory() });
  const timer = setInterval(sample, SAMPLE_MS);
  return new Promise<Received>((resolve, reject) => {
    const finish = () => {
      clearInterval(timer);
      got = bytes;
      sample();
      resolve({ before, samples, doneAt: Date.now() });
    };
    const watch = (peer: Peer) => {
      if (mode === 'raw') {
        peer.on('channel', (ch) => {
          if (ch.label !== RAW_LABEL) return;
          ch.on('message', (d) => {
            got += typeof d === 'string' ? d.length : d.byteLength;
            if (got >= bytes) {
              ch.send('done');
              finish();
            }
          });
        });
      } else {
        onFileOffers(peer, (offer) => {
          const t = accept(offer);
          t.on('progress', (p) => {
            got = p.bytes;
          });
          t.done.then(finish, (err: unknown) => {
            clearInterval(timer);
            reject(err);
          });
        });
      }
    };
    for (const peer of room.peers.values()) watch(peer);
    room.on('peer-joined', watch);
  });
}

/**
 * A file of `size` pseudo-random bytes that is never held whole: each read copies from a 1 MiB random
 * pool (at a place that depends on the offset) and stamps the offset in, so blocks differ and the
 * source costs a copy per read, about what reading a cached file costs.
 */
export function syntheticFile(path: string, size: number): SourceFile {
  const pool = new Uint8Array(1024 * 1024 + 64 * 1024);
  for (let i = 0; i < pool.length; i += 65536) crypto.getRandomValues(pool.subarray(i, i + 65536));
  return {
    path,
    size,
    mime: 'application/octet-stream',
    mtime: Date.now(),
    async read(offset: number, length: number): Promise<Uint8Array> {
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      for (let done = 0; done < n; ) {
        const from = ((offset + done) >>> 12) % 65536;
        const take = Math.min(n - done, 1024 * 1024);
        out.set(pool.subarray(from, from + take), done);
        if (take >= 8) new DataView(out.buffer, done, 8).setFloat64(0, offset + done);
        done += take;
      }
      return out;
    },
  };
}

/**
 * The selected candidate pair, e.g. "host udp 192.0.2.2:5000 → host udp 192.0.2.2:5001, rtt 1 ms". `rttIn`:
 * the unit of `currentRoundTripTime` (seconds per the spec and in browsers; node-datachannel's polyfill
 * passes libdatachannel's SCTP RTT in milliseconds).
 */
export async function describeConnection(peer: Peer, rttIn: 's' | 'ms' = 's'): Promise<string> {
  type Stat = Record<string, unknown>;
  const stats = new Map<string, Stat>();
  try {
    (await peer.getStats()).forEach((s: Stat) => {
      stats.set(String(s.id), s);
    });
  } catch {
    return 'unknown (no stats)';
  }
  let pair: Stat | undefined;
  for (const s of stats.values()) {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')
      pair = stats.get(s.selectedCandidatePairId);
  }
  pair ??= [...stats.values()].find(
    (s) => s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated === true,
  );
  if (!pair) return 'unknown (no selected pair)';
  const side = (id: unknown) => {
    const c = stats.get(String(id));
    if (!c) return '?';
    const proto = c.protocol === undefined ? '' : ` ${String(c.protocol)}`;
    return `${String(c.candidateType)}${proto} ${String(c.address ?? c.ip)}:${String(c.port)}`;
  };
  const r = pair.currentRoundTripTime;
  const rtt = typeof r === 'number' ? `, rtt ${Math.round(rttIn === 's' ? r * 1000 : r)} ms` : '';
  return `${side(pair.localCandidateId)} → ${side(pair.remoteCandidateId)}${rtt}`;
}
