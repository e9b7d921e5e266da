// A minimal long-term-credential STUN/TURN client for tests: builds requests, signs them, reads answers.
import {
  type AttributeCodec,
  addAttribute,
  createMessage,
  type DecodedStunMessage,
  decodeMessage,
  ErrorCodeAttribute,
  encodeMessage,
  getAttribute,
  longTermKey,
  type MessageClass,
  Nonce,
  Realm,
  randomTransactionId,
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

export class TestClient {
  realm = '';
  nonce = '';
  constructor(
    public credential: Credential,
    public fingerprint = true,
  ) {}

  get key(): Uint8Array {
    return longTermKey(this.credential.username, this.realm, this.credential.password);
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
    if (auth) {
      addAttribute(msg, Username, this.credential.username);
      addAttribute(msg, Realm, this.realm);
      addAttribute(msg, Nonce, this.nonce);
    }
    return encodeMessage(msg, { integrity: auth ? this.key : undefined, fingerprint: this.fingerprint });
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

/** The ERROR-CODE of a response, or undefined for a success. */
export function errorCode(msg: DecodedStunMessage): number | undefined {
  return getAttribute(msg, ErrorCodeAttribute)?.code;
}
