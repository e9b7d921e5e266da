import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { isIP } from 'node:net';
import type { IpFamily } from '../core/types.js';

/** coturn's socket buffer size: Node's default (~208 KiB) drops datagrams in bursts at tens of thousands/s. */
export const DEFAULT_UDP_BUFFER_BYTES = 4 << 20;

/**
 * Every address the server sends to is an IP literal: answer the lookup at once. Node's default sends each
 * unconnected datagram through dns.lookup and a nextTick. Only used on sockets bound to an IP literal, so
 * a host name given as listener host still resolves.
 */
const literalLookup = ((
  address: string,
  _options: unknown,
  callback: (err: Error | null, address: string, family: number) => void,
) => callback(null, address, address.includes(':') ? 6 : 4)) as unknown as SocketOptions['lookup'];

/**
 * Binds a UDP socket; resolves once bound, rejects on the bind error (EADDRINUSE, EACCES…). `bufferBytes`
 * sets SO_RCVBUF and SO_SNDBUF (the kernel caps them at net.core.rmem_max / wmem_max); 0 keeps the default.
 */
export function bindUdp(
  family: IpFamily,
  host: string,
  port: number,
  bufferBytes = DEFAULT_UDP_BUFFER_BYTES,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: family === 'IPv4' ? 'udp4' : 'udp6',
      ipv6Only: family === 'IPv6',
      ...(isIP(host) ? { lookup: literalLookup } : {}),
      ...(bufferBytes > 0 ? { recvBufferSize: bufferBytes, sendBufferSize: bufferBytes } : {}),
    });
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError);
      socket.on('error', () => {}); // ICMP-triggered send errors must not kill the server
      resolve(socket);
    });
  });
}

/** A bound UDP socket as the server uses it, whichever data path (node:dgram or the native addon) owns it. */
export interface UdpEndpoint {
  readonly port: number;
  /** The native engine's socket id; undefined for a node:dgram socket. */
  readonly nativeId: number | undefined;
  send(data: Uint8Array, port: number, address: string): void;
  /** Sets where datagrams go; until then they are dropped. */
  onMessage(handler: (data: Uint8Array, address: string, port: number) => void): void;
  close(): Promise<void>;
}

/** Binds a UDP endpoint; `relay` says it faces peers (a relay socket) rather than clients. */
export type BindUdp = (
  family: IpFamily,
  host: string,
  port: number,
  bufferBytes: number | undefined,
  relay: boolean,
) => Promise<UdpEndpoint>;

/** The node:dgram data path: one `message` event and one `send()` per datagram. */
export const bindDgram: BindUdp = async (family, host, port, bufferBytes) => {
  const socket = await bindUdp(family, host, port, bufferBytes);
  return {
    port: socket.address().port,
    nativeId: undefined,
    send: (data, toPort, address) => socket.send(data, toPort, address),
    onMessage: (handler) => {
      socket.on('message', (msg, rinfo) => handler(msg, rinfo.address, rinfo.port));
    },
    close: () =>
      new Promise((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // already closed
        }
      }),
  };
};

export interface RelayPortOptions {
  readonly host: string;
  readonly family: IpFamily;
  readonly range: readonly [number, number];
  /** RFC 8656 §14.6 EVEN-PORT: the port must be even. */
  readonly even: boolean;
  /** Also bind port + 1 and return it (EVEN-PORT with R). */
  readonly reserveNext: boolean;
  readonly random: () => number;
  /** SO_RCVBUF / SO_SNDBUF of the relay socket(s); see bindUdp. */
  readonly bufferBytes?: number;
  /** How sockets are bound; default node:dgram. */
  readonly bind?: BindUdp;
}

export interface BoundRelay {
  readonly socket: UdpEndpoint;
  readonly port: number;
  readonly reserved?: UdpEndpoint;
}

const ATTEMPTS = 64;

function candidate(o: RelayPortOptions): number {
  const [min, max] = o.range;
  const top = o.even && o.reserveNext ? max - 1 : max;
  let p = min + Math.floor(o.random() * (top - min + 1));
  if (o.even && p % 2 === 1) p = p + 1 <= top ? p + 1 : p - 1;
  return p;
}

/**
 * Binds a relay socket on a random port of the range (RFC 8656 §7.2: the port should be random, so relayed
 * addresses are not guessable), retrying on ports in use.
 */
export async function bindRelay(o: RelayPortOptions): Promise<BoundRelay> {
  const bind = o.bind ?? bindDgram;
  let lastError: unknown;
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = candidate(o);
    if (port < o.range[0] || (o.even && port % 2 === 1)) continue;
    let socket: UdpEndpoint;
    try {
      socket = await bind(o.family, o.host, port, o.bufferBytes, true);
    } catch (err) {
      lastError = err;
      continue;
    }
    if (!o.reserveNext) return { socket, port };
    try {
      return { socket, port, reserved: await bind(o.family, o.host, port + 1, o.bufferBytes, true) };
    } catch (err) {
      lastError = err;
      void socket.close();
    }
  }
  throw new Error(`no free relay port in ${o.range[0]}–${o.range[1]} after ${ATTEMPTS} tries`, {
    cause: lastError,
  });
}
