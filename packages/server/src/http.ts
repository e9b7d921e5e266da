/**
 * The HTTP side: health and readiness probes, metrics, and the web app's static files when they are
 * built. Only GET and HEAD are answered; every response carries the security headers; no request can
 * throw out of the handler.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SUPPORTED_VERSIONS, subprotocol } from '@parley/protocol';
import type { Registry } from 'prom-client';
import serveStatic from 'serve-static';
import { SECURITY_HEADERS } from './security-headers.js';

/** The body of a plain HTTP request to the WebSocket endpoint, naming the subprotocols it speaks. */
const WS_ONLY = `this endpoint speaks WebSocket (subprotocol ${SUPPORTED_VERSIONS.map(subprotocol).join(', ')})`;

export interface HttpState {
  /** True when ready, else why not (shown in the 503's body). */
  ready(): true | string;
  stats(): Record<string, unknown>;
  metrics: Registry;
  /** Told about a request the handler failed on (never caused by the request's bytes alone). */
  onError?: (err: unknown) => void;
  /** Whether a client address may read /metrics; absent: every address may. */
  metricsAllowed?: (address: string | undefined) => boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function createRequestHandler(state: HttpState, staticDir: string | undefined): Handler {
  const files = staticDir && existsSync(staticDir) ? staticFiles(staticDir) : undefined;
  const handle: Handler = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return json(res, 405, { error: 'method not allowed', allow: 'GET, HEAD' });
    }
    if (path === '/healthz') return json(res, 200, { status: 'ok', ...state.stats() });
    if (path === '/readyz') {
      const ready = state.ready();
      return ready === true ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: ready });
    }
    if (path === '/metrics') {
      if (state.metricsAllowed && !state.metricsAllowed(req.socket.remoteAddress))
        return json(res, 403, { error: 'metrics are not open to this address (--metrics-allow)' });
      state.metrics.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': state.metrics.contentType, 'cache-control': 'no-store' });
          res.end(text);
        },
        () => json(res, 500, { error: 'metrics failed' }),
      );
      return;
    }
    if (path === '/ws') return json(res, 426, { error: WS_ONLY });
    if (files) return files(req, res);
    json(res, 404, { error: 'not found', hint: 'the web app is not built; signaling is at /ws' });
  };
  return (req, res) => {
    // A client that resets mid-response makes these emit 'error'; the socket's own listener decides.
    req.on('error', noop);
    res.on('error', noop);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    try {
      handle(req, res);
    } catch (err) {
      state.onError?.(err);
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  };
}

/**
 * The built web app. Hashed assets are cached for a year, everything else revalidated; a path with no
 * file extension is a page of the single-page app and gets index.html; source maps are not served.
 */
function staticFiles(dir: string): Handler {
  const serve = serveStatic(dir, {
    index: ['index.html'],
    dotfiles: 'ignore',
    fallthrough: true,
    setHeaders(res, file) {
      res.setHeader(
        'cache-control',
        /[/\\]assets[/\\]/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (decodedPath(path).endsWith('.map')) return json(res, 404, { error: 'not found' });
    serve(req, res, (err?: unknown) => {
      if (err) return json(res, statusOf(err), { error: 'bad request' });
      if (/\.[A-Za-z0-9]+$/.test(path) || res.headersSent) return json(res, 404, { error: 'not found' });
      // A page of the single-page app (`/`, `/room/x`): its routes live in the URL hash and history.
      req.url = '/index.html';
      serve(req, res, (again?: unknown) => json(res, again ? statusOf(again) : 404, { error: 'not found' }));
    });
  };
}

/** A URL path with its percent-escapes decoded, as the file server will read it (as it is when malformed). */
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function statusOf(err: unknown): number {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function noop(): void {}
