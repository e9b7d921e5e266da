/**
 * The cluster's messages and script replies as Redis hands them over (cluster-scripts.ts makes them):
 * presence events, batches of frames for this node's peers, a take-over's findings. Pure: no I/O.
 */
import type { FrameBody, PeerLeaveReason } from '@parley/protocol';
import type { TakeOver } from './cluster-link.js';

export type PresenceEvent =
  | { kind: 'joined'; id: string; room: string; node: string; announce: boolean; descriptor: string }
  | { kind: 'left'; id: string; reason: PeerLeaveReason | undefined }
  | { kind: 'moved'; id: string; node: string };

/**
 * `j\n<id>\n<room>\n<node>\n<announce>\n<descriptor>`, `l\n<id>\n<reason>\n<announce>` (a reason only
 * when announced), `m\n<id>\n<node>`; undefined for anything else.
 */
export function parsePresence(message: string): PresenceEvent | undefined {
  const parts = message.split('\n', 5);
  const [kind, id = ''] = parts;
  if (kind === 'j') {
    const [, , room = '', node = '', announce] = parts;
    const descriptor = message.slice(parts.join('\n').length + 1);
    return { kind: 'joined', id, room, node, announce: announce === '1', descriptor };
  }
  if (kind === 'l')
    return { kind: 'left', id, reason: parts[3] === '1' ? (parts[2] as PeerLeaveReason) : undefined };
  if (kind === 'm') return { kind: 'moved', id, node: parts[2] ?? '' };
  return undefined;
}

const NL = 0x0a;

/** Records `<id>\n<entry id>\n<byte length>\n<body>`, one after another; a cut-off record is dropped. */
export function parseFrames(bytes: Buffer, each: (id: string, entry: string, body: FrameBody) => void): void {
  let at = 0;
  while (at < bytes.length) {
    const a = bytes.indexOf(NL, at);
    const b = a < 0 ? -1 : bytes.indexOf(NL, a + 1);
    const c = b < 0 ? -1 : bytes.indexOf(NL, b + 1);
    if (c < 0) return;
    const length = Number(bytes.toString('latin1', b + 1, c));
    const end = c + 1 + length;
    if (!Number.isInteger(length) || length < 0 || end > bytes.length) return;
    each(
      bytes.toString('latin1', at, a),
      bytes.toString('latin1', a + 1, b),
      bytes.toString('utf8', c + 1, end) as FrameBody,
    );
    at = end;
  }
}

/** A room's members as the join script returns them (HGETALL: id, `<node>\n<descriptor>`, …), but self. */
export function parseMembers(flat: string[], selfId: string, nodeId: string): [string, string, string][] {
  const members: [string, string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const id = flat[i] as string;
    const value = flat[i + 1] as string;
    const at = value.indexOf('\n');
    const node = value.slice(0, at);
    if (id !== selfId && node !== nodeId) members.push([id, node, value.slice(at + 1)]);
  }
  return members;
}

type Entry = [string, string[]];
export type ClaimReply = [string, string, string, Entry[], Entry[]];

export function parseClaim([room, descriptor, seq, stamped, pending]: ClaimReply): TakeOver {
  return {
    room,
    descriptor,
    seq: Number(seq),
    stamped: stamped.map(([id, fields]) => [Number.parseInt(id, 10), Buffer.from(fields[1] ?? '')]),
    pending: pending.map(([id, fields]) => [id, (fields[1] ?? '') as FrameBody]),
  };
}

/** Whether stream entry id `a` (`<ms>-<n>`) comes after `b`. */
export function streamIdAfter(a: string, b: string): boolean {
  const [am = 0, an = 0] = a.split('-').map(Number);
  const [bm = 0, bn = 0] = b.split('-').map(Number);
  return am > bm || (am === bm && an > bn);
}
