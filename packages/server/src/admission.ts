/**
 * What one client may hold and spend, counted across its connections: frame tokens (per connection and
 * shared per address, big frames costing more), sessions per address and per room token, and what a
 * join may carry. The core asks before it changes anything, and tells when sessions start and end.
 */

import { type Bucket, fullBucket, takeToken } from '@parley/limits';
import type { ClientFrameMap, ErrorCode } from '@parley/protocol';
import type { CoreOptions } from './options.js';
import { Counts } from './session.js';

/** What a join needs to know of its room. */
export interface RoomView {
  size: number;
  rooms: number;
  /** Whether a dropped session's seat could go to this join in a full room. */
  seatFree: boolean;
}

/** Tokens a frame costs: one, and one more for every whole 4 KiB, so big frames cannot buy CPU cheaply. */
function frameCost(bytes: number): number {
  return 1 + Math.floor(bytes / 4096);
}

export class Admission {
  private readonly sessionsByAddress = new Counts();
  private readonly sessionsByToken = new Counts();
  /** One shared rate bucket per client address, while it has a connection open. */
  private readonly addressBuckets = new Map<string, Bucket & { conns: number }>();
  /** The largest frame parsed from a connection in no room (a join with the most metadata allowed). */
  readonly preJoinMaxBytes: number;

  constructor(private readonly o: CoreOptions) {
    this.preJoinMaxBytes = Math.min(o.maxFrameBytes, o.maxMetadataBytes + 8192);
  }

  connectionOpened(address: string, now: number): void {
    const shared = this.addressBuckets.get(address);
    if (shared) shared.conns++;
    else this.addressBuckets.set(address, { ...fullBucket(this.o.addressRateLimit.burst, now), conns: 1 });
  }

  connectionClosed(address: string): void {
    const shared = this.addressBuckets.get(address);
    if (shared && --shared.conns === 0) this.addressBuckets.delete(address);
  }

  /** Takes a frame's tokens from its connection's bucket and from its address's shared one. */
  take(conn: Bucket & { readonly address: string }, bytes: number, now: number): boolean {
    const cost = frameCost(bytes);
    const { perSecond, burst } = this.o.rateLimit;
    if (!takeToken(conn, now, perSecond, burst, cost)) return false;
    const shared = this.addressBuckets.get(conn.address);
    const a = this.o.addressRateLimit;
    return !shared || takeToken(shared, now, a.perSecond, a.burst, cost);
  }

  /** The key a join's token counts under, when joins need tokens. */
  tokenKeyOf(frame: ClientFrameMap['join']): string | undefined {
    return this.o.authorize && frame.token !== undefined ? tokenKey(frame.token) : undefined;
  }

  sessionStarted(address: string, token: string | undefined): void {
    this.sessionsByAddress.add(address);
    if (token !== undefined) this.sessionsByToken.add(token);
  }

  sessionEnded(address: string, token: string | undefined): void {
    this.sessionsByAddress.remove(address);
    if (token !== undefined) this.sessionsByToken.remove(token);
  }

  /** Why a join may not go ahead (a code and a message), or undefined when it may. */
  joinRefusal(
    address: string,
    frame: ClientFrameMap['join'],
    room: RoomView,
  ): [ErrorCode, string] | undefined {
    const o = this.o;
    if (this.sessionsByAddress.get(address) >= o.maxSessionsPerAddress)
      return [
        'TOO_MANY_SESSIONS',
        `this address holds ${o.maxSessionsPerAddress} sessions (in rooms or waiting to resume)`,
      ];
    const token = this.tokenKeyOf(frame);
    if (token !== undefined && this.sessionsByToken.get(token) >= o.maxSessionsPerToken)
      return ['TOKEN_IN_USE', `this room token holds ${o.maxSessionsPerToken} sessions`];
    // A receiver that merges metadata into an object (Object.assign) would get another prototype.
    if (frame.metadata && Object.hasOwn(frame.metadata, '__proto__'))
      return ['BAD_FRAME', 'join: metadata may not have a "__proto__" key'];
    // Every peer in the room gets it, in `peer-joined` and in each later `joined`.
    const metadataBytes = frame.metadata ? Buffer.byteLength(JSON.stringify(frame.metadata)) : 0;
    if (metadataBytes > o.maxMetadataBytes)
      return ['METADATA_TOO_LARGE', `metadata of ${metadataBytes} bytes; the limit is ${o.maxMetadataBytes}`];
    if (room.size === 0 && room.rooms >= o.maxRooms)
      return ['TOO_MANY_ROOMS', `the server holds ${o.maxRooms} rooms`];
    if (room.size >= o.maxPeersPerRoom && !room.seatFree)
      return ['ROOM_FULL', `room "${frame.room}" has ${o.maxPeersPerRoom} peers`];
    return undefined;
  }
}

/**
 * What counts as one room token for sessions per token: its header and payload, which the signature
 * covers. The signature's last base64url character has spare bits, so one token has several spellings
 * that all verify.
 */
function tokenKey(token: string): string {
  const dot = token.lastIndexOf('.');
  return dot > 0 ? token.slice(0, dot) : token;
}
