// What the UDP and the stream (TCP/TLS) TURN clients share: requests matched to answers by transaction
// id, the long-term-credential dance (401 → realm and nonce → signed request, a 438 or 401 with a fresh
// nonce retried once), and Allocate, CreatePermission, ChannelBind, Refresh and Send built on it.
import {
  ChannelNumber,
  Data,
  type DecodedStunMessage,
  getAttribute,
  Lifetime,
  MessageClass,
  Method,
  Nonce,
  RequestedTransport,
  type TransportAddress,
  XorPeerAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { type Attr, attr, errorCode, type LongTermClient, TurnError, transactionIdOf } from './messages.js';

export interface RequestOptions {
  /** Sign the request (default: once a nonce is known). */
  readonly auth?: boolean;
  readonly cls?: MessageClass;
  /** Stream clients: how long to wait for the answer (default 3000 ms). */
  readonly ms?: number;
}

export abstract class TurnClientBase {
  /** Requests waiting for their answer, by transaction id. */
  private readonly waiting = new Map<string, (m: DecodedStunMessage) => void>();
  /** Everything that is not an answer (indications, ChannelData), unless a handler below takes it. */
  readonly other: Uint8Array[] = [];
  /** Takes every ChannelData message that arrives instead of `other` (a load generator's hot path). */
  onChannelData: ((bytes: Uint8Array) => void) | undefined;

  protected constructor(readonly stun: LongTermClient) {}

  /** Sends raw bytes to the server. */
  abstract send(bytes: Uint8Array): void;

  /** Sends `bytes` and waits for the answer registered under `id` (how depends on the transport). */
  protected abstract exchange(
    bytes: Uint8Array,
    answer: Promise<DecodedStunMessage>,
    method: number,
    options: RequestOptions,
  ): Promise<DecodedStunMessage>;

  /** Hands one received STUN message or ChannelData frame to whoever waits for it. */
  protected received(bytes: Uint8Array): void {
    if (bytes[0]! <= 3 && bytes.length >= 20) {
      const done = this.waiting.get(transactionIdOf(bytes));
      if (done) {
        this.waiting.delete(transactionIdOf(bytes));
        done(this.stun.read(bytes));
        return;
      }
    } else if (this.onChannelData && bytes[0]! >= 0x40 && bytes[0]! <= 0x7f) {
      this.onChannelData(bytes);
      return;
    }
    this.other.push(bytes);
  }

  /** Hands one ChannelData payload a stream framer cut to whoever takes ChannelData. */
  protected receivedChannelData(data: Uint8Array): void {
    if (this.onChannelData) this.onChannelData(data);
    else this.other.push(data);
  }

  /** Sends a request and waits for its answer. */
  async request(method: number, attrs: readonly Attr[] = [], options: RequestOptions = {}) {
    const bytes = this.stun.build(method, options.cls ?? MessageClass.Request, attrs, { auth: options.auth });
    const id = transactionIdOf(bytes);
    const answer = new Promise<DecodedStunMessage>((resolve) => this.waiting.set(id, resolve));
    try {
      return await this.exchange(bytes, answer, method, options);
    } finally {
      this.waiting.delete(id);
    }
  }

  /** Sends an indication (no answer expected). */
  indicate(method: number, attrs: readonly Attr[]): void {
    this.send(this.stun.build(method, MessageClass.Indication, attrs, { auth: false }));
  }

  /** Challenge (unless `challenge` is 'when-needed' and a nonce is known), then authenticated Allocate. */
  protected async allocateWith(
    attrs: readonly Attr[],
    challenge: 'always' | 'when-needed',
  ): Promise<DecodedStunMessage> {
    if (challenge === 'always' || !this.stun.nonce) {
      const first = await this.request(Method.Allocate, attrs, { auth: false });
      if (errorCode(first) !== 401) throw new Error(`expected a 401 challenge, got ${errorCode(first)}`);
    }
    return this.request(Method.Allocate, attrs);
  }

  /** A signed request that must succeed: a 438 or 401 carrying a fresh nonce is retried once. */
  async authed(method: number, attrs: readonly Attr[] = []): Promise<DecodedStunMessage> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.request(method, attrs, { auth: true });
      if (res.class === MessageClass.SuccessResponse) return res;
      const code = errorCode(res);
      // read() has remembered the answer's fresh NONCE.
      if (attempt === 0 && (code === 438 || code === 401) && getAttribute(res, Nonce) !== undefined) continue;
      throw new TurnError(code ?? 0, `method 0x${method.toString(16)}: ${code ?? '?'}`);
    }
  }

  /** Allocates a UDP relay and returns its relayed address; any refusal is a TurnError. */
  async allocateRelay(): Promise<TransportAddress> {
    const attrs = [attr(RequestedTransport, 17)];
    const first = await this.request(Method.Allocate, attrs, { auth: false });
    const code = errorCode(first);
    if (code !== undefined && (code !== 401 || !this.stun.nonce))
      throw new TurnError(code, `Allocate: ${code}`);
    const res = code === undefined ? first : await this.authed(Method.Allocate, attrs);
    const relayed = getAttribute(res, XorRelayedAddress);
    if (!relayed) throw new TurnError(0, 'Allocate success without XOR-RELAYED-ADDRESS');
    return relayed;
  }

  async createPermission(peer: TransportAddress): Promise<void> {
    await this.authed(Method.CreatePermission, [attr(XorPeerAddress, peer)]);
  }

  async channelBind(channel: number, peer: TransportAddress): Promise<void> {
    await this.authed(Method.ChannelBind, [attr(ChannelNumber, channel), attr(XorPeerAddress, peer)]);
  }

  /** Refresh; LIFETIME 0 deletes the allocation (RFC 8656 §7.3). */
  async refresh(lifetimeSec: number): Promise<void> {
    await this.authed(Method.Refresh, [attr(Lifetime, lifetimeSec)]);
  }

  /** A Send indication of `data` to `peer` (RFC 8656 §11.2). */
  sendTo(peer: TransportAddress, data: Uint8Array): void {
    this.indicate(Method.Send, [attr(XorPeerAddress, peer), attr(Data, data)]);
  }
}
