/**
 * One remote peer in the room: its RTCPeerConnection (replaced when recovery needs a fresh one), its named
 * channels, its media tracks, and events for the app. The Peer object and its Channels stay the same across
 * ICE restarts and connection rebuilds; the app only sees `state` change.
 */
import { ParleyError, type PeerMetadata, type SignalPayload } from '@parley/protocol/client';
import { Channel, type ChannelData, type ChannelOptions } from './channel.js';
import { type ConnectionInfo, connectionInfoFrom } from './connection-info.js';
import { Emitter } from './emitter.js';
import { Negotiation } from './negotiation.js';
import { IceRecovery, type RecoveryOptions } from './recovery.js';
import type { RtcImplementation } from './types.js';

export const DEFAULT_CHANNEL = 'parley';

export type PeerEvents = {
  /** The default channel is open (once; after a recovery the app sees `state` instead). */
  open: [];
  message: [data: ChannelData, channel: string];
  /** The remote side opened a new named channel. */
  channel: [channel: Channel];
  state: [state: RTCPeerConnectionState];
  track: [track: MediaStreamTrack, stream: MediaStream];
  close: [];
};

/** @internal What a Peer needs from its Room. */
export interface PeerContext {
  rtc: RtcImplementation;
  config: () => RTCConfiguration;
  selfId: () => string;
  signal(to: string, data: SignalPayload): void;
  /** Checks the signaling path at once (recovering a connection needs it). */
  probeSignaling?(): void;
  recovery?: RecoveryOptions;
}

interface LocalTrack {
  stream: MediaStream;
  sender?: RTCRtpSender;
}

export class Peer extends Emitter<PeerEvents> {
  readonly id: string;
  readonly metadata: PeerMetadata;
  readonly #ctx: PeerContext;
  readonly #channels = new Map<string, Channel>();
  /** Channels the app asked for before this side could create them (it waits for the remote offer). */
  readonly #pendingChannels = new Set<Channel>();
  readonly #tracks = new Map<MediaStreamTrack, LocalTrack>();
  readonly #recovery: IceRecovery;
  /** The last remote offer retried on a fresh connection: if it fails there too, the offer itself is bad. */
  #retriedOffer: string | undefined;
  /** Connections that reached `connected` at least once (only those get a standard ICE restart). */
  readonly #connectedOnce = new WeakSet<Negotiation>();
  #neg!: Negotiation;
  #state: RTCPeerConnectionState = 'new';
  #opened = false;
  #closed = false;

