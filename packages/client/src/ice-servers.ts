/**
 * The ICE servers (STUN, and TURN with fresh credentials) a signaling server hands its peers, fetched by
 * joining a throwaway room and leaving at once: what a connectivity check needs before any call.
 */
import {
  decodeServerFrameLight,
  type IceServerConfig,
  ParleyError,
  PROTOCOL_VERSION,
  subprotocol,
} from '@parley/protocol/client';
import type { WebSocketConstructor, WebSocketLike } from './types.js';

export interface IceServersOptions {
  timeoutMs?: number;
  /** The WebSocket implementation (Node: `ws`). Default: the global one. */
  WebSocket?: WebSocketConstructor;
}

export function fetchIceServers(url: string, options: IceServersOptions = {}): Promise<IceServerConfig[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const Ws = options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketConstructor);
  return new Promise((resolve, reject) => {
    const ws = new Ws(url, [subprotocol(PROTOCOL_VERSION)]) as WebSocketLike;
    const timer = setTimeout(
      () => finish(new ParleyError('CONNECT_FAILED', `no answer from ${url} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const finish = (err: Error | undefined, servers?: IceServerConfig[]) => {
      clearTimeout(timer);
      ws.onmessage = ws.onerror = ws.onclose = null;
      if (ws.readyState === 1) ws.send(JSON.stringify({ type: 'leave' }));
      ws.close();
      if (err) reject(err);
      else resolve(servers ?? []);
    };
    ws.onopen = () => ws.send(JSON.stringify({ type: 'join', room: `check-${randomTag()}` }));
    ws.onmessage = (ev) => {
      const decoded = decodeServerFrameLight(String(ev.data));
      if (!decoded.ok) return finish(new ParleyError('BAD_SERVER_FRAME', decoded.message));
      const frame = decoded.frame;
      if (frame.type === 'joined') finish(undefined, frame.iceServers);
      else if (frame.type === 'error') finish(ParleyError.fromServer(frame.code, frame.message));
    };
    ws.onerror = () => finish(new ParleyError('CONNECT_FAILED', `could not open a WebSocket to ${url}`));
    ws.onclose = (ev) =>
      finish(new ParleyError('CONNECT_FAILED', `the server closed the connection (code ${ev.code})`));
  });
}

function randomTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
