/**
 * The two seams of the transfer engine: a Source it reads offered files from, and a Sink it writes
 * received files to. The engine does the wire, the hashing and the bookkeeping; a Source or Sink only
 * moves bytes, so the same engine reads a Node file or a browser File and writes a Node file, the
 * Origin Private File System or a service-worker download. See docs/files.md.
 */

/** One file as offered: what the manifest says about it. */
export interface FileInfo {
  /** Relative path with `/` separators (a folder's tree kept); received paths are sanitised. */
  readonly path: string;
  readonly size: number;
  /** MIME type, `application/octet-stream` when unknown. */
  readonly mime: string;
  /** Last modification time in ms since the epoch (part of the file's identity). */
  readonly mtime: number;
}

/** A file the engine can send: its manifest entry and random-access reads. */
export interface SourceFile extends FileInfo {
  /**
   * Reads `length` bytes at `offset` (fewer only at the end of the file). Throws a ParleyError
   * `SOURCE_CHANGED` when the file is no longer what was offered (size or modification time changed).
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the file (optional). */
  close?(): Promise<void>;
}

/**
 * What a Sink keeps between attempts so that a transfer resumes from its last verified block, even after
 * the receiving process or page restarted. Small: no per-block list, only the end of the verified prefix.
 */
export interface ResumeState {
  /** The file's identity (hex SHA-256 of its manifest entry): state for another identity is ignored. */
  readonly key: string;
  /** Bytes at the start of the file written and verified block by block. */
  readonly verified: number;
  /** Hex SHA-256 of the last verified block: the sender checks its file still has it there. */
  readonly lastBlockHash: string | undefined;
  readonly blockSize: number;
  /**
   * Partial sinks only, set by the sink when it opens a file (the engine does not persist it): the end of
   * the bytes kept for this file (≥ `verified`), unverified bytes of the next block included. Node: the
   * part file's size, trusted only when the last verified block checks out. Absent: `verified`.
   */
  readonly kept?: number;
}

/**
 * One file being received. There are two kinds, told apart by `partial`:
 *
 * - A **partial** sink (`partial: true`: Node's `nodeSink`, OPFS staging) can keep bytes that are not yet
 *   verified so that they survive a restart. The engine `write`s every chunk as it arrives, in order,
 *   unverified; `write` resolves to the offset up to which bytes are kept (would survive a restart of the
 *   process or page), and the engine acknowledges only that far to the sender. When a block's hash
 *   matched the engine calls `checkpoint`; when it did not, `truncate` to the block's start. After a
 *   restart, `resume.kept` says how far the file is kept (unverified bytes of the next block included).
 * - Any other sink keeps only verified bytes: `write` gets whole blocks whose hash matched, in order, each
 *   followed by `checkpoint`. The engine holds the block in progress in memory and acknowledges it as it
 *   arrives (such a sink cannot resume after a restart; a dropped connection resumes from memory).
 *
 * Then `read` (when resuming: to hash the verified prefix again and refill the block in progress), and
 * finally exactly one of `commit` (the whole file's SHA-256 matched) or `abort`.
 */
export interface SinkFile {
  /** Where this file resumes: the state found for its key, or undefined to start at byte 0. */
  readonly resume: ResumeState | undefined;
  /** True when `write` takes unverified bytes and keeps them for a resume (see above). */
  readonly partial?: boolean;
  /**
   * Writes bytes at `offset` (always the end of what was written before). A partial sink gets unverified
   * chunks and resolves to the end of what it keeps (≤ `offset + data.byteLength`); any other sink gets
   * verified blocks and may resolve to nothing.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a verified-only sink's write is a Promise<void>
  write(offset: number, data: Uint8Array): Promise<number | void>;
  /** Partial sinks: drops every byte at and beyond `length` (a block that failed its hash, or a stale tail). */
  truncate?(length: number): Promise<void>;
  /** Persists the resume state after a verified block (may be coalesced; must be durable at `abort`). */
  checkpoint(state: ResumeState): Promise<void>;
  /** Reads back `length` bytes already written at `offset` (to rebuild hashes and the block on resume). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * The file is complete and its SHA-256 (`sha256`, hex) verified: make it visible under its final name
   * (Node: rename `.part` to the name; browsers: move out of staging or finish the download). Returns the
   * name it was saved as (it may differ when the name was taken).
   */
  commit(sha256: string): Promise<string>;
  /**
   * Stops: `keep` true keeps the partial data and its resume state (paused, peer gone); false discards
   * them (cancelled, declined, hash mismatch, source changed).
   */
  abort(keep: boolean): Promise<void>;
}

/** Where received files go. `open` is called once per accepted file, in manifest order. */
export interface Sink {
  /**
   * Opens the file at `info.path` (already sanitised: relative, no `..`, no device names, no control
   * characters) for writing; finds resume state stored for `key` with this `blockSize`. A Sink throws a
   * ParleyError `DISK_FULL` when storage runs out (here or in `write`).
   */
  open(info: FileInfo, key: string, blockSize: number): Promise<SinkFile>;
}

/** How far a transfer is, in bytes, with a smoothed rate and the time left at that rate. */
export interface Progress {
  /** Bytes verified (receiver) or sent (sender) so far, over all files of the transfer. */
  readonly bytes: number;
  readonly total: number;
  /** Bytes per second over the last few seconds. */
  readonly rate: number;
  /** Seconds left at `rate`; undefined while the rate is unknown. */
  readonly etaSeconds: number | undefined;
  /** Index of the file in flight (manifest order). */
  readonly file: number;
}

/** The outcome of one file. */
export interface FileResult {
  readonly path: string;
  readonly size: number;
  /** Hex SHA-256 of the whole file, equal on both sides. */
  readonly sha256: string;
  /** Receiver only: the name it was saved under. */
  readonly savedAs?: string;
}

/** The outcome of a transfer that completed. */
export interface TransferSummary {
  readonly id: string;
  readonly files: readonly FileResult[];
  readonly bytes: number;
  readonly ms: number;
  /** Sender: bytes put on the wire more than once (resumed or re-sent blocks); receiver: 0. */
  readonly resentBytes: number;
  /** Bytes skipped because the receiver already held them verified (resume after a restart). */
  readonly resumedBytes: number;
  /** Blocks whose hash failed on arrival and were re-requested. */
  readonly corruptBlocks: number;
}
