/**
 * Field-by-field mutation of JSON signaling frames: a field's type, size, depth, unknown and duplicate
 * keys, huge numbers, unicode; then text-level damage (truncation, stray bytes, BOM, invalid UTF-8).
 * The result is what goes on the wire: a string, or bytes for text that is not valid UTF-8.
 */
import type { Rng } from './random.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const SIZES = [
  0, 1, 63, 64, 65, 127, 128, 129, 255, 256, 257, 2047, 2048, 2049, 4096, 4097, 60_000, 60_001, 70_000,
];
const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'from',
  'seq',
  '',
  'type',
  'x',
];
const NUMBER_TEXT = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '-0',
  '0.000001',
  '1E2',
  '9007199254740993',
];

function otherValue(r: Rng): Json {
  return r.weighted<() => Json>([
    [1, () => null],
    [1, () => r.chance(0.5)],
    [2, () => r.pick([0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53 + 2, -(2 ** 53), 1e308, Number.MIN_VALUE])],
    [2, () => r.text(40)],
    [1, () => 'x'.repeat(r.pick(SIZES))],
    [1, () => []],
    [1, () => ({})],
    [1, () => [r.text(5), 1, null]],
    [1, () => ({ [r.pick(KEYS)]: r.text(5) })],
  ])();
}

/** `s` repeated or cut to `size` characters. */
function resize(s: string, size: number): string {
  const unit = s || 'x';
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** A value nested `depth` levels deep, as text (JSON.stringify would recurse). */
export function deepText(r: Rng, depth: number): string {
  const open = r.chance(0.5) ? '[' : '{"a":';
  const close = open === '[' ? ']' : '}';
  return open.repeat(depth) + (r.chance(0.5) ? '1' : '{}') + close.repeat(depth);
}

function paths(
  v: Json,
  at: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(at);
  if (out.length > 200) return out;
  if (Array.isArray(v)) for (const [i, x] of v.entries()) paths(x, [...at, i], out);
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k]!, [...at, k], out);
  return out;
}

function getAt(v: Json, path: (string | number)[]): Json | undefined {
  let cur: Json | undefined = v;
  for (const p of path)
    cur = cur && typeof cur === 'object' ? (cur as Record<string, Json>)[p as string] : undefined;
  return cur;
}

function setAt(v: Json, path: (string | number)[], value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const parent = getAt(v, path.slice(0, -1));
  if (!parent || typeof parent !== 'object') return v;
  const key = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete (parent as Record<string, Json>)[key as string];
  } else (parent as Record<string, Json>)[key as string] = value;
  return v;
}

/** A placeholder replaced at the text level by raw JSON (deep nesting, numbers JSON.stringify cannot write). */
const RAW = '\u0000raw\u0000';

/** Mutates a frame object field by field, then maybe its text. Returns text or (invalid UTF-8) bytes. */
export function mutateFrame(r: Rng, frame: Record<string, Json>, mutations: number): string | Buffer {
  let v: Json = structuredClone(frame);
  const raws: string[] = [];
  for (let m = 0; m < mutations; m++) {
    const all = paths(v);
    const path = r.pick(all);
    const here = getAt(v, path);
    v = r.weighted<() => Json>([
      [4, () => setAt(v, path, otherValue(r))],
      [2, () => (path.length ? setAt(v, path, undefined) : v)],
      [
        2,
        () =>
          here && typeof here === 'object' && !Array.isArray(here)
            ? setAt(v, [...path, r.chance(0.5) ? r.pick(KEYS) : r.text(10)], otherValue(r))
            : v,
      ],
      [2, () => (typeof here === 'string' ? setAt(v, path, resize(here, r.pick(SIZES))) : v)],
      [2, () => (typeof here === 'string' ? setAt(v, path, r.text(64)) : v)],
      [
        1,
        () => {
          raws.push(deepText(r, r.pick([10, 100, 1000, 5000, 20_000, 40_000])));
          return setAt(v, path.length ? path : ['data'], `${RAW}${raws.length - 1}`);
        },
      ],
      [
        1,
        () => {
          raws.push(r.pick(NUMBER_TEXT));
          return setAt(v, path.length ? path : ['seq'], `${RAW}${raws.length - 1}`);
        },
      ],
      [
        1,
        () =>
          path.length === 0
            ? v
            : setAt(
                v,
                ['type'],
                r.pick([
                  'JOIN',
                  'join ',
                  '__proto__',
                  'constructor',
                  '',
                  'signal',
                  'resume',
                  'pong',
                  'joined',
                ]),
              ),
      ],
    ])();
  }
  let text = JSON.stringify(v) ?? 'null';
  text = text.replace(/"\\u0000raw\\u0000(\d+)"/g, (_, i: string) => raws[Number(i)] ?? 'null');
  if (r.chance(0.15)) {
    // Duplicate keys: the same key again with another value.
    const keys = [...text.matchAll(/"([a-zA-Z]+)":/g)].map((m) => m[1]!);
    if (keys.length && text.startsWith('{'))
      text = `{"${r.pick(keys)}":${JSON.stringify(otherValue(r))},${text.slice(1)}`;
  }
  return r.weighted<() => string | Buffer>([
    [14, () => text],
    [1, () => text.slice(0, r.int(text.length))],
    [1, () => `\ufeff${text}`],
    [1, () => `${' '.repeat(r.size(1000))}${text}\n\t`],
    [1, () => `${text}${r.pick(['}', ',', 'x', '{}', '\u0000'])}`],
    // Invalid UTF-8 ends the connection (1007), and with it the session's later states: rarer here
    // (the byte-level fuzzer covers it).
    [
      0.15,
      () => {
        const b = Buffer.from(text);
        b[r.int(b.length)] = r.pick([0xff, 0xc0, 0x80, 0xed]);
        return b;
      },
    ],
  ])();
}
