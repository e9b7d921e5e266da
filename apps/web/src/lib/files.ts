/**
 * File transfer between peers over a dedicated data channel ("files", reliable and ordered).
 *
 * Wire: the sender says `preparing` (name, size, type) as soon as a file is picked, hashes it (HASH_SLICE at
 * a time, so the UI can show how far it got), then sends a JSON `offer` (the same id, SHA-256), then the bytes
 * as binary messages of CHUNK bytes, then `end`. A receiver that does not know `preparing` ignores it. The receiver hashes what it got with Web Crypto and answers `result`; only a file
 * whose hash matches is offered for saving. Either side may send `cancel`. One transfer at a time per peer
 * and direction, so binary messages need no header. The sender keeps the channel's buffer between LOW and
 * HIGH: it sends while `bufferedAmount < HIGH` (Chromium may count a partly sent message in bufferedAmount) and waits for
 * `bufferedamountlow` otherwise.
 */
import type { Channel, Peer } from '@parley/client';
import { hex } from './format.js';
import type { HashReply, HashRequest } from './hash-worker.js';

export const FILES_CHANNEL = 'files';
/** Chromium caps a message at 256 KiB; smaller chunks keep progress smooth and memory low. */
export const CHUNK = 64 * 1024;
export const HIGH = 1024 * 1024;
export const LOW = 256 * 1024;
/** Received files are held in memory until saved; bigger ones wait for streamed transfers. */
export const MAX_RECEIVE = 1024 * 1024 * 1024;
/** The sender's worker reads and hashes the file this much at a time, and says how far it got after each. */
export const HASH_SLICE = 8 * 1024 * 1024;

export type TransferStatus =
  | 'hashing'
  | 'preparing'
  | 'queued'
  | 'sending'
  | 'confirming'
  | 'receiving'
  | 'verifying'
  | 'done'
  | 'failed'
  | 'cancelled';

export interface Transfer {
  readonly id: string;
  readonly direction: 'send' | 'receive';
  readonly peerId: string;
  peerName: string;
  readonly name: string;
  readonly size: number;
  readonly mime: string;
  sha256: string | undefined;
  bytes: number;
  /** Sender: how much of the file has been hashed. */
  hashed: number;
  /** Bytes per second over the last few seconds (of hashing while `hashing`). */
  rate: number;
  etaSeconds: number;
  status: TransferStatus;
  error?: string;
  /** Receiver: an object URL of the verified file, for saving. */
  url?: string;
  /** Receiver: verified, and neither saved nor dismissed yet. */
  waiting?: boolean;
}

type Control =
  | { t: 'preparing'; id: string; name: string; size: number; mime: string }
  | { t: 'offer'; id: string; name: string; size: number; mime: string; sha256: string }
  | { t: 'end'; id: string }
  | { t: 'result'; id: string; ok: boolean; sha256: string }
  | { t: 'cancel'; id: string };

interface Incoming {
  transfer: Transfer;
  chunks: Uint8Array[];
  meter: Meter;
}

