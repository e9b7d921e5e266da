/**
 * One call: the SDK Room, what this participant sends (microphone, camera or screen), what each remote
 * peer shows (name, mute, camera, screen, stream, connection facts), chat and files. The UI renders from
 * this object and subscribes to its changes; nothing here touches the DOM.
 */
import { DEFAULT_CHANNEL, joinRoom, type Peer, type Room, type RoomState } from '@parley/client';
import type { SourceFile } from '@parley/client/files';
import { acquire, captureScreen, explain, LevelMeter } from './media.js';
import { type AppMessage, decode, encode, MAX_CHAT_LENGTH } from './messages.js';
import { randomId } from './random-id.js';
import { audioLevel, type PeerStats, readStats } from './stats.js';
import { deviceId, FileShare } from './transfers.js';

export interface RemotePeer {
  readonly id: string;
  readonly peer: Peer;
  name: string;
  muted: boolean;
  camera: boolean;
  screen: boolean;
  connection: RTCPeerConnectionState;
  everConnected: boolean;
  stream: MediaStream | undefined;
  stats: PeerStats | undefined;
}

export interface ChatEntry {
  id: string;
  fromId: string;
  name: string;
  text: string;
  at: number;
  self: boolean;
}

export interface JoinCallOptions {
  url: string;
  room: string;
  name: string;
  /** The pre-join preview's tracks: the call takes them over. */
  stream: MediaStream;
  relay: boolean;
}

/** Who is speaking is decided from audio levels above this (0…1). */
const SPEAKING = 0.03;
const SPEAKER_HOLD_MS = 1200;

export class Call {
  readonly room: Room;
  readonly name: string;
  readonly peers = new Map<string, RemotePeer>();
  readonly chat: ChatEntry[] = [];
  readonly files: FileShare;
  unread = 0;
  chatOpen = false;
  /** A peer id, 'self', or undefined when nobody speaks. */
  speaker: string | undefined;
  notice: string | undefined;
  roomState: RoomState;
  camera: MediaStreamTrack | undefined;
  mic: MediaStreamTrack | undefined;
  screen: MediaStreamTrack | undefined;
  /** What this participant's own tile shows: the screen while sharing, else the camera. */
  preview: MediaStream;
  readonly #out = new MediaStream();
  /** The video track each peer is being sent, to replace, add or remove it when that changes. */
  readonly #sentVideo = new Map<string, MediaStreamTrack>();
  /** Peers that have been given our tracks. */
  readonly #mediaSent = new Set<string>();
  readonly #listeners = new Set<() => void>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  #meter: LevelMeter | undefined;
  #speakerSince = 0;
  #pollingSpeaker = false;
  #scheduled = false;
  #left: Promise<void> | undefined;

  static async join(opts: JoinCallOptions): Promise<Call> {
    const room = await joinRoom({
      url: opts.url,
      room: opts.room,
      // `device` lets a sender resume to this tab after a reload (lib/transfers.ts).
      metadata: { name: opts.name, device: deviceId() },
      iceTransportPolicy: opts.relay ? 'relay' : 'all',
    });
    return new Call(room, opts);
  }

