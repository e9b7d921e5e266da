import type { Session } from './session.js';

/** Rooms by name, each a map of its sessions by peer id; a room exists while it has a peer. */
export class Rooms<C> {
  private readonly rooms = new Map<string, Map<string, Session<C>>>();

  get(room: string): ReadonlyMap<string, Session<C>> | undefined {
    return this.rooms.get(room);
  }

  size(room: string): number {
    return this.rooms.get(room)?.size ?? 0;
  }

  add(session: Session<C>): void {
    let peers = this.rooms.get(session.room);
    if (!peers) {
      peers = new Map();
      this.rooms.set(session.room, peers);
    }
    peers.set(session.id, session);
  }

  remove(session: Session<C>): void {
    const peers = this.rooms.get(session.room);
    if (!peers) return;
    peers.delete(session.id);
    if (peers.size === 0) this.rooms.delete(session.room);
  }

  get count(): number {
    return this.rooms.size;
  }
}
