/**
 * The plain-HTTP listener beside an HTTPS port (`--http-redirect-port`): every request is sent to the
 * same host and path over HTTPS. The redirect is temporary (307), so a browser does not remember it once
 * the server stops offering HTTPS. The Host header is the client's: it is used only when it parses as a
 * host name or address, and the redirect never leaves for another port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './security-headers.js';

export function httpsRedirect(httpsPort: number): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.on('error', noop);
    res.on('error', noop);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const host = hostOf(req.headers.host) ?? hostOf(req.socket.localAddress);
    const path = req.url?.startsWith('/') ? req.url : '/';
    if (!host) {
      res.writeHead(400, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify({ error: 'no Host header; this port redirects to HTTPS' }));
    }
    const location = `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${path}`;
    res.writeHead(307, { location, 'content-length': '0', 'cache-control': 'no-store' });
    res.end();
  };
}

/** The host part of a Host header (or a local address), or undefined when it is not a plain host. */
export function hostOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const candidate =
    value.includes(':') && !value.startsWith('[') && value.split(':').length > 2 ? `[${value}]` : value;
  try {
    const url = new URL(`http://${candidate}/`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    return url.hostname || undefined;
  } catch {
    return undefined;
  }
}

function noop(): void {}
