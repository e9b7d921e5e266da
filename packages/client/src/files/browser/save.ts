/**
 * Handing received files to the user, and the sinks for browsers without staging: straight into a folder
 * the user picked (File System Access), or, as a last resort, in memory up to a stated limit.
 */
import { ParleyError } from '@parley/protocol/client';
import { sanitizePath } from '../sanitize.js';
import type { FileInfo, ResumeState, Sink, SinkFile } from '../types.js';

/** The File System Access pickers (Chromium); not in TypeScript's DOM library. */
interface Pickers {
  showSaveFilePicker?(options?: { suggestedName?: string }): Promise<FileSystemFileHandle>;
  showDirectoryPicker?(options?: {
    mode?: 'read' | 'readwrite';
    id?: string;
  }): Promise<FileSystemDirectoryHandle>;
}
const pickers = (): Pickers => globalThis as unknown as Pickers;

/** What this browser can do with received files; `limit` is what the UI must say when it is not all. */
export interface SaveCapabilities {
  /** Partial files staged in the Origin Private File System: resumable after a reload. */
  readonly staging: boolean;
  /** `showSaveFilePicker`: save a file where the user says. */
  readonly saveAs: boolean;
  /** `showDirectoryPicker`: save into (or receive straight into) a folder the user picked. */
  readonly folder: boolean;
  /** No staging, but a service worker: each file is a streamed download (no resume after a reload). */
  readonly download: boolean;
  /** Received files are held in memory (no staging, no service worker): at most MEMORY_LIMIT bytes. */
  readonly memoryOnly: boolean;
}

/** The most a browser that can neither stage nor write to a folder holds in memory for one transfer. */
export const MEMORY_LIMIT = 512 * 1024 * 1024;

/** What this page can do, given whether staging works (`opfsAvailable()`) and a download worker runs. */
export function saveCapabilities(staging: boolean, downloadWorker: boolean): SaveCapabilities {
  const p = pickers();
  const download = !staging && downloadWorker;
  return {
    staging,
    saveAs: typeof p.showSaveFilePicker === 'function',
    folder: typeof p.showDirectoryPicker === 'function',
    download,
    memoryOnly: !staging && !download,
  };
}

/** Asks where to save `blob` (Chromium's save dialog) and streams it there; false if the user cancelled. */
export async function saveAs(blob: Blob, name: string): Promise<boolean> {
  const pick = pickers().showSaveFilePicker;
  if (!pick) throw new ParleyError('DISK_FULL', 'this browser has no save dialog (showSaveFilePicker)');
  let handle: FileSystemFileHandle;
  try {
    handle = await pick.call(globalThis, { suggestedName: name.split('/').pop() || name });
  } catch (err) {
    if ((err as DOMException)?.name === 'AbortError') return false;
    throw err;
  }
  await blob.stream().pipeTo(await handle.createWritable());
  return true;
}

/** Asks for a folder (read-write); undefined if the user cancelled or the browser cannot. */
export async function pickFolder(): Promise<FileSystemDirectoryHandle | undefined> {
  const pick = pickers().showDirectoryPicker;
  if (!pick) return undefined;
  try {
    return await pick.call(globalThis, { mode: 'readwrite', id: 'parley-files' });
  } catch (err) {
    if ((err as DOMException)?.name === 'AbortError') return undefined;
    throw err;
  }
}

/** Writes `blob` at the relative `path` inside `dir` (folders created), streamed; returns the path used. */
export async function saveToFolder(
  dir: FileSystemDirectoryHandle,
  path: string,
  blob: Blob,
): Promise<string> {
  const { parent, name } = await placeIn(dir, path);
  const handle = await parent.getFileHandle(await freeName(parent, name), { create: true });
  await blob.stream().pipeTo(await handle.createWritable());
  return path.includes('/') ? `${path.slice(0, path.lastIndexOf('/') + 1)}${handle.name}` : handle.name;
}

/** The folder that holds `path` (created) and the file's name; `path` is sanitised again here. */
async function placeIn(
  dir: FileSystemDirectoryHandle,
  path: string,
): Promise<{ parent: FileSystemDirectoryHandle; name: string }> {
  const segments = sanitizePath(path).split('/');
  const name = segments.pop() as string;
  let parent = dir;
  for (const s of segments) parent = await parent.getDirectoryHandle(s, { create: true });
  return { parent, name };
}

