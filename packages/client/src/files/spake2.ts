/**
 * SPAKE2 as RFC 9382 defines it, with its ciphersuite P256-SHA256-HKDF-HMAC: the group P-256 from
 * @noble/curves, the RFC's fixed points M and N, the transcript TT, Ke || Ka = SHA-256(TT),
 * KcA || KcB = HKDF-SHA256(salt nil, Ka, "ConfirmationKeys" || AAD, 32) and the confirmations
 * cA = HMAC-SHA256(KcA, TT), cB = HMAC-SHA256(KcB, TT). Checked against every P-256 test vector of the RFC's
 * Appendix B (spake2.test.ts). Nothing here is new cryptography: this file only spells the RFC out.
 *
 * The password becomes the scalar w through scrypt (the RFC recommends a memory-hard function), reduced
 * modulo the group order from 64 bits more than the order's size, so the bias is negligible.
 */
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

type Point = InstanceType<typeof p256.Point>;

const G = p256.Point.BASE;
/** The group order p of RFC 9382 (n of P-256). */
const ORDER = p256.Point.Fn.ORDER;

/** RFC 9382 section 6, P-256: M and N (compressed SEC1), points of unknown discrete logarithm. */
export const SPAKE2_M = p256.Point.fromHex(
  '02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f',
);
export const SPAKE2_N = p256.Point.fromHex(
  '03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49',
);

/** scrypt's cost for the password: 16 MiB and 0.2–0.3 s here (Node, a loaded machine), each side, once per attempt. */
export const SCRYPT = { N: 2 ** 14, r: 8, p: 1 } as const;

export type Spake2Role = 'A' | 'B';

export interface Spake2Context {
  /** The identities of A and B (RFC 9382: may be empty; both sides must use the same). */
  idA?: Uint8Array;
  idB?: Uint8Array;
  /** Additional authenticated data, bound into the confirmation keys (both sides must see the same). */
  aad?: Uint8Array;
}

/** What both sides derive once they have the other's share. */
export interface Spake2Keys {
  /** The transcript TT. */
  readonly tt: Uint8Array;
  /** The shared element K, uncompressed. */
  readonly k: Uint8Array;
  /** The shared key Ke (16 bytes), and Ka, KcA, KcB (16 bytes each). */
  readonly ke: Uint8Array;
  readonly ka: Uint8Array;
  readonly kcA: Uint8Array;
  readonly kcB: Uint8Array;
  /** cA = MAC(KcA, TT) and cB = MAC(KcB, TT). */
  readonly cA: Uint8Array;
  readonly cB: Uint8Array;
  /** This side's confirmation, to send; the peer's, as it must arrive. */
  readonly mine: Uint8Array;
  readonly theirs: Uint8Array;
}

/** w from a password: scrypt (N 2^14, r 8, p 1) of the password under `salt`, 48 bytes reduced mod p. */
export async function passwordScalar(password: string, salt: string): Promise<bigint> {
  const out = await scryptAsync(utf8ToBytes(password), utf8ToBytes(salt), { ...SCRYPT, dkLen: 48 });
  const w = BigInt(`0x${bytesToHex(out)}`) % ORDER;
  if (w === 0n) throw new Error('spake2: the password scalar is zero');
  return w;
}

/** A uniform scalar in [1, p). */
function randomScalar(): bigint {
  const bytes = new Uint8Array(48);
  crypto.getRandomValues(bytes);
  return (BigInt(`0x${bytesToHex(bytes)}`) % (ORDER - 1n)) + 1n;
}

/** 8-byte little-endian length, then the bytes (RFC 9382 section 4). */
function withLength(bytes: Uint8Array): Uint8Array {
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(bytes.byteLength), true);
  return concatBytes(len, bytes);
}

function scalarBytes(s: bigint): Uint8Array {
  return hexToBytes(s.toString(16).padStart(64, '0'));
}

/** One side of a SPAKE2 exchange. */
export class Spake2 {
  readonly role: Spake2Role;
  /** This side's share (pA or pB), uncompressed SEC1, 65 bytes: send it to the other side. */
  readonly message: Uint8Array;
  readonly #w: bigint;
  readonly #scalar: bigint;

  /** `scalar`: the ephemeral x (A) or y (B); tests only, to replay the RFC's vectors. Default random. */
  constructor(role: Spake2Role, w: bigint, scalar: bigint = randomScalar()) {
    if (w <= 0n || w >= ORDER) throw new Error('spake2: w out of range');
    this.role = role;
    this.#w = w;
    this.#scalar = scalar;
    if (this.#scalar <= 0n || this.#scalar >= ORDER) throw new Error('spake2: scalar out of range');
    const mask = role === 'A' ? SPAKE2_M : SPAKE2_N;
    this.message = G.multiply(this.#scalar).add(mask.multiply(w)).toBytes(false);
  }

  /**
   * Takes the other side's share and derives the keys. Throws on a share that is not an uncompressed
   * point of P-256, is the identity, or yields the identity as K (RFC 9382 section 3.3: abort).
   * `context`: the identities and the AAD, which both sides must give alike.
   */
  finish(peerMessage: Uint8Array, context: Spake2Context = {}): Spake2Keys {
    if (peerMessage.byteLength !== 65 || peerMessage[0] !== 4)
      throw new Error('spake2: the peer share is not an uncompressed P-256 point');
    let peer: Point;
    try {
      peer = p256.Point.fromBytes(peerMessage);
      peer.assertValidity();
    } catch {
      throw new Error('spake2: the peer share is not a point of P-256');
    }
    if (peer.is0()) throw new Error('spake2: the peer share is the identity');
    const isA = this.role === 'A';
    const unmask = isA ? SPAKE2_N : SPAKE2_M;
    // The cofactor h of P-256 is 1.
    const kPoint = peer.subtract(unmask.multiply(this.#w));
    if (kPoint.is0()) throw new Error('spake2: the peer share cancels the mask');
    const shared = kPoint.multiply(this.#scalar);
    if (shared.is0()) throw new Error('spake2: K is the identity');
    const k = shared.toBytes(false);
    const pA = isA ? this.message : peerMessage;
    const pB = isA ? peerMessage : this.message;
    const tt = concatBytes(
      withLength(context.idA ?? new Uint8Array(0)),
      withLength(context.idB ?? new Uint8Array(0)),
      withLength(pA),
      withLength(pB),
      withLength(k),
      withLength(scalarBytes(this.#w)),
    );
    const digest = sha256(tt);
    const ke = digest.slice(0, 16);
    const ka = digest.slice(16, 32);
    const info = concatBytes(utf8ToBytes('ConfirmationKeys'), context.aad ?? new Uint8Array(0));
    const kc = hkdf(sha256, ka, undefined, info, 32);
    const kcA = kc.slice(0, 16);
    const kcB = kc.slice(16, 32);
    const cA = hmac(sha256, kcA, tt);
    const cB = hmac(sha256, kcB, tt);
    return { tt, k, ke, ka, kcA, kcB, cA, cB, mine: isA ? cA : cB, theirs: isA ? cB : cA };
  }
}

/** Compares two byte strings in time that depends on their length only. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
