/**
 * The file transfer wire format, version 2 (docs/files.md). Each transfer has its own reliable, ordered
 * data channel labelled `parley-files/2/<id>`. Control messages are JSON text; file bytes are binary DATA
 * frames:
 *
 *    0        1                5                9                         17
 *   +--------+----------------+----------------+-------------------------+----------...
 *   | kind=1 | epoch (u32 BE) | file (u32 BE)  | offset (u64 BE)         | payload
 *   +--------+----------------+----------------+-------------------------+----------...
 *
 * `epoch` names the receiver's latest `want`: frames of an older epoch are stale (sent before a resume or
 * a re-request) and are dropped. Version 2 adds a window: the sender keeps at most WINDOW bytes sent and
 * not yet acknowledged (`ack`: kept by the receiver), and a `want` may resume mid-block (`from` past `at`).
 */
import { ParleyError } from '@parley/protocol/client';

export const WIRE_VERSION = 2;
export const LABEL_PREFIX = 'parley-files/';
/** Payload bytes per DATA frame: well under every browser's `max-message-size` (Chromium: 256 KiB). */
export const CHUNK_SIZE = 64 * 1024;
/** Bytes per hashed block: the unit of verification and of resume. A multiple of CHUNK_SIZE. */
export const BLOCK_SIZE = 1024 * 1024;
/**
 * Bytes a sender may have sent and not yet seen acknowledged (kept by the receiver) per transfer: what a
 * resume may have to send again, whatever dropped (the connection, the receiving process, the page).
 */
export const WINDOW = BLOCK_SIZE;
/** The receiver acknowledges once it keeps this many bytes more than it last acknowledged (and at block ends). */
export const ACK_STEP = 256 * 1024;
export const DATA_HEADER = 17;
const KIND_DATA = 1;

/** Bounds on what a peer may announce. */
export const LIMITS = {
  /** Files in one offer. */
  maxFiles: 100_000,
  /** Characters in one offered path. */
  maxPath: 4096,
  /** Characters in one JSON control message (a manifest is split into `files` parts below it). */
  maxMessage: 200 * 1024,
  /** Bytes in one file (2^53 − 1: exact in a JS number). */
  maxSize: Number.MAX_SAFE_INTEGER,
  /** Block re-requests for one block before the transfer fails with HASH_MISMATCH. */
  maxRetries: 3,
} as const;

export function labelFor(id: string): string {
  return `${LABEL_PREFIX}${WIRE_VERSION}/${id}`;
}