/** `name`, or `name (1).ext`… when the folder already has it. */
async function freeName(dir: FileSystemDirectoryHandle, name: string): Promise<string> {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let i = 0; ; i++) {
    const n = i === 0 ? name : `${stem} (${i})${ext}`;
    try {
      await dir.getFileHandle(n);
    } catch {
      return n;
    }
  }
}

/**
 * A Sink that writes straight into a folder the user picked. Chromium writes through a temporary
 * `.crswap` file that replaces the file only when it is closed, so only a verified file ever appears
 * under its name. It cannot resume after a reload (the temporary file goes with the page): prefer
 * staging (`opfsSink`) where the browser has it.
 */
export function folderSink(dir: FileSystemDirectoryHandle): Sink {
  return {
    async open(info: FileInfo): Promise<SinkFile> {
      return new FolderSinkFile(dir, info);
    },
  };
}

class FolderSinkFile implements SinkFile {
  readonly resume = undefined;
  readonly #dir: FileSystemDirectoryHandle;
  readonly #info: FileInfo;
  #target: { parent: FileSystemDirectoryHandle; name: string; handle: FileSystemFileHandle } | undefined;
  #writer: FileSystemWritableFileStream | undefined;

  constructor(dir: FileSystemDirectoryHandle, info: FileInfo) {
    this.#dir = dir;
    this.#info = info;
  }

  async #open(): Promise<FileSystemWritableFileStream> {
    if (this.#writer) return this.#writer;
    const { parent, name } = await placeIn(this.#dir, this.#info.path);
    const free = await freeName(parent, name);
    const handle = await parent.getFileHandle(free, { create: true });
    this.#target = { parent, name: free, handle };
    this.#writer = await handle.createWritable();
    return this.#writer;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    const w = await this.#open();
    try {
      await w.write({ type: 'write', position: offset, data: data as Uint8Array<ArrayBuffer> });
    } catch (err) {
      if ((err as DOMException)?.name === 'QuotaExceededError')
        throw new ParleyError('DISK_FULL', 'no space left for the received file', { cause: err });
      throw err;
    }
  }

  async checkpoint(_state: ResumeState): Promise<void> {}

  read(): Promise<Uint8Array> {
    return Promise.reject(new ParleyError('SOURCE_CHANGED', 'a folder sink does not resume'));
  }

  async commit(): Promise<string> {
    await (await this.#open()).close();
    const t = this.#target as { name: string };
    const dir = this.#info.path.includes('/')
      ? this.#info.path.slice(0, this.#info.path.lastIndexOf('/') + 1)
      : '';
    return `${dir}${t.name}`;
  }

  async abort(): Promise<void> {
    await this.#writer?.abort().catch(() => {});
    if (this.#target) await this.#target.parent.removeEntry(this.#target.name).catch(() => {});
  }
}

/** A file held in memory by `memorySink` once verified. */
export interface MemoryFile {
  readonly path: string;
  readonly blob: Blob;
}

/**
 * The last resort, for a browser that can neither stage nor write to a folder: verified blocks are kept
 * as Blob parts, at most `limit` bytes per transfer (DISK_FULL beyond), and no resume.
 */
export function memorySink(onFile: (f: MemoryFile) => void, limit = MEMORY_LIMIT): Sink {
  let held = 0;
  return {
    async open(info: FileInfo): Promise<SinkFile> {
      if (held + info.size > limit)
        throw new ParleyError(
          'DISK_FULL',
          `this browser holds received files in memory, at most ${limit} bytes`,
        );
      held += info.size;
      const parts: Blob[] = [];
      return {
        resume: undefined,
        async write(_offset: number, data: Uint8Array) {
          parts.push(new Blob([data as Uint8Array<ArrayBuffer>]));
        },
        async checkpoint() {},
        read: () => Promise.reject(new ParleyError('SOURCE_CHANGED', 'a memory sink does not resume')),
        async commit() {
          onFile({ path: info.path, blob: new Blob(parts, { type: info.mime }) });
          return info.path;
        },
        async abort() {
          held -= info.size;
          parts.length = 0;
        },
      };
    },
  };
}
