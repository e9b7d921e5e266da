/**
 * The Node sink: each file is written to `<name>.parley-part` beside its final name, with its resume state
 * in `<name>.parley-part.json`, and renamed to the name only once its SHA-256 matched. Every path is
 * checked to resolve inside the chosen folder, whatever the (already sanitised) name says.
 */
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { ParleyError } from '@parley/protocol/client';
import { blockHashHex } from '../hash.js';
import type { FileInfo, ResumeState, Sink, SinkFile } from '../types.js';

export const PART_SUFFIX = '.parley-part';

/** Writes received files under `root` (created if missing). */
export function nodeSink(root: string): Sink {
  const base = resolve(root);
  return {
    async open(info: FileInfo, key: string, blockSize: number): Promise<SinkFile> {
      const target = inside(base, info.path);
      const part = `${target}${PART_SUFFIX}`;
      const statePath = `${part}.json`;
      const resume = await readState(statePath, key, blockSize, part);
      return new NodeSinkFile(base, target, part, statePath, resume);
    },
  };
}

/** `path` under `base`, or BAD_FILE_NAME when it would resolve anywhere else. */
function inside(base: string, path: string): string {
  const full = resolve(base, path);
  const rel = relative(base, full);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || resolve(base, rel) !== full)
    throw new ParleyError('BAD_FILE_NAME', `${JSON.stringify(path)} resolves outside the target folder`);
  return full;
}

async function readState(
  statePath: string,
  key: string,
  blockSize: number,
  part: string,
): Promise<ResumeState | undefined> {
  try {
    const s = JSON.parse(await readFile(statePath, 'utf8')) as ResumeState;
    if (s.key !== key || s.blockSize !== blockSize || !Number.isSafeInteger(s.verified)) return undefined;
    // The part file must still hold the last verified block (it may not, after a power cut).
    if (s.verified === 0 || !s.lastBlockHash) return undefined;
    const from = Math.floor((s.verified - 1) / blockSize) * blockSize;
    const h = await open(part, 'r');
    try {
      const block = new Uint8Array(s.verified - from);
      const { bytesRead } = await h.read(block, 0, block.byteLength, from);
      if (bytesRead !== block.byteLength || (await blockHashHex(block)) !== s.lastBlockHash) return undefined;
    } finally {
      await h.close();
    }
    return s;
  } catch {
    return undefined;
  }
}

class NodeSinkFile implements SinkFile {
  readonly resume: ResumeState | undefined;
  readonly #base: string;
  readonly #target: string;
  readonly #part: string;
  readonly #statePath: string;
  #handle: FileHandle | undefined;
  #end = 0;
  #pending: ResumeState | undefined;

  constructor(
    base: string,
    target: string,
    part: string,
    statePath: string,
    resume: ResumeState | undefined,
  ) {
    this.#base = base;
    this.#target = target;
    this.#part = part;
    this.#statePath = statePath;
    this.resume = resume;
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    await mkdir(dirname(this.#part), { recursive: true });
    // Refuse to follow a symbolic link planted where the part file goes.
    const flags = constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);
    this.#handle = await diskFull(open(this.#part, flags, 0o644));
    return this.#handle;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const h = await this.#open();
    if (offset === 0 && this.#end === 0) await h.truncate(0);
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await diskFull(h.write(data, done, data.byteLength - done, offset + done));
      done += bytesWritten;
    }
    this.#end = offset + data.byteLength;
  }

  /**
   * Written after every verified block, after its data. No fsync per block: a killed process loses
   * nothing the kernel has; after a power cut, `open` checks the last block's hash before trusting it.
   */
  async checkpoint(state: ResumeState): Promise<void> {
    this.#pending = state;
    await this.#flushState();
  }

  async #flushState(): Promise<void> {
    const state = this.#pending;
    if (!state) return;
    this.#pending = undefined;
    const tmp = `${this.#statePath}.tmp`;
    await diskFull(writeFile(tmp, JSON.stringify(state)));
    await rename(tmp, this.#statePath);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const h = await this.#open();
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await h.read(buf, got, length - got, offset + got);
      if (bytesRead === 0)
        throw new ParleyError('SOURCE_CHANGED', `${this.#part} is shorter than its state says`);
      got += bytesRead;
    }
    return buf;
  }

  async commit(_sha256: string): Promise<string> {
    const h = await this.#open();
    await h.truncate(this.#end);
    await h.datasync();
    await h.close();
    this.#handle = undefined;
    const name = await freeName(this.#target);
    await rename(this.#part, name);
    await rm(this.#statePath, { force: true });
    return relative(this.#base, name).split(sep).join('/');
  }

  async abort(keep: boolean): Promise<void> {
    if (keep) await this.#flushState().catch(() => {});
    await this.#handle?.close().catch(() => {});
    this.#handle = undefined;
    if (!keep) {
      await rm(this.#part, { force: true });
      await rm(this.#statePath, { force: true });
    }
  }
}

/** `target`, or `name (1).ext`, `name (2).ext`… when something is already there. */
async function freeName(target: string): Promise<string> {
  const dot = target.lastIndexOf('.');
  const slash = target.lastIndexOf(sep);
  const [stem, ext] = dot > slash + 1 ? [target.slice(0, dot), target.slice(dot)] : [target, ''];
  for (let i = 0; ; i++) {
    const name = i === 0 ? target : `${stem} (${i})${ext}`;
    try {
      await stat(name);
    } catch {
      return name;
    }
  }
}

async function diskFull<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT')
      throw new ParleyError('DISK_FULL', 'no space left for the received file', { cause: err });
    throw err;
  }
}
