/**
 * The staging sink: received blocks go to the Origin Private File System, one file per verified block
 * (each written whole and closed, so what is there after a reload is exactly what was verified), with the
 * file's ResumeState beside them. A reloaded page finds them by the file's key and resumes from the last
 * verified block. Once verified, the file stays staged until the app hands it to the user (a Blob made of
 * the block files, which lives on disk, not in memory) and removes it.
 */
import { ParleyError } from '@parley/protocol/client';
import { sha256Hex } from '../hash.js';
import type { FileInfo, ResumeState, Sink, SinkFile } from '../types.js';

/** The folder of the origin's private file system that holds staged files, one sub-folder per key. */
export const STAGING_DIR = 'parley-files';
const STATE = 'state.json';

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
      const resume = state && (await trusted(dir, state, key, blockSize, info)) ? state : undefined;
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

/** A state is trusted when it is this file's and its last verified block is there with the right hash. */
async function trusted(
  dir: FileSystemDirectoryHandle,
  s: StagedState,
  key: string,
  blockSize: number,
  info: FileInfo,
): Promise<boolean> {
  if (s.key !== key || s.blockSize !== blockSize || s.size !== info.size) return false;
  if (!Number.isSafeInteger(s.verified) || s.verified <= 0 || s.verified > info.size || !s.lastBlockHash)
    return false;
  const last = Math.ceil(s.verified / blockSize) - 1;
  try {
    const file = await (await dir.getFileHandle(blockName(last))).getFile();
    return sha256Hex(new Uint8Array(await file.arrayBuffer())) === s.lastBlockHash;
  } catch {
    return false;
  }
}

const blockName = (i: number) => `b${i}`;

/** A folder's entries (TypeScript's DOM library has them only with `dom.asynciterable`). */
function entriesOf(dir: FileSystemDirectoryHandle): AsyncIterable<[string, FileSystemHandle]> {
  return (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
}

class OpfsSinkFile implements SinkFile {
  readonly resume: ResumeState | undefined;
  readonly #dir: FileSystemDirectoryHandle;
  readonly #info: FileInfo;
  readonly #key: string;
  readonly #blockSize: number;
  #fresh: boolean;
  #state: StagedState;

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
    this.#blockSize = blockSize;
    this.resume = resume;
    this.#fresh = !resume;
    this.#state = resume ?? {
      key,
      blockSize,
      verified: 0,
      lastBlockHash: undefined,
      path: info.path,
      size: info.size,
      mime: info.mime,
      at: Date.now(),
    };
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    if (offset % this.#blockSize !== 0 || data.byteLength > this.#blockSize)
      throw new ParleyError('BAD_FILE_FRAME', `a staged write must be one block (offset ${offset})`);
    if (this.#fresh) {
      // Starting over: whatever an older attempt left here is not this file's.
      this.#fresh = false;
      await clear(this.#dir);
    }
    await storage(async () => {
      const h = await this.#dir.getFileHandle(blockName(offset / this.#blockSize), { create: true });
      const w = await h.createWritable();
      try {
        await w.write(data as Uint8Array<ArrayBuffer>);
        await w.close();
      } catch (err) {
        await w.abort().catch(() => {});
        throw err;
      }
    });
  }

  async checkpoint(state: ResumeState): Promise<void> {
    this.#state = { ...this.#state, ...state, at: Date.now() };
    await writeState(this.#dir, this.#state);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const i = Math.floor(at / this.#blockSize);
      const file = await (await this.#dir.getFileHandle(blockName(i))).getFile();
      const from = at - i * this.#blockSize;
      const n = Math.min(length - done, file.size - from);
      if (n <= 0) throw new ParleyError('SOURCE_CHANGED', `staged block ${i} is shorter than its state says`);
      out.set(new Uint8Array(await file.slice(from, from + n).arrayBuffer()), done);
      done += n;
    }
    return out;
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
      const blocks = Math.ceil(state.verified / state.blockSize);
      for (let i = 0; i < blocks; i++) parts.push(await (await dir.getFileHandle(blockName(i))).getFile());
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
