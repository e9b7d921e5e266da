import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Action, ClientAddress, IpFamily } from '../core/types.js';
import type { ClientListener } from './client-listener.js';

/** How long an outgoing Connect may take before it is a 447 (RFC 6062 §5.2: at least 30 s). */
const CONNECT_TIMEOUT_MS = 30_000;
const ATTEMPTS = 64;
const ignore = () => {};

interface PeerSocket {
  readonly socket: Socket;
  readonly allocation: number;
  data?: Socket;
  client?: ClientAddress;
}

/** Listens on a random port of the range, retrying ports in use. */
async function listenTcp(host: string, range: readonly [number, number], onConnection: (s: Socket) => void) {
  let lastError: unknown;
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1));
    const server = createServer({ pauseOnConnect: true }, onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port, exclusive: true, ipv6Only: host.includes(':') }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      // accept() failing (EMFILE at the descriptor limit) is reported here; the relay keeps listening.
      server.on('error', ignore);
      return { server, port };
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`no free TCP relay port in ${range[0]}–${range[1]}`, { cause: lastError });
}

/**
 * What the TCP relay sockets report upwards, as the client listeners do with ListenerHandlers: the server
 * hands each event to the core and carries out the actions it returns.
 */
export interface TcpRelayEvents {
  /**
   * A peer connected to an allocation's relayed address. When the core takes it, `accept` is called with
   * the connection id to file the socket under (before the actions that announce it are carried out);
   * otherwise the socket is closed.
   */
  peerConnected(
    allocation: number,
    address: string,
    port: number,
    accept: (connection: number) => void,
  ): void;
  /** The outgoing connection of a Connect is up. */
  connected(connection: number): void;
  /** The outgoing connection of a Connect failed or timed out. */
  connectFailed(connection: number): void;
  /** A peer connection closed (either side); `dataClient` is its client data connection once bound. */
  closed(connection: number, dataClient: ClientAddress | undefined): void;
  /** Bytes piped over a bound connection (the hot path: counted, nothing to carry out). */
  piped(connection: number, toPeer: boolean, bytes: number): void;
}

/**
 * The sockets of RFC 6062 TCP relays: a listening socket per allocation, a socket per peer connection, and,
 * once bound, the raw pipe between a client data connection and its peer connection.
 */
export class TcpRelaySockets {
  private readonly servers = new Map<number, Server>();
  private readonly peers = new Map<number, PeerSocket>();
  /** Outgoing Connect sockets not yet up, so closing their allocation closes them too. */
  private readonly connecting = new Map<number, PeerSocket>();

  constructor(
    private readonly events: TcpRelayEvents,
    /** The client listeners, to take a data connection away from STUN framing (ClientListener.detach). */
    private readonly listeners: readonly ClientListener[],
    private readonly hosts: Partial<Record<IpFamily, string>>,
  ) {}

  /** Opens the relayed transport address for a TCP allocation; resolves with its port. */
  async open(allocation: number, family: IpFamily, range: readonly [number, number]): Promise<number> {
    const host = this.hosts[family];
    if (!host) throw new Error(`no relay host for ${family}`);
    const { server, port } = await listenTcp(host, range, (socket) => this.incoming(allocation, socket));
    this.servers.set(allocation, server);
    return port;
  }

  private incoming(allocation: number, socket: Socket): void {
    socket.on('error', ignore);
    let kept = false;
    this.events.peerConnected(
      allocation,
      socket.remoteAddress ?? '',
      socket.remotePort ?? 0,
      (connection) => {
        this.track(connection, allocation, socket);
        kept = true;
      },
    );
    if (!kept) socket.destroy(); // refused (no permission, over the cap), or the step failed
  }

  private track(connection: number, allocation: number, socket: Socket): void {
    this.peers.set(connection, { socket, allocation });
    socket.on('close', () => this.close(connection));
  }

  /** RFC 6062 §5.2: connects from the relay's IP (an ephemeral port: Node cannot share the listening one). */
  connect(a: Extract<Action, { kind: 'tcp-connect' }>, family: IpFamily): void {
    let socket: Socket;
    try {
      socket = connect({ host: a.peer.address, port: a.peer.port, localAddress: this.hosts[family] });
    } catch {
      // Arguments Node refuses synchronously: a failed Connect (447), like any other.
      queueMicrotask(() => this.events.connectFailed(a.connection));
      return;
    }
    socket.on('error', ignore);
    socket.pause();
    let settled = false;
    const fail = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      this.events.connectFailed(a.connection);
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, fail);
    socket.once('error', fail);
    // Closed before it connected (closeAllocation, or a reset without an error): settle too.
    socket.once('close', fail);
    socket.once('connect', () => {
      settled = true;
      socket.setTimeout(0);
      this.track(a.connection, a.allocation, socket);
      this.events.connected(a.connection);
    });
    this.connecting.set(a.connection, { socket, allocation: a.allocation });
    socket.once('close', () => this.connecting.delete(a.connection));
    socket.once('connect', () => this.connecting.delete(a.connection));
  }

  /** RFC 6062 §5.4: after the ConnectionBind answer, pipes the client data connection and the peer together. */
  bind(connection: number, client: ClientAddress): void {
    const peer = this.peers.get(connection);
    const taken = this.listeners[client.listener]?.detach(client);
    if (!peer || !taken) {
      taken?.socket.destroy();
      this.close(connection);
      return;
    }
    const data = taken.socket;
    data.on('error', ignore);
    peer.data = data;
    peer.client = client;
    data.on('close', () => this.close(connection));
    if (taken.rest.length > 0) {
      peer.socket.write(taken.rest);
      this.events.piped(connection, true, taken.rest.length);
    }
    data.on('data', (chunk: Buffer) => this.events.piped(connection, true, chunk.length));
    peer.socket.on('data', (chunk: Buffer) => this.events.piped(connection, false, chunk.length));
    data.pipe(peer.socket);
    peer.socket.pipe(data);
    peer.socket.resume();
  }

  /** Closes a peer connection and its data connection, and reports it. */
  close(connection: number): void {
    const peer = this.peers.get(connection);
    if (!peer) return;
    this.peers.delete(connection);
    peer.socket.destroy();
    peer.data?.destroy();
    this.events.closed(connection, peer.client);
  }

  /** Closes an allocation's listening socket and all its peer connections. */
  closeAllocation(allocation: number): void {
    this.servers.get(allocation)?.close();
    this.servers.delete(allocation);
    for (const [id, p] of this.peers) if (p.allocation === allocation) this.close(id);
    for (const p of this.connecting.values()) if (p.allocation === allocation) p.socket.destroy();
  }

  closeAll(): void {
    for (const id of [...this.servers.keys()]) this.closeAllocation(id);
    for (const id of [...this.peers.keys()]) this.close(id);
    for (const p of this.connecting.values()) p.socket.destroy();
  }
}
