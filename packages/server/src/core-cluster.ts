/**
 * The signaling core's side of a cluster: peers of other nodes kept as remote sessions (in the same
 * rooms and map as this node's, with `remoteNode` set), joins ordered by the cluster, sessions taken over
 * from other nodes, and what the adapter tells about the others. Made only when there is a cluster.
 */
import {
  CLOSE_CODES,
  type ErrorCode,
  type FrameBody,
  type PeerLeaveReason,
  type PeerMetadata,
  peerJoinedBody,
  peerLeftBody,
} from '@parley/protocol';
import type { Admission } from './admission.js';
import type { ClusterLink, ClusterSide, TakeOver } from './cluster-link.js';
import type { Clock } from './core-types.js';
import type { CoreOptions } from './options.js';
import { peerIdOf } from './resume-token.js';
import type { Rooms } from './rooms.js';
import { type Conn, NO_METADATA, type Session } from './session.js';

/** The parts of the core this works with. */
export interface CoreInternals<C> {
  readonly options: CoreOptions;
  readonly clock: Clock;
  readonly sessions: Map<string, Session<C>>;
  readonly rooms: Rooms<C>;
  readonly conns: Map<C, Conn<C>>;
  readonly admission: Admission;
  /** A session of this node, with a fresh resume token. */
  newSession(id: string, room: string, metadata: PeerMetadata, conn: Conn<C>): Session<C>;
  remoteSession(id: string, room: string, metadata: PeerMetadata, node: string): Session<C>;
  startSession(conn: Conn<C>, session: Session<C>, before?: Set<string>): void;
  /** Attaches the connection and sends `resumed` and the frames after `lastSeq`. */
  resumeOn(conn: Conn<C>, session: Session<C>, lastSeq: number): void;
  endSession(session: Session<C>, reason: PeerLeaveReason): void;
  deliver(session: Session<C>, body: FrameBody): void;
  stampAndSend(session: Session<C>, body: FrameBody, pendingId: string | undefined): void;
  awaitClient(session: Session<C>): void;
  stopWaiting(session: Session<C>): void;
  error(conn: Conn<C>, code: ErrorCode, message: string, ref?: string): void;
  closeConn(conn: Conn<C>, code: number, reason: string): void;
}

export class ClusterPeers<C> implements ClusterSide {
  remoteCount = 0;
  private framesToNodes = 0;
  private framesFromNodes = 0;
  private unreachable = 0;
  /** Peers whose sessions are being taken over from another node, by this node's connections. */
  private readonly claiming = new Set<string>();
  /** Frames that came from other nodes for sessions whose join the cluster has not confirmed yet. */
  private readonly joining = new Map<string, [FrameBody, string][]>();

  constructor(
    private readonly core: CoreInternals<C>,
    readonly link: ClusterLink,
  ) {}

  stats() {
    return {
      remoteSessions: this.remoteCount,
      framesToNodes: this.framesToNodes,
      framesFromNodes: this.framesFromNodes,
      unreachable: this.unreachable,
    };
  }

  /** A frame for a peer of another node: to that node, which numbers it (dropped while the store is away). */
  forward(id: string, body: FrameBody): void {
    if (!this.link.connected) {
      this.unreachable++;
      return;
    }
    this.framesToNodes++;
    this.link.forward(id, body);
  }

  /**
   * The store orders joins: the newcomer learns everyone who joined before it on any node, and nobody
   * who joined after it (they learn of it instead).
   */
  join(conn: Conn<C>, session: Session<C>): void {
    const { id, room } = session;
    conn.claiming = true;
    const early: [FrameBody, string][] = [];
    this.joining.set(id, early);
    this.link.joined(id, room, session.descriptor(), (members) => {
      conn.claiming = false;
      this.joining.delete(id);
      for (const [peerId, node, descriptor] of members)
        this.remoteJoined(peerId, room, node, descriptor, false);
      if (this.core.conns.get(conn.handle) !== conn || conn.closing) return this.link.left(id, room);
      this.core.startSession(conn, session, new Set(members.map((m) => m[0])));
      for (const [body, pendingId] of early) this.core.stampAndSend(session, body, pendingId);
    });
  }

  /** Whether a resume token names a session this node does not hold, with a valid cluster signature. */
  mayTakeOver(token: string): boolean {
    const id = peerIdOf(token);
    if (id === undefined || !this.link.connected || this.claiming.has(id)) return false;
    const held = this.core.sessions.get(id);
    return (held === undefined || held.remoteNode !== undefined) && this.link.tokenValid(id, token);
  }

  /** Asks the cluster for a session another node held, and resumes it on `conn` when it comes. */
  takeOver(conn: Conn<C>, token: string, lastSeq: number): void {
    const id = peerIdOf(token) as string;
    this.claiming.add(id);
    conn.claiming = true;
    this.link.takeOver(id, (found) => {
      this.claiming.delete(id);
      conn.claiming = false;
      const live = this.core.conns.get(conn.handle) === conn && !conn.closing;
      if (found) return this.adopt(conn, live, id, lastSeq, found);
      if (live)
        this.core.error(conn, 'RESUME_FAILED', 'unknown or expired resume token; join again', 'resume');
    });
  }

