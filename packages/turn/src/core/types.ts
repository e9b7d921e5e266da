/** Transport a client reached us over (RFC 8656 §3.1: UDP, TCP, or TLS-over-TCP). */
export type ClientTransport = 'udp' | 'tcp' | 'tls';

/**
 * Where a message came from: the listener it arrived on plus the client's address and port. Together with
 * the listener's own address this is the 5-tuple an allocation belongs to (RFC 8656 §2).
 */
export interface ClientAddress {
  /** Index of the listener (0–255) the message arrived on. */
  readonly listener: number;
  readonly transport: ClientTransport;
  readonly address: string;
  readonly port: number;
}

export type IpFamily = 'IPv4' | 'IPv6';

/** What the relay speaks to peers: UDP (RFC 8656) or TCP (RFC 6062). */
export type RelayTransport = 'udp' | 'tcp';

/** A peer as the relay sees it: canonical IP text and port. */
export interface PeerAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * What the core asks the I/O layer to do. The core never touches a socket: it returns these, and the
 * listeners (or a unit test) carry them out.
 */
export type Action =
  /** Send bytes to a client over the listener (and, for streams, the connection) it used. */
  | { readonly kind: 'to-client'; readonly client: ClientAddress; readonly data: Uint8Array }
  /** Send bytes from an allocation's relay socket to a peer. */
  | {
      readonly kind: 'to-peer';
      readonly allocation: number;
      readonly peer: PeerAddress;
      readonly data: Uint8Array;
    }
  /**
   * Bind a relay socket for an allocation, then call `relayOpened` (or `relayFailed`). With `evenPort`
   * the port must be even; with `reserveToken` the next port up is bound too and held under that token;
   * with `fromReservation` the socket held under that token is used instead of binding a new one.
   */
  | {
      readonly kind: 'open-relay';
      readonly allocation: number;
      /** 'tcp' (RFC 6062): listen for peer connections on the relayed address instead of a UDP socket. */
      readonly transport: RelayTransport;
      readonly family: IpFamily;
      readonly evenPort: boolean;
      readonly reserveToken?: string;
      readonly fromReservation?: string;
    }
  /** Close an allocation's relay socket (and, for TCP relays, every peer connection it has). */
  | { readonly kind: 'close-relay'; readonly allocation: number }
  /** RFC 6062 §5.2: open a TCP connection from the relay address to a peer; report with tcpConnected/Failed. */
  | {
      readonly kind: 'tcp-connect';
      readonly allocation: number;
      readonly connection: number;
      readonly peer: PeerAddress;
    }
  /**
   * RFC 6062 §5.4: from now on, bytes on the client data connection `client` go raw to the peer connection
   * and back. Comes right after the ConnectionBind success response to that client.
   */
  | { readonly kind: 'tcp-bind'; readonly connection: number; readonly client: ClientAddress }
  /** Close a peer TCP connection (and its client data connection when bound). */
  | { readonly kind: 'tcp-close'; readonly connection: number }
  /** Close a socket held for a reservation that was never claimed. */
  | { readonly kind: 'release-reservation'; readonly token: string };

/** Monotonic enough wall clock in milliseconds since the Unix epoch (REST expiries are Unix times). */
export type Now = number;
