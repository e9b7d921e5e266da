/** The deployment `parley doctor` checks: its HTTP base and WebSocket URLs, from whichever one was given. */
import { lookup } from 'node:dns/promises';
import { InvalidArgumentError } from 'commander';

export interface Target {
  /** `http(s)://host:port` with no path. */
  http: string;
  /** `ws(s)://host:port/ws` (or the path given with a ws(s) URL). */
  ws: string;
  /** The host name or address as given (no brackets). */
  host: string;
  secure: boolean;
}

/** `http(s)://…` or `ws(s)://…`, or a bare `host:port` (http). */
export function parseTarget(v: string): Target {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(v) ? v : `http://${v}`);
  } catch {
    throw new InvalidArgumentError(
      `"${v}" is not a URL like https://parley.example.com or ws://host:8080/ws`,
    );
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol))
    throw new InvalidArgumentError(`"${v}": use an http(s):// or ws(s):// URL`);
  const hostPort = url.host;
  const wsPath = url.protocol.startsWith('ws') && url.pathname !== '/' ? url.pathname : '/ws';
  return {
    http: `${secure ? 'https' : 'http'}://${hostPort}`,
    ws: `${secure ? 'wss' : 'ws'}://${hostPort}${wsPath}`,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    secure,
  };
}

/** The address a host name resolves to (the first), for sockets that need one. */
export async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const r = await lookup(host);
  return { address: r.address, family: r.family === 6 ? 6 : 4 };
}
