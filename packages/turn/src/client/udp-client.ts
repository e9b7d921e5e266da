// A TURN client over a real UDP socket: `parley doctor`, and the tests, the fuzzers' neighbours and the
// benchmarks' load generator.
import { createSocket, type Socket } from 'node:dgram';
import { type DecodedStunMessage, RequestedTransport, type StunCrypto } from '@parley/stun';
import { type Attr, attr, type Credential, LongTermClient, TurnError } from './messages.js';
import { type RequestOptions, TurnClientBase } from './turn-client.js';

export interface UdpClientOptions {
  /** The address to send from (default the loopback address of the server's family). */
  readonly local?: string;
  /** connect() the socket to the server (connected sends skip the address lookup). Default false. */
  readonly connect?: boolean;
  /** SO_RCVBUF and SO_SNDBUF, in bytes; default the system's. */
  readonly bufferBytes?: number;
  /** First retransmission timeout (RFC 8489 §6.2.1). Default 500 ms. */
  readonly rtoMs?: number;
  /** Transmissions of one request before giving up. Default 6. */
  readonly tries?: number;
  /** Double the timeout after each transmission, as RFC 8489 does; default false (a steady 500 ms). */
  readonly backoff?: boolean;
  /** Hashes to sign with (see nodeCrypto); default the codec's own. */
  readonly crypto?: StunCrypto;
}

/** A TURN client over a real UDP socket: requests matched to answers by transaction id, retransmitted. */
export class UdpTurnClient extends TurnClientBase {
  private constructor(
    readonly socket: Socket,
    credential: Credential,
    readonly server: { host: string; port: number },
    private readonly o: UdpClientOptions,
  ) {
    super(new LongTermClient(credential, true, o.crypto));
    // A copy per datagram, unless a load generator takes ChannelData as it comes.
    socket.on('message', (msg) => this.received(this.onChannelData ? msg : new Uint8Array(msg)));
  }

  /** `local` is the address to send from (default the loopback address of the server's family). */
  static async open(
    server: { host: string; port: number },
    credential: Credential,
    local?: string,
    options: UdpClientOptions = {},
  ): Promise<UdpTurnClient> {
    const v6 = server.host.includes(':');
    const buffers = options.bufferBytes
      ? { recvBufferSize: options.bufferBytes, sendBufferSize: options.bufferBytes }
      : {};
    const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', ...buffers });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, local ?? options.local ?? (v6 ? '::1' : '127.0.0.1'), () => {
        if (!options.connect) {
          socket.off('error', reject);
          resolve();
          return;
        }
        socket.connect(server.port, server.host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    });
    return new UdpTurnClient(socket, credential, server, options);
  }

  send(bytes: Uint8Array): void {
    if (this.o.connect) this.socket.send(bytes);
    else this.socket.send(bytes, this.server.port, this.server.host);
  }

  /** Retransmits every `rtoMs` (doubling with `backoff`) until the answer comes, `tries` times at most. */
  protected async exchange(
    bytes: Uint8Array,
    answer: Promise<DecodedStunMessage>,
    method: number,
    _options: RequestOptions,
  ): Promise<DecodedStunMessage> {
    const tries = this.o.tries ?? 6;
    const rto = this.o.rtoMs ?? 500;
    for (let i = 0; i < tries; i++) {
      this.send(bytes);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const silence = new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), this.o.backoff ? rto << i : rto);
      });
      const got = await Promise.race([answer, silence]);
      clearTimeout(timer);
      if (got) return got;
    }
    throw new TurnError(0, `no answer to method 0x${method.toString(16)} after ${tries} tries`);
  }

  /** Challenge, then authenticated Allocate; returns the success or error response. */
  allocate(attrs: readonly Attr[] = [attr(RequestedTransport, 17)]): Promise<DecodedStunMessage> {
    return this.allocateWith(attrs, 'always');
  }

  close(): Promise<void> {
    return new Promise((r) => {
      try {
        this.socket.close(() => r());
      } catch {
        r(); // already closed
      }
    });
  }
}
