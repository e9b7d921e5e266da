/**
 * Browser sources: File objects (an `<input type=file multiple>` or `webkitdirectory` pick) and dropped
 * folder trees (DataTransferItem entries), with their relative paths kept. A File is read slice by slice
 * (`file.slice().arrayBuffer()`), once per transfer: nothing is read ahead of the engine's asking.
 */
import { ParleyError } from '@parley/protocol/client';
import type { SourceFile } from '../types.js';

/** One File, offered as `path` (default: its relative path in a folder pick, else its name). */
export function browserSourceFile(file: File, path = relativePath(file)): SourceFile {
  const size = file.size;
  const mtime = file.lastModified;
  return {
    path,
    size,
    mime: file.type || 'application/octet-stream',
    mtime,
    async read(offset: number, length: number): Promise<Uint8Array> {
      try {
        return new Uint8Array(await file.slice(offset, Math.min(size, offset + length)).arrayBuffer());
      } catch (err) {
        // Chromium and Firefox refuse to read a File whose file changed on disk after it was picked.
        throw new ParleyError('SOURCE_CHANGED', `${path} changed after it was offered`, { cause: err });
      }
    },
  };
}

/** The path a File had in its pick: `webkitRelativePath` for a folder pick, else the name. */
export function relativePath(file: File): string {
  return file.webkitRelativePath || file.name;
}

/** Files from an input (`input.files`) or any list of File objects, in order. */
export function fileListSource(files: Iterable<File> | ArrayLike<File>): SourceFile[] {
  return Array.from(files as ArrayLike<File>, (f) => browserSourceFile(f));
}

/**
 * What was dropped: files and folder trees (as `folder/sub/a.txt`), from a drop event's DataTransfer.
 * Call it inside the `drop` handler: the entries must be taken before the handler returns; walking them
 * may finish later.
 */
export function droppedSource(data: DataTransfer): Promise<SourceFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(data.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  return (async () => {
    const out: SourceFile[] = loose.map((f) => browserSourceFile(f, f.name));
    for (const e of entries) out.push(...(await walk(e, '')));
    return out;
  })();
}

async function walk(entry: FileSystemEntry, prefix: string): Promise<SourceFile[]> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    return [browserSourceFile(file, path)];
  }
  if (!entry.isDirectory) return [];
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries returns a batch at a time (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) break;
    children.push(...batch);
  }
  children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: SourceFile[] = [];
  for (const c of children) out.push(...(await walk(c, path)));
  return out;
}
