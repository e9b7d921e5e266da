/**
 * The receiving side of an accepted offer: asks for each file from its last verified block, checks every
 * block's SHA-256 before writing it, keeps the whole file's SHA-256 as blocks land, and commits a file only
 * when that matches the sender's. Messages are handled one at a time; when the queue grows the sender is
 * told to hold, so memory stays bounded whatever the storage's speed.
 */
import { ParleyError } from '@parley/protocol/client';
import type { Channel, ChannelData } from '../channel.js';
import { Emitter } from '../emitter.js';
import { blockHashHex, digestHex, type HashFactory, nobleSha256, type StreamingHash } from './hash.js';
import { Meter } from './meter.js';
import type { FileOffer } from './offer.js';
import {
  asParleyError,
  errorFromPeer,
  PROGRESS_MS,
  type TransferEvents,
  type TransferState,
} from './transfer.js';
import type { FileResult, Sink, SinkFile, TransferSummary } from './types.js';
import {
  BLOCK_SIZE,
  decodeData,
  decodeMessage,
  encodeMessage,
  LIMITS,
  type ReceiverMessage,
  type SenderMessage,
  type WantFile,
} from './wire.js';

/** Ask the sender to hold when this many bytes wait to be handled; to go on below GO_AT. */
const HOLD_AT = 8 * 1024 * 1024;
const GO_AT = 2 * 1024 * 1024;

export interface ReceiveOptions {
  /** Keep partial files when the transfer fails for a reason a resume can fix (default true). */
  keepPartial?: boolean;
  /** The whole-file streaming SHA-256 (default @noble/hashes; Node: `nodeSha256`, native and faster). */
  hash?: HashFactory;
  /**
   * Awaited before the first `want` and each time the channel reopens, before anything more is sent or
   * handled: the PeerSession's `gate` of a coded transfer. A rejection stops the transfer with its error.
   */
  gate?: () => Promise<void>;
}

interface FileState {
  readonly f: number;
  sink?: SinkFile;
  verified: number;
  lastBlockHash: string | undefined;
  whole?: StreamingHash;
  result?: FileResult;
}

export class IncomingTransfer extends Emitter<TransferEvents> {
  readonly id: string;
  readonly offer: FileOffer;
  readonly total: number;
  readonly done: Promise<TransferSummary>;
  readonly #ch: Channel;
  readonly #sink: Sink;
  readonly #hash: HashFactory;
  readonly #gate: (() => Promise<void>) | undefined;
  /** The gate called for a (re)opened channel or connection, until it passed. */
  #gating: Promise<void> | undefined;
  readonly #files: FileState[];
  readonly #meter = new Meter();
  readonly #offs: (() => void)[] = [];
  #state: TransferState = 'running';
  #epoch = 0;
  #current = 0;
  /** The block being received: bytes land here and are written only once their hash matched. */
  readonly #block = new Uint8Array(BLOCK_SIZE);
  #fill = 0;
  #retries = 0;
  #corrupt = 0;
  #resumed = 0;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  #holding = false;
  #lastProgress = 0;
  readonly #started = performance.now();
  #settle!: { resolve: (s: TransferSummary) => void; reject: (e: ParleyError) => void };

