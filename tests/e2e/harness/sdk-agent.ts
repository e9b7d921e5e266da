/**
 * A peer driven through the SDK, recording what the app would see (events, messages, channel states) in
 * plain JSON so a test can read it with `page.evaluate`. It runs unchanged in a page (with the SDK bundle
 * the page loaded) and in Node (with `@parley/client`, ws and node-datachannel).
 */
import type { ChannelData, ChannelOptions, JoinOptions, Peer, Room } from '@parley/client';

export type JoinRoom = (options: JoinOptions) => Promise<Room>;

type WebSocketClass = new (
  url: string,
  protocols: string[],
) => {
  send(data: string): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
};

/** One line per signaling frame, for failure artifacts: `> signal offer`, `< signal candidate`, `< peer-left`. */
function summarize(direction: '>' | '<', text: unknown): string {
  try {
    const f = JSON.parse(String(text)) as {
      type?: string;
      data?: { description?: { type?: string }; candidate?: unknown };
    };
    const detail = f.data?.description?.type ?? (f.data && 'candidate' in f.data ? 'candidate' : '');
    return `${new Date().toISOString().slice(14, 23)} ${direction} ${f.type}${detail ? ` ${detail}` : ''}`;
  } catch {
    return `${direction} (unparsable)`;
  }
}

/** Wraps a WebSocket class so that every frame sent and received is summarized into `log`. */
export function recordingWebSocket(Base: WebSocketClass, log: string[]): WebSocketClass {
  return class Recording extends Base {
    constructor(url: string, protocols: string[]) {
      super(url, protocols);
      this.addEventListener('message', (ev) => log.push(summarize('<', ev.data)));
    }
    override send(data: string): void {
      log.push(summarize('>', data));
      super.send(data);
    }
  };
}

export interface AgentMessage {
  from: string;
  /** The channel's label; the SDK's default channel is "parley". */
  label: string;
  /** Text as sent; binary as `bytes:1,2,3`. */
  data: string;
}

export class SdkAgent {
  room: Room | undefined;
  /** Messages that came over data channels. */
  readonly messages: AgentMessage[] = [];
  /** App messages relayed by the server (`broadcast`, `sendTo`). */
  readonly relayed: { from: string; data: unknown }[] = [];
  /** What happened, in order: `peer-joined <id>`, `open <id>`, `state <id> connected`, `peer-left <id> <reason>`… */
  readonly events: string[] = [];
  readonly errors: string[] = [];
  /** Every signaling frame, summarized (see `summarize`). */
  readonly frames: string[] = [];
  /** Called for every remote track (pages attach video elements). */
  onTrack: ((peerId: string, track: MediaStreamTrack, stream: MediaStream) => void) | undefined;

  constructor(
    private readonly joinRoom: JoinRoom,
    private readonly defaults: Partial<JoinOptions> = {},
  ) {}

  /** Joins `room`; resolves with our id and the ids of the peers already there. */
  async join(url: string, room: string, options: Partial<JoinOptions> = {}) {
    const base = (options.WebSocket ?? this.defaults.WebSocket ?? globalThis.WebSocket) as WebSocketClass;
    const WebSocket = recordingWebSocket(base, this.frames);
    const r = await this.joinRoom({ ...this.defaults, ...options, url, room, WebSocket });
    this.room = r;
    for (const peer of r.peers.values()) this.watch(peer);
    r.on('peer-joined', (peer) => {
      this.events.push(`peer-joined ${peer.id}`);
      this.watch(peer);
    });
    r.on('peer-left', (peer, reason) => this.events.push(`peer-left ${peer.id} ${reason}`));
    r.on('message', (data, from) => this.relayed.push({ from, data }));
    r.on('state', (state) => this.events.push(`room ${state}`));
    r.on('rejoined', (id) => this.events.push(`rejoined ${id}`));
    r.on('error', (err) => this.errors.push(`${err.code}: ${err.message}`));
    return { selfId: r.selfId, peers: [...r.peers.keys()] };
  }

  /** Whether the channel `label` (default: the SDK's default channel) to `peerId` is open. */
  isOpen(peerId: string, label = 'parley'): boolean {
    return this.room?.peers.get(peerId)?.channels.get(label)?.readyState === 'open';
  }

  send(peerId: string, data: string): void {
    this.peer(peerId).send(data);
  }

  sendBytes(peerId: string, bytes: number[]): void {
    this.peer(peerId).send(new Uint8Array(bytes));
  }

  /** Opens (or returns) a named channel on both sides; messages on it are recorded with its label. */
  openChannel(peerId: string, label: string, options: ChannelOptions = {}): void {
    this.peer(peerId).channel(label, options);
  }

  /** Sends each item, in turn, on the named channel to `peerId`. */
  sendOn(peerId: string, label: string, ...data: string[]): void {
    const channel = this.peer(peerId).channels.get(label);
    if (!channel) throw new Error(`no channel "${label}" to ${peerId}`);
    for (const d of data) channel.send(d);
  }

  /** The options a channel has on this side (what the remote side asked for, if it created it). */
  channelOptions(peerId: string, label: string): ChannelOptions | undefined {
    return this.room?.peers.get(peerId)?.channels.get(label)?.options;
  }

  addTrack(peerId: string, track: MediaStreamTrack, stream: MediaStream): void {
    this.peer(peerId).addTrack(track, stream);
  }

  async leave(): Promise<void> {
    await this.room?.leave();
  }

  describe(): object {
    const room = this.room;
    return {
      selfId: room?.selfId,
      state: room?.state,
      peers: room
        ? Object.fromEntries(
            [...room.peers].map(([id, p]) => [
              id,
              {
                state: p.state,
                channels: Object.fromEntries([...p.channels].map(([l, c]) => [l, c.readyState])),
              },
            ]),
          )
        : {},
      events: this.events,
      messages: this.messages.length,
      errors: this.errors,
      frames: this.frames,
    };
  }

  private peer(peerId: string): Peer {
    const peer = this.room?.peers.get(peerId);
    if (!peer) throw new Error(`no peer ${peerId} in the room`);
    return peer;
  }

  private watch(peer: Peer): void {
    peer.on('open', () => this.events.push(`open ${peer.id}`));
    peer.on('state', (state) => this.events.push(`state ${peer.id} ${state}`));
    peer.on('message', (data, label) => this.messages.push({ from: peer.id, label, data: text(data) }));
    peer.on('track', (track, stream) => {
      this.events.push(`track ${peer.id} ${track.kind}`);
      this.onTrack?.(peer.id, track, stream);
    });
  }
}

function text(data: ChannelData): string {
  return typeof data === 'string' ? data : `bytes:${[...data].join(',')}`;
}
