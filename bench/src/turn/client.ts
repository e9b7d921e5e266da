/**
 * A small TURN client for the load generator, built on @parley/stun: REST credentials, requests with
 * retransmission, Allocate with the 401 → nonce → authenticated retry, CreatePermission, ChannelBind, Refresh.
 */
import { createHash, createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  addAttribute,
  ChannelNumber,
  createMessage,
  type DecodedStunMessage,
  decodeMessage,
  ErrorCodeAttribute,
  encodeMessage,
  getAttribute,
  Lifetime,
  longTermKey,
  MessageClass,
  Method,
  Nonce,
  PasswordAlgorithm,
  Realm,
  RequestedTransport,
  type StunCrypto,
  type StunMessage,
  type TransportAddress,
  TransportProtocol,
  Username,
  XorPeerAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { mintRestCredential } from '@parley/turn';

/** OpenSSL-backed hashes, so the load generator spends its CPU on sending, not on pure-JS SHA-1. */
export const nodeCrypto: StunCrypto = {
  digest(alg, parts) {
    const h = createHash(alg);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
  hmac(alg, key, parts) {
    const h = createHmac(alg, key);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
};

export interface Endpoint {
  host: string;
  port: number;
}

/** TURN REST credentials for `user`, valid for `ttlSec` from now (minted by @parley/turn, as the server does). */
export function restCredentials(
  secret: string,
  user: string,
  ttlSec = 3600,
): { username: string; password: string } {
  return mintRestCredential(secret, user, Math.floor(Date.now() / 1000) + ttlSec);
}

export class TurnError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const RTO_MS = 500;
const TRIES = 4;

function txKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('latin1');
}

/** One client 5-tuple: a UDP socket connected to the server. */
export class TurnClient {
  readonly socket: Socket;
  private readonly pending = new Map<string, (m: DecodedStunMessage) => void>();
  private realm = '';
  private nonce = '';
  private key: Uint8Array | undefined;
  /** Called for each ChannelData datagram that arrives (the relay hot path). */
  onChannelData: (bytes: Buffer) => void = () => {};

  private constructor(
    socket: Socket,
    private readonly creds: { username: string; password: string },
  ) {
    this.socket = socket;
    socket.on('message', (bytes: Buffer) => {
      const first = bytes[0]!;
      if (first >= 0x40 && first <= 0x4f) {
        this.onChannelData(bytes);
        return;
      }
      let msg: DecodedStunMessage;
      try {
        msg = decodeMessage(bytes);
      } catch {
        return;
      }
      const k = txKey(msg.transactionId);
      const w = this.pending.get(k);
      if (w) {
        this.pending.delete(k);
        w(msg);
      }
    });
    socket.on('error', () => {});
  }

  /** A fresh socket on `local` (a loopback address), connected to the server (connected sends skip the address lookup). */
  static async open(
    server: Endpoint,
    creds: { username: string; password: string },
    local = '127.0.0.1',
  ): Promise<TurnClient> {
    // Large buffers so the load side drops nothing when its core is busy (rmem_max caps them).
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, local, () => {
        socket.connect(server.port, server.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    });
    return new TurnClient(socket, creds);
  }

  close(): void {
    this.pending.clear();
    try {
      this.socket.close();
    } catch {}
  }

  /** Sends a request and waits for its response, retransmitting on silence (RFC 8489 §6.2.1, simplified). */
  async transact(msg: StunMessage, authed: boolean): Promise<DecodedStunMessage> {
    if (authed) {
      addAttribute(msg, Username, this.creds.username);
      addAttribute(msg, Realm, this.realm);
      addAttribute(msg, Nonce, this.nonce);
    }
    const bytes = encodeMessage(msg, {
      integrity: authed ? this.key : undefined,
      fingerprint: true,
      crypto: nodeCrypto,
    });
    const k = txKey(msg.transactionId);
    for (let i = 0; i < TRIES; i++) {
      const answer = new Promise<DecodedStunMessage | undefined>((resolve) => {
        const t = setTimeout(() => resolve(undefined), RTO_MS << i);
        this.pending.set(k, (m) => {
          clearTimeout(t);
          resolve(m);
        });
      });
      this.socket.send(bytes);
      const res = await answer;
      if (res) return res;
    }
    this.pending.delete(k);
    throw new TurnError(0, `no answer to method 0x${msg.method.toString(16)} after ${TRIES} tries`);
  }

  /** An authenticated request; a 438 (stale nonce) or 401 with a new nonce is retried once. */
  private async authed(build: () => StunMessage): Promise<DecodedStunMessage> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.transact(build(), true);
      if (res.class === MessageClass.SuccessResponse) return res;
      const err = getAttribute(res, ErrorCodeAttribute);
      const nonce = getAttribute(res, Nonce);
      if (attempt === 0 && (err?.code === 438 || err?.code === 401) && nonce) {
        this.nonce = nonce;
        continue;
      }
      throw new TurnError(err?.code ?? 0, `${err?.code ?? '?'} ${err?.reason ?? ''}`);
    }
  }

  /** RFC 8656 §7.1 Allocate: unauthenticated first, then again with the realm and nonce from the 401. */
  async allocate(): Promise<TransportAddress> {
    const build = () => {
      const m = createMessage(Method.Allocate, MessageClass.Request, newTransactionId());
      addAttribute(m, RequestedTransport, TransportProtocol.UDP);
      return m;
    };
    const first = await this.transact(build(), false);
    if (first.class !== MessageClass.SuccessResponse) {
      const err = getAttribute(first, ErrorCodeAttribute);
      const realm = getAttribute(first, Realm);
      const nonce = getAttribute(first, Nonce);
      if (err?.code !== 401 || !realm || !nonce)
        throw new TurnError(err?.code ?? 0, `Allocate: ${err?.code} ${err?.reason}`);
      if (realm !== this.realm || !this.key) {
        this.key = longTermKey(
          this.creds.username,
          realm,
          this.creds.password,
          PasswordAlgorithm.MD5,
          nodeCrypto,
        );
      }
      this.realm = realm;
      this.nonce = nonce;
    }
    const res = first.class === MessageClass.SuccessResponse ? first : await this.authed(build);
    const relayed = getAttribute(res, XorRelayedAddress);
    if (!relayed) throw new TurnError(0, 'Allocate success without XOR-RELAYED-ADDRESS');
    return relayed;
  }

  async createPermission(peer: TransportAddress): Promise<void> {
    await this.authed(() => {
      const m = createMessage(Method.CreatePermission, MessageClass.Request, newTransactionId());
      addAttribute(m, XorPeerAddress, peer);
      return m;
    });
  }

  async channelBind(channel: number, peer: TransportAddress): Promise<void> {
    await this.authed(() => {
      const m = createMessage(Method.ChannelBind, MessageClass.Request, newTransactionId());
      addAttribute(m, ChannelNumber, channel);
      addAttribute(m, XorPeerAddress, peer);
      return m;
    });
  }

  /** Refresh with LIFETIME 0 deletes the allocation (RFC 8656 §7.3). */
  async refresh(lifetimeSec: number): Promise<void> {
    await this.authed(() => {
      const m = createMessage(Method.Refresh, MessageClass.Request, newTransactionId());
      addAttribute(m, Lifetime, lifetimeSec);
      return m;
    });
  }
}

/** Unique, cheap transaction IDs: 4 random bytes per process plus a counter (no CSPRNG call per request). */
const txPrefix = globalThis.crypto.getRandomValues(new Uint8Array(4));
let txCounter = 0;
export function newTransactionId(): Uint8Array {
  const id = new Uint8Array(12);
  id.set(txPrefix, 0);
  const v = new DataView(id.buffer);
  txCounter = (txCounter + 1) % 2 ** 52;
  v.setUint32(4, Math.floor(txCounter / 2 ** 32));
  v.setUint32(8, txCounter >>> 0);
  return id;
}
