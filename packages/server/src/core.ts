/**
 * The signaling core: rooms, presence, relay, resume and limits as plain logic. Sockets, the clock and
 * randomness are injected, so the same core runs under a fake clock in unit tests and under `ws` in
 * production. It never throws on client input: every bad frame gets an error frame with a stable code.
 */
import {
  CLOSE_CODES,
  type ClientFrameMap,
  decodeClientFrame,
  ERROR_CODES,
  type ErrorCode,
  encodeError,
  encodePong,
  encodeSessionFrame,
  type FrameBody,
  type PeerLeaveReason,
  peerJoinedBody,
  peerLeftBody,
  relayedBody,
} from '@parley/protocol';

export type { Clock, CoreDeps, CoreStats, Random, Transport } from './core-types.js';

import { fullBucket, takeToken } from '@parley/limits';
import { Admission } from './admission.js';
import type { ClusterSide } from './cluster-link.js';
import { ClusterPeers, type CoreInternals } from './core-cluster.js';
import type { CoreDeps, CoreStats } from './core-types.js';
import { HEARD, type LivenessRecord, QUIET } from './liveness.js';
import { type ConnContext, type CoreOptions, DEFAULTS } from './options.js';
import { ReplayBudget } from './replay-buffer.js';
import { peerIdOf, resumeToken, tokenMatches } from './resume-token.js';
import { Rooms } from './rooms.js';
import { Conn, NO_METADATA, Session } from './session.js';

/** A remote session keeps no frames: the node that holds its client does. */
const NO_REPLAY = { maxFrames: 0, maxBytes: 0 };

export class SignalingCore<C> {
  readonly options: CoreOptions;
  private readonly conns = new Map<C, Conn<C>>();
  private readonly sessionsById = new Map<string, Session<C>>();
  private readonly rooms = new Rooms<C>();
  private framesIn = 0;
  private framesOut = 0;
  private readonly errorCounts: Record<string, number> = {};
  private readonly admission: Admission;
  private readonly replayBudget: ReplayBudget;
  private droppedCount = 0;
  private seatsReclaimed = 0;
  private idleClosed = 0;
  /** In a cluster: the peers of other nodes, and what the adapter asks of this core (core-cluster.ts). */
  private readonly cluster: ClusterPeers<C> | undefined;

  constructor(
    options: Partial<CoreOptions>,
    private readonly deps: CoreDeps<C>,
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.replayBudget = new ReplayBudget(this.options.replayTotalBytes);
    this.admission = new Admission(this.options);
    this.cluster = deps.cluster && new ClusterPeers(this.internals(), deps.cluster);
  }

  /** What a cluster adapter calls (undefined without a cluster). */
  get clusterSide(): ClusterSide | undefined {
    return this.cluster;
  }

  /** Sessions this node holds (in a cluster, not those of other nodes). */
  get localCount(): number {
    return this.sessionsById.size - (this.cluster?.remoteCount ?? 0);
  }

  stats(): CoreStats {
    return {
      connections: this.conns.size,
      sessions: this.localCount,
      rooms: this.rooms.count,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      errors: { ...this.errorCounts },
      dropped: this.droppedCount,
      replayBytes: this.replayBudget.used,
      replayOverBudget: this.replayBudget.refusals,
      seatsReclaimed: this.seatsReclaimed,
      idleClosed: this.idleClosed,
      ...(this.cluster ? { cluster: this.cluster.stats() } : {}),
    };
  }

  /** A socket opened. */
  open(handle: C, context: ConnContext = {}): void {
    const conn = new Conn(
      handle,
      context.host,
      context.address ?? 'unknown',
      fullBucket(this.options.rateLimit.burst, this.deps.clock.now()),
    );
    this.conns.set(handle, conn);
    this.admission.connectionOpened(conn.address, this.deps.clock.now());
    this.armIdle(conn);
  }