  private constructor(room: Room, opts: JoinCallOptions) {
    this.room = room;
    this.name = opts.name;
    this.roomState = room.state;
    this.files = new FileShare(
      () => this.changed(),
      (id) => this.peers.get(id)?.name ?? 'Guest',
    );
    this.camera = opts.stream.getVideoTracks()[0];
    this.mic = opts.stream.getAudioTracks()[0];
    for (const t of opts.stream.getTracks()) this.#out.addTrack(t);
    this.preview = new MediaStream(this.camera ? [this.camera] : []);
    if (this.mic) this.#meter = new LevelMeter(this.mic);
    room.on('peer-joined', (peer) => this.#attach(peer));
    room.on('peer-left', (peer) => this.#detach(peer.id));
    room.on('state', (state) => {
      this.roomState = state;
      this.changed();
    });
    room.on('error', (err) => this.say(err.message));
    for (const peer of room.peers.values()) this.#attach(peer);
    this.#timers.push(setInterval(() => void this.#pollStats(), 1000));
    this.#timers.push(setInterval(() => void this.#pollSpeaker(), 250));
  }

  get muted(): boolean {
    return !this.mic?.enabled;
  }

  get cameraOn(): boolean {
    return !!this.camera?.enabled && this.camera.readyState === 'live';
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Coalesces bursts of changes (file chunks, stats) into one render. */
  changed(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      for (const l of this.#listeners) l();
    }, 50);
  }

  say(notice: string | undefined): void {
    this.notice = notice;
    this.changed();
  }

  async toggleMic(): Promise<void> {
    if (this.mic) this.mic.enabled = !this.mic.enabled;
    else {
      const { stream, problems } = await acquire({ video: false, audio: true });
      const track = stream.getAudioTracks()[0];
      if (!track) return this.say(problems[0]);
      this.mic = track;
      this.#meter = new LevelMeter(track);
      this.#out.addTrack(track);
      for (const rp of this.peers.values())
        if (this.#mediaSent.has(rp.id)) rp.peer.addTrack(track, this.#out);
    }
    this.#broadcastState();
  }

  async toggleCamera(): Promise<void> {
    if (this.camera && this.camera.readyState === 'live') this.camera.enabled = !this.camera.enabled;
    else {
      const { stream, problems } = await acquire({ video: true, audio: false });
      const track = stream.getVideoTracks()[0];
      if (!track) return this.say(problems[0]);
      this.camera = track;
      await this.#updateVideo();
    }
    this.#broadcastState();
  }

  async toggleScreen(): Promise<void> {
    if (this.screen) return this.#stopScreen();
    try {
      const track = await captureScreen();
      track.addEventListener('ended', () => void this.#stopScreen());
      this.screen = track;
    } catch (err) {
      return this.say(explain(err, 'screen'));
    }
    await this.#updateVideo();
    this.#broadcastState();
  }

  sendChat(text: string): void {
    const body = text.trim().slice(0, MAX_CHAT_LENGTH);
    if (!body) return;
    const msg = { t: 'chat', id: randomId(), text: body, at: Date.now() } as const;
    for (const rp of this.peers.values()) this.#sendTo(rp.peer, encode(msg));
    this.chat.push({
      id: msg.id,
      fromId: this.room.selfId,
      name: this.name,
      text: body,
      at: msg.at,
      self: true,
    });
    this.changed();
  }

  setChatOpen(open: boolean): void {
    this.chatOpen = open;
    if (open) this.unread = 0;
    this.changed();
  }

  /** Sends files (a folder's tree kept) to one peer, or to everyone when `peerId` is undefined. */
  sendFiles(files: readonly SourceFile[], peerId?: string): void {
    const peers = [...this.peers.values()].filter((rp) => !peerId || rp.id === peerId).map((rp) => rp.peer);
    if (peers.length === 0) return this.say('Nobody to send to yet.');
    this.files.send(files, peers);
  }

  /**
   * Leaves the room and releases the devices. Idempotent: the Leave button calls it, and so does the room
   * page when the call goes off screen (the phase changes, the tab closes); every call gets the one promise.
   */
  leave(): Promise<void> {
    this.#left ??= this.#leave();
    return this.#left;
  }

  async #leave(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#meter?.close();
    for (const t of [this.camera, this.mic, this.screen]) t?.stop();
    this.files.dispose();
    await this.room.leave().catch(() => undefined);
    this.#listeners.clear();
  }

  #attach(peer: Peer): void {
    const name = typeof peer.metadata.name === 'string' ? peer.metadata.name : 'Guest';
    const rp: RemotePeer = {
      id: peer.id,
      peer,
      name,
      muted: false,
      camera: false,
      screen: false,
      connection: peer.state,
      everConnected: false,
      stream: undefined,
      stats: undefined,
    };
    this.peers.set(peer.id, rp);
    peer.on('message', (data, label) => {
      if (label === DEFAULT_CHANNEL) this.#onMessage(rp, decode(data));
    });
    this.files.watch(peer);
    peer.on('state', (state) => {
      rp.connection = state;
      if (state === 'connected') rp.everConnected = true;
      this.changed();
    });
    peer.on('track', (track, stream) => {
      rp.stream = stream;
      track.addEventListener('ended', () => this.changed());
      stream.addEventListener('removetrack', () => this.changed());
      this.changed();
    });
    // The default channel's `open` fires again after a recovery: say who we are on the new connection too.
    peer.channels.get(DEFAULT_CHANNEL)?.on('open', () => this.#sendTo(peer, encode(this.#state())));
    this.#sendMedia(rp);
    this.changed();
  }

  #sendMedia(rp: RemotePeer): void {
    if (!this.peers.has(rp.id) || this.#mediaSent.has(rp.id)) return;
    this.#mediaSent.add(rp.id);
    if (this.mic) rp.peer.addTrack(this.mic, this.#out);
    const video = this.#videoOut();
    if (video) {
      rp.peer.addTrack(video, this.#out);
      this.#sentVideo.set(rp.id, video);
    }
  }

  #detach(id: string): void {
    this.peers.delete(id);
    this.#sentVideo.delete(id);
    this.#mediaSent.delete(id);
    if (this.speaker === id) this.speaker = undefined;
    this.changed();
  }

  #onMessage(rp: RemotePeer, msg: AppMessage | undefined): void {
    if (!msg) return;
    if (msg.t === 'state') {
      rp.name = msg.name;
      rp.muted = msg.muted;
      rp.camera = msg.camera;
      rp.screen = msg.screen;
    } else {
      if (this.chat.some((c) => c.id === msg.id)) return;
      this.chat.push({ id: msg.id, fromId: rp.id, name: rp.name, text: msg.text, at: msg.at, self: false });
      if (!this.chatOpen) this.unread++;
    }
    this.changed();
  }

  #state(): AppMessage {
    return {
      t: 'state',
      from: this.room.selfId,
      name: this.name,
      muted: this.muted,
      camera: this.cameraOn,
      screen: !!this.screen,
    };
  }

  #broadcastState(): void {
    const msg = encode(this.#state());
    for (const rp of this.peers.values()) this.#sendTo(rp.peer, msg);
    this.changed();
  }

  #sendTo(peer: Peer, data: string): void {
    try {
      peer.send(data);
    } catch {
      // The peer is closing; its `peer-left` follows.
    }
  }

  #videoOut(): MediaStreamTrack | undefined {
    return this.screen ?? (this.camera?.readyState === 'live' ? this.camera : undefined);
  }