export class FileTransfers {
  readonly list: Transfer[] = [];
  readonly #incoming = new Map<string, Incoming>();
  /** Per peer: the tail of its send queue. */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #changed: () => void;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  /** Sends a file to each of these peers; the hash is computed once, and each peer is told it is coming. */
  async send(file: File, peers: readonly Peer[], nameOf: (id: string) => string): Promise<void> {
    const transfers = peers.map((peer) => {
      const t = this.#add('send', peer.id, nameOf(peer.id), file.name, file.size, file.type);
      t.status = 'hashing';
      const preparing: Control = { t: 'preparing', id: t.id, name: t.name, size: t.size, mime: t.mime };
      tell(peer, preparing);
      return { peer, t };
    });
    this.#changed();
    const meter = new Meter();
    let digest: string | undefined;
    try {
      digest = await hashFile(
        file,
        (hashed) => {
          for (const { t } of transfers) if (t.status === 'hashing') this.#hashed(t, meter, hashed);
        },
        () => transfers.every(({ t }) => isOver(t)),
      );
    } catch (err) {
      for (const { peer, t } of transfers) {
        this.#fail(t, `could not read the file: ${(err as Error).message}`);
        tell(peer, { t: 'cancel', id: t.id });
      }
      return;
    }
    for (const { peer, t } of transfers) {
      if (digest === undefined || isOver(t)) continue;
      t.sha256 = digest;
      t.rate = 0;
      t.etaSeconds = Number.POSITIVE_INFINITY;
      t.status = 'queued';
      const previous = this.#queues.get(peer.id) ?? Promise.resolve();
      const next = previous
        .then(() => this.#sendTo(peer, t, file))
        .catch((err: Error) => this.#fail(t, err.message));
      this.#queues.set(peer.id, next);
    }
    this.#changed();
  }

  /** A message on a peer's files channel. */
  handle(peer: Peer, data: string | Uint8Array, peerName: string): void {
    if (typeof data !== 'string') {
      this.#onChunk(peer.id, data);
      return;
    }
    const msg = parseControl(data);
    if (!msg) return;
    switch (msg.t) {
      case 'preparing':
        this.#onPreparing(peer, msg, peerName);
        return;
      case 'offer':
        this.#onOffer(peer, msg, peerName);
        return;
      case 'end':
        void this.#onEnd(peer, msg.id);
        return;
      case 'result': {
        const t = this.#find(msg.id, 'send');
        if (!t || t.status === 'cancelled') return;
        if (msg.ok) this.#finish(t, 'done');
        else this.#fail(t, 'the receiver got different bytes (SHA-256 mismatch)');
        return;
      }
      case 'cancel': {
        const t = this.#find(msg.id);
        if (t && !isOver(t)) this.#finish(t, 'cancelled');
        if (this.#incoming.get(peer.id)?.transfer.id === msg.id) this.#incoming.delete(peer.id);
      }
    }
  }

  cancel(id: string, peer: Peer | undefined): void {
    const t = this.list.find((x) => x.id === id);
    if (!t || isOver(t)) return;
    this.#finish(t, 'cancelled');
    if (t.direction === 'receive' && this.#incoming.get(t.peerId)?.transfer.id === id)
      this.#incoming.delete(t.peerId);
    if (peer) tell(peer, { t: 'cancel', id });
  }

  /** The number of received files that wait to be saved or dismissed. */
  get waiting(): number {
    return this.list.filter((t) => t.waiting).length;
  }

  /** A received file was saved, or its reminder dismissed: it no longer waits. */
  settle(id: string): void {
    const t = this.#find(id, 'receive');
    if (!t?.waiting) return;
    t.waiting = false;
    this.#changed();
  }

  /** The peer left: whatever was under way with it fails. */
  peerGone(peerId: string): void {
    this.#incoming.delete(peerId);
    for (const t of this.list) if (t.peerId === peerId && !isOver(t)) this.#fail(t, 'the peer left');
  }

  dispose(): void {
    for (const t of this.list) if (t.url) URL.revokeObjectURL(t.url);
  }

  async #sendTo(peer: Peer, t: Transfer, file: File): Promise<void> {
    if (t.status === 'cancelled') return;
    const ch = peer.channel(FILES_CHANNEL, {});
    const offer: Control = {
      t: 'offer',
      id: t.id,
      name: t.name,
      size: t.size,
      mime: t.mime,
      sha256: t.sha256 ?? '',
    };
    ch.send(JSON.stringify(offer));
    t.status = 'sending';
    const meter = new Meter();
    let offset = 0;
    while (offset < file.size) {
      if (isOver(t)) return;
      if (ch.readyState !== 'open') {
        await opened(ch);
        continue;
      }
      if (ch.bufferedAmount >= HIGH) {
        await drained(ch);
      } else {
        const end = Math.min(offset + CHUNK, file.size);
        ch.send(new Uint8Array(await file.slice(offset, end).arrayBuffer()));
        offset = end;
      }
      this.#progress(t, meter, offset - ch.bufferedAmount);
    }
    ch.send(JSON.stringify({ t: 'end', id: t.id } satisfies Control));
    t.bytes = t.size;
    t.etaSeconds = 0;
    t.status = 'confirming';
    this.#changed();
    // The next file waits until the receiver has checked this one.
    while (t.status === 'confirming') await delay(100);
  }

  /** The sender picked a file and is hashing it: show that something is coming. */
  #onPreparing(peer: Peer, msg: Extract<Control, { t: 'preparing' }>, peerName: string): void {
    if (this.#find(msg.id)) return;
    const t = this.#add('receive', peer.id, peerName, safeName(msg.name), msg.size, msg.mime, msg.id);
    t.status = 'preparing';
    if (!receivable(msg.size)) {
      this.#fail(t, 'too large to receive in memory');
      tell(peer, { t: 'cancel', id: msg.id });
    }
    this.#changed();
  }

  #onOffer(peer: Peer, msg: Extract<Control, { t: 'offer' }>, peerName: string): void {
    const announced = this.#find(msg.id, 'receive');
    if (announced && (announced.status !== 'preparing' || announced.peerId !== peer.id)) return;
    if (announced) this.list.splice(this.list.indexOf(announced), 1);
    const t = this.#add('receive', peer.id, peerName, safeName(msg.name), msg.size, msg.mime, msg.id);
    t.sha256 = msg.sha256;
    if (!receivable(msg.size)) {
      this.#fail(t, 'too large to receive in memory');
      tell(peer, { t: 'cancel', id: msg.id });
      return;
    }
    t.status = 'receiving';
    this.#incoming.set(peer.id, { transfer: t, chunks: [], meter: new Meter() });
    this.#changed();
  }

  #onChunk(peerId: string, chunk: Uint8Array): void {
    const inc = this.#incoming.get(peerId);
    if (!inc) return;
    inc.chunks.push(chunk);
    this.#progress(inc.transfer, inc.meter, inc.transfer.bytes + chunk.byteLength);
  }

  async #onEnd(peer: Peer, id: string): Promise<void> {
    const inc = this.#incoming.get(peer.id);
    if (!inc || inc.transfer.id !== id) return;
    this.#incoming.delete(peer.id);
    const t = inc.transfer;
    t.status = 'verifying';
    t.etaSeconds = 0;
    this.#changed();
    const blob = new Blob(inc.chunks as BlobPart[], { type: t.mime || 'application/octet-stream' });
    const got = hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    const ok = blob.size === t.size && got === t.sha256;
    const result: Control = { t: 'result', id, ok, sha256: got };
    try {
      peer.channel(FILES_CHANNEL).send(JSON.stringify(result));
    } catch {
      // The sender left meanwhile; the file is still good to keep.
    }
    if (!ok) {
      this.#fail(t, `SHA-256 mismatch: expected ${t.sha256?.slice(0, 12)}…, got ${got.slice(0, 12)}…`);
      return;
    }
    t.url = URL.createObjectURL(blob);
    t.waiting = true;
    this.#finish(t, 'done');
  }

