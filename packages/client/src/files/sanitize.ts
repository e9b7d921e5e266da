/**
 * The one place a received file name becomes a path: whatever a sender offers, the result is relative,
 * has no `.` or `..` segment, no device name (CON, NUL, COM1…, also with an extension), no control
 * character (NUL, newline…), no character Windows forbids, and no segment ending in a dot or space.
 */
import { ParleyError } from '@parley/protocol/client';

const DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
// Control characters (C0, DEL, C1) and the characters Windows forbids in a name.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f<>:"|?*\\]/g;
/** Most UTF-8 bytes in one segment (common file systems allow 255). */
const MAX_SEGMENT_BYTES = 255;
/** Most segments in one path. */
const MAX_DEPTH = 64;

/**
 * A safe relative path (segments joined by `/`) for a name a peer offered. Both `/` and `\` separate
 * segments; `.`, `..` and empty segments are dropped (so `a/../../x` becomes `a/x` and `/etc/x` becomes
 * `etc/x`); forbidden characters become `_`; a device name gets a leading `_`. Throws BAD_FILE_NAME when
 * nothing is left (e.g. `..`).
 */
export function sanitizePath(name: string): string {
  const segments: string[] = [];
  for (const raw of name.split(/[/\\]+/)) {
    let s = raw.normalize('NFC').replace(FORBIDDEN, '_');
    if (s === '' || s === '.' || s === '..') continue;
    // Windows drops trailing dots and spaces ("x." is "x"; "..." would be ""): make them visible.
    s = s.replace(/[. ]+$/, (tail) => '_'.repeat(tail.length));
    if (DEVICE.test(s)) s = `_${s}`;
    segments.push(truncateUtf8(s, MAX_SEGMENT_BYTES));
  }
  if (segments.length === 0)
    throw new ParleyError('BAD_FILE_NAME', `no usable name in ${JSON.stringify(name.slice(0, 100))}`);
  if (segments.length > MAX_DEPTH)
    throw new ParleyError('BAD_FILE_NAME', `${segments.length} folders deep (at most ${MAX_DEPTH})`);
  return segments.join('/');
}

function truncateUtf8(s: string, maxBytes: number): string {
  const enc = new TextEncoder();
  if (enc.encode(s).byteLength <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = enc.encode(ch).byteLength;
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}