  /**
   * A connection in no room is closed (4006 IDLE) once it has been so for `idleTimeoutMs`: before its
   * first join, and after a leave. Live sessions are watched by liveness pings instead.
   */
  private armIdle(conn: Conn<C>): void {
    if (this.options.idleTimeoutMs <= 0) return;
    conn.cancelIdle = this.deps.clock.setTimeout(() => {
      conn.cancelIdle = undefined;
      if (conn.session || this.conns.get(conn.handle) !== conn) return;
      this.idleClosed++;
      this.closeConn(conn, CLOSE_CODES.IDLE, 'IDLE');
    }, this.options.idleTimeoutMs);
  }

  /** Every open connection's handle. */
  handles(): IterableIterator<C> {
    return this.conns.keys();
  }

  /** How many connections are open. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /**
   * Every open connection's liveness record: its handle and the state of its liveness ping. The transport
   * pings and times; keeping the state here costs no allocation per ping.
   */
  livenessRecords(): IterableIterator<LivenessRecord<C>> {
    return this.conns.values();
  }

  /** Proof of life from a socket (a pong): its outstanding ping is answered. */
  alive(handle: C): void {
    const conn = this.conns.get(handle);
    if (conn) conn.pingAt = QUIET;
  }

  /** A text frame arrived; `bytes` is its size on the wire. */
  receive(handle: C, text: string, bytes = text.length): void {
    const conn = this.conns.get(handle);
    // A connection the server is closing (or moving a session to) gets nothing more done for it.
    if (!conn || conn.closing || conn.claiming) return;
    this.framesIn++;
    // Any frame proves the socket alive, and spares it the next liveness ping.
    conn.pingAt = HEARD;
    if (!this.admission.take(conn, bytes, this.deps.clock.now())) return this.refuseForRate(conn);
    conn.strikes = 0;
    // Before a join, only join, resume and ping make sense, and they are small: nothing bigger is parsed.
    const limit = conn.session ? this.options.maxFrameBytes : this.admission.preJoinMaxBytes;
    if (bytes > limit) {
      return this.error(
        conn,
        'FRAME_TOO_LARGE',
        `frame of ${bytes} bytes; the limit is ${limit}${conn.session ? '' : ' before a join'}`,
      );
    }
    const decoded = decodeClientFrame(text);
    if (!decoded.ok) return this.error(conn, decoded.code, decoded.message, decoded.ref);
    if (decoded.frame.type !== 'resume' && conn.session) conn.session.previousResumeToken = undefined;
    try {
      this.dispatch(conn, decoded.frame, text);
    } catch (err) {
      this.deps.onInternalError?.(err);
      this.error(conn, 'INTERNAL', 'the server failed handling this frame', decoded.frame.type);
    }
  }

  /** A binary frame arrived: signaling is text only. */
  receiveBinary(handle: C): void {
    const conn = this.conns.get(handle);
    if (!conn || conn.closing) return;
    conn.pingAt = HEARD;
    if (!this.admission.take(conn, 1, this.deps.clock.now())) return this.refuseForRate(conn);
    this.error(conn, 'BINARY_NOT_SUPPORTED', 'signaling frames are JSON text');
  }

  /** The socket is gone without a leave: keep the session for the resume window. */
  closed(handle: C): void {
    const conn = this.conns.get(handle);
    if (!conn) return;
    this.conns.delete(handle);
    this.admission.connectionClosed(conn.address);
    conn.cancelIdle?.();
    conn.cancelIdle = undefined;
    const session = conn.session;
    if (!session || session.conn !== conn) return;
    session.conn = undefined;
    if (this.options.resumeWindowMs <= 0) return this.endSession(session, 'timeout');
    this.awaitClient(session);
  }

  /** A session without a connection waits for its client for the resume window. */
  private awaitClient(session: Session<C>): void {
    session.droppedAt = this.deps.clock.now();
    this.droppedCount++;
    session.cancelExpiry = this.deps.clock.setTimeout(
      () => this.endSession(session, 'timeout'),
      this.options.resumeWindowMs,
    );
  }

  /** Stops a session's wait for its client, if it was waiting. */
  private stopWaiting(session: Session<C>): void {
    if (session.cancelExpiry) this.droppedCount--;
    session.cancelExpiry?.();
    session.cancelExpiry = undefined;
  }

