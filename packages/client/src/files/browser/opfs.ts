/**
 * The staging sink: received bytes go to the Origin Private File System as they arrive, in pieces of
 * PIECE_SIZE bytes (each written whole and closed, so what is there after a reload is exactly what was
 * received, whole pieces only), with the file's ResumeState beside them. It is a partial sink: a piece
 * counts as kept once closed, and the engine acknowledges only that far. A reloaded page finds them by the
 * file's key, checks its last verified block, and resumes from the end of the pieces kept past it (the
 * engine hashes that block whole when the rest arrives). Once verified, the file stays staged until the app
 * hands it to the user (a Blob made of the piece files, which lives on disk, not in memory) and removes it.
 */
import { ParleyError } from '@parley/protocol/client';
import { sha256Hex } from '../hash.js';
import type { FileInfo, ResumeState, Sink, SinkFile } from '../types.js';

/** The folder of the origin's private file system that holds staged files, one sub-folder per key. */
export const STAGING_DIR = 'parley-files';
const STATE = 'state.json';
/** Bytes per piece file: pieces start at multiples of it (a block is a whole number of pieces). */
export const PIECE_SIZE = 256 * 1024;

/** What a staged file's `state.json` holds: its ResumeState, what it is, and how far it got. */
export interface StagedState extends ResumeState {
  readonly path: string;
  readonly size: number;
  readonly mime: string;
  /** Set once the whole file's SHA-256 matched. */
  readonly sha256?: string;
  /** Set once the user saved it (the next sweep removes it). */
  readonly saved?: boolean;
  /** When the state was last written (ms since the epoch). */
  readonly at: number;
}

/** A verified (or partial) file in staging. */
export interface StagedFile {
  readonly key: string;
  readonly state: StagedState;
  /** The file as a Blob of its block files: disk-backed, so it costs no memory whatever its size. */
  blob(): Promise<Blob>;
  /** Marks it saved: it is removed by the next `sweepStaged()` (a download may still be reading it). */
  markSaved(): Promise<void>;
  remove(): Promise<void>;
}

/** Whether this page can stage in the Origin Private File System (not in some private windows). */
export async function opfsAvailable(): Promise<boolean> {
  try {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(STAGING_DIR, { create: true });
    const probe = await dir.getFileHandle('.probe', { create: true });
    const w = await probe.createWritable();
    await w.close();
    return true;
  } catch {
    return false;
  }
}

async function stagingDir(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(STAGING_DIR, { create: true });
}

/** A Sink that stages every file in the Origin Private File System, keyed by the file's identity. */
export function opfsSink(): Sink {
  return {
    async open(info: FileInfo, key: string, blockSize: number): Promise<SinkFile> {
      if (!/^[0-9a-f]{64}$/.test(key)) throw new ParleyError('BAD_FILE_FRAME', 'a file key that is not hex');
      const dir = await storage(() => stagingDir().then((d) => d.getDirectoryHandle(key, { create: true })));
      const state = await readState(dir);
      const resume = state ? await trusted(dir, state, key, blockSize, info) : undefined;
      return new OpfsSinkFile(dir, info, key, blockSize, resume);
    },
  };
}

async function readState(dir: FileSystemDirectoryHandle): Promise<StagedState | undefined> {
  try {
    const file = await (await dir.getFileHandle(STATE)).getFile();
    return JSON.parse(await file.text()) as StagedState;
  } catch {
    return undefined;
  }
}

/**
 * A state is trusted when it is this file's and its last verified block is there with the right hash; it
 * then comes back with `kept`, the end of the whole pieces stored past that block.
 */
async function trusted(
  dir: FileSystemDirectoryHandle,
  s: StagedState,
  key: string,
  blockSize: number,
  info: FileInfo,
): Promise<StagedState | undefined> {
  if (s.key !== key || s.blockSize !== blockSize || s.size !== info.size || blockSize % PIECE_SIZE !== 0)
    return undefined;
  if (!Number.isSafeInteger(s.verified) || s.verified < 0 || s.verified > info.size) return undefined;
  if (s.verified > 0 && !s.lastBlockHash) return undefined;
  try {
    if (s.verified > 0) {
      const from = Math.floor((s.verified - 1) / blockSize) * blockSize;
      const block = await readPieces(dir, from, s.verified - from);
      if (sha256Hex(block) !== s.lastBlockHash) return undefined;
    }
  } catch {
    return undefined;
  }
  let kept = s.verified;
  while (kept < info.size) {
    const piece = await pieceFile(dir, kept).catch(() => undefined);
    if (piece?.size !== Math.min(PIECE_SIZE, info.size - kept)) break;
    kept += piece.size;
  }
  return { ...s, kept };
}