  /** @internal Created by Room; `initiator` makes the first offer (the newcomer does). */
  constructor(id: string, metadata: PeerMetadata, ctx: PeerContext, initiator: boolean) {
    super();
    this.id = id;
    this.metadata = metadata;
    this.#ctx = ctx;
    this.#recovery = new IceRecovery(() => this.#restart(), { ...ctx.recovery, polite: this.polite });
    const main = this.#addChannel(DEFAULT_CHANNEL, {});
    main.on('open', () => {
      this.#createPending();
      if (this.#opened) return;
      this.#opened = true;
      this.emit('open');
    });
    this.#connect(initiator);
  }

  get state(): RTCPeerConnectionState {
    return this.#state;
  }

  /** The polite peer yields in an offer collision; the lexicographically smaller id is polite. */
  get polite(): boolean {
    return this.#ctx.selfId() < this.id;
  }

  /** The named channels, by label (the default one is "parley"). */
  get channels(): ReadonlyMap<string, Channel> {
    return this.#channels;
  }

  /** Sends on the default reliable ordered channel; waits in a queue until it is open. */
  send(data: ChannelData): void {
    if (this.#closed) throw new ParleyError('PEER_CLOSED');
    const main = this.#channels.get(DEFAULT_CHANNEL);
    if (!main) throw new ParleyError('CHANNEL_CLOSED', `channel "${DEFAULT_CHANNEL}" is closed`);
    main.send(data);
  }

  /** The channel with this label, created (on both sides) if it does not exist yet. */
  channel(label: string, options: ChannelOptions = {}): Channel {
    if (this.#closed) throw new ParleyError('PEER_CLOSED');
    const existing = this.#channels.get(label);
    if (existing && existing.readyState !== 'closed') return existing;
    const ch = this.#addChannel(label, options);
    // Before the first exchange only the initiator may create channels (a channel would start an offer).
    if (this.#neg.hasRemoteDescription && this.#neg.pc.signalingState === 'stable') this.#createOn(ch);
    else this.#pendingChannels.add(ch);
    return ch;
  }

  /** Sends a local track to this peer (browsers; node-datachannel has no media). */
  addTrack(track: MediaStreamTrack, stream: MediaStream): void {
    if (this.#closed) throw new ParleyError('PEER_CLOSED');
    const local: LocalTrack = { stream };
    this.#tracks.set(track, local);
    local.sender = this.#addTrackTo(this.#neg.pc, track, stream);
  }

  /** Swaps a sent track for another without renegotiating (e.g. camera → screen). */
  async replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack | null): Promise<void> {
    const local = this.#tracks.get(oldTrack);
    if (!local) throw new ParleyError('MEDIA_UNSUPPORTED', 'replaceTrack: that track was never added');
    await local.sender?.replaceTrack(newTrack);
    this.#tracks.delete(oldTrack);
    if (newTrack) this.#tracks.set(newTrack, local);
  }

  /** Stops sending a track. */
  removeTrack(track: MediaStreamTrack): void {
    const local = this.#tracks.get(track);
    if (!local) return;
    this.#tracks.delete(track);
    if (local.sender) this.#neg.pc.removeTrack(local.sender);
  }

  /** Statistics of the current connection (a new one after a recovery replaced it). */
  getStats(): Promise<RTCStatsReport> {
    return this.#neg.pc.getStats();
  }

  /** How the current connection runs (direct or through TURN, RTT), once a candidate pair is selected. */
  async connectionInfo(): Promise<ConnectionInfo | undefined> {
    return connectionInfoFrom(await this.getStats());
  }

  /**
   * The DTLS certificate fingerprints of the current connection as this side sees them: its own (from the
   * local description) and the peer's (from the remote description), each as `sha-256 AB:CD:…` (several
   * sorted and joined by `,`), or undefined before both descriptions are set. The signaling server relays
   * the descriptions, so a protocol that must know it talks to the peer and not to a server in the middle
   * binds these into an authentication of its own (the file transfer's code check does).
   */
  fingerprints(): { local: string; remote: string } | undefined {
    const pc = this.#neg.pc;
    const local = fingerprintsOf(pc.localDescription?.sdp);
    const remote = fingerprintsOf(pc.remoteDescription?.sdp);
    return local && remote ? { local, remote } : undefined;
  }

  /** Closes the connection to this peer (the room stays joined). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#recovery.dispose();
    for (const ch of this.#channels.values()) ch.unbindAll();
    this.#neg.close();
    for (const ch of this.#channels.values()) ch.dispose();
    this.#setState('closed');
    this.emit('close');
    this.removeAllListeners();
  }

  /** @internal A signal from this peer, relayed by the server. */
  handleSignal(data: SignalPayload): void {
    if (this.#closed) return;
    const pc = this.#neg.pc;
    if ('description' in data && data.description.type === 'offer' && isDead(pc.connectionState)) {
      // The remote side is recovering; this connection is beyond use, so take the offer on a fresh one.
      void this.#replace(false).handle(data);
      return;
    }
    void this.#neg.handle(data);
  }

  /** @internal After a rejoin (our id changed) the connection starts over, with us as the newcomer. */
  reconnect(): void {
    if (!this.#closed) this.#replace(true);
  }

  #addChannel(label: string, options: ChannelOptions): Channel {
    const ch = new Channel(label, options, () => this.#liveConnection());
    this.#channels.set(label, ch);
    ch.on('message', (data) => this.emit('message', data, label));
    ch.on('close', () => {
      this.#pendingChannels.delete(ch);
      if (this.#channels.get(label) === ch) this.#channels.delete(label);
    });
    return ch;
  }

  /** The current connection while it is up, as far as both our state and the connection itself say. */
  #liveConnection(): Negotiation | undefined {
    const neg = this.#neg;
    return this.#state === 'connected' && neg.pc.connectionState === 'connected' ? neg : undefined;
  }

  #createOn(ch: Channel): void {
    try {
      ch.bind(this.#neg.pc.createDataChannel(ch.label, ch.options));
      this.#pendingChannels.delete(ch);
    } catch {
      // The connection is closing under us; the channel waits for the next one.
      this.#pendingChannels.add(ch);
    }
  }

  /** Builds a fresh RTCPeerConnection; the initiator creates every channel and track, then offers. */
  #connect(initiator: boolean): void {
    const pc = new this.#ctx.rtc.RTCPeerConnection(this.#ctx.config()) as RTCPeerConnection;
    const neg = new Negotiation(
      pc,
      this.polite,
      {
        signal: (data) => this.#ctx.signal(this.id, data),
        applyFailed: (description, err) => this.#onApplyFailed(neg, description, err),
      },
      // Tracks the app adds before the initiator's offer arrives are offered right after answering it.
      { answerFirst: !initiator },
    );
    this.#neg = neg;
    pc.onconnectionstatechange = () => this.#onConnectionState(neg);
    pc.ondatachannel = (ev) => this.#onRemoteChannel(ev.channel);
    pc.ontrack = (ev) => this.#onTrack(ev);
    for (const [track, local] of this.#tracks) local.sender = this.#addTrackTo(pc, track, local.stream);
    this.#recovery.started();
    if (!initiator) return;
    for (const ch of this.#channels.values()) this.#createOn(ch);
    void neg.offer();
  }

  /** Swaps the connection for a fresh one; channels and tracks move over. */
  #replace(initiator: boolean): Negotiation {
    for (const ch of this.#channels.values()) ch.unbindAll();
    // The initiator of the new connection re-creates every channel, the other side receives them.
    if (!initiator) this.#pendingChannels.clear();
    this.#neg.close();
    this.#setState('connecting');
    this.#connect(initiator);
    return this.#neg;
  }

  /** ICE restart: the standard way where the implementation has it, a fresh connection where it has not. */
  #restart(): void {
    if (this.#closed) return;
    try {
      this.#restartNow();
    } catch (err) {
      // Runs from a timer: an exception here would take the process down. Try again later.
      console.error('parley: restarting the connection failed', err);
      this.#recovery.started();
    }
  }

  #restartNow(): void {
    const pc = this.#neg.pc;
    // restartIce() only helps a connection that once worked and is not stuck mid-negotiation.
    if (
      this.#connectedOnce.has(this.#neg) &&
      pc.connectionState !== 'closed' &&
      pc.signalingState === 'stable'
    ) {
      try {
        pc.restartIce();
        this.#recovery.started();
        return;
      } catch {
        // node-datachannel: "Not implemented" (libjuice cannot restart ICE).
      }
    }
    this.#replace(true);
  }

  #onApplyFailed(neg: Negotiation, description: RTCSessionDescriptionInit, _err: unknown): void {
    if (this.#closed || neg !== this.#neg) return;
    if (description.type === 'offer' && description.sdp) {
      if (this.#retriedOffer === description.sdp) return; // failed on a fresh connection too; watchdog's turn
      // A remote offer this connection cannot take (an ICE restart libjuice cannot do, a new DTLS identity
      // from a rebuilt remote connection, a collision it cannot roll back): take it on a fresh one.
      this.#retriedOffer = description.sdp;
      void this.#replace(false).handle({ description: { type: 'offer', sdp: description.sdp } });
      return;
    }
    // A stale answer to an offer that was superseded is harmless; otherwise recover, at recovery's pace.
    if (description.type === 'answer' && neg.pc.connectionState === 'connected') return;
    this.#recovery.observe('failed');
  }

  #onConnectionState(neg: Negotiation): void {
    if (neg !== this.#neg || this.#closed) return;
    const raw = neg.pc.connectionState;
    // A connection that closed by itself has failed, as far as the app is concerned.
    const state = raw === 'closed' ? 'failed' : raw;
    if (raw === 'connected') this.#connectedOnce.add(neg);
    // Recovering takes signaling; a network change that dropped this connection may have taken the
    // signaling socket with it, silently.
    if (state === 'disconnected' || state === 'failed') this.#ctx.probeSignaling?.();
    this.#setState(state);
    this.#recovery.observe(raw);
    if (raw !== 'connected') return;
    // Channels asked for before the connection are made once its default channel is open: one the
    // answering side made earlier (at 'connected', before SCTP was up) was seen to close at once or
    // never open with node-datachannel. Without a default channel, at 'connected' as before.
    const main = this.#channels.get(DEFAULT_CHANNEL);
    if (!main || main.readyState === 'open') this.#createPending();
  }

  #createPending(): void {
    if (this.#closed) return;
    for (const ch of [...this.#pendingChannels]) this.#createOn(ch);
  }

  #onRemoteChannel(dc: RTCDataChannel): void {
    if (this.#closed) {
      dc.close();
      return;
    }
    const existing = this.#channels.get(dc.label);
    if (existing && existing.readyState !== 'closed') {
      this.#pendingChannels.delete(existing);
      existing.bind(dc);
      return;
    }
    const options: ChannelOptions = { ordered: dc.ordered };
    if (dc.maxRetransmits != null) options.maxRetransmits = dc.maxRetransmits;
    if (dc.maxPacketLifeTime != null) options.maxPacketLifeTime = dc.maxPacketLifeTime;
    const ch = this.#addChannel(dc.label, options);
    ch.bind(dc);
    this.emit('channel', ch);
  }

  #onTrack(ev: RTCTrackEvent): void {
    const stream = ev.streams[0] ?? new MediaStream([ev.track]);
    this.emit('track', ev.track, stream);
  }

  #addTrackTo(pc: RTCPeerConnection, track: MediaStreamTrack, stream: MediaStream): RTCRtpSender {
    try {
      return pc.addTrack(track, stream);
    } catch (err) {
      throw new ParleyError('MEDIA_UNSUPPORTED', undefined, { cause: err });
    }
  }

  #setState(state: RTCPeerConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}

/** The `a=fingerprint` lines of an SDP, normalised (algorithm lower case, hex upper case), sorted. */
function fingerprintsOf(sdp: string | undefined): string | undefined {
  if (!sdp) return undefined;
  const found = new Set<string>();
  for (const m of sdp.matchAll(/^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/gm))
    found.add(`${(m[1] as string).toLowerCase()} ${(m[2] as string).toUpperCase()}`);
  return found.size ? [...found].sort().join(',') : undefined;
}

/** Browsers never close a connection by themselves (they restart ICE on a failed one); libdatachannel does. */
function isDead(state: RTCPeerConnectionState): boolean {
  return state === 'closed';
}