  /** The connection of a peer, if it has one now. */
  connectionOf(peerId: string): C | undefined {
    return this.sessionsById.get(peerId)?.conn?.handle;
  }

  private dispatch(conn: Conn<C>, frame: ClientFrameMap[keyof ClientFrameMap], text: string): void {
    switch (frame.type) {
      case 'join':
        return this.join(conn, frame);
      case 'resume':
        return this.resume(conn, frame);
      case 'signal':
      case 'message':
        return this.relay(conn, frame, text);
      case 'leave':
        return this.leave(conn);
      case 'ack':
        if (conn.session) this.deps.cluster?.acked(conn.session.id, frame.seq);
        return conn.session?.ack(frame.seq);
      case 'ping':
        return this.send(conn, encodePong(frame.id));
    }
  }

  /**
   * Every check comes first and every frame is built before anything changes, so a join either
   * completes for everyone or has no effect at all.
   */
  private join(conn: Conn<C>, frame: ClientFrameMap['join']): void {
    if (conn.session)
      return this.error(conn, 'ALREADY_IN_ROOM', `already in room "${conn.session.room}"`, 'join');
    if (this.options.authorize && !this.options.authorize({ room: frame.room, token: frame.token })) {
      return this.error(conn, 'UNAUTHORIZED', 'the room token is missing, invalid or expired', 'join');
    }
    const refusal = this.admission.joinRefusal(conn.address, frame, {
      size: this.rooms.size(frame.room),
      rooms: this.rooms.count,
      seatFree: this.seatFor(frame.room) !== undefined,
    });
    if (refusal) return this.error(conn, refusal[0], refusal[1], 'join');
    const { random } = this.deps;
    const id = random.peerId();
    const session = new Session<C>(
      id,
      frame.room,
      frame.metadata ?? NO_METADATA,
      this.newResumeToken(id),
      this.options.replay,
      this.replayBudget,
      conn.address,
      this.admission.tokenKeyOf(frame),
    );
    session.resumes = fullBucket(this.options.resumeRate.burst, this.deps.clock.now());
    if (this.cluster?.link.connected) return this.cluster.join(conn, session);
    this.startSession(conn, session);
  }

  /** Every check has passed: the session enters its room and everyone there is told. */
  private startSession(conn: Conn<C>, session: Session<C>, before?: Set<string>): void {
    const seat = this.seatFor(session.room);
    // A room's array is replaced, never changed, when someone joins or leaves: this one stays as it is.
    // In a cluster, the peers of other nodes it sees are those that joined before it (`before`).
    const others = (this.rooms.get(session.room) ?? []).filter(
      (s) => s !== seat && (before === undefined || s.remoteNode === undefined || before.has(s.id)),
    );
    const joined = this.sessionFrame('joined', session, others, conn.host);
    const body = peerJoinedBody(session.descriptor());
    if (seat) {
      this.seatsReclaimed++;
      this.endSession(seat, 'timeout');
    }
    this.attach(conn, session);
    this.rooms.add(session);
    this.sessionsById.set(session.id, session);
    this.admission.sessionStarted(session.address, session.tokenKey);
    this.send(conn, joined);
    for (const other of others) this.deliver(other, body);
  }

  private seatFor(room: string): Session<C> | undefined {
    return this.rooms.reclaimableSeat(room, this.options.maxPeersPerRoom);
  }

