/**
 * The signaling connection: one WebSocket at a time to the server, joined to one room. When the socket
 * drops it reconnects with backoff and jitter and resumes the session (same peer id, missed frames
 * replayed); sequenced frames reach the app in order and exactly once; acks let the server trim its buffer.
 */
import {
  CLOSE_CODES,
  type ClientFrame,
  decodeServerFrameLight,
  ParleyError,
  PROTOCOL_VERSION,
  type ServerFrameMap,
  subprotocol,
} from '@parley/protocol/client';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { Emitter } from './emitter.js';
import { Heartbeat, type HeartbeatOptions } from './heartbeat.js';
import { SequenceTracker } from './sequence.js';
import type { WebSocketConstructor, WebSocketLike } from './types.js';

export type JoinedFrame = ServerFrameMap['joined'];
export type Session = JoinedFrame | ServerFrameMap['resumed'];
export type SequencedFrame = ServerFrameMap['peer-joined' | 'peer-left' | 'signal' | 'message'];
export type SignalingState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export type SignalingEvents = {
  /** A sequenced frame, new and in order. */
  frame: [frame: SequencedFrame];
  state: [state: SignalingState];
  /** The old session could not be resumed; this is a fresh join with a new peer id. */
  rejoined: [session: JoinedFrame];
  /** An error frame the server sent about something this client did (not fatal). */
  error: [error: ParleyError];
};

export interface SignalingOptions {
  /** The server's URL, or several (the nodes of a cluster): a failed attempt moves on to the next. */
  url: string | readonly string[];
  WebSocket: WebSocketConstructor;
  join: { room: string; token?: string; metadata?: Record<string, unknown> };
  reconnect?: BackoffOptions;
  heartbeat?: HeartbeatOptions;
  /** Unacknowledged frames are acked after this long at most (default 1 s). */
  ackDelayMs?: number;
}

const OPEN = 1;
const MAX_OUTBOX = 1024;
/** Close codes after which reconnecting is pointless. */
const TERMINAL_CLOSES = new Set<number>([
  CLOSE_CODES.KICKED,
  CLOSE_CODES.UNSUPPORTED_VERSION,
  CLOSE_CODES.ORIGIN_FORBIDDEN,
]);

export class SignalingClient extends Emitter<SignalingEvents> {
  readonly #options: SignalingOptions;
  readonly #seq = new SequenceTracker();
  #ws: WebSocketLike | undefined;
  #state: SignalingState = 'connecting';
  #session: Session | undefined;
  #attempt = 0;
  readonly #urls: readonly string[];
  /** The URL dialled now (an index into #urls). */
  #urlAt = 0;
  /** URLs the first join has tried (it tries each once before it gives up). */
  #firstTries = 0;
  /** Set until the first join settles: its failures reject connect() instead of reconnecting. */
  #firstJoin: { resolve: (frame: JoinedFrame) => void; reject: (err: ParleyError) => void } | undefined;
  #outbox: ClientFrame[] = [];
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #heartbeat: Heartbeat;
  /** Frames that arrive before the consumer has subscribed wait here (see start()). */
  #held: SequencedFrame[] | undefined = [];

  constructor(options: SignalingOptions) {
    super();
    this.#options = options;
    this.#urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (this.#urls.length === 0) throw new ParleyError('CONNECT_FAILED', 'no signaling URL given');
    this.#heartbeat = new Heartbeat(
      options.heartbeat ?? {},
      (id) => {
        if (this.#ws?.readyState === OPEN) this.#ws.send(JSON.stringify({ type: 'ping', id }));
      },
      // A dead server or path: give up on this socket and reconnect.
      () => this.#onDrop(1006),
    );
  }

  get state(): SignalingState {
    return this.#state;
  }

  get session(): Session | undefined {
    return this.#session;
  }

  /** Opens the socket and joins; resolves with `joined`, rejects with the server's error or CONNECT_FAILED. */
  connect(): Promise<JoinedFrame> {
    return new Promise((resolve, reject) => {
      this.#firstJoin = { resolve, reject };
      this.#dial();
    });
  }