  #add(
    direction: Transfer['direction'],
    peerId: string,
    peerName: string,
    name: string,
    size: number,
    mime: string,
    id: string = crypto.randomUUID(),
  ): Transfer {
    const t: Transfer = {
      id,
      direction,
      peerId,
      peerName,
      name,
      size,
      mime,
      sha256: undefined,
      bytes: 0,
      hashed: 0,
      rate: 0,
      etaSeconds: Number.POSITIVE_INFINITY,
      status: 'queued',
    };
    this.list.unshift(t);
    return t;
  }

  #find(id: string, direction?: Transfer['direction']): Transfer | undefined {
    return this.list.find((t) => t.id === id && (!direction || t.direction === direction));
  }

  #progress(t: Transfer, meter: Meter, bytes: number): void {
    t.bytes = Math.max(0, Math.min(t.size, bytes));
    t.rate = meter.sample(t.bytes);
    t.etaSeconds = t.rate > 0 ? (t.size - t.bytes) / t.rate : Number.POSITIVE_INFINITY;
    this.#changed();
  }

  #hashed(t: Transfer, meter: Meter, hashed: number): void {
    t.hashed = hashed;
    t.rate = meter.sample(hashed);
    t.etaSeconds = t.rate > 0 ? (t.size - hashed) / t.rate : Number.POSITIVE_INFINITY;
    this.#changed();
  }

  #finish(t: Transfer, status: 'done' | 'cancelled'): void {
    t.status = status;
    t.etaSeconds = 0;
    if (status === 'done') t.bytes = t.size;
    this.#changed();
  }

  #fail(t: Transfer, error: string): void {
    t.status = 'failed';
    t.error = error;
    this.#changed();
  }
}

