// Building and reading STUN/TURN messages as a long-term-credential client (RFC 8489 §9.2): the part every
// TURN client shares, whatever carries the bytes (the core directly in tests, UDP, TCP, TLS).
import {
  type AttributeCodec,
  addAttribute,
  type ChannelRangeOptions,
  createMessage,
  type DecodedStunMessage,
  decodeMessage,
  ErrorCodeAttribute,
  encodeMessage,
  getAttribute,
  longTermKey,
  type MessageClass,
  Nonce,
  PasswordAlgorithm,
  Realm,
  randomTransactionId,
  type StunCrypto,
  type StunMessage,
  Username,
  verifyMessageIntegrity,
} from '@parley/stun';

export interface Credential {
  username: string;
  password: string;
}

/** One attribute to add: a codec and its value (kept generic per entry). */
export type Attr = readonly [AttributeCodec<never>, unknown];

export function attr<T>(codec: AttributeCodec<T>, value: T): Attr {
  return [codec as unknown as AttributeCodec<never>, value];
}

/** The ERROR-CODE of a response, or undefined for a success. */
export function errorCode(msg: DecodedStunMessage): number | undefined {
  return getAttribute(msg, ErrorCodeAttribute)?.code;
}

/** A response that is not a success, as an exception: `code` 0 when there was no answer at all. */
export class TurnError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The server's channel range: RFC 5766's 0x4000–0x7FFF (see CHANNELS in @parley/turn's channel-data.ts). */
export const CHANNELS: ChannelRangeOptions = Object.freeze({ legacyRange: true });

/** Hex of the transaction id of STUN bytes (bytes 8–19), to match answers to requests. */
export function transactionIdOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + 8, 12).toString('hex');
}

/** What signs a request: who, where, the server's nonce and the long-term key. */
export interface Signature {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly key: Uint8Array;
}

/** Encodes `msg` with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY added (and FINGERPRINT when asked). */
export function signMessage(
  msg: StunMessage,
  s: Signature,
  options: { fingerprint: boolean; crypto?: StunCrypto },
): Uint8Array {
  const signed = createMessage(msg.method, msg.class, msg.transactionId, [...msg.attributes]);
  addAttribute(signed, Username, s.username);
  addAttribute(signed, Realm, s.realm);
  addAttribute(signed, Nonce, s.nonce);
  return encodeMessage(signed, {
    integrity: s.key,
    fingerprint: options.fingerprint,
    crypto: options.crypto,
  });
}

/**
 * A long-term-credential client without a transport: builds requests (signed once a realm and nonce are
 * known), reads answers (remembering REALM and NONCE from 401/438 challenges), verifies their integrity.
 */
export class LongTermClient {
  realm = '';
  nonce = '';
  private cachedKey: { of: string; key: Uint8Array } | undefined;

  constructor(
    public credential: Credential,
    public fingerprint = true,
    /** Hashes to sign with; the codec's own (pure TypeScript) by default. */
    readonly crypto?: StunCrypto,
  ) {}

  /** The long-term key of the credential in the current realm (derived again only when either changes). */
  get key(): Uint8Array {
    const of = `${this.credential.username}\n${this.realm}\n${this.credential.password}`;
    if (this.cachedKey?.of !== of) {
      const { username, password } = this.credential;
      this.cachedKey = {
        of,
        key: longTermKey(username, this.realm, password, PasswordAlgorithm.MD5, this.crypto),
      };
    }
    return this.cachedKey.key;
  }

  /** Builds a message; signed with the long-term key once a realm and nonce are known (or `auth` forces). */
  build(
    method: number,
    cls: MessageClass,
    attrs: readonly Attr[] = [],
    options: { auth?: boolean; transactionId?: Uint8Array } = {},
  ): Uint8Array {
    const msg: StunMessage = createMessage(method, cls, options.transactionId ?? randomTransactionId());
    for (const [codec, value] of attrs) addAttribute(msg, codec, value as never);
    const auth = options.auth ?? this.nonce !== '';
    if (!auth) return encodeMessage(msg, { fingerprint: this.fingerprint, crypto: this.crypto });
    const signature = {
      username: this.credential.username,
      realm: this.realm,
      nonce: this.nonce,
      key: this.key,
    };
    return signMessage(msg, signature, { fingerprint: this.fingerprint, crypto: this.crypto });
  }

  /** Reads an answer; remembers REALM and NONCE from 401/438 challenges. */
  read(bytes: Uint8Array): DecodedStunMessage {
    const msg = decodeMessage(bytes);
    const realm = getAttribute(msg, Realm);
    const nonce = getAttribute(msg, Nonce);
    if (realm !== undefined) this.realm = realm;
    if (nonce !== undefined) this.nonce = nonce;
    return msg;
  }

  verifies(msg: DecodedStunMessage): boolean {
    return verifyMessageIntegrity(msg, this.key);
  }
}