  /** Starts delivering `frame` events, beginning with any that arrived since the join. */
  start(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const frame of held) this.emit('frame', frame);
  }

  /** Sends a frame now, or after the next (re)connect when the socket is down. */
  /**
   * Asks the server for a sign of life now, when something suggests the path may be gone (a peer
   * connection dropping): a dead socket is then noticed in seconds instead of at the heartbeat's pace.
   */
  probe(): void {
    if (this.#state === 'connected') this.#heartbeat.probe();
  }

  send(frame: ClientFrame): void {
    if (this.#state === 'closed') throw new ParleyError('ROOM_CLOSED');
    if (this.#state === 'connected' && this.#ws?.readyState === OPEN) {
      this.#ws.send(JSON.stringify(frame));
      return;
    }
    if (this.#outbox.length >= MAX_OUTBOX) throw new ParleyError('SEND_QUEUE_FULL');
    this.#outbox.push(frame);
  }

  /** Sends `leave` (when connected) and closes for good; the close frame follows the leave in order. */
  async leave(): Promise<void> {
    if (this.#state === 'closed') return;
    const ws = this.#ws;
    if (this.#state === 'connected' && ws?.readyState === OPEN) {
      ws.send(JSON.stringify({ type: 'leave' }));
    }
    this.#shutdown(1000);
  }

  /** Closes without a leave frame (the server will time the session out). */
  close(): void {
    this.#shutdown();
  }

  #open(): WebSocketLike {
    const ws = new this.#options.WebSocket(this.#url, [subprotocol(PROTOCOL_VERSION)]) as WebSocketLike;
    this.#ws = ws;
    return ws;
  }

  /** Wires a socket that has joined or resumed into the steady-state handlers. */
  #adopt(ws: WebSocketLike): void {
    this.#ws = ws;
    ws.onmessage = (ev) => {
      if (this.#ws !== ws) return;
      this.#heartbeat.heard();
      const frame = this.#decode(ev.data);
      if (frame) this.#onFrame(frame);
    };
    ws.onclose = (ev) => {
      if (this.#ws === ws) this.#onDrop(ev.code);
    };
    ws.onerror = () => {};
    this.#heartbeat.start();
  }

  #decode(data: unknown): ServerFrameMap[keyof ServerFrameMap] | undefined {
    if (typeof data !== 'string') return undefined;
    const result = decodeServerFrameLight(data);
    if (!result.ok) {
      this.emit('error', new ParleyError(result.code, `bad frame from server: ${result.message}`));
      return undefined;
    }
    return result.frame;
  }

  #onSession(session: Session): void {
    const fresh = session.type === 'joined';
    this.#session = session;
    if (fresh) this.#seq.reset(session.seq);
    this.#attempt = 0;
    this.#setState('connected');
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const frame of outbox) {
      // Signals queued for the old session's peers make no sense after a fresh join.
      if (fresh && frame.type === 'signal') continue;
      this.send(frame);
    }
  }

  #onFrame(frame: ServerFrameMap[keyof ServerFrameMap]): void {
    switch (frame.type) {
      case 'resumed':
        this.#onSession(frame);
        return;
      case 'joined': {
        const first = this.#firstJoin;
        this.#firstJoin = undefined;
        this.#onSession(frame);
        if (first) first.resolve(frame);
        else this.emit('rejoined', frame);
        return;
      }
      case 'error': {
        const err = ParleyError.fromServer(frame.code, frame.message);
        if (frame.code === 'RESUME_FAILED') this.#rejoin();
        // A refused join (ROOM_FULL, UNAUTHORIZED…) leaves nothing to resume: this client is out of the room.
        else if (!this.#session) this.#fail(err, 1006, true);
        else this.emit('error', err);
        return;
      }
      case 'pong':
        return;
      default:
        if (!this.#seq.accept(frame.seq)) return;
        this.#scheduleAck();
        if (this.#held) this.#held.push(frame);
        else this.emit('frame', frame);
    }
  }

  /** The resume token is gone: join the room again on the same socket, as a new peer. */
  #rejoin(): void {
    this.#session = undefined;
    this.#ws?.send(JSON.stringify({ type: 'join', ...this.#options.join }));
  }

  #scheduleAck(): void {
    if (this.#seq.ackDue) {
      this.#sendAck();
      return;
    }
    this.#ackTimer ??= setTimeout(() => this.#sendAck(), this.#options.ackDelayMs ?? 1000);
  }

  #sendAck(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (!this.#seq.hasUnacked || this.#ws?.readyState !== OPEN || this.#state !== 'connected') return;
    this.#ws.send(JSON.stringify({ type: 'ack', seq: this.#seq.takeAck() }));
  }

  #onDrop(code: number): void {
    this.#heartbeat.stop();
    const ws = this.#ws;
    if (ws) this.#forget(ws);
    this.#ws = undefined;
    if (this.#state === 'closed') return;
    if (TERMINAL_CLOSES.has(code)) {
      this.#shutdown();
      return;
    }
    // A draining node will not take us back: resume on the next one, and at once.
    if (code === CLOSE_CODES.DRAINING) {
      this.#nextUrl();
      this.#attempt = 0;
    }
    this.#setState('reconnecting');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delay = backoffDelay(this.#attempt++, this.#options.reconnect);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#state === 'closed') return;
      this.#dial();
    }, delay);
    this.#timers.add(timer);
  }

  /** Opens a socket and says hello (resume when there is a session, else join); adopts it on the answer. */
  #dial(): void {
    let ws: WebSocketLike;
    try {
      ws = this.#open();
    } catch (err) {
      this.#fail(new ParleyError('CONNECT_FAILED', `cannot open ${this.#url}`, { cause: err }));
      return;
    }
    // An attempt that neither opens nor fails (packets silently dropped) must not stall.
    const stall = setTimeout(() => {
      this.#timers.delete(stall);
      if (this.#ws === ws) this.#fail(new ParleyError('CONNECT_FAILED', 'no answer from the server in time'));
    }, this.#heartbeat.timeoutMs);
    this.#timers.add(stall);
    ws.onopen = () => {
      const session = this.#session;
      const hello = session
        ? { type: 'resume', token: session.resumeToken, lastSeq: this.#seq.last }
        : { type: 'join', ...this.#options.join };
      ws.send(JSON.stringify(hello));
    };
    ws.onerror = () => {};
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#fail(
        new ParleyError('CONNECT_FAILED', `socket closed before the session started (${ev.code})`),
        ev.code,
      );
    };
    ws.onmessage = (ev) => {
      if (this.#ws !== ws) return;
      const frame = this.#decode(ev.data);
      if (!frame) return;
      if (frame.type === 'resumed' || frame.type === 'joined') {
        clearTimeout(stall);
        this.#timers.delete(stall);
        this.#adopt(ws);
      }
      this.#onFrame(frame);
    };
  }

  /**
   * A dial failed, or the server refused the join (`refused`). The first join rejects and closes; later, a
   * transport failure counts as a drop and is retried, a refused join ends the room.
   */
  #fail(err: ParleyError, code = 1006, refused = false): void {
    if (!refused && this.#urls.length > 1) {
      // This server is unreachable: the next attempt goes to the next one.
      this.#nextUrl();
      if (this.#firstJoin && ++this.#firstTries < this.#urls.length) {
        if (this.#ws) this.#forget(this.#ws);
        this.#ws = undefined;
        this.#dial();
        return;
      }
    }
    const first = this.#firstJoin;
    this.#firstJoin = undefined;
    if (first) {
      this.#shutdown();
      first.reject(err);
    } else if (refused) {
      this.emit('error', err);
      this.#shutdown();
    } else this.#onDrop(code);
  }

  /** Detaches a socket so nothing it does later reaches us, and closes it. */
  #forget(ws: WebSocketLike, code?: number): void {
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {};
    try {
      ws.close(code);
    } catch {
      // Closing a socket that is still connecting may throw in some implementations; it is gone either way.
    }
  }

  #shutdown(code?: number): void {
    this.#heartbeat.stop();
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#ackTimer = undefined;
    if (this.#ws) this.#forget(this.#ws, code);
    this.#ws = undefined;
    this.#outbox = [];
    this.#setState('closed');
  }

  get #url(): string {
    return this.#urls[this.#urlAt] as string;
  }

  #nextUrl(): void {
    this.#urlAt = (this.#urlAt + 1) % this.#urls.length;
  }

  #setState(state: SignalingState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
