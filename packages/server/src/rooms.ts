import type { Session } from './session.js';

/**
 * Rooms by name, each the list of its sessions in join order; a room exists while it has a peer. A
 * room is a plain array (rooms are small, at most `maxPeersPerRoom`): a map per room cost more memory
 * per idle peer than the peer's own state, and peers are found by id through the core's one map.
 */
export class Rooms<C> {
  private readonly rooms = new Map<string, Session<C>[]>();

  /** The sessions in a room (do not modify). */
  get(room: string): readonly Session<C>[] | undefined {
    return this.rooms.get(room);
  }

  size(room: string): number {
    return this.rooms.get(room)?.length ?? 0;
  }

  // Each change makes a new array of exactly the room's size (concat and slice do; push, spread and
  // filter leave room for 17 or more, ~135 bytes more per room). It also means a caller iterating a
  // room is never disturbed by a change.
  add(session: Session<C>): void {
    const peers = this.rooms.get(session.room);
    this.rooms.set(session.room, peers ? peers.concat(session) : [session]);
  }

  remove(session: Session<C>): void {
    const peers = this.rooms.get(session.room);
    if (!peers) return;
    const at = peers.indexOf(session);
    if (at < 0) return;
    if (peers.length === 1) this.rooms.delete(session.room);
    else this.rooms.set(session.room, peers.slice(0, at).concat(peers.slice(at + 1)));
  }

  get count(): number {
    return this.rooms.size;
  }

  /**
   * In a room full at `max`, the seat a newcomer may take: the one held longest by a session whose socket
   * dropped. A dropped session keeps its seat for its resume window only while nobody needs it, so
   * connect–join–drop cycles cannot fill a room against live peers.
   */
  reclaimableSeat(room: string, max: number): Session<C> | undefined {
    const peers = this.rooms.get(room);
    if (!peers || peers.length < max) return undefined;
    let oldest: Session<C> | undefined;
    for (const s of peers)
      if (!s.conn && s.remoteNode === undefined && (oldest === undefined || s.droppedAt < oldest.droppedAt))
        oldest = s;
    return oldest;
  }
}
