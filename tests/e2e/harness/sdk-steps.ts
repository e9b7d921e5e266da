/** Steps the SDK page tests share, for a page in either browser. */
import type { AnyPeerPage } from './e2e.js';

export const roomName = (tag: string) => `${tag}-${Date.now().toString(36)}`;

/** Joins with the page's name as metadata, which the other peers see. */
export const join = (peer: AnyPeerPage, url: string, room: string) =>
  peer.evaluate(({ url, room, name }) => window.e2e.sdk!.join(url, room, { metadata: { name } }), {
    url,
    room,
    name: peer.name,
  });

export const waitOpen = (peer: AnyPeerPage, to: string, label = 'parley') =>
  peer.waitFor(`channel "${label}" to ${to} to open`, ({ to, label }) => window.e2e.sdk!.isOpen(to, label), {
    to,
    label,
  });

export const messages = (peer: AnyPeerPage) => peer.evaluate(() => window.e2e.sdk!.messages);
export const errors = (peer: AnyPeerPage) => peer.evaluate(() => window.e2e.sdk!.errors);
