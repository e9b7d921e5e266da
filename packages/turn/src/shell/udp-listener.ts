import { isIPv6 } from 'node:net';
import { type ClientListener, type ListenerHandlers, plainAddress } from './client-listener.js';
import { type BindUdp, bindDgram } from './udp-sockets.js';

/** A UDP listener (RFC 8656 §3.1): one socket, every client a (address, port) on it. */
export async function listenUdp(
  index: number,
  host: string,
  port: number,
  handlers: ListenerHandlers,
  bufferBytes?: number,
  bind: BindUdp = bindDgram,
): Promise<ClientListener> {
  const v6 = isIPv6(host);
  const socket = await bind(v6 ? 'IPv6' : 'IPv4', host, port, bufferBytes, false);
  socket.onMessage((msg, address, port) => {
    handlers.message(msg, {
      listener: index,
      transport: 'udp',
      address: v6 ? plainAddress(address) : address,
      port,
    });
  });
  return {
    index,
    transport: 'udp',
    host,
    port: socket.port,
    nativeId: socket.nativeId,
    send: (client, data) => socket.send(data, client.port, client.address),
    detach: () => undefined,
    close: () => socket.close(),
  };
}
