/** An incremental hash: feed bytes with `update`, finish once with `digest`. */
export interface Hash {
  update(data: Uint8Array): this;
  digest(): Uint8Array;
}

/**
 * Shared Merkle–Damgård plumbing for MD5, SHA-1 and SHA-256 (all three use 64-byte blocks and a
 * 64-bit message length in the last block). Subclasses supply the compression function and byte order.
 */
export abstract class BlockHash implements Hash {
  private readonly block = new Uint8Array(64);
  private readonly blockView = new DataView(this.block.buffer);
  private filled = 0;
  private total = 0;
  private done = false;

  protected abstract readonly littleEndian: boolean;
  /** The chaining state; the digest is these words in the hash's byte order. */
  protected abstract readonly h: Uint32Array;
  protected abstract compress(block: DataView): void;

  private output(): Uint8Array {
    const out = new Uint8Array(this.h.length * 4);
    const v = new DataView(out.buffer);
    for (let i = 0; i < this.h.length; i++) v.setUint32(i * 4, this.h[i]!, this.littleEndian);
    return out;
  }

  update(data: Uint8Array): this {
    if (this.done) throw new Error('hash already finished');
    this.total += data.length;
    let at = 0;
    while (at < data.length) {
      const take = Math.min(64 - this.filled, data.length - at);
      this.block.set(data.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === 64) {
        this.compress(this.blockView);
        this.filled = 0;
      }
    }
    return this;
  }

  digest(): Uint8Array {
    if (this.done) throw new Error('hash already finished');
    this.done = true;
    const bits = this.total * 8;
    this.block[this.filled++] = 0x80;
    if (this.filled > 56) {
      this.block.fill(0, this.filled);
      this.compress(this.blockView);
      this.filled = 0;
    }
    this.block.fill(0, this.filled, 56);
    // Lengths up to 2^53 bits: split into two 32-bit words without bit operators (they truncate to 32 bits).
    const high = Math.floor(bits / 0x100000000);
    const low = bits >>> 0;
    if (this.littleEndian) {
      this.blockView.setUint32(56, low, true);
      this.blockView.setUint32(60, high, true);
    } else {
      this.blockView.setUint32(56, high, false);
      this.blockView.setUint32(60, low, false);
    }
    this.compress(this.blockView);
    return this.output();
  }
}