  /** Sends the current video (screen or camera) to every peer: a replaceTrack where possible. */
  async #updateVideo(): Promise<void> {
    const next = this.#videoOut();
    for (const t of this.#out.getVideoTracks()) this.#out.removeTrack(t);
    if (next) this.#out.addTrack(next);
    this.preview = new MediaStream(next ? [next] : []);
    for (const rp of this.peers.values()) {
      const current = this.#sentVideo.get(rp.id);
      if (current === next || !this.#mediaSent.has(rp.id)) continue;
      try {
        if (current && next) await rp.peer.replaceTrack(current, next);
        else if (next) rp.peer.addTrack(next, this.#out);
        else if (current) rp.peer.removeTrack(current);
        if (next) this.#sentVideo.set(rp.id, next);
        else this.#sentVideo.delete(rp.id);
      } catch (err) {
        this.say(`Could not switch video for ${rp.name}: ${(err as Error).message}`);
      }
    }
    this.changed();
  }

  async #stopScreen(): Promise<void> {
    const screen = this.screen;
    if (!screen) return;
    this.screen = undefined;
    screen.stop();
    await this.#updateVideo();
    this.#broadcastState();
  }

  async #pollStats(): Promise<void> {
    await Promise.all(
      [...this.peers.values()].map(async (rp) => {
        try {
          rp.stats = await readStats(rp.peer, rp.stats);
        } catch {
          // A connection closing under getStats(): the next round sees the new one.
        }
      }),
    );
    this.changed();
  }

  async #pollSpeaker(): Promise<void> {
    if (this.#pollingSpeaker) return;
    this.#pollingSpeaker = true;
    const levels: [string, number][] = [['self', this.muted ? 0 : (this.#meter?.level() ?? 0)]];
    try {
      const remote = await Promise.all(
        [...this.peers.values()].map(async (rp): Promise<[string, number]> => {
          const level = rp.muted ? 0 : await audioLevel(rp.peer).catch(() => 0);
          return [rp.id, level];
        }),
      );
      levels.push(...remote);
    } finally {
      this.#pollingSpeaker = false;
    }
    const [loudest, level] = levels.reduce((a, b) => (b[1] > a[1] ? b : a));
    const now = performance.now();
    if (level >= SPEAKING) {
      this.#speakerSince = now;
      if (this.speaker !== loudest) {
        this.speaker = loudest;
        this.changed();
      }
    } else if (this.speaker && now - this.#speakerSince > SPEAKER_HOLD_MS) {
      this.speaker = undefined;
      this.changed();
    }
  }
}
