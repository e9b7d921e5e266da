import { createHmac, timingSafeEqual } from 'node:crypto';
import { LruMap } from '@parley/limits';

export interface NonceOptions {
  /** Key for the nonce MAC; random per process if absent (nonces then die with a restart: clients retry). */
  readonly key: Uint8Array;
  /** How long a nonce stays fresh. Default 600 s. */
  readonly lifetimeMs?: number;
  /** Issued or verified (nonce, client IP) pairs remembered, so most checks need no MAC. Default 10,000. */
  readonly maxRemembered?: number;
}

export type NonceCheck = 'ok' | 'stale' | 'invalid';

const NONCE_MAC_BYTES = 12;

/**
 * Stateless nonces (RFC 8489 §9.2.1 leaves their form to the server): hex(expiry ms) "-" base64url(MAC), the
 * MAC over the expiry and the client's IP. A forged or foreign nonce is invalid (401); an honest one past its
 * expiry is stale (438), telling the client to retry with the fresh nonce in the response.
 */
export class Nonces {
  private readonly key: Uint8Array;
  readonly lifetimeMs: number;
  /**
   * `${nonce}|${clientIp}` → expiry ms, for nonces this process issued or verified. A hit is exactly what
   * recomputing the MAC would conclude; a miss (evicted, or issued before a restart) recomputes it.
   */
  private readonly known: LruMap<string, number>;

  constructor(options: NonceOptions) {
    if (options.key.length < 16) throw new TypeError('nonce key needs at least 16 bytes');
    this.key = options.key;
    this.lifetimeMs = options.lifetimeMs ?? 600_000;
    this.known = new LruMap(options.maxRemembered ?? 10_000);
  }

  private mac(expiryHex: string, clientIp: string): string {
    return createHmac('sha256', this.key)
      .update(`${expiryHex}|${clientIp}`)
      .digest()
      .subarray(0, NONCE_MAC_BYTES)
      .toString('base64url');
  }

  /** A fresh nonce for a client at `clientIp`. */
  issue(clientIp: string, nowMs: number): string {
    const expiry = Math.floor(nowMs + this.lifetimeMs);
    const expiryHex = expiry.toString(16);
    const nonce = `${expiryHex}-${this.mac(expiryHex, clientIp)}`;
    this.known.set(`${nonce}|${clientIp}`, expiry);
    return nonce;
  }

  check(nonce: string, clientIp: string, nowMs: number): NonceCheck {
    const memo = `${nonce}|${clientIp}`;
    let expiry = this.known.get(memo);
    if (expiry === undefined) {
      const dash = nonce.indexOf('-');
      if (dash < 1 || dash > 13) return 'invalid';
      const expiryHex = nonce.slice(0, dash);
      if (!/^[0-9a-f]+$/.test(expiryHex)) return 'invalid';
      const given = Buffer.from(nonce.slice(dash + 1), 'utf8');
      const want = Buffer.from(this.mac(expiryHex, clientIp), 'utf8');
      if (given.length !== want.length || !timingSafeEqual(given, want)) return 'invalid';
      expiry = Number.parseInt(expiryHex, 16);
      this.known.set(memo, expiry);
    }
    return expiry <= nowMs ? 'stale' : 'ok';
  }
}