/** The transfer id of a file channel's label, or an error when it is a file channel of another version. */
export function parseLabel(label: string): { id: string } | { version: string } | undefined {
  if (!label.startsWith(LABEL_PREFIX)) return undefined;
  const [version = '', id = ''] = label.slice(LABEL_PREFIX.length).split('/', 2);
  if (version !== String(WIRE_VERSION) || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return { version };
  return { id };
}

/** A manifest entry on the wire (sender's names, not yet sanitised). */
export interface WireFile {
  path: string;
  size: number;
  mime: string;
  mtime: number;
  /** Hex SHA-256 of the entry (path, size, mime, mtime): the file's identity for resume. */
  key: string;
}

/**
 * Where the receiver wants a file sent from. `at` is its last verified block boundary (absent: `from`), `h`
 * the SHA-256 of the block that ends at `at`; `from` (≥ `at`, at most the rest of that block) is how far
 * it keeps the file: the bytes of `[at, from)` arrived, are kept and wait for their block's hash.
 */
export interface WantFile {
  f: number;
  from: number;
  at?: number;
  h?: string;
}

export type SenderMessage =
  | { t: 'offer'; v: number; id: string; count: number; total: number; block: number; chunk: number }
  | { t: 'files'; files: WireFile[] }
  | { t: 'block'; e: number; f: number; b: number; h: string }
  | { t: 'end'; e: number; f: number; sha256: string }
  | { t: 'cancel'; code: string; message?: string };

export type ReceiverMessage =
  /** Start (e = 1), or start over after a reconnect, a gap or a corrupt block (`r` says which). */
  | { t: 'want'; e: number; files: WantFile[]; r?: 'reconnect' | 'gap' | 'corrupt' }
  | { t: 'decline' }
  | { t: 'verified'; f: number; sha256: string }
  /** File `f` is kept up to byte `n` (under epoch `e`): the sender's window moves on. */
  | { t: 'ack'; e: number; f: number; n: number }
  | { t: 'pause' }
  | { t: 'continue' }
  | { t: 'hold' }
  | { t: 'go' }
  | { t: 'cancel'; code: string; message?: string };

export type FileMessage = SenderMessage | ReceiverMessage;

/** The offer and the manifest in `files` parts, each part under the message limit. */
export function offerMessages(id: string, files: readonly WireFile[]): SenderMessage[] {
  const total = files.reduce((n, f) => n + f.size, 0);
  const out: SenderMessage[] = [
    { t: 'offer', v: WIRE_VERSION, id, count: files.length, total, block: BLOCK_SIZE, chunk: CHUNK_SIZE },
  ];
  let part: WireFile[] = [];
  let size = 0;
  for (const f of files) {
    const n = JSON.stringify(f).length + 1;
    if (part.length > 0 && size + n > LIMITS.maxMessage / 2) {
      out.push({ t: 'files', files: part });
      part = [];
      size = 0;
    }
    part.push(f);
    size += n;
  }
  if (part.length > 0) out.push({ t: 'files', files: part });
  return out;
}

export function encodeMessage(m: FileMessage): string {
  return JSON.stringify(m);
}

const bad = (why: string) => new ParleyError('BAD_FILE_FRAME', `file channel: ${why}`);
const isNat = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isHex = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** Decodes and checks one JSON control message; throws BAD_FILE_FRAME saying what is wrong. */
export function decodeMessage(text: string): FileMessage {
  if (text.length > LIMITS.maxMessage) throw bad(`message of ${text.length} characters`);
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw bad('not an object');
  const need = (ok: boolean, field: string) => {
    if (!ok) throw bad(`${String(m.t)}: bad or missing "${field}"`);
  };
  switch (m.t) {
    case 'offer':
      need(m.v === WIRE_VERSION, 'v');
      need(isStr(m.id, 64) && /^[A-Za-z0-9_-]+$/.test(m.id as string), 'id');
      need(isNat(m.count) && (m.count as number) <= LIMITS.maxFiles, 'count');
      need(isNat(m.total), 'total');
      need(m.block === BLOCK_SIZE, 'block');
      need(m.chunk === CHUNK_SIZE, 'chunk');
      break;
    case 'files':
      need(Array.isArray(m.files) && m.files.every(isWireFile), 'files');
      break;
    case 'block':
      need(isNat(m.e) && isNat(m.f) && isNat(m.b), 'e/f/b');
      need(isHex(m.h), 'h');
      break;
    case 'end':
      need(isNat(m.e) && isNat(m.f), 'e/f');
      need(isHex(m.sha256), 'sha256');
      break;
    case 'want':
      need(isNat(m.e), 'e');
      need(Array.isArray(m.files) && m.files.every(isWant), 'files');
      need(m.r === undefined || m.r === 'reconnect' || m.r === 'gap' || m.r === 'corrupt', 'r');
      break;
    case 'verified':
      need(isNat(m.f) && isHex(m.sha256), 'f/sha256');
      break;
    case 'ack':
      need(isNat(m.e) && isNat(m.f) && isNat(m.n), 'e/f/n');
      break;
    case 'cancel':
      need(isStr(m.code, 64), 'code');
      need(m.message === undefined || isStr(m.message, 1024), 'message');
      break;
    case 'decline':
    case 'pause':
    case 'continue':
    case 'hold':
    case 'go':
      break;
    default:
      throw bad(`unknown message type ${JSON.stringify(String(m.t).slice(0, 32))}`);
  }
  return m as unknown as FileMessage;
}

function isWireFile(v: unknown): v is WireFile {
  const f = v as WireFile;
  return (
    !!f &&
    isStr(f.path, LIMITS.maxPath) &&
    isNat(f.size) &&
    isStr(f.mime, 255) &&
    isNat(f.mtime) &&
    isHex(f.key)
  );
}

function isWant(v: unknown): v is WantFile {
  const w = v as WantFile;
  return (
    !!w &&
    isNat(w.f) &&
    isNat(w.from) &&
    (w.at === undefined || (isNat(w.at) && w.at <= w.from)) &&
    (w.h === undefined || isHex(w.h))
  );
}

export interface DataFrame {
  epoch: number;
  file: number;
  offset: number;
  payload: Uint8Array;
}

/** One DATA frame: header and payload in a single allocation. */
export function encodeData(epoch: number, file: number, offset: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(DATA_HEADER + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, KIND_DATA);
  view.setUint32(1, epoch);
  view.setUint32(5, file);
  view.setUint32(9, Math.floor(offset / 2 ** 32));
  view.setUint32(13, offset >>> 0);
  out.set(payload, DATA_HEADER);
  return out;
}

export function decodeData(bytes: Uint8Array): DataFrame {
  if (bytes.byteLength < DATA_HEADER)
    throw bad(`DATA frame of ${bytes.byteLength} bytes, need ${DATA_HEADER}`);
  if (bytes.byteLength > DATA_HEADER + CHUNK_SIZE) throw bad(`DATA frame of ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== KIND_DATA) throw bad(`binary frame of kind ${view.getUint8(0)}`);
  const offset = view.getUint32(9) * 2 ** 32 + view.getUint32(13);
  if (!Number.isSafeInteger(offset)) throw bad('DATA offset beyond 2^53');
  return {
    epoch: view.getUint32(1),
    file: view.getUint32(5),
    offset,
    payload: bytes.subarray(DATA_HEADER),
  };
}
