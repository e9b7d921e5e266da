import { SeededRandom } from '@parley/testing';

/** A seeded PRNG (mulberry32) and the pickers the fuzzers share, so that a seed replays a run exactly. */
export class Rng extends SeededRandom {
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of items) total += w;
    let x = this.next() * total;
    for (const [w, v] of items) {
      x -= w;
      if (x < 0) return v;
    }
    return items[items.length - 1]![1];
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = (this.next() * 256) | 0;
    return out;
  }

  /** A child generator, so that one part of a run draws numbers without shifting another's. */
  fork(): Rng {
    return new Rng((this.next() * 4294967296) >>> 0);
  }

  /** A size skewed to the small end and to boundaries: 0, 1, powers of two and their neighbours. */
  size(max: number): number {
    return Math.min(
      max,
      this.weighted<() => number>([
        [4, () => this.int(16)],
        [3, () => this.int(256)],
        [2, () => Math.max(0, 2 ** this.int(Math.ceil(Math.log2(max + 1)) + 1) + this.range(-1, 1))],
        [1, () => this.int(max + 1)],
      ])(),
    );
  }

  /** Unicode text: ASCII, controls, accents, CJK, astral, lone surrogates, BOM, RTL marks. */
  text(maxChars: number): string {
    const n = this.size(maxChars);
    let s = '';
    for (let i = 0; i < n; i++) {
      s += this.weighted<() => string>([
        [6, () => String.fromCharCode(this.range(0x20, 0x7e))],
        [1, () => String.fromCharCode(this.range(0, 0x1f))],
        [1, () => String.fromCharCode(this.range(0xa0, 0x24f))],
        [1, () => String.fromCharCode(this.range(0x3040, 0x30ff))],
        [1, () => String.fromCodePoint(this.range(0x1f300, 0x1f5ff))],
        [1, () => String.fromCharCode(this.range(0xd800, 0xdfff))],
        [1, () => this.pick(['\ufeff', '\u202e', '\u0000', '\uffff', '\u2028', '"', '\\', '/'])],
      ])();
    }
    return s;
  }
}

/** A seed from the command line or the clock, printed by every run so that it can be replayed. */
export function seedFrom(value: string | undefined): number {
  if (value === undefined) return (Date.now() ^ (process.pid << 16)) >>> 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`a seed is 0 to 4294967295: ${value}`);
  return n;
}