  private adopt(conn: Conn<C>, live: boolean, id: string, lastSeq: number, found: TakeOver): void {
    const { core } = this;
    const held = core.sessions.get(id);
    if (held) {
      core.rooms.remove(held);
      if (held.remoteNode !== undefined) this.remoteCount--;
      else core.admission.sessionEnded(held.address, held.tokenKey);
      core.stopWaiting(held);
      held.release();
    }
    const session = core.newSession(id, found.room, metadataOf(found.descriptor), conn);
    // The frames the client has not seen must follow on from what it has, without a gap.
    let next = lastSeq + 1;
    for (const [seq, bytes] of found.stamped) {
      if (seq <= lastSeq) continue;
      if (seq !== next) break;
      session.restore(seq, bytes);
      next++;
    }
    const complete = next > found.seq || found.seq <= lastSeq;
    if (session.seq < lastSeq) session.seq = lastSeq;
    core.rooms.add(session);
    core.sessions.set(id, session);
    core.admission.sessionStarted(session.address, undefined);
    if (!complete) {
      core.endSession(session, 'timeout');
      const why = `frames after seq ${lastSeq} are no longer kept; join again`;
      if (live) core.error(conn, 'RESUME_FAILED', why, 'resume');
      return;
    }
    if (live) core.resumeOn(conn, session, lastSeq);
    else core.awaitClient(session);
    for (const [pendingId, body] of found.pending) core.stampAndSend(session, body, pendingId);
  }

  remoteJoined(id: string, room: string, node: string, descriptor: string, announce: boolean): void {
    const { core } = this;
    const known = core.sessions.get(id);
    if (known) {
      if (known.remoteNode !== undefined) known.remoteNode = node;
      return;
    }
    const session = core.remoteSession(id, room, metadataOf(descriptor), node);
    core.rooms.add(session);
    core.sessions.set(id, session);
    this.remoteCount++;
    if (!announce) return;
    const body = peerJoinedBody(descriptor);
    for (const other of core.rooms.get(room) ?? [])
      if (other.remoteNode === undefined) core.deliver(other, body);
  }

  remoteLeft(id: string, reason: PeerLeaveReason | undefined): void {
    const { core } = this;
    const session = core.sessions.get(id);
    if (!session || session.remoteNode === undefined) return;
    core.sessions.delete(id);
    this.remoteCount--;
    core.rooms.remove(session);
    if (!reason) return;
    const body = peerLeftBody(id, reason);
    for (const other of core.rooms.get(session.room) ?? [])
      if (other.remoteNode === undefined) core.deliver(other, body);
  }

  timedOut(id: string): void {
    const session = this.core.sessions.get(id);
    if (session?.remoteNode !== undefined) this.core.endSession(session, 'timeout');
  }

  moved(id: string, node: string): void {
    const { core } = this;
    const session = core.sessions.get(id);
    if (!session) return;
    if (session.remoteNode !== undefined) {
      session.remoteNode = node;
      return;
    }
    // Its client resumed on another node: this node lets the session go without a word to anyone.
    core.admission.sessionEnded(session.address, session.tokenKey);
    core.stopWaiting(session);
    session.release();
    const conn = session.conn;
    session.conn = undefined;
    session.remoteNode = node;
    this.remoteCount++;
    if (conn) {
      conn.session = undefined;
      core.closeConn(conn, CLOSE_CODES.SESSION_RESUMED, 'session resumed on another node');
    }
  }

  fromCluster(id: string, body: FrameBody, pendingId: string): void {
    const early = this.joining.get(id);
    if (early) return void early.push([body, pendingId]);
    const session = this.core.sessions.get(id);
    if (!session || session.remoteNode !== undefined) return;
    this.framesFromNodes++;
    this.core.stampAndSend(session, body, pendingId);
  }

  *localSessions(): Iterable<{ id: string; room: string; descriptor: string }> {
    for (const s of this.core.sessions.values())
      if (s.remoteNode === undefined) yield { id: s.id, room: s.room, descriptor: s.descriptor() };
  }

  remoteNodes(): Map<string, string[]> {
    const nodes = new Map<string, string[]>();
    for (const s of this.core.sessions.values()) {
      if (s.remoteNode === undefined) continue;
      const list = nodes.get(s.remoteNode);
      if (list) list.push(s.id);
      else nodes.set(s.remoteNode, [s.id]);
    }
    return nodes;
  }

  get localCount(): number {
    return this.core.sessions.size - this.remoteCount;
  }
}

function metadataOf(descriptor: string): PeerMetadata {
  return (JSON.parse(descriptor) as { metadata?: PeerMetadata }).metadata ?? NO_METADATA;
}
