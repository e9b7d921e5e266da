/** Signaling clients for hostile tests: a joined socket from a chosen local address, frames as JSON. */
import { once } from 'node:events';
import { WebSocket } from 'ws';

export interface Peer {
  ws: WebSocket;
  id: string;
  resumeToken: string;
  frames: Record<string, unknown>[];
  /** Resolves with the first frame (seen or to come) that matches. */
  next(pred: (f: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Opens a socket (from `localAddress`, e.g. 127.0.0.2) and resolves with the server's first frame. */
export async function firstFrame(
  wsUrl: string,
  frame: Record<string, unknown>,
  localAddress = '127.0.0.1',
): Promise<{ ws: WebSocket; reply: Record<string, unknown> }> {
  const ws = new WebSocket(wsUrl, ['parley.v1'], { localAddress });
  ws.on('error', () => {});
  await once(ws, 'open');
  ws.send(JSON.stringify(frame));
  const [data] = await once(ws, 'message');
  return { ws, reply: JSON.parse(String(data)) as Record<string, unknown> };
}

/** Joins `room` from `localAddress` and keeps every frame it receives. */
export async function joinAs(
  wsUrl: string,
  room: string,
  localAddress = '127.0.0.1',
  extra: Record<string, unknown> = {},
): Promise<Peer> {
  const { ws, reply } = await firstFrame(wsUrl, { type: 'join', room, ...extra }, localAddress);
  if (reply.type !== 'joined') throw new Error(`join refused: ${JSON.stringify(reply)}`);
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>));
  return {
    ws,
    id: reply.selfId as string,
    resumeToken: reply.resumeToken as string,
    frames,
    async next(pred, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const f = frames.find(pred);
        if (f) return f;
        if (Date.now() > deadline)
          throw new Error(
            `no matching frame in ${timeoutMs} ms; got ${JSON.stringify(frames).slice(0, 500)}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** Drops a socket as a network failure would: no close frame, no leave. */
export function drop(ws: WebSocket): void {
  ws.terminate();
}
