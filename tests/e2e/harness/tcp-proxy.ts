/**
 * A TCP relay on 127.0.0.1 in front of the signaling server, so a test can cut a peer's signaling
 * connection the way a network drop would (both directions gone at once) and refuse reconnects for a while.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** `ws://127.0.0.1:<proxy port>/ws` for a target of `ws://host:port/ws`. */
  readonly wsUrl: string;
  /** Connections relayed so far (a reconnect counts again). */
  readonly accepted: number;
  /** Destroys every relayed connection, on both sides. */
  cut(): void;
  /** While refusing, new connections are closed as soon as they arrive. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetWsUrl: string): Promise<TcpProxy> {
  const target = new URL(targetWsUrl);
  const live = new Set<Socket>();
  let refusing = false;
  let accepted = 0;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      live.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        live.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no TCP address');
  return {
    wsUrl: `ws://127.0.0.1:${address.port}${target.pathname}`,
    get accepted() {
      return accepted;
    },
    cut() {
      for (const s of live) s.destroy();
    },
    refuse(on) {
      refusing = on;
    },
    close() {
      for (const s of live) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
