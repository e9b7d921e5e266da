/**
 * `joinRoom()` and the Room: presence (who is here), app messages relayed by the server, and one Peer per
 * remote participant. The newcomer offers to everyone already in the room; the others wait for its offer.
 */
import {
  type IceServerConfig,
  ParleyError,
  type PeerLeaveReason,
  type PeerMetadata,
} from '@parley/protocol/client';
import type { BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { iceServersFor } from './ice-config.js';
import { Peer } from './peer.js';
import type { RecoveryOptions } from './recovery.js';
import { type SequencedFrame, type Session, SignalingClient } from './signaling.js';
import type { RtcImplementation, WebSocketConstructor } from './types.js';

export interface JoinOptions {
  /**
   * The signaling endpoint, e.g. `wss://parley.example/ws` (Node also takes `ws+unix:///path.sock:/ws`),
   * or the endpoints of a cluster's nodes: a (re)connect that fails moves on to the next one, and a node
   * that drains sends its clients to the next one.
   */
  url: string | readonly string[];
  room: string;
  /** A room token (JWT) when the server requires one. */
  token?: string;
  /** What the other peers see about you (display name…). */
  metadata?: PeerMetadata;
  /** The RTCPeerConnection implementation; default globalThis. Node: `await import('node-datachannel/polyfill')`. */
  rtc?: RtcImplementation;
  /** The WebSocket implementation; default globalThis.WebSocket. Node 20: `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /** Replaces the ICE servers the server hands out. */
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Signaling reconnect backoff (default 250 ms doubling to 10 s, with jitter). */
  reconnect?: BackoffOptions;
  /**
   * App-level heartbeat on the signaling socket: ping after 20 s without hearing from the server, give
   * the socket up after 30 s of silence (or 5 s after a probe, made when a peer connection drops).
   */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  /** When to restart ICE (default: `disconnected` for 3 s, `failed`, or no connection within 10 s). */
  iceRecovery?: RecoveryOptions;
}

export type RoomState = 'connected' | 'reconnecting' | 'closed';

export type RoomEvents = {
  'peer-joined': [peer: Peer];
  'peer-left': [peer: Peer, reason: PeerLeaveReason];
  /** An app message relayed by the server (`broadcast` or `sendTo`). */
  message: [data: unknown, fromId: string];
  state: [state: RoomState];
  /** The session could not be resumed, so the room was joined again: a new `selfId`. */
  rejoined: [selfId: string];
  /** The server refused something this client sent (e.g. RATE_LIMITED); the room carries on. */
  error: [error: ParleyError];
};

export class Room extends Emitter<RoomEvents> {
  readonly name: string;
  readonly #signaling: SignalingClient;
  readonly #peers = new Map<string, Peer>();
  readonly #options: JoinOptions;
  readonly #rtc: RtcImplementation;
  #selfId: string;
  #iceServers: IceServerConfig[];
  #state: RoomState = 'connected';

  /** @internal Use joinRoom(). */
  constructor(options: JoinOptions, rtc: RtcImplementation, signaling: SignalingClient, session: Session) {
    super();
    this.name = session.room;
    this.#options = options;
    this.#rtc = rtc;
    this.#signaling = signaling;
    this.#selfId = session.selfId;
    this.#iceServers = session.iceServers;
    signaling.on('frame', (frame) => this.#onFrame(frame));
    signaling.on('state', (s) =>
      this.#setState(s === 'closed' ? 'closed' : s === 'connected' ? 'connected' : 'reconnecting'),
    );
    signaling.on('rejoined', (s) => this.#onRejoined(s));
    signaling.on('error', (err) => {
      // A signal to a peer that has just left is expected during churn, not news for the app.
      if (err.code !== 'PEER_NOT_FOUND') this.emit('error', err);
    });
    for (const info of session.peers) this.#addPeer(info.id, info.metadata, true);
    signaling.start();
  }

  get selfId(): string {
    return this.#selfId;
  }

  get peers(): ReadonlyMap<string, Peer> {
    return this.#peers;
  }

  get state(): RoomState {
    return this.#state;
  }

  /** Sends an app message to everyone else in the room, through the server. */
  broadcast(data: unknown): void {
    this.#signaling.send({ type: 'message', data });
  }

  /** Sends an app message to one peer, through the server. */
  sendTo(peerId: string, data: unknown): void {
    this.#signaling.send({ type: 'message', to: peerId, data });
  }

  /** Leaves the room: the others are told at once; every peer connection closes. */
  async leave(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.#signaling.leave();
    this.#closeAll();
  }

  #closeAll(): void {
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    this.#setState('closed');
  }

  #addPeer(id: string, metadata: PeerMetadata, initiator: boolean): Peer {
    const peer = new Peer(
      id,
      metadata,
      {
        rtc: this.#rtc,
        config: () => this.#rtcConfig(),
        selfId: () => this.#selfId,
        signal: (to, data) => {
          if (this.#state === 'closed') return;
          try {
            this.#signaling.send({ type: 'signal', to, data });
          } catch {
            // The outbox is full during a long outage; recovery renegotiates once signaling is back.
          }
        },
        probeSignaling: () => this.#signaling.probe(),
        ...(this.#options.iceRecovery ? { recovery: this.#options.iceRecovery } : {}),
      },
      initiator,
    );
    this.#peers.set(id, peer);
    return peer;
  }

  #rtcConfig(): RTCConfiguration {
    const iceServers = iceServersFor(
      this.#rtc.RTCPeerConnection,
      this.#options.iceServers ?? this.#iceServers,
    );
    return { iceServers, iceTransportPolicy: this.#options.iceTransportPolicy ?? 'all' };
  }

  #onFrame(frame: SequencedFrame): void {
    switch (frame.type) {
      case 'peer-joined': {
        if (this.#peers.has(frame.peer.id)) return;
        this.emit('peer-joined', this.#addPeer(frame.peer.id, frame.peer.metadata, false));
        return;
      }
      case 'peer-left': {
        const peer = this.#peers.get(frame.peerId);
        if (!peer) return;
        this.#peers.delete(frame.peerId);
        peer.close();
        this.emit('peer-left', peer, frame.reason);
        return;
      }
      case 'signal':
        this.#peers.get(frame.from)?.handleSignal(frame.data);
        return;
      case 'message':
        this.emit('message', frame.data, frame.from);
    }
  }

  /** A fresh join after a failed resume: keep the peers still here, drop the rest, reconnect as newcomer. */
  #onRejoined(session: Session): void {
    this.#selfId = session.selfId;
    this.#iceServers = session.iceServers;
    const present = new Map(session.peers.map((p) => [p.id, p.metadata]));
    for (const [id, peer] of [...this.#peers]) {
      if (present.has(id)) continue;
      this.#peers.delete(id);
      peer.close();
      this.emit('peer-left', peer, 'timeout');
    }
    for (const [id, metadata] of present) {
      const peer = this.#peers.get(id);
      if (peer) peer.reconnect();
      else this.emit('peer-joined', this.#addPeer(id, metadata, true));
    }
    this.emit('rejoined', session.selfId);
  }

  #setState(state: RoomState): void {
    if (this.#state === state) return;
    this.#state = state;
    if (state === 'closed') {
      for (const peer of this.#peers.values()) peer.close();
      this.#peers.clear();
    }
    this.emit('state', state);
  }
}

/** Joins a room; resolves once the server has accepted the join. */
export async function joinRoom(options: JoinOptions): Promise<Room> {
  const g = globalThis as {
    WebSocket?: WebSocketConstructor;
    RTCPeerConnection?: RtcImplementation['RTCPeerConnection'];
  };
  const WebSocketImpl = options.WebSocket ?? g.WebSocket;
  if (!WebSocketImpl) throw new ParleyError('NO_WEBSOCKET');
  const rtc = options.rtc ?? (g.RTCPeerConnection ? { RTCPeerConnection: g.RTCPeerConnection } : undefined);
  if (!rtc) throw new ParleyError('NO_WEBRTC');
  const join = {
    room: options.room,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
  };
  const signaling = new SignalingClient({
    url: options.url,
    WebSocket: WebSocketImpl,
    join,
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    ...(options.heartbeat ? { heartbeat: options.heartbeat } : {}),
  });
  const session = await signaling.connect();
  return new Room(options, rtc, signaling, session);
}
