import { createHmac, timingSafeEqual } from 'node:crypto';
import { longTermKey, PasswordAlgorithm } from '@parley/stun';
import { nodeCrypto } from './node-crypto.js';
import { restExpiry, restPassword } from './rest-credentials.js';

/**
 * Long-term credentials (RFC 8489 §9.2) for TURN: static users, and TURN REST credentials
 * (rest-credentials.ts). Several secrets are accepted at once so a secret can be rotated without cutting
 * off credentials minted under the old one.
 */

export interface CredentialOptions {
  readonly realm: string;
  /** TURN REST shared secrets; any of them may have minted a credential. */
  readonly secrets?: readonly string[];
  /** Static long-term users: username → password. */
  readonly users?: Readonly<Record<string, string>>;
  /** Separator between expiry and user in REST usernames (coturn's `-C`). Default ':'. */
  readonly restSeparator?: string;
  /** Usernames whose derived keys are kept (least recently used dropped first). Default 10,000. */
  readonly maxCachedKeys?: number;
}

/** Why a username has no usable key. */
export type CredentialFailure = 'unknown-user' | 'expired';

export type KeyLookup =
  | { readonly ok: true; readonly keys: readonly Uint8Array[] }
  | { readonly ok: false; readonly reason: CredentialFailure };

/** RFC 8489 §9.2.2 long-term key (MD5), from the codec's one definition, hashed by OpenSSL. */
function md5Key(username: string, realm: string, password: string): Uint8Array {
  return longTermKey(username, realm, password, PasswordAlgorithm.MD5, nodeCrypto);
}

/**
 * A bounded map that forgets roughly the least recently used entries: two generations of at most `max / 2`
 * entries each; when the young one fills up, the old one is dropped whole and the young one takes its place,
 * and a hit in the old one moves the entry back to the young. Every operation is O(1): a Map kept in LRU
 * order by deleting from its front gets slow, as V8 skips the deleted slots on every `keys().next()`.
 * For caches whose misses are only slower, never wrong, and for bounded bookkeeping like rate limits.
 */
export class LruMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  constructor(max: number) {
    this.half = Math.max(0, Math.floor(max / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const aged = this.old.get(key);
    if (aged === undefined) return undefined;
    this.old.delete(key);
    this.insert(key, aged);
    return aged;
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) {
      this.young.set(key, value);
      return;
    }
    this.old.delete(key);
    this.insert(key, value);
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  private insert(key: K, value: V): void {
    if (this.half === 0) return;
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

interface CachedKeys {
  readonly lookup: KeyLookup & { ok: true };
  /** Wall-clock ms from which the credential is expired (Infinity for static users). */
  readonly expiresAt: number;
}

/**
 * Resolves usernames to candidate long-term keys. Static users win over REST-looking names; a REST name
 * yields one key per secret, and the caller accepts the message if any of them verifies it. A key depends
 * only on the username (realm, secrets and passwords are fixed), so it is derived once and cached until the
 * credential expires: every authenticated request would otherwise pay an HMAC-SHA1 and an MD5 per secret.
 */
export class Credentials {
  readonly realm: string;
  private readonly secrets: readonly string[];
  private readonly users: ReadonlyMap<string, string>;
  private readonly separator: string;
  private readonly cache: LruMap<string, CachedKeys>;

  constructor(options: CredentialOptions) {
    this.realm = options.realm;
    this.secrets = options.secrets ?? [];
    this.users = new Map(Object.entries(options.users ?? {}));
    this.separator = options.restSeparator ?? ':';
    this.cache = new LruMap(options.maxCachedKeys ?? 10_000);
    if (this.secrets.length === 0 && this.users.size === 0) {
      throw new TypeError(
        'TURN needs at least one REST secret or static user: unauthenticated relay is refused',
      );
    }
  }

  /** Candidate keys for `username` at wall-clock time `nowMs`. */
  keysFor(username: string, nowMs: number): KeyLookup {
    const hit = this.cache.get(username);
    if (hit) {
      if (hit.expiresAt > nowMs) return hit.lookup;
      this.cache.delete(username);
      return { ok: false, reason: 'expired' };
    }
    const password = this.users.get(username);
    if (password !== undefined) {
      return this.remember(username, [md5Key(username, this.realm, password)], Infinity);
    }
    if (this.secrets.length === 0) return { ok: false, reason: 'unknown-user' };
    const expiry = restExpiry(username, this.separator);
    if (expiry === undefined) return { ok: false, reason: 'unknown-user' };
    if (expiry * 1000 <= nowMs) return { ok: false, reason: 'expired' };
    const keys = this.secrets.map((s) => md5Key(username, this.realm, restPassword(s, username)));
    return this.remember(username, keys, expiry * 1000);
  }

  private remember(username: string, keys: readonly Uint8Array[], expiresAt: number): KeyLookup {
    const lookup = { ok: true, keys } as const;
    this.cache.set(username, { lookup, expiresAt });
    return lookup;
  }
}

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

export interface RateLimitOptions {
  /** Tokens a source starts with and can save up. Default 20. */
  readonly burst?: number;
  /** Tokens added per second. Default 5. */
  readonly perSecond?: number;
  /** Sources tracked at once; the least recently seen is forgotten beyond this. Default 65536. */
  readonly maxSources?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Per-source token bucket for 401 responses: a 401 carries a fresh nonce and realm, so unlimited 401s make the
 * server a reflector and let a guesser try passwords at line rate. Past the limit the request is dropped.
 */
export class SourceRateLimiter {
  private readonly burst: number;
  private readonly perMs: number;
  private readonly buckets: LruMap<string, Bucket>;

  constructor(options: RateLimitOptions = {}) {
    this.burst = options.burst ?? 20;
    this.perMs = (options.perSecond ?? 5) / 1000;
    this.buckets = new LruMap(options.maxSources ?? 65_536);
  }

  /** Takes one token for `source` at `nowMs`; false when the source has none left. */
  take(source: string, nowMs: number): boolean {
    let b = this.buckets.get(source);
    if (b) {
      b.tokens = Math.min(this.burst, b.tokens + (nowMs - b.at) * this.perMs);
      b.at = nowMs;
    } else {
      b = { tokens: this.burst, at: nowMs };
      this.buckets.set(source, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get trackedSources(): number {
    return this.buckets.size;
  }
}