const pieceName = (offset: number) => `c${offset}`;

async function pieceFile(dir: FileSystemDirectoryHandle, start: number): Promise<File> {
  return (await dir.getFileHandle(pieceName(start))).getFile();
}

/** `length` bytes at `offset` from the piece files. */
async function readPieces(
  dir: FileSystemDirectoryHandle,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const at = offset + done;
    const start = at - (at % PIECE_SIZE);
    const file = await pieceFile(dir, start);
    const n = Math.min(length - done, file.size - (at - start));
    if (n <= 0)
      throw new ParleyError('SOURCE_CHANGED', `staged piece at ${start} is shorter than its state says`);
    out.set(new Uint8Array(await file.slice(at - start, at - start + n).arrayBuffer()), done);
    done += n;
  }
  return out;
}

/** The piece files' starts, in order (other entries ignored). */
async function pieceStarts(dir: FileSystemDirectoryHandle): Promise<number[]> {
  const starts: number[] = [];
  for await (const [name] of entriesOf(dir)) if (/^c\d+$/.test(name)) starts.push(Number(name.slice(1)));
  return starts.sort((a, b) => a - b);
}

/** A folder's entries (TypeScript's DOM library has them only with `dom.asynciterable`). */
function entriesOf(dir: FileSystemDirectoryHandle): AsyncIterable<[string, FileSystemHandle]> {
  return (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
}

class OpfsSinkFile implements SinkFile {
  readonly resume: ResumeState | undefined;
  readonly partial = true;
  readonly #dir: FileSystemDirectoryHandle;
  readonly #info: FileInfo;
  readonly #key: string;
  #fresh: boolean;
  #state: StagedState;
  /**
   * The piece being filled: it starts at `#start` (the end of what is kept) and holds `#fill` bytes.
   * Allocated on the first write (every accepted file is opened up front).
   */
  #piece: Uint8Array | undefined;
  #start: number;
  #fill = 0;

  constructor(
    dir: FileSystemDirectoryHandle,
    info: FileInfo,
    key: string,
    blockSize: number,
    resume: StagedState | undefined,
  ) {
    this.#dir = dir;
    this.#info = info;
    this.#key = key;
    this.resume = resume;
    this.#fresh = !resume;
    this.#start = resume ? (resume.kept ?? resume.verified) : 0;
    const { kept: _, ...state } = resume ?? {
      key,
      blockSize,
      verified: 0,
      lastBlockHash: undefined,
      path: info.path,
      size: info.size,
      mime: info.mime,
      at: Date.now(),
      kept: 0,
    };
    this.#state = state;
  }

  /** Takes received bytes in order; a piece is written (whole, then closed) when full or at the file's end. */
  async write(offset: number, data: Uint8Array): Promise<number> {
    if (offset !== this.#start + this.#fill)
      throw new ParleyError('BAD_FILE_FRAME', `a staged write out of order (offset ${offset})`);
    if (this.#fresh) {
      // Starting over: whatever an older attempt left here is not this file's.
      this.#fresh = false;
      await clear(this.#dir);
      // Say whose pieces these are, so a reload in the first block resumes too (a file of one block at
      // most starts over: that sends no more than one block twice).
      if (this.#info.size > this.#state.blockSize) await writeState(this.#dir, this.#state);
    }
    let done = 0;
    while (done < data.byteLength) {
      const room = PIECE_SIZE - ((this.#start + this.#fill) % PIECE_SIZE);
      const n = Math.min(room, data.byteLength - done);
      this.#piece ??= new Uint8Array(PIECE_SIZE);
      this.#piece.set(data.subarray(done, done + n), this.#fill);
      this.#fill += n;
      done += n;
      const end = this.#start + this.#fill;
      if (end % PIECE_SIZE === 0 || end === this.#info.size) await this.#flush();
    }
    return this.#start;
  }

  async #flush(): Promise<void> {
    const bytes = (this.#piece as Uint8Array).subarray(0, this.#fill);
    await storage(async () => {
      const h = await this.#dir.getFileHandle(pieceName(this.#start), { create: true });
      const w = await h.createWritable();
      try {
        await w.write(bytes as Uint8Array<ArrayBuffer>);
        await w.close();
      } catch (err) {
        await w.abort().catch(() => {});
        throw err;
      }
    });
    this.#start += this.#fill;
    this.#fill = 0;
    if (this.#start === this.#info.size) this.#piece = undefined;
  }

  /**
   * Drops every byte from `length` on (the engine cuts at a block's start, a piece boundary). Bytes of a
   * piece across `length` stay in the piece being filled; they count as kept again once it is written.
   */
  async truncate(length: number): Promise<void> {
    this.#fresh = false;
    const start = length - (length % PIECE_SIZE);
    const head =
      start < length ? await readPieces(this.#dir, start, length - start).catch(() => undefined) : undefined;
    for (const s of await pieceStarts(this.#dir))
      if (s >= start) await this.#dir.removeEntry(pieceName(s)).catch(() => {});
    this.#start = start;
    this.#fill = 0;
    if (head) {
      this.#piece ??= new Uint8Array(PIECE_SIZE);
      this.#piece.set(head, 0);
      this.#fill = head.byteLength;
      if (length === this.#info.size) await this.#flush();
    }
  }

  async checkpoint(state: ResumeState): Promise<void> {
    this.#state = { ...this.#state, ...state, at: Date.now() };
    await writeState(this.#dir, this.#state);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return readPieces(this.#dir, offset, length);
  }

  async commit(sha256: string): Promise<string> {
    this.#state = { ...this.#state, verified: this.#info.size, sha256, at: Date.now() };
    if (this.#info.size === 0) await clear(this.#dir);
    await writeState(this.#dir, this.#state);
    return this.#info.path;
  }

  async abort(keep: boolean): Promise<void> {
    if (keep) return;
    await removeKey(this.#key);
  }
}

async function writeState(dir: FileSystemDirectoryHandle, state: StagedState): Promise<void> {
  await storage(async () => {
    const w = await (await dir.getFileHandle(STATE, { create: true })).createWritable();
    await w.write(JSON.stringify(state));
    await w.close();
  });
}

async function clear(dir: FileSystemDirectoryHandle): Promise<void> {
  const names: string[] = [];
  for await (const [name] of entriesOf(dir)) names.push(name);
  for (const name of names) await dir.removeEntry(name).catch(() => {});
}

async function removeKey(key: string): Promise<void> {
  const dir = await stagingDir();
  await dir.removeEntry(key, { recursive: true }).catch(() => {});
}

/** Runs a storage operation; a full quota becomes DISK_FULL. */
async function storage<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if ((err as DOMException)?.name === 'QuotaExceededError')
      throw new ParleyError('DISK_FULL', 'the browser storage for received files is full', { cause: err });
    throw err;
  }
}

/** The staged file for `key`, or undefined. */
export async function stagedFile(key: string): Promise<StagedFile | undefined> {
  try {
    const dir = await (await stagingDir()).getDirectoryHandle(key);
    const state = await readState(dir);
    return state ? staged(dir, key, state) : undefined;
  } catch {
    return undefined;
  }
}

function staged(dir: FileSystemDirectoryHandle, key: string, state: StagedState): StagedFile {
  return {
    key,
    state,
    async blob(): Promise<Blob> {
      const parts: File[] = [];
      for (const start of await pieceStarts(dir))
        if (start < state.verified) parts.push(await pieceFile(dir, start));
      // Staged before wire version 2: one file per verified block, `b<n>`.
      if (parts.length === 0 && state.verified > 0)
        for (let i = 0; i < Math.ceil(state.verified / state.blockSize); i++)
          parts.push(await (await dir.getFileHandle(`b${i}`)).getFile());
      return new Blob(parts, { type: state.mime });
    },
    async markSaved(): Promise<void> {
      await writeState(dir, { ...state, saved: true, at: Date.now() });
    },
    remove: () => removeKey(key),
  };
}

/** Every staged file (verified or partial), newest first. */
export async function listStaged(): Promise<StagedFile[]> {
  const out: StagedFile[] = [];
  const root = await stagingDir();
  for await (const [key, h] of entriesOf(root)) {
    if (h.kind !== 'directory') continue;
    const dir = h as FileSystemDirectoryHandle;
    const state = await readState(dir);
    if (state) out.push(staged(dir, key, state));
  }
  return out.sort((a, b) => b.state.at - a.state.at);
}

/**
 * Removes what staging no longer needs: files the user saved, and partial files untouched for `maxAgeMs`
 * (default a week). Verified files not yet saved stay.
 */
export async function sweepStaged(maxAgeMs = 7 * 24 * 3600 * 1000): Promise<number> {
  let removed = 0;
  for (const s of await listStaged()) {
    const stale = !s.state.sha256 && Date.now() - s.state.at > maxAgeMs;
    if (s.state.saved || stale) {
      await s.remove();
      removed++;
    }
  }
  return removed;
}
