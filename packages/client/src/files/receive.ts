/**
 * The receiving side of an accepted offer: asks for each file from what it keeps (mid-block, when the sink
 * keeps unverified bytes), checks every block's SHA-256 before it counts as verified, keeps the whole
 * file's SHA-256 as blocks land, and commits a file only when that matches the sender's. It acknowledges
 * what it keeps (`ack`), which moves the sender's window: the sender never has more than WINDOW bytes out
 * that the receiver does not keep, so a resume sends at most that much twice. Messages are handled one at
 * a time; the window bounds the queue (hold/go remain as a guard).
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
  ACK_STEP,
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
  /** Bytes at the start of the file verified block by block (a block boundary, or the size). */
  verified: number;
  /**
   * Bytes at the start of the file kept (≥ `verified`): the verified ones and those of the block in
   * progress, held in `#block` (for the current file) and, for a partial sink, written to it.
   */
  kept: number;
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
  /** The block in progress of the current file, `[verified, kept)`: hashed whole when its `block` comes. */
  readonly #block = new Uint8Array(BLOCK_SIZE);
  /** The file whose bytes `#block` holds (-1: none yet). */
  #blockOf = -1;
  /** The last offset acknowledged for the current file under the current epoch. */
  #acked = 0;
  /**
   * A partial sink's writes, in order, off the message path (the next chunk is taken while one is
   * written); each acknowledges what its write kept. Drained before a `want`, a checkpoint or a truncate.
   */
  #writes: Promise<void> = Promise.resolve();
  #writeError: unknown;
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
    this.#files = unique.map((f) => ({ f, verified: 0, kept: 0, lastBlockHash: undefined }));
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
      const sink = await this.#sink.open(info, info.key, BLOCK_SIZE);
      fs.sink = sink;
      const r = sink.resume;
      if (
        r &&
        r.key === info.key &&
        r.blockSize === BLOCK_SIZE &&
        Number.isSafeInteger(r.verified) &&
        r.verified >= 0 &&
        r.verified <= info.size &&
        (r.verified % BLOCK_SIZE === 0 || r.verified === info.size) &&
        (r.verified === 0 || r.lastBlockHash)
      ) {
        fs.verified = r.verified;
        fs.lastBlockHash = r.verified > 0 ? r.lastBlockHash : undefined;
        fs.kept = fs.verified;
        if (sink.partial) {
          // Unverified bytes of the next block the sink kept: at most that block (they wait for its hash).
          const stored = Number.isSafeInteger(r.kept) ? (r.kept as number) : fs.verified;
          fs.kept = Math.max(fs.verified, Math.min(stored, fs.verified + BLOCK_SIZE, info.size));
          if (stored !== fs.kept) await sink.truncate?.(fs.kept);
        }
      }
      this.#resumed += fs.kept;
    }
    if (this.#files.length === 0) {
      this.#send({ t: 'decline' });
      await this.#stop('failed', new ParleyError('FILE_DECLINED', 'no file was chosen'), false);
      return;
    }
    const first = this.#files[0];
    if (first) await this.#loadBlock(first);
    await this.#want(undefined);
  }

  /**
   * Makes `#block` hold the current file's `[verified, kept)`: read back from the sink after a restart
   * (a partial sink kept them). Bytes that cannot be read are dropped (asked for again).
   */
  async #loadBlock(fs: FileState): Promise<void> {
    if (this.#blockOf === fs.f) return;
    this.#blockOf = fs.f;
    this.#acked = fs.kept;
    if (fs.kept === fs.verified) return;
    try {
      this.#block.set(await (fs.sink as SinkFile).read(fs.verified, fs.kept - fs.verified), 0);
    } catch {
      fs.kept = fs.verified;
      await fs.sink?.truncate?.(fs.verified);
    }
  }

  /** Asks for every file not yet verified, from what it keeps, under a new epoch. */
  async #want(r: 'reconnect' | 'gap' | 'corrupt' | undefined): Promise<void> {
    // What is written is kept before we say where to go on from (a restart then resumes at least there).
    await this.#drain();
    if (this.#finished || this.#files.some((fs) => !fs.sink)) return;
    this.#epoch++;
    const files: WantFile[] = [];
    for (const fs of this.#files.slice(this.#current)) {
      const w: WantFile = { f: fs.f, from: fs.kept };
      if (fs.kept !== fs.verified) w.at = fs.verified;
      if (fs.verified > 0) w.h = fs.lastBlockHash;
      files.push(w);
    }
    this.#acked = this.#files[this.#current]?.kept ?? 0;
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

  async #onData(bytes: Uint8Array): Promise<void> {
    const d = decodeData(bytes);
    if (d.epoch !== this.#epoch) return; // sent before our latest want: stale
    const fs = this.#files[this.#current];
    if (!fs?.sink || d.file !== fs.f)
      throw new ParleyError('BAD_FILE_FRAME', `data for file ${d.file} out of turn`);
    const size = this.offer.files[fs.f]?.size ?? 0;
    const blockLen = Math.min(BLOCK_SIZE, size - fs.verified);
    const fill = fs.kept - fs.verified;
    const n = d.payload.byteLength;
    if (d.offset !== fs.kept || fill + n > blockLen) {
      // A gap (frames lost with a dropped connection before our want reached the sender): ask from here.
      await this.#want('gap');
      return;
    }
    this.#block.set(d.payload, fill);
    fs.kept += n;
    // A partial sink keeps the bytes now and says how far they would survive a restart; otherwise they
    // are kept in memory (`#block`) until their block is verified and written.
    const end = fs.kept;
    const now = end - fs.verified === blockLen;
    if (!fs.sink.partial) return this.#ack(fs, end, now);
    if (this.#writeError) throw this.#writeError;
    const sink = fs.sink;
    this.#writes = this.#writes
      .then(async () => {
        const k = await sink.write(d.offset, d.payload);
        if (!this.#finished) this.#ack(fs, typeof k === 'number' ? Math.min(k, end) : end, now);
      })
      .catch((err) => {
        this.#writeError ??= err;
      });
  }

  /** Waits for a partial sink's writes; throws what one of them threw. */
  async #drain(): Promise<void> {
    await this.#writes;
    if (this.#writeError) throw this.#writeError;
  }

  /** Acknowledges `n` bytes of `fs` kept, once ACK_STEP more than last time (or at once with `now`). */
  #ack(fs: FileState, n: number, now: boolean): void {
    if (n <= this.#acked || (!now && n - this.#acked < ACK_STEP)) return;
    this.#acked = n;
    this.#send({ t: 'ack', e: this.#epoch, f: fs.f, n });
  }

  async #onBlock(f: number, b: number, h: string): Promise<void> {
    const fs = this.#files[this.#current];
    if (!fs?.sink || fs.f !== f) throw new ParleyError('BAD_FILE_FRAME', `block of file ${f} out of turn`);
    const size = this.offer.files[f]?.size ?? 0;
    const blockLen = Math.min(BLOCK_SIZE, size - fs.verified);
    if (b * BLOCK_SIZE !== fs.verified || fs.kept - fs.verified !== blockLen) {
      await this.#want('gap');
      return;
    }
    const block = this.#block.subarray(0, blockLen);
    if ((await blockHashHex(block)) !== h) {
      // Dropped (a partial sink cuts it off): ask for this block again, a few times at most.
      this.#corrupt++;
      if (++this.#retries > LIMITS.maxRetries)
        throw new ParleyError(
          'HASH_MISMATCH',
          `block ${b} of ${fs.sink ? this.#pathOf(f) : f} after retries`,
        );
      fs.kept = fs.verified;
      await this.#drain();
      if (fs.sink.partial) await fs.sink.truncate?.(fs.verified);
      await this.#want('corrupt');
      return;
    }
    this.#retries = 0;
    await this.#ensureWhole(fs);
    if (!fs.sink.partial) await fs.sink.write(fs.verified, block);
    fs.whole?.update(block);
    fs.verified += blockLen;
    fs.lastBlockHash = h;
    await this.#drain(); // the block is in the sink before its state says so
    await fs.sink.checkpoint({
      key: this.offer.files[f]?.key ?? '',
      verified: fs.verified,
      lastBlockHash: h,
      blockSize: BLOCK_SIZE,
    });
    this.#ack(fs, fs.verified, true);
    this.#progress(false);
  }

  async #onEnd(f: number, sha256: string): Promise<void> {
    const fs = this.#files[this.#current];
    if (!fs?.sink || fs.f !== f) throw new ParleyError('BAD_FILE_FRAME', `end of file ${f} out of turn`);
    const info = this.offer.files[f];
    if (!info || fs.verified !== info.size || fs.kept !== fs.verified) {
      await this.#want('gap');
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
    const next = this.#files[this.#current];
    if (next) await this.#loadBlock(next);
    else this.#complete();
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
    await this.#writes;
    for (const fs of this.#files.slice(this.#current))
      await fs.sink?.abort(keep && (fs.sink.partial ? fs.kept : fs.verified) > 0).catch(() => {});
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
