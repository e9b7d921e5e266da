/** Node sources: files and folder trees on disk, read at random offsets, checked for changes as they are read. */
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { ParleyError } from '@parley/protocol/client';
import type { SourceFile } from '../types.js';

const MIME: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  json: 'application/json',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  webm: 'video/webm',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
};

/** A MIME type from a file name's extension (application/octet-stream when unknown). */
export function mimeOf(name: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return (ext && MIME[ext]) || 'application/octet-stream';
}

/** One file on disk, offered as `path` (default: its base name). */
export async function nodeSourceFile(file: string, path = basename(file)): Promise<SourceFile> {
  const st = await stat(file);
  if (!st.isFile()) throw new ParleyError('BAD_FILE_NAME', `${file} is not a regular file`);
  const size = st.size;
  const mtime = Math.floor(st.mtimeMs);
  let handle: FileHandle | undefined;
  const close = async (): Promise<void> => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return {
    path,
    size,
    mime: mimeOf(file),
    mtime,
    async read(offset: number, length: number): Promise<Uint8Array> {
      handle ??= await open(file, 'r');
      const now = await handle.stat();
      if (now.size !== size || Math.floor(now.mtimeMs) !== mtime)
        throw new ParleyError('SOURCE_CHANGED', `${file} changed after it was offered`);
      const buf = new Uint8Array(Math.min(length, size - offset));
      let got = 0;
      while (got < buf.byteLength) {
        const { bytesRead } = await handle.read(buf, got, buf.byteLength - got, offset + got);
        if (bytesRead === 0) throw new ParleyError('SOURCE_CHANGED', `${file} is shorter than offered`);
        got += bytesRead;
      }
      // Done with this file for now: a folder of thousands of files must not hold thousands of handles.
      if (offset + buf.byteLength >= size) await close();
      return buf;
    },
    close,
  };
}

/**
 * The files under each of `paths`: a file as its base name, a folder as a tree of relative paths starting
 * with the folder's name (`photos/2024/a.jpg`). Symbolic links are not followed.
 */
export async function nodeSource(paths: readonly string[]): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const p of paths) {
    const st = await stat(p);
    if (st.isFile()) out.push(await nodeSourceFile(p));
    else if (st.isDirectory()) {
      const root = join(p, '..');
      for (const file of await walk(p))
        out.push(await nodeSourceFile(file, relative(root, file).split(sep).join('/')));
    } else throw new ParleyError('BAD_FILE_NAME', `${p} is neither a file nor a folder`);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await walk(p)));
    else if (e.isFile()) files.push(p);
  }
  return files;
}