/** Bytes per second over a sliding window of about three seconds. */
class Meter {
  readonly #samples: [at: number, bytes: number][] = [];

  sample(bytes: number): number {
    const now = performance.now();
    this.#samples.push([now, bytes]);
    while (this.#samples.length > 2 && now - (this.#samples[0]?.[0] ?? now) > 3000) this.#samples.shift();
    const [t0, b0] = this.#samples[0] ?? [now, bytes];
    return now > t0 ? ((bytes - b0) * 1000) / (now - t0) : 0;
  }
}

/**
 * The file's SHA-256, computed in a worker HASH_SLICE at a time (never the whole file in memory), with the
 * bytes hashed reported after each slice; undefined when `stop()` says nobody wants it any more.
 */
function hashFile(
  file: Blob,
  progress: (hashed: number) => void,
  stop: () => boolean,
): Promise<string | undefined> {
  const worker = new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module' });
  return new Promise<string | undefined>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<HashReply>) => {
      const reply = e.data;
      if ('hashed' in reply) {
        if (!stop()) return progress(reply.hashed);
        resolve(undefined);
      } else if ('sha256' in reply) resolve(reply.sha256);
      else reject(new Error(reply.error));
      worker.terminate();
    };
    worker.onerror = (e) => {
      reject(new Error(e.message || 'the hashing worker failed'));
      worker.terminate();
    };
    worker.postMessage({ file, slice: HASH_SLICE } satisfies HashRequest);
  });
}

/** Sends a control message on the peer's files channel (queued until it opens); a peer that left is not told. */
function tell(peer: Peer, msg: Control): void {
  try {
    peer.channel(FILES_CHANNEL, {}).send(JSON.stringify(msg));
  } catch {
    // The peer is gone; nothing to tell.
  }
}

function safeName(name: string): string {
  return name.replace(/[/\\]/g, '_').slice(0, 255) || 'file';
}

function receivable(size: number): boolean {
  return Number.isSafeInteger(size) && size >= 0 && size <= MAX_RECEIVE;
}

function isOver(t: Transfer): boolean {
  return t.status === 'done' || t.status === 'failed' || t.status === 'cancelled';
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when the channel's buffer drops to LOW, or after 100 ms (a poll, in case no event comes). */
function drained(ch: Channel): Promise<void> {
  ch.bufferedAmountLowThreshold = LOW;
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const off = ch.on('bufferedamountlow', done);
    const timer = setTimeout(done, 100);
  });
}

function opened(ch: Channel): Promise<void> {
  if (ch.readyState === 'closed') return Promise.reject(new Error('the file channel closed'));
  return new Promise((resolve) => {
    const off = ch.on('open', () => {
      clearTimeout(timer);
      resolve();
    });
    const timer = setTimeout(() => {
      off();
      resolve();
    }, 500);
  });
}

function parseControl(data: string): Control | undefined {
  try {
    const m = JSON.parse(data) as Partial<Control> & Record<string, unknown>;
    if (typeof m.id !== 'string') return undefined;
    if (
      m.t === 'offer' &&
      typeof m.name === 'string' &&
      typeof m.size === 'number' &&
      typeof m.sha256 === 'string'
    )
      return {
        t: 'offer',
        id: m.id,
        name: m.name,
        size: m.size,
        mime: String(m.mime ?? ''),
        sha256: m.sha256,
      };
    if (m.t === 'preparing' && typeof m.name === 'string' && typeof m.size === 'number')
      return { t: 'preparing', id: m.id, name: m.name, size: m.size, mime: String(m.mime ?? '') };
    if (m.t === 'end' || m.t === 'cancel') return { t: m.t, id: m.id };
    if (m.t === 'result') return { t: 'result', id: m.id, ok: m.ok === true, sha256: String(m.sha256 ?? '') };
  } catch {
    // Not JSON: not a control message.
  }
  return undefined;
}
