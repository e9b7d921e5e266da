/**
 * Checks the shape of JSON text that `JSON.parse` accepts but Parley refuses: a key that appears twice
 * in one object (parsers disagree on which one wins, so a relayed frame could read differently to each
 * receiver), and nesting deeper than a bound (re-serialising a deep value overflows the stack).
 *
 * Runs on text that `JSON.parse` already accepted, so it only needs to tell strings, keys and brackets
 * apart. Iterative, one pass, no allocation for objects with a single key.
 */
export const MAX_JSON_DEPTH = 32;

export type ShapeProblem = { kind: 'duplicate-key'; key: string } | { kind: 'too-deep'; depth: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/** The first shape problem in valid JSON `text`, or undefined. */
export function jsonShapeProblem(text: string, maxDepth = MAX_JSON_DEPTH): ShapeProblem | undefined {
  // One entry per open bracket: the keys seen so far in an object (a Set once it has two), or null.
  const keys: (Set<string> | string | null | undefined)[] = [];
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      let escaped = false;
      for (i = start; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) {
          escaped = true;
          i++;
        } else if (d === QUOTE) break;
      }
      const top = keys[depth - 1];
      // A string in an object followed by a colon is a key.
      if (top !== null && depth > 0 && nextNonSpace(text, i + 1) === COLON) {
        const raw = text.slice(start, i);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top === undefined) keys[depth - 1] = key;
        else if (typeof top === 'string') {
          if (top === key) return { kind: 'duplicate-key', key };
          keys[depth - 1] = new Set([top, key]);
        } else {
          if (top.has(key)) return { kind: 'duplicate-key', key };
          top.add(key);
        }
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return { kind: 'too-deep', depth };
      keys[depth - 1] = c === OPEN_OBJECT ? undefined : null;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return undefined;
}

function nextNonSpace(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  }
  return -1;
}
