/**
 * The sending side of a transfer: offers a manifest on its own channel, then streams what the receiver
 * wants, block by block, each block followed by its SHA-256 and each file by the whole file's SHA-256,
 * keeping the channel's send buffer between the low and high marks and at most WINDOW bytes sent that the
 * receiver has not acknowledged as kept (so a resume sends at most that much twice).
 */
import { ParleyError } from '@parley/protocol/client';
import type { Channel, ChannelData } from '../channel.js';
import { Emitter } from '../emitter.js';
import { DEFAULT_CHANNEL, type Peer } from '../peer.js';
import {
  blockHashHex,
  digestHex,
  fileKey,
  type HashFactory,
  nobleSha256,
  type StreamingHash,
} from './hash.js';
import { Meter } from './meter.js';
import {
  asParleyError,
  errorFromPeer,
  newTransferId,
  PROGRESS_MS,
  type TransferEvents,
  type TransferState,
  Waker,
} from './transfer.js';
import type { FileResult, SourceFile, TransferSummary } from './types.js';
import {
  BLOCK_SIZE,
  CHUNK_SIZE,
  decodeMessage,
  encodeData,
  encodeMessage,
  LIMITS,
  labelFor,
  offerMessages,
  type ReceiverMessage,
  type SenderMessage,
  type WantFile,
  WINDOW,
  type WireFile,
} from './wire.js';

/** Send while the channel buffers less than this (never `buffered + size <= HIGH`: it can stall). */
export const HIGH_WATER = 1024 * 1024;
/** `bufferedamountlow` fires at this level and wakes the sender. */
export const LOW_WATER = 256 * 1024;

export interface SendOptions {
  /** The transfer id (default: random). */
  id?: string;
  /**
   * The highest offset sent so far per file key, shared by the transfers of one sending session so that
   * `resentBytes` counts bytes sent twice across receivers (a receiver that restarted gets a new transfer).
   */
  ledger?: Map<string, number>;
  /** The whole-file streaming SHA-256 (default @noble/hashes; Node: `nodeSha256`, native and faster). */
  hash?: HashFactory;
  /**
   * Awaited each time the channel (re)opens, before any byte or message moves on it: the PeerSession's
   * `gate` of a coded transfer (a rebuilt connection must prove it holds the code's session). A rejection
   * stops the transfer with its error.
   */
  gate?: () => Promise<void>;
  /** Test hook on the chunk path: may return altered bytes (to prove corrupt blocks are caught). */
  onChunk?: (file: number, offset: number, bytes: Uint8Array) => Uint8Array;
}

const STALE = Symbol('stale');
/** How long a sender whose channel reopened waits for the receiver's `want` before it goes on anyway. */
const WANT_WAIT_MS = 5000;

export class OutgoingTransfer extends Emitter<TransferEvents> {
  readonly id: string;
  readonly files: readonly SourceFile[];
  readonly total: number;
  /** Resolves with the summary once every accepted file is verified; rejects with the error. */
  readonly done: Promise<TransferSummary>;
  readonly peer: Peer;
  #ch: Channel | undefined;
  readonly #keys: string[];
  readonly #options: SendOptions;
  readonly #waker = new Waker();
  readonly #meter = new Meter();
  readonly #offs: (() => void)[] = [];
  readonly #ownLedger = new Map<string, number>();
  #state: TransferState = 'offered';
  #epoch = 0;
  #plan: WantFile[] | undefined;
  #accepted: Set<number> | undefined;
  readonly #verified = new Map<number, string>();
  /** Position reached per file in the current plan, for progress. */
  readonly #pos = new Map<number, number>();
  #paused = false;
  #remotePaused = false;
  #held = false;
  /** The channel dropped since the last `want`: what was in flight is lost, so wait for the next one. */
  #needWant = false;
  #needWantSince = 0;
  /** Bytes sent under the current epoch, and how many of them the receiver acknowledged as kept. */
  #sentBytes = 0;
  #ackedBytes = 0;
  /** Per file of the current plan: `#sentBytes` when it started and the offset it started from. */
  readonly #base = new Map<number, { sent: number; from: number }>();
  /** The gate of a (re)opened channel, until it passed. */
  #gate: Promise<void> | undefined;
  #resent = 0;
  #resumed = 0;
  #corrupt = 0;
  #lastProgress = 0;
  readonly #started = performance.now();
  #settle!: { resolve: (s: TransferSummary) => void; reject: (e: ParleyError) => void };

