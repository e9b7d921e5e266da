// A TURN client over a real TCP (or TLS) connection, for tests that drive a server as a hostile or
// ordinary client would: requests matched to answers by transaction id, every other frame kept.
import { connect, type Socket } from 'node:net';
import {
  type DecodedStunMessage,
  MessageClass as MC,
  type MessageClass,
  Method,
  RequestedTransport,
  StunStreamFramer,
} from '@parley/stun';
import { CHANNELS } from '../src/core/channel-data.js';
import { type Attr, attr, type Credential, errorCode, TestClient } from './stun-client.js';

export class StreamTurnClient {
  readonly stun: TestClient;
  private readonly waiting = new Map<string, (m: DecodedStunMessage) => void>();
  private readonly framer = new StunStreamFramer(CHANNELS);
  /** Everything that is not an answer (indications, ChannelData), as frames' bytes. */
  readonly other: Uint8Array[] = [];
  /** Resolves when the connection closes (either side). */
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(
    readonly socket: Socket,
    credential: Credential,
  ) {
    this.stun = new TestClient(credential);
    socket.on('error', () => {});
    this.closed = new Promise((r) =>
      socket.once('close', () => {
        this.isClosed = true;
        r();
      }),
    );
    socket.on('data', (chunk: Buffer) => {
      let frames: ReturnType<StunStreamFramer['push']>;
      try {
        frames = this.framer.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (f.kind !== 'stun') {
          this.other.push(f.data.slice());
          continue;
        }
        const id = Buffer.from(f.bytes.subarray(8, 20)).toString('hex');
        const done = this.waiting.get(id);
        if (done) {
          this.waiting.delete(id);
          done(this.stun.read(f.bytes.slice()));
        } else this.other.push(f.bytes.slice());
      }
    });
  }

  /** Connects to `server` from `local` (default 127.0.0.1); resolves once connected. */
  static async open(
    server: { host: string; port: number },
    credential: Credential,
    local = '127.0.0.1',
  ): Promise<StreamTurnClient> {
    const socket = connect({ host: server.host, port: server.port, localAddress: local });
    const client = new StreamTurnClient(socket, credential);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  get open(): boolean {
    return !this.isClosed;
  }

  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Sends a request and waits for its answer (TCP: no retransmission); rejects after `ms` or on close. */
  async request(
    method: number,
    attrs: readonly Attr[] = [],
    options: { auth?: boolean; cls?: MessageClass; ms?: number } = {},
  ): Promise<DecodedStunMessage> {
    const bytes = this.stun.build(method, options.cls ?? MC.Request, attrs, { auth: options.auth });
    const id = Buffer.from(bytes.subarray(8, 20)).toString('hex');
    const answer = new Promise<DecodedStunMessage>((resolve) => this.waiting.set(id, resolve));
    this.send(bytes);
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer to method 0x${method.toString(16)}`)),
        options.ms ?? 3000,
      );
      void this.closed.then(() =>
        reject(new Error(`connection closed before the answer to 0x${method.toString(16)}`)),
      );
    });
    try {
      return await Promise.race([answer, failed]);
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  /** Challenge, then authenticated Allocate (UDP relay unless `attrs` says otherwise). */
  async allocate(attrs: readonly Attr[] = [attr(RequestedTransport, 17)]): Promise<DecodedStunMessage> {
    if (!this.stun.nonce) {
      const challenge = await this.request(Method.Allocate, attrs, { auth: false });
      if (errorCode(challenge) !== 401)
        throw new Error(`expected a 401 challenge, got ${errorCode(challenge)}`);
    }
    return this.request(Method.Allocate, attrs);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Resolves true if `socket` closes within `ms`, false if it is still open then. */
export function closesWithin(closed: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

/** The TURN TCP port from `parley serve`'s banner ("stun/turn  udp 3478, tcp 3478"). */
export function tcpTurnPort(banner: string): number {
  const m = /stun\/turn\s+udp [\d,]+, tcp (\d+)/.exec(banner);
  if (!m) throw new Error(`no TURN TCP port in:\n${banner}`);
  return Number(m[1]);
}