  /** @internal Use `FileOffer.accept()`. */
  constructor(offer: FileOffer, ch: Channel, sink: Sink, chosen: readonly number[], options: ReceiveOptions) {
    super();
    this.id = offer.id;
    this.offer = offer;
    this.#ch = ch;
    this.#sink = sink;
    this.#hash = options.hash ?? nobleSha256;
    this.#gate = options.gate;
    const unique = [...new Set(chosen)].filter((i) => i >= 0 && i < offer.files.length).sort((a, b) => a - b);
    this.#files = unique.map((f) => ({ f, verified: 0, lastBlockHash: undefined }));
    this.total = unique.reduce((n, i) => n + (offer.files[i]?.size ?? 0), 0);
    this.done = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.done.catch(() => {});
    this.#offs.push(
      ch.on('message', (d) => this.#enqueue(d)),
      // A recovered connection: whatever was in flight is lost, so ask again from what is verified, once
      // the gate passed (messages wait in the queue behind it).
      ch.on('open', () => this.#regate(() => this.#want('reconnect'))),
      ch.on('close', () => this.#fail(new ParleyError('PEER_GONE', 'the transfer channel closed'))),
      offer.peer.on('close', () => this.#fail(new ParleyError('PEER_GONE', `peer ${offer.peer.id} left`))),
      // A rebuilt connection whose channel never reopens must still pass (or fail) the gate.
      offer.peer.on('state', (s) => s === 'connected' && this.#regate()),
    );
    this.#enqueueTask(() => this.#start());
  }

  get state(): TransferState {
    return this.#state;
  }

  /**
   * Calls the gate at once and handles nothing more (the queue waits behind it) until it passed, then
   * runs `then`. Its failure stops the transfer at once, whatever the queue holds.
   */
  #regate(then?: () => void): void {
    const gate = this.#gate?.();
    if (!gate) {
      if (then) this.#enqueueTask(then);
      return;
    }
    this.#gating = gate;
    gate.then(
      () => {
        if (this.#gating === gate) this.#gating = undefined;
      },
      (err) => {
        if (this.#finished) return;
        const e = asParleyError(err, 'AUTH_FAILED');
        this.#send({ t: 'cancel', code: e.code, message: e.message });
        void this.#stop('failed', e, true);
      },
    );
    this.#enqueueTask(async () => {
      if (
        await gate.then(
          () => true,
          () => false,
        )
      )
        then?.();
    });
  }

  /**
   * Resolves once the sender has closed the transfer channel after the last `verified` (it has heard
   * everything), or after `timeoutMs`. A process that exits right after `done` waits for this, so its
   * last message is not lost with the connection.
   */
  flushed(timeoutMs = 5000): Promise<void> {
    if (this.#ch.readyState === 'closed') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(finish, timeoutMs);
      const off = this.#ch.on('close', finish);
      function finish() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  /** Asks the sender to stop sending until `resume()`. */
  pause(): void {
    if (this.#state !== 'running') return;
    this.#send({ t: 'pause' });
    this.#setState('paused');
  }

  resume(): void {
    if (this.#state !== 'paused') return;
    this.#send({ t: 'continue' });
    this.#setState('running');
  }

  /** Cancels on both sides and discards the partial files. */
  cancel(): void {
    if (this.#finished) return;
    this.#send({ t: 'cancel', code: 'FILE_CANCELLED', message: 'cancelled by the receiver' });
    void this.#stop('cancelled', new ParleyError('FILE_CANCELLED', 'cancelled by this side'), false);
  }

  get #finished(): boolean {
    return this.#state === 'done' || this.#state === 'failed' || this.#state === 'cancelled';
  }

  async #start(): Promise<void> {
    await this.#gate?.();
    for (const fs of this.#files) {
      const info = this.offer.files[fs.f];
      if (!info) continue;
      fs.sink = await this.#sink.open(info, info.key, BLOCK_SIZE);
      const r = fs.sink.resume;
      if (
        r &&
        r.key === info.key &&
        r.blockSize === BLOCK_SIZE &&
        r.verified <= info.size &&
        r.lastBlockHash
      ) {
        fs.verified = r.verified - (r.verified % BLOCK_SIZE);
        fs.lastBlockHash = fs.verified === r.verified ? r.lastBlockHash : undefined;
        if (!fs.lastBlockHash) fs.verified = 0;
      }
      this.#resumed += fs.verified;
    }
    if (this.#files.length === 0) {
      this.#send({ t: 'decline' });
      await this.#stop('failed', new ParleyError('FILE_DECLINED', 'no file was chosen'), false);
      return;
    }
    this.#want(undefined);
  }

  /** Asks for every file not yet verified, from its last verified block, under a new epoch. */
  #want(r: 'reconnect' | 'gap' | 'corrupt' | undefined): void {
    if (this.#finished || this.#files.some((fs) => !fs.sink)) return;
    this.#epoch++;
    this.#fill = 0;
    const files: WantFile[] = [];
    for (const fs of this.#files.slice(this.#current)) {
      const w: WantFile = { f: fs.f, from: fs.verified };
      if (fs.verified > 0) w.h = fs.lastBlockHash;
      files.push(w);
    }
    this.#send(r ? { t: 'want', e: this.#epoch, files, r } : { t: 'want', e: this.#epoch, files });
    // A `want` resets the sender's hold and pause: what we said before a connection died may have died
    // with it (a lost `go` held the sender for ever). So say again what still applies, and after a
    // reconnect repeat `verified` for the files done (the sender ignores a repeat).
    if (this.#state === 'paused') this.#send({ t: 'pause' });
    if (this.#holding) this.#send({ t: 'hold' });
    if (r !== 'reconnect') return;
    for (const fs of this.#files.slice(0, this.#current))
      if (fs.result) this.#send({ t: 'verified', f: fs.f, sha256: fs.result.sha256 });
  }

  #enqueue(data: ChannelData): void {
    const size = typeof data === 'string' ? data.length : data.byteLength;
    this.#queued += size;
    if (!this.#holding && this.#queued > HOLD_AT) {
      this.#holding = true;
      this.#send({ t: 'hold' });
    }
    this.#enqueueTask(async () => {
      this.#queued -= size;
      if (this.#holding && this.#queued < GO_AT) {
        this.#holding = false;
        this.#send({ t: 'go' });
      }
      await this.#handle(data);
    });
  }

  #enqueueTask(task: () => Promise<void> | void): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#finished) return;
      try {
        await task();
      } catch (err) {
        const e = asParleyError(err, 'BAD_FILE_FRAME');
        this.#send({ t: 'cancel', code: e.code, message: e.message });
        await this.#stop('failed', e, e.code !== 'HASH_MISMATCH' && e.code !== 'BAD_FILE_FRAME');
      }
    });
  }

  async #handle(data: ChannelData): Promise<void> {
    if (typeof data !== 'string') return this.#onData(data);
    const m = decodeMessage(data) as SenderMessage;
    switch (m.t) {
      case 'block':
        if (m.e === this.#epoch) await this.#onBlock(m.f, m.b, m.h);
        return;
      case 'end':
        if (m.e === this.#epoch) await this.#onEnd(m.f, m.sha256);
        return;
      case 'cancel':
        await this.#stop(
          m.code === 'FILE_CANCELLED' ? 'cancelled' : 'failed',
          errorFromPeer(m.code, m.message, 'the sender'),
          m.code !== 'SOURCE_CHANGED' && m.code !== 'FILE_CANCELLED',
        );
        return;
      default:
        throw new ParleyError('BAD_FILE_FRAME', `"${m.t}" during the transfer`);
    }
  }

  #onData(bytes: Uint8Array): void {
    const d = decodeData(bytes);
    if (d.epoch !== this.#epoch) return; // sent before our latest want: stale
    const fs = this.#files[this.#current];
    if (!fs || d.file !== fs.f)
      throw new ParleyError('BAD_FILE_FRAME', `data for file ${d.file} out of turn`);
    const size = this.offer.files[fs.f]?.size ?? 0;
    const blockLen = Math.min(BLOCK_SIZE, size - fs.verified);
    if (d.offset !== fs.verified + this.#fill || this.#fill + d.payload.byteLength > blockLen) {
      // A gap (frames lost with a dropped connection before our want reached the sender): start over here.
      this.#want('gap');
      return;
    }
    this.#block.set(d.payload, this.#fill);
    this.#fill += d.payload.byteLength;
  }

  async #onBlock(f: number, b: number, h: string): Promise<void> {
    const fs = this.#files[this.#current];
    if (!fs?.sink || fs.f !== f) throw new ParleyError('BAD_FILE_FRAME', `block of file ${f} out of turn`);
    const size = this.offer.files[f]?.size ?? 0;
    const blockLen = Math.min(BLOCK_SIZE, size - fs.verified);
    if (b * BLOCK_SIZE !== fs.verified || this.#fill !== blockLen) {
      this.#want('gap');
      return;
    }
    const block = this.#block.subarray(0, blockLen);
    if ((await blockHashHex(block)) !== h) {
      // Not saved: ask for this block again, a few times at most.
      this.#corrupt++;
      if (++this.#retries > LIMITS.maxRetries)
        throw new ParleyError(
          'HASH_MISMATCH',
          `block ${b} of ${fs.sink ? this.#pathOf(f) : f} after retries`,
        );
      this.#want('corrupt');
      return;
    }
    this.#retries = 0;
    await this.#ensureWhole(fs);
    await fs.sink.write(fs.verified, block);
    fs.whole?.update(block);
    fs.verified += blockLen;
    fs.lastBlockHash = h;
    this.#fill = 0;
    await fs.sink.checkpoint({
      key: this.offer.files[f]?.key ?? '',
      verified: fs.verified,
      lastBlockHash: h,
      blockSize: BLOCK_SIZE,
    });
    this.#progress(false);
  }

  async #onEnd(f: number, sha256: string): Promise<void> {
    const fs = this.#files[this.#current];
    if (!fs?.sink || fs.f !== f) throw new ParleyError('BAD_FILE_FRAME', `end of file ${f} out of turn`);
    const info = this.offer.files[f];
    if (!info || fs.verified !== info.size || this.#fill !== 0) {
      this.#want('gap');
      return;
    }
    await this.#ensureWhole(fs);
    const mine = digestHex(fs.whole as StreamingHash);
    if (mine !== sha256) throw new ParleyError('HASH_MISMATCH', `${info.path}: whole-file SHA-256 differs`);
    const savedAs = await fs.sink.commit(mine);
    fs.result = { path: info.path, size: info.size, sha256: mine, savedAs };
    this.#send({ t: 'verified', f, sha256: mine });
    this.emit('file', fs.result);
    this.#current++;
    if (this.#current === this.#files.length) this.#complete();
  }

  /** The whole-file hash up to `verified`: rebuilt from storage once after a restart. */
  async #ensureWhole(fs: FileState): Promise<void> {
    if (fs.whole) return;
    const whole = this.#hash();
    for (let offset = 0; offset < fs.verified; offset += BLOCK_SIZE) {
      const n = Math.min(BLOCK_SIZE, fs.verified - offset);
      whole.update(await (fs.sink as SinkFile).read(offset, n));
    }
    fs.whole = whole;
  }

  #pathOf(f: number): string {
    return this.offer.files[f]?.path ?? String(f);
  }

  #complete(): void {
    const files = this.#files.map((fs) => fs.result as FileResult);
    const summary: TransferSummary = {
      id: this.id,
      files,
      bytes: this.total,
      ms: performance.now() - this.#started,
      resentBytes: 0,
      resumedBytes: this.#resumed,
      corruptBlocks: this.#corrupt,
    };
    this.#progress(true);
    this.#setState('done');
    this.#cleanup();
    this.emit('done', summary);
    this.#settle.resolve(summary);
  }