  /** @internal Use `sendFiles()`. */
  constructor(peer: Peer, files: readonly SourceFile[], options: SendOptions = {}) {
    super();
    this.id = options.id ?? newTransferId();
    this.files = files;
    this.total = files.reduce((n, f) => n + f.size, 0);
    this.peer = peer;
    this.#options = options;
    this.#keys = files.map(fileKey);
    this.done = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.done.catch(() => {}); // an unobserved failure is reported by the 'error' event
    this.#offs.push(peer.on('close', () => this.#fail(new ParleyError('PEER_GONE', `peer ${peer.id} left`))));
    // A channel the answering side made before the connection's default channel was open was seen to
    // close at once or never open (node-datachannel): open ours once the default channel is.
    const main = peer.channels.get(DEFAULT_CHANNEL);
    if (!main || main.readyState === 'open') this.#attach();
    else {
      const off = main.on('open', () => {
        off();
        this.#attach();
      });
      this.#offs.push(off);
    }
  }

  #attach(): void {
    if (this.#finished) return;
    this.#ch = this.peer.channel(labelFor(this.id));
    this.#ch.bufferedAmountLowThreshold = LOW_WATER;
    this.#offs.push(
      this.#ch.on('message', (d) => this.#heard(d)),
      this.#ch.on('bufferedamountlow', () => this.#waker.wake()),
      this.#ch.on('open', () => this.#regate()),
      this.#ch.on('close', () => this.#fail(new ParleyError('PEER_GONE', 'the transfer channel closed'))),
      this.peer.on('state', (state) => {
        this.#noteDrop();
        // A rebuilt connection whose channel never reopens must still pass (or fail) the gate.
        if (state === 'connected') this.#regate();
      }),
    );
    this.#offer();
    void this.#pump();
  }

  get state(): TransferState {
    return this.#state;
  }

  /** Heard while the gate is shut: acted on (in order) once it passed, dropped if it failed. */
  #heard(d: ChannelData): void {
    if (!this.#gate) return this.#onMessage(d);
    this.#gate.then(
      () => this.#onMessage(d),
      () => {},
    );
  }

  /** The channel (re)opened: nothing goes out and nothing heard is acted on until the gate passed. */
  #regate(): void {
    const gate = this.#options.gate?.();
    gate?.catch(() => {}); // reported below
    this.#gate = gate;
    gate?.then(
      () => {
        if (this.#gate !== gate) return;
        this.#gate = undefined;
        this.#needWantSince = performance.now(); // the receiver's `want` comes after its own gate
        this.#waker.wake();
      },
      (err) => this.#stop('failed', asParleyError(err, 'AUTH_FAILED')),
    );
    this.#waker.wake();
  }

  /** Stops sending until `resume()`; the receiver keeps what it verified. */
  pause(): void {
    if (this.#state !== 'running') return;
    this.#paused = true;
    this.#setState('paused');
  }

  resume(): void {
    if (this.#state !== 'paused') return;
    this.#paused = false;
    this.#setState('running');
    this.#waker.wake();
  }

  /** Cancels on both sides; the receiver discards the partial files. */
  cancel(): void {
    if (this.#finished) return;
    this.#send({ t: 'cancel', code: 'FILE_CANCELLED', message: 'cancelled by the sender' });
    this.#stop('cancelled', new ParleyError('FILE_CANCELLED', 'cancelled by this side'));
  }

  get #finished(): boolean {
    return this.#state === 'done' || this.#state === 'failed' || this.#state === 'cancelled';
  }

  #offer(): void {
    const files: WireFile[] = this.files.map((f, i) => ({
      path: f.path,
      size: f.size,
      mime: f.mime,
      mtime: f.mtime,
      key: this.#keys[i] as string,
    }));
    for (const m of offerMessages(this.id, files)) this.#send(m);
  }

  #onMessage(data: ChannelData): void {
    if (this.#finished) return;
    let m: ReceiverMessage;
    try {
      if (typeof data !== 'string') throw new ParleyError('BAD_FILE_FRAME', 'binary frame from the receiver');
      m = decodeMessage(data) as ReceiverMessage;
    } catch (err) {
      this.#abortWith(asParleyError(err, 'BAD_FILE_FRAME'));
      return;
    }
    switch (m.t) {
      case 'want':
        if (m.r === 'corrupt' && m.e > this.#epoch) this.#corrupt++;
        this.#onWant(m.e, m.files);
        break;
      case 'decline':
        this.#stop('failed', new ParleyError('FILE_DECLINED', 'the receiver declined the offer'));
        break;
      case 'verified':
        this.#onVerified(m.f, m.sha256);
        break;
      case 'ack':
        this.#onAck(m.e, m.f, m.n);
        break;
      case 'pause':
      case 'continue':
        this.#remotePaused = m.t === 'pause';
        break;
      case 'hold':
      case 'go':
        this.#held = m.t === 'hold';
        break;
      case 'cancel':
        this.#stop(
          m.code === 'FILE_CANCELLED' ? 'cancelled' : 'failed',
          errorFromPeer(m.code, m.message, 'the receiver'),
        );
        return;
      default:
        this.#abortWith(new ParleyError('BAD_FILE_FRAME', `"${(m as SenderMessage).t}" from the receiver`));
        return;
    }
    this.#waker.wake();
  }

  #onWant(epoch: number, want: WantFile[]): void {
    if (epoch <= this.#epoch) return;
    for (const w of want) {
      const file = this.files[w.f];
      const at = w.at ?? w.from;
      const bad =
        !file ||
        w.from > file.size ||
        at > w.from ||
        (at % BLOCK_SIZE !== 0 && at !== file.size) ||
        w.from - at > BLOCK_SIZE ||
        (at > 0 && !w.h);
      if (bad) {
        this.#abortWith(new ParleyError('BAD_FILE_FRAME', `want: bad file ${w.f} or offset ${at}/${w.from}`));
        return;
      }
    }
    if (!this.#accepted) {
      this.#accepted = new Set(want.map((w) => w.f));
      this.#resumed = want.reduce((n, w) => n + w.from, 0);
      if (this.#accepted.size === 0) {
        this.#stop('failed', new ParleyError('FILE_DECLINED', 'the receiver accepted no file'));
        return;
      }
      this.#setState(this.#paused ? 'paused' : 'running');
    }
    this.#epoch = epoch;
    this.#needWant = false;
    // A `want` restates the receiver's flow control: a `go` or `continue` it sent just before a connection
    // died is lost with it, so a hold or pause from before is not carried over (the receiver repeats one
    // that still applies right after its `want`).
    this.#held = false;
    this.#remotePaused = false;
    this.#plan = want;
    this.#sentBytes = 0;
    this.#ackedBytes = 0;
    this.#base.clear();
    for (const w of want) this.#pos.set(w.f, w.from);
  }

  /** The receiver keeps file `f` up to `n`: what was sent before that no longer counts in the window. */
  #onAck(epoch: number, f: number, n: number): void {
    const base = epoch === this.#epoch ? this.#base.get(f) : undefined;
    if (!base) return; // stale, or a file not started under this epoch
    this.#ackedBytes = Math.max(this.#ackedBytes, Math.min(this.#sentBytes, base.sent + n - base.from));
  }

  #onVerified(f: number, sha256: string): void {
    const file = this.files[f];
    if (!file || !this.#accepted?.has(f) || this.#verified.has(f)) return;
    this.#verified.set(f, sha256);
    this.#pos.set(f, file.size);
    const result: FileResult = { path: file.path, size: file.size, sha256 };
    this.emit('file', result);
    if ([...this.#accepted].every((i) => this.#verified.has(i))) this.#complete();
  }

  #complete(): void {
    const accepted = [...(this.#accepted ?? [])].sort((a, b) => a - b);
    const files = accepted.map((i) => {
      const f = this.files[i] as SourceFile;
      return { path: f.path, size: f.size, sha256: this.#verified.get(i) as string };
    });
    const summary: TransferSummary = {
      id: this.id,
      files,
      bytes: files.reduce((n, f) => n + f.size, 0),
      ms: performance.now() - this.#started,
      resentBytes: this.#resent,
      resumedBytes: this.#resumed,
      corruptBlocks: this.#corrupt,
    };
    this.#progress(true);
    this.#setState('done');
    this.#cleanup();
    this.#ch?.close();
    this.emit('done', summary);
    this.#settle.resolve(summary);
  }

  async #pump(): Promise<void> {
    while (!this.#finished) {
      const plan = this.#plan;
      const epoch = this.#epoch;
      if (!plan) {
        await this.#waker.wait(1000);
        continue;
      }
      try {
        for (const w of plan) await this.#sendFile(w, epoch);
        if (epoch === this.#epoch) this.#plan = undefined;
      } catch (err) {
        if (err === STALE) continue;
        this.#abortWith(asParleyError(err, 'SOURCE_CHANGED'));
      }
    }
  }

  async #sendFile(w: WantFile, epoch: number): Promise<void> {
    const file = this.files[w.f] as SourceFile;
    // The receiver keeps [0, from): [0, at) verified, [at, from) waiting for the hash of the block at `at`,
    // which is read and hashed whole while only its part from `from` goes out.
    const at = w.at ?? w.from;
    const whole = await this.#hashPrefix(file, at, w.h, epoch);
    this.#base.set(w.f, { sent: this.#sentBytes, from: w.from });
    let next = at < file.size ? this.#readBlock(file, at) : undefined;
    for (let offset = at; offset < file.size; offset += BLOCK_SIZE) {
      const block = await (next as Promise<Uint8Array>);
      this.#check(epoch);
      // Read ahead while this block goes out.
      next = offset + BLOCK_SIZE < file.size ? this.#readBlock(file, offset + BLOCK_SIZE) : undefined;
      next?.catch(() => {});
      whole.update(block);
      const hashed = blockHashHex(block);
      for (let i = offset === at ? w.from - at : 0; i < block.byteLength; i += CHUNK_SIZE) {
        await this.#ready(epoch, Math.min(CHUNK_SIZE, block.byteLength - i));
        let chunk = block.subarray(i, i + CHUNK_SIZE);
        if (this.#options.onChunk) chunk = this.#options.onChunk(w.f, offset + i, chunk);
        this.#countSent(w.f, offset + i, chunk.byteLength);
        // Never queued for a later connection: one is used only once the gate passed (lost here, the
        // receiver asks again from what it kept).
        (this.#ch as Channel).sendNow(encodeData(epoch, w.f, offset + i, chunk));
        this.#sentBytes += chunk.byteLength;
        this.#pos.set(w.f, offset + i + chunk.byteLength);
        this.#progress(false);
      }
      const h = await hashed;
      await this.#ready(epoch);
      this.#send({ t: 'block', e: epoch, f: w.f, b: offset / BLOCK_SIZE, h });
    }
    await this.#ready(epoch);
    this.#send({ t: 'end', e: epoch, f: w.f, sha256: digestHex(whole) });
  }

  /** The whole-file hash up to `at`: checks the receiver's last block is still ours, then hashes the prefix. */
  async #hashPrefix(
    file: SourceFile,
    at: number,
    h: string | undefined,
    epoch: number,
  ): Promise<StreamingHash> {
    const whole = (this.#options.hash ?? nobleSha256)();
    for (let offset = 0; offset < at; offset += BLOCK_SIZE) {
      const block = await this.#readBlock(file, offset);
      this.#check(epoch);
      if (offset + block.byteLength === at && (await blockHashHex(block)) !== h)
        throw new ParleyError('SOURCE_CHANGED', `${file.path}: the receiver's data is not this file's`);
      whole.update(block);
    }
    return whole;
  }

  async #readBlock(file: SourceFile, offset: number): Promise<Uint8Array> {
    const want = Math.min(BLOCK_SIZE, file.size - offset);
    const block = await file.read(offset, want);
    if (block.byteLength !== want)
      throw new ParleyError('SOURCE_CHANGED', `${file.path}: read ${block.byteLength} of ${want} bytes`);
    return block;
  }

  /**
   * Waits until a message may go: open, not paused or held, buffer below the high mark, same epoch; and
   * for `data` bytes of a chunk, room for them in the window of unacknowledged bytes.
   */
  async #ready(epoch: number, data = 0): Promise<void> {
    for (;;) {
      this.#check(epoch);
      this.#noteDrop();
      const open = this.#ch?.readyState === 'open' && !this.#gate;
      // A receiver whose channel reopened asks again; if its `want` never comes, go on (it will see the gap).
      // What was in flight then is lost and will never be acknowledged: do not wait for it either.
      if (this.#needWant && open && performance.now() - this.#needWantSince > WANT_WAIT_MS) {
        this.#needWant = false;
        this.#ackedBytes = this.#sentBytes;
      }
      const blocked = this.#paused || this.#remotePaused || this.#held || this.#needWant;
      const room = data === 0 || this.#sentBytes + data - this.#ackedBytes <= WINDOW;
      if (open && !blocked && room && (this.#ch?.bufferedAmount ?? 0) < HIGH_WATER) return;
      // The timeout only guards against a missed event; bufferedamountlow and messages wake us first.
      await this.#waker.wait(blocked || !open ? 1000 : 250);
    }
  }

  #noteDrop(): void {
    if (this.#ch?.readyState === 'open' || this.#needWant || !this.#plan) return;
    this.#needWant = true;
    this.#needWantSince = performance.now();
  }

  #check(epoch: number): void {
    if (this.#finished) throw STALE;
    if (epoch !== this.#epoch) throw STALE;
  }

  #countSent(f: number, offset: number, length: number): void {
    const key = this.#keys[f] as string;
    const ledger = this.#options.ledger ?? this.#ownLedger;
    const high = ledger.get(key) ?? 0;
    if (offset < high) this.#resent += Math.min(high, offset + length) - offset;
    ledger.set(key, Math.max(high, offset + length));
  }

  #progress(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastProgress < PROGRESS_MS) return;
    this.#lastProgress = now;
    let bytes = 0;
    let file = 0;
    for (const [f, pos] of this.#pos) {
      bytes += pos;
      if (pos > 0 && pos < (this.files[f]?.size ?? 0)) file = f;
    }
    const total = [...(this.#accepted ?? [])].reduce((n, i) => n + (this.files[i]?.size ?? 0), 0);
    this.emit('progress', this.#meter.sample(bytes, total, file));
  }

  #send(m: SenderMessage): void {
    try {
      this.#ch?.send(encodeMessage(m));
    } catch {
      // Closed: the 'close' handler reports it.
    }
  }

  #abortWith(err: ParleyError): void {
    if (this.#finished) return;
    this.#send({ t: 'cancel', code: err.code, message: err.message });
    this.#stop('failed', err);
  }

  #stop(state: 'failed' | 'cancelled', err: ParleyError): void {
    if (this.#finished) return;
    this.#setState(state);
    this.#cleanup();
    this.#ch?.close();
    this.emit('error', err);
    this.#settle.reject(err);
  }

  #fail(err: ParleyError): void {
    // Gone while the gate is shut: if the gate fails, that is the reason (it stops the transfer itself).
    if (this.#gate)
      this.#gate.then(
        () => this.#fail(err),
        () => {},
      );
    else if (!this.#finished) this.#stop('failed', err);
  }

  #cleanup(): void {
    for (const off of this.#offs.splice(0)) off();
    this.#waker.wake();
  }

  #setState(state: TransferState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('state', state);
  }
}

/** Offers `files` to `peer` on a channel of their own and sends what the receiver accepts. */
export function sendFiles(peer: Peer, files: readonly SourceFile[], options?: SendOptions): OutgoingTransfer {
  if (files.length === 0) throw new ParleyError('BAD_FILE_NAME', 'nothing to send');
  if (files.length > LIMITS.maxFiles)
    throw new ParleyError('BAD_FILE_NAME', `${files.length} files (at most ${LIMITS.maxFiles} per transfer)`);
  return new OutgoingTransfer(peer, files, options);
}
