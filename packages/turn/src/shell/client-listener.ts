import type { Socket as TcpSocket } from 'node:net';
import type { ClientAddress, ClientTransport } from '../core/types.js';

/** A PEM certificate (chain allowed) and its key, for TURN over TLS. */
export interface TlsPair {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** What a listener reports upwards: messages and frames from clients, and closed stream connections. */
export interface ListenerHandlers {
  message(bytes: Uint8Array, client: ClientAddress): void;
  channelFrame(channel: number, data: Uint8Array, client: ClientAddress): void;
  closed(client: ClientAddress): void;
  /** Whether the stream connection `client` holds an allocation or is an RFC 6062 data connection. */
  holdsAllocation(client: ClientAddress): boolean;
}

export interface ClientListener {
  readonly index: number;
  readonly transport: ClientTransport;
  readonly host: string;
  readonly port: number;
  /** The native engine's socket id of a UDP listener the addon owns. */
  readonly nativeId?: number | undefined;
  send(client: ClientAddress, data: Uint8Array): void;
  /**
   * Takes a stream connection away from STUN framing (RFC 6062 ConnectionBind): returns its socket and the
   * bytes received but not yet framed. The listener forgets it. Undefined for UDP or unknown clients.
   */
  detach(client: ClientAddress): { socket: TcpSocket; rest: Uint8Array } | undefined;
  /** TLS listeners only: serves new connections with another certificate (open ones keep theirs). */
  setCertificate?(tls: TlsPair): void;
  close(): Promise<void>;
}

/** Node reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d; the core wants plain IPv4. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
