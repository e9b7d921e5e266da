/**
 * File transfer between peers over a dedicated data channel ("files", reliable and ordered).
 *
 * Wire: the sender sends a JSON `offer` (name, size, type, SHA-256), then the bytes as binary messages of
 * CHUNK bytes, then `end`. The receiver hashes what it got with Web Crypto and answers `result`; only a file
 * whose hash matches is offered for saving. Either side may send `cancel`. One transfer at a time per peer
 * and direction, so binary messages need no header. The sender keeps the channel's buffer between LOW and
 * HIGH: it sends while `bufferedAmount < HIGH` (Chromium may count a partly sent message in bufferedAmount) and waits for
 * `bufferedamountlow` otherwise.
 */
import type { Channel, Peer } from '@parley/client';
import { hex } from './format.js';

export const FILES_CHANNEL = 'files';
/** Chromium caps a message at 256 KiB; smaller chunks keep progress smooth and memory low. */
export const CHUNK = 64 * 1024;
export const HIGH = 1024 * 1024;
export const LOW = 256 * 1024;
/** Received files are held in memory until saved; bigger ones wait for streamed transfers. */
export const MAX_RECEIVE = 1024 * 1024 * 1024;

export type TransferStatus =
  | 'hashing'
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
  /** Bytes per second over the last few seconds. */
  rate: number;
  etaSeconds: number;
  status: TransferStatus;
  error?: string;
  /** Receiver: an object URL of the verified file, for saving. */
  url?: string;
}

type Control =
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

  /** Sends a file to each of these peers; the hash is computed once. */
  async send(file: File, peers: readonly Peer[], nameOf: (id: string) => string): Promise<void> {
    const transfers = peers.map((peer) => {
      const t = this.#add('send', peer.id, nameOf(peer.id), file.name, file.size, file.type);
      t.status = 'hashing';
      return { peer, t };
    });
    this.#changed();
    let sha256: string;
    try {
      sha256 = hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    } catch (err) {
      for (const { t } of transfers) this.#fail(t, `could not read the file: ${(err as Error).message}`);
      return;
    }
    for (const { peer, t } of transfers) {
      t.sha256 = sha256;
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
        this.#incoming.delete(peer.id);
      }
    }
  }

  cancel(id: string, peer: Peer | undefined): void {
    const t = this.list.find((x) => x.id === id);
    if (!t || isOver(t)) return;
    this.#finish(t, 'cancelled');
    if (t.direction === 'receive') this.#incoming.delete(t.peerId);
    try {
      peer?.channel(FILES_CHANNEL).send(JSON.stringify({ t: 'cancel', id } satisfies Control));
    } catch {
      // The peer is gone; nothing to tell.
    }
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

  #onOffer(peer: Peer, msg: Extract<Control, { t: 'offer' }>, peerName: string): void {
    const name = msg.name.replace(/[/\\]/g, '_').slice(0, 255) || 'file';
    const t = this.#add('receive', peer.id, peerName, name, msg.size, msg.mime, msg.id);
    t.sha256 = msg.sha256;
    if (msg.size > MAX_RECEIVE || !Number.isSafeInteger(msg.size) || msg.size < 0) {
      this.#fail(t, 'too large to receive in memory');
      peer.channel(FILES_CHANNEL).send(JSON.stringify({ t: 'cancel', id: msg.id } satisfies Control));
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
    if (m.t === 'end' || m.t === 'cancel') return { t: m.t, id: m.id };
    if (m.t === 'result') return { t: 'result', id: m.id, ok: m.ok === true, sha256: String(m.sha256 ?? '') };
  } catch {
    // Not JSON: not a control message.
  }
  return undefined;
}