  #progress(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastProgress < PROGRESS_MS) return;
    this.#lastProgress = now;
    const bytes = this.#files.reduce((n, fs) => n + fs.verified, 0);
    this.emit('progress', this.#meter.sample(bytes, this.total, this.#files[this.#current]?.f ?? 0));
  }

  #send(m: ReceiverMessage): void {
    try {
      this.#ch.send(encodeMessage(m));
    } catch {
      // Closed: the 'close' handler reports it.
    }
  }

  #fail(err: ParleyError): void {
    // Gone while the gate is shut: if the gate fails, that is the reason (it stops the transfer itself).
    if (this.#gating)
      this.#gating.then(
        () => this.#fail(err),
        () => {},
      );
    else if (!this.#finished) void this.#stop('failed', err, true);
  }

  async #stop(state: 'failed' | 'cancelled', err: ParleyError, keep: boolean): Promise<void> {
    if (this.#finished) return;
    this.#setState(state);
    this.#cleanup();
    this.#ch.close();
    for (const fs of this.#files.slice(this.#current))
      await fs.sink?.abort(keep && fs.verified > 0).catch(() => {});
    this.emit('error', err);
    this.#settle.reject(err);
  }

  #cleanup(): void {
    for (const off of this.#offs.splice(0)) off();
  }

  #setState(state: TransferState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
