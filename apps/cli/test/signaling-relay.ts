/**
 * A WebSocket relay between Parley clients and a real `parley serve`, for man-in-the-middle tests: each
 * client gets its own upstream socket (same subprotocol), frames go through `link.toServer` and
 * `link.toClient` (return the text to pass on, or undefined to keep it), and one side closing closes the
 * other. What a relay does with the frames is the test's.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

/** One client's pair of sockets, and what to do with its frames. */
export interface RelayLink {
  readonly client: WebSocket;
  readonly upstream: WebSocket;
  toServer(text: string): string | undefined;
  toClient(text: string): string | undefined;
}

export class SignalingRelay {
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<WebSocket>();

  /** `link` is called once per client connection with its two sockets and returns the frame handlers. */
  constructor(
    upstream: string,
    link: (client: WebSocket, up: WebSocket) => Pick<RelayLink, 'toServer' | 'toClient'>,
  ) {
    this.#wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.#wss.on('connection', (client: WebSocket, req: IncomingMessage) => {
      const protocol = req.headers['sec-websocket-protocol']?.split(',')[0]?.trim();
      const up = new WebSocket(upstream, protocol ? [protocol] : []);
      this.#sockets.add(client).add(up);
      const handlers = link(client, up);
      const early: string[] = [];
      client.on('message', (d) => {
        const out = handlers.toServer(d.toString());
        if (out === undefined) return;
        if (up.readyState === WebSocket.OPEN) up.send(out);
        else early.push(out);
      });
      up.on('open', () => {
        for (const m of early.splice(0)) up.send(m);
      });
      up.on('message', (d) => {
        const out = handlers.toClient(d.toString());
        if (out !== undefined) client.send(out);
      });
      const close = () => {
        client.close();
        up.close();
      };
      client.on('close', close).on('error', close);
      up.on('close', close).on('error', close);
    });
  }

  /** Resolves once the relay listens. */
  listening(): Promise<this> {
    return new Promise((resolve) =>
      this.#wss.address() ? resolve(this) : this.#wss.once('listening', () => resolve(this)),
    );
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.#wss.address() as { port: number }).port}/ws`;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.terminate();
    await new Promise((resolve) => this.#wss.close(resolve));
  }
}
