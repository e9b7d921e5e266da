/** The HTTP side: health and readiness probes, and the web app's static files when they are built. */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import sirv from 'sirv';

export interface HttpState {
  ready(): boolean;
  stats(): Record<string, unknown>;
  metrics: Registry;
}

export function createRequestHandler(state: HttpState, staticDir: string | undefined) {
  const files =
    staticDir && existsSync(staticDir)
      ? sirv(staticDir, { single: true, etag: true, gzip: true, brotli: true })
      : undefined;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return json(res, 200, { status: 'ok', ...state.stats() });
    if (path === '/readyz')
      return state.ready()
        ? json(res, 200, { status: 'ready' })
        : json(res, 503, { status: 'shutting down' });
    if (path === '/metrics') {
      state.metrics.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': state.metrics.contentType });
          res.end(text);
        },
        () => json(res, 500, { error: 'metrics failed' }),
      );
      return;
    }
    if (path === '/ws')
      return json(res, 426, { error: 'this endpoint speaks WebSocket (subprotocol parley.v1)' });
    if (files) return files(req, res, () => json(res, 404, { error: 'not found' }));
    json(res, 404, { error: 'not found', hint: 'the web app is not built; signaling is at /ws' });
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
