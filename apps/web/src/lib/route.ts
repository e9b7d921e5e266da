/** Hash routes (`#/`, `#/r/<room>`, `#/g/<room>` (the arena game), `#/check`), so any static server, `parley serve` included, serves the app. */

import { isRoomName } from '@parley/client';
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'home' }
  | { page: 'room'; room: string }
  | { page: 'game'; room: string }
  | { page: 'check' }
  | { page: 'receive'; code: string }
  | { page: 'send' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '/check') return { page: 'check' };
  // `parley send`'s link: `#receive=<code>` (apps/cli/src/send.ts).
  const code = /^receive=([0-9]{1,4}(?:-[a-z]{2,12}){1,8})$/.exec(path)?.[1];
  if (code) return { page: 'receive', code };
  if (path === '/send') return { page: 'send' };
  const room = /^\/r\/([^/?]+)/.exec(path)?.[1];
  if (room && isRoomName(decodeURIComponent(room))) return { page: 'room', room: decodeURIComponent(room) };
  const game = /^\/g\/([^/?]+)/.exec(path)?.[1];
  if (game && isRoomName(decodeURIComponent(game))) return { page: 'game', room: decodeURIComponent(game) };
  return { page: 'home' };
}

export function navigate(hash: string): void {
  location.hash = hash;
}

export const roomHash = (room: string) => `#/r/${encodeURIComponent(room)}`;

/** The link to share: this page's address with the room's route (query flags such as ?relay=1 kept). */
export function roomLink(room: string): string {
  return `${location.origin}${location.pathname}${location.search}${roomHash(room)}`;
}

export const gameHash = (room: string) => `#/g/${encodeURIComponent(room)}`;

/** The link that invites others to an arena game. */
export function gameLink(room: string): string {
  return `${location.origin}${location.pathname}${location.search}${gameHash(room)}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** The signaling endpoint of the server that served this page. */
export function signalingUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/** `?relay=1` forces every connection through TURN (iceTransportPolicy 'relay'). */
export function relayOnly(): boolean {
  const v = new URLSearchParams(location.search).get('relay');
  return v === '1' || v === 'true';
}