  private resume(conn: Conn<C>, frame: ClientFrameMap['resume']): void {
    if (conn.session)
      return this.error(conn, 'ALREADY_IN_ROOM', `already in room "${conn.session.room}"`, 'resume');
    const session = this.sessionByToken(frame.token);
    if (!session) {
      // In a cluster, a session another node holds (or held, when that node died) is taken over.
      if (this.cluster?.mayTakeOver(frame.token))
        return this.cluster.takeOver(conn, frame.token, frame.lastSeq);
      return this.error(conn, 'RESUME_FAILED', 'unknown or expired resume token; join again', 'resume');
    }
    // Each resume sends the whole replay buffer: a session may not ask for it over and over.
    const r = this.options.resumeRate;
    if (!takeToken(session.resumes, this.deps.clock.now(), 1000 / r.everyMs, r.burst)) {
      this.error(
        conn,
        'RATE_LIMITED',
        `more than ${r.burst} resumes of one session in a row; retry later`,
        'resume',
      );
      return this.closeConn(conn, CLOSE_CODES.POLICY_VIOLATION, 'RATE_LIMITED');
    }
    const replay = session.replaySince(frame.lastSeq);
    if (!replay) {
      // Frames the client needs are gone: resuming would break exactly-once, so the session ends here.
      this.endSession(session, 'timeout');
      return this.error(
        conn,
        'RESUME_FAILED',
        `frames after seq ${frame.lastSeq} are no longer kept; join again`,
        'resume',
      );
    }
    const old = session.conn;
    if (old) {
      old.session = undefined;
      this.closeConn(old, CLOSE_CODES.SESSION_RESUMED, 'session resumed on another connection');
    }
    this.stopWaiting(session);
    // The token just used stays good until the client shows it has the new one (any other frame on this
    // connection): a `resumed` lost with its connection must not cost the client its session.
    session.previousResumeToken = session.resumeToken;
    session.resumeToken = this.newResumeToken(session.id);
    this.attach(conn, session);
    session.ack(frame.lastSeq);
    const others = (this.rooms.get(session.room) ?? []).filter((s) => s !== session);
    // A resume's frames come at once by design: they are not taken for a slow reader's backlog.
    this.send(conn, this.sessionFrame('resumed', session, others, conn.host), true);
    for (const text of replay) this.send(conn, text, true);
  }

  private relay(
    conn: Conn<C>,
    frame: ClientFrameMap['signal'] | ClientFrameMap['message'],
    text: string,
  ): void {
    const session = conn.session;
    if (!session)
      return this.error(conn, 'NOT_IN_ROOM', `join a room before sending "${frame.type}"`, frame.type);
    // The client's own bytes with `from` stamped in front: nothing is re-serialised.
    const body = relayedBody(session.id, text);
    if (frame.to !== undefined) {
      const target = frame.to === session.id ? undefined : this.sessionsById.get(frame.to);
      if (!target || target.room !== session.room)
        return this.error(
          conn,
          'PEER_NOT_FOUND',
          `no peer "${frame.to}" in room "${session.room}"`,
          frame.type,
        );
      return this.deliver(target, body);
    }
    if (frame.type === 'signal') return; // unreachable: the schema requires `to` on signal
    for (const other of this.rooms.get(session.room) ?? []) if (other !== session) this.deliver(other, body);
  }

  private leave(conn: Conn<C>): void {
    const session = conn.session;
    if (!session) return this.error(conn, 'NOT_IN_ROOM', 'not in a room', 'leave');
    this.endSession(session, 'left');
  }

  private attach(conn: Conn<C>, session: Session<C>): void {
    conn.cancelIdle?.();
    conn.cancelIdle = undefined;
    conn.session = session;
    session.conn = conn;
  }

  private newResumeToken(peerId: string): string {
    return this.deps.cluster?.mintToken(peerId) ?? resumeToken(peerId, this.deps.random.token());
  }

  private sessionByToken(token: string): Session<C> | undefined {
    const id = peerIdOf(token);
    const session = id === undefined ? undefined : this.sessionsById.get(id);
    return session && tokenMatches(session, token) ? session : undefined;
  }

  private endSession(session: Session<C>, reason: PeerLeaveReason): void {
    if (this.sessionsById.get(session.id) !== session) return;
    this.sessionsById.delete(session.id);
    if (session.remoteNode === undefined) {
      this.admission.sessionEnded(session.address, session.tokenKey);
      this.deps.cluster?.left(session.id, session.room);
    } else if (this.cluster) this.cluster.remoteCount--;
    this.stopWaiting(session);
    session.release();
    const conn = session.conn;
    session.conn = undefined;
    if (conn) {
      conn.session = undefined;
      this.armIdle(conn);
    }
    this.rooms.remove(session);
    const body = peerLeftBody(session.id, reason);
    for (const other of this.rooms.get(session.room) ?? []) this.deliver(other, body);
  }

