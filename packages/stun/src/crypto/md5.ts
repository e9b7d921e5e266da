import { BlockHash } from './md-hash.js';

// RFC 1321 §3.4: per-round shift amounts and the sine-derived constants T[i] = floor(2^32 * |sin(i + 1)|).
const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const T = new Uint32Array(64);
for (let i = 0; i < 64; i++) T[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000);

/** MD5 (RFC 1321): only for the RFC 8489 §9.2.2 long-term key, which the protocol fixes to MD5. */
export class Md5 extends BlockHash {
  protected readonly littleEndian = true;
  protected readonly h = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  private readonly x = new Uint32Array(16);

  protected compress(block: DataView): void {
    const x = this.x;
    for (let i = 0; i < 16; i++) x[i] = block.getUint32(i * 4, true);
    const h = this.h;
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    for (let i = 0; i < 64; i++) {
      const round = i >> 4;
      let f: number;
      let g: number;
      if (round === 0) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (round === 1) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (round === 2) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const s = S[(round << 2) | (i & 3)]!;
      const sum = (a + f + T[i]! + x[g]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    h[0] = h[0]! + a;
    h[1] = h[1]! + b;
    h[2] = h[2]! + c;
    h[3] = h[3]! + d;
  }
}
