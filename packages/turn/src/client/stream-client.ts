// A TURN client over a real TCP (or TLS) connection: requests matched to answers by transaction id, every
// other frame kept. `parley doctor` uses it, and tests drive a server with it as a hostile or ordinary client.
import { connect, type Socket } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type DecodedStunMessage, RequestedTransport, StunStreamFramer } from '@parley/stun';
import { type Attr, attr, CHANNELS, type Credential, LongTermClient } from './messages.js';
import { type RequestOptions, TurnClientBase } from './turn-client.js';

export class StreamTurnClient extends TurnClientBase {
  private readonly framer = new StunStreamFramer(CHANNELS);
  /** Resolves when the connection closes (either side). */
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(
    readonly socket: Socket,
    credential: Credential,
  ) {
    super(new LongTermClient(credential));
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
        if (f.kind === 'stun') this.received(f.bytes.slice());
        else this.receivedChannelData(f.data.slice());
      }
    });
  }

  /**
   * Connects to `server` from `local` (default 127.0.0.1); resolves once connected (with `tls`, once the
   * handshake is done; the server's certificate is not checked unless `tlsOptions` ask for it).
   */
  static async open(
    server: { host: string; port: number },
    credential: Credential,
    local = '127.0.0.1',
    options: { tls?: boolean; tlsOptions?: ConnectionOptions } = {},
  ): Promise<StreamTurnClient> {
    const raw = connect({ host: server.host, port: server.port, localAddress: local });
    const socket = options.tls
      ? tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'localhost', ...options.tlsOptions })
      : raw;
    if (socket !== raw) raw.on('error', () => {});
    const client = new StreamTurnClient(socket, credential);
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** The server's certificate chain when over TLS. */
  get tlsSocket(): TLSSocket | undefined {
    return 'getPeerCertificate' in this.socket ? (this.socket as TLSSocket) : undefined;
  }

  get open(): boolean {
    return !this.isClosed;
  }

  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** No retransmission on a stream: rejects after `ms` (default 3000) or when the connection closes. */
  protected async exchange(
    bytes: Uint8Array,
    answer: Promise<DecodedStunMessage>,
    method: number,
    options: RequestOptions,
  ): Promise<DecodedStunMessage> {
    this.send(bytes);
    let timer: ReturnType<typeof setTimeout> | undefined;
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
    }
  }

  /** Challenge (the first time), then authenticated Allocate (UDP relay unless `attrs` says otherwise). */
  allocate(attrs: readonly Attr[] = [attr(RequestedTransport, 17)]): Promise<DecodedStunMessage> {
    return this.allocateWith(attrs, 'when-needed');
  }

  close(): void {
    this.socket.destroy();
  }
}