  /**
   * Numbers a frame for a session, keeps it for replay, and sends it if the session is connected. In a
   * cluster, a frame for a peer on another node goes to that node, which numbers it.
   */
  private deliver(session: Session<C>, body: FrameBody): void {
    if (session.remoteNode !== undefined) return this.cluster?.forward(session.id, body);
    this.stampAndSend(session, body, undefined);
  }

  private stampAndSend(session: Session<C>, body: FrameBody, pendingId: string | undefined): void {
    const text = session.stamp(body);
    this.framesOut++;
    this.deps.cluster?.stamped(session.id, session.seq, text, pendingId);
    if (session.conn) this.send(session.conn, text);
  }

  private sessionFrame(
    type: 'joined' | 'resumed',
    session: Session<C>,
    others: readonly Session<C>[],
    host: string | undefined,
  ): string {
    const ice = this.options.iceServers;
    return encodeSessionFrame(type, {
      room: session.room,
      selfId: session.id,
      peers: others.map((s) => ({ id: s.id, metadata: s.metadata })),
      iceServers: typeof ice === 'function' ? ice(session.id, { host }) : ice,
      resumeToken: session.resumeToken,
      resumeWindowMs: this.options.resumeWindowMs,
      seq: session.seq,
    });
  }

  private refuseForRate(conn: Conn<C>): void {
    conn.strikes++;
    if (conn.strikes > this.options.maxRateStrikes) {
      return this.closeConn(conn, CLOSE_CODES.POLICY_VIOLATION, 'RATE_LIMITED');
    }
    const { perSecond, burst } = this.options.rateLimit;
    this.error(conn, 'RATE_LIMITED', `more than ${perSecond} frames/s (burst ${burst}); frame not processed`);
  }

  private error(conn: Conn<C>, code: ErrorCode, message: string = ERROR_CODES[code], ref?: string): void {
    this.errorCounts[code] = (this.errorCounts[code] ?? 0) + 1;
    this.send(conn, encodeError(code, message, ref));
  }

  /** Closes a connection, and from now on ignores what it sends (`ws` delivers frames while closing). */
  private closeConn(conn: Conn<C>, code: number, reason: string): void {
    conn.closing = true;
    this.deps.transport.close(conn.handle, code, reason);
  }

  private send(conn: Conn<C>, text: string | Uint8Array, burst = false): void {
    this.deps.transport.send(conn.handle, text, burst);
  }

  /** The parts of this core the cluster side works with (core-cluster.ts). */
  private internals(): CoreInternals<C> {
    return {
      options: this.options,
      clock: this.deps.clock,
      sessions: this.sessionsById,
      rooms: this.rooms,
      conns: this.conns,
      admission: this.admission,
      newSession: (id, room, metadata, conn) => {
        const session = new Session<C>(
          id,
          room,
          metadata,
          this.newResumeToken(id),
          this.options.replay,
          this.replayBudget,
          conn.address,
          undefined,
        );
        session.resumes = fullBucket(this.options.resumeRate.burst, this.deps.clock.now());
        return session;
      },
      remoteSession: (id, room, metadata, node) => {
        const session = new Session<C>(id, room, metadata, '', NO_REPLAY, this.replayBudget, node, undefined);
        session.remoteNode = node;
        return session;
      },
      startSession: (conn, session, before) => this.startSession(conn, session, before),
      resumeOn: (conn, session, lastSeq) => {
        this.attach(conn, session);
        const others = (this.rooms.get(session.room) ?? []).filter((s) => s !== session);
        this.send(conn, this.sessionFrame('resumed', session, others, conn.host), true);
        for (const text of session.replaySince(lastSeq) ?? []) this.send(conn, text, true);
      },
      endSession: (session, reason) => this.endSession(session, reason),
      deliver: (session, body) => this.deliver(session, body),
      stampAndSend: (session, body, pendingId) => this.stampAndSend(session, body, pendingId),
      awaitClient: (session) => this.awaitClient(session),
      stopWaiting: (session) => this.stopWaiting(session),
      error: (conn, code, message, ref) => this.error(conn, code, message, ref),
      closeConn: (conn, code, reason) => this.closeConn(conn, code, reason),
    };
  }
}
