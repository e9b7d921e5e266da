import { LruMap } from '@parley/limits';
import { longTermKey, PasswordAlgorithm } from '@parley/stun';
import { nodeCrypto } from '../node-crypto.js';
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
