/** A raw protocol client for server tests: a real `ws` socket plus a queue of received frames. */
import { WebSocket } from 'ws';

export interface RawClient {
  ws: WebSocket;
  frames: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
  /** Resolves with the first received frame (not yet consumed) matching `pred`. */
  next(pred?: (f: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export async function connect(
  url: string,
  protocols: string[] = ['parley.v1'],
  options: { autoPong?: boolean } = {},
): Promise<RawClient> {
  const ws = new WebSocket(url, protocols, { autoPong: options.autoPong ?? true });
  const frames: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)));
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    async next(pred = () => true, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = frames.findIndex(pred);
        if (i >= 0) return frames.splice(i, 1)[0] as Record<string, unknown>;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `no matching frame within ${timeoutMs} ms; have ${JSON.stringify(frames).slice(0, 300)}`,
          );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
}

export async function joined(url: string, room: string): Promise<RawClient & { id: string; token: string }> {
  const c = await connect(url);
  c.send({ type: 'join', room });
  const f = await c.next((x) => x.type === 'joined');
  return Object.assign(c, { id: f.selfId as string, token: f.resumeToken as string });
}
