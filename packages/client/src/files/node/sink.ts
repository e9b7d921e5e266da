/**
 * The Node sink: each file is written to `<name>.parley-part` beside its final name, with its resume state
 * in `<name>.parley-part.json`, and renamed to the name only once its SHA-256 matched. Every path is
 * checked to resolve inside the chosen folder, whatever the (already sanitised) name says.
 *
 * It is a partial sink: every chunk is written as it arrives, unverified, and counts as kept once the
 * write returned (the kernel has it: a killed process loses none of it). After a restart the part file's
 * length past the last verified block is what it keeps of the next block, trusted only when the last
 * verified block checks out; the engine hashes that block whole before it counts.
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
      const initial =
        info.size > blockSize ? { key, verified: 0, lastBlockHash: undefined, blockSize } : undefined;
      return new NodeSinkFile(base, target, part, statePath, resume, initial);
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
    if (s.verified < 0 || (s.verified > 0 && !s.lastBlockHash)) return undefined;
    const h = await open(part, 'r');
    try {
      // The part file must still hold the last verified block (it may not, after a power cut).
      if (s.verified > 0) {
        const from = Math.floor((s.verified - 1) / blockSize) * blockSize;
        const block = new Uint8Array(s.verified - from);
        const { bytesRead } = await h.read(block, 0, block.byteLength, from);
        if (bytesRead !== block.byteLength || (await blockHashHex(block)) !== s.lastBlockHash)
          return undefined;
      }
      // What lies past it is the next block's start, as received: kept, to be verified with that block.
      const { size } = await h.stat();
      return { key: s.key, verified: s.verified, lastBlockHash: s.lastBlockHash, blockSize, kept: size };
    } finally {
      await h.close();
    }
  } catch {
    return undefined;
  }
}

class NodeSinkFile implements SinkFile {
  readonly resume: ResumeState | undefined;
  readonly partial = true;
  /** Written with the first byte of a file that has more than one block, so a restart in it resumes. */
  readonly #initial: ResumeState | undefined;
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
    initial: ResumeState | undefined,
  ) {
    this.#base = base;
    this.#target = target;
    this.#part = part;
    this.#statePath = statePath;
    this.resume = resume;
    this.#initial = initial;
    this.#end = resume ? (resume.kept ?? resume.verified) : 0;
  }

  async #open(): Promise<FileHandle> {
    if (this.#handle) return this.#handle;
    await mkdir(dirname(this.#part), { recursive: true });
    // Refuse to follow a symbolic link planted where the part file goes.
    const flags = constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);
    this.#handle = await diskFull(open(this.#part, flags, 0o644));
    return this.#handle;
  }

  /** Writes received bytes (unverified) at `offset`; resolves to the end of what is kept: all of them. */
  async write(offset: number, data: Uint8Array): Promise<number> {
    const h = await this.#open();
    if (offset === 0) {
      // Starting over: drop what an older attempt left, and say whose part file this is.
      await h.truncate(0);
      this.#pending = this.#initial;
      await this.#flushState();
    }
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await diskFull(h.write(data, done, data.byteLength - done, offset + done));
      done += bytesWritten;
    }
    this.#end = offset + data.byteLength;
    return this.#end;
  }

  /** Drops the bytes from `length` on (a block that failed its hash). */
  async truncate(length: number): Promise<void> {
    const h = await this.#open();
    await h.truncate(length);
    this.#end = length;
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
