/**
 * A peer that speaks signaling protocol v1 by hand: a WebSocket with the `parley.v1` subprotocol, JSON
 * frames, and a bare RTCPeerConnection. It proves the wire format without the SDK, and runs unchanged in a
 * page (bundled by the harness as /raw-peer.js) and in Node (ws + node-datachannel's polyfill).
 *
 * The newcomer offers to every peer already in the room, and opens two channels: `chat` (ordered) and
 * `bulk` (unordered, reliable). Every server frame is checked against the protocol's own schema;
 * frames that fail are kept in `protocolErrors`, never thrown, so a test can assert there were none.
 */
import { decodeServerFrame, type ServerFrame, type ServerFrameMap, subprotocol } from '@parley/protocol';

export interface RawPeerDeps {
  WebSocket: new (url: string, protocols?: string | string[]) => WebSocket;
  RTCPeerConnection: new (config?: RTCConfiguration) => RTCPeerConnection;
}

export interface ReceivedMessage {
  from: string;
  label: string;
  data: string;
}

export const CHANNELS: readonly { label: string; init: RTCDataChannelInit }[] = [
  { label: 'chat', init: {} },
  { label: 'bulk', init: { ordered: false } },
];

interface Link {
  pc: RTCPeerConnection;
  channels: Map<string, RTCDataChannel>;
  /** Signals for one peer are handled one after another: setRemoteDescription is async. */
  queue: Promise<void>;
}

export class RawPeer {
  selfId = '';
  /** Every server frame, in arrival order (after schema validation). */
  readonly frames: ServerFrame[] = [];
  readonly protocolErrors: string[] = [];
  readonly received: ReceivedMessage[] = [];
  readonly failures: string[] = [];
  private ws: WebSocket | undefined;
  private iceServers: RTCIceServer[] = [];
  private readonly links = new Map<string, Link>();

  constructor(private readonly deps: RawPeerDeps) {}

  /** Opens the socket, joins `room`, offers to every peer already there; resolves with the joined frame. */
  async join(url: string, room: string): Promise<ServerFrameMap['joined']> {
    const ws = new this.deps.WebSocket(url, [subprotocol(1)]);
    this.ws = ws;
    const joined = new Promise<ServerFrameMap['joined']>((resolve, reject) => {
      ws.onmessage = (ev: MessageEvent) => {
        const frame = this.accept(ev.data);
        if (frame?.type === 'joined') resolve(frame);
        else if (frame?.type === 'error') reject(new Error(`join refused: ${frame.code} ${frame.message}`));
        if (frame) this.handle(frame);
      };
      ws.onclose = (ev: CloseEvent) => reject(new Error(`socket closed before joined (${ev.code})`));
      ws.onerror = () => reject(new Error(`socket error before joined (${url})`));
    });
    await new Promise<void>((resolve) => {
      ws.onopen = () => resolve();
    });
    if (ws.protocol !== subprotocol(1)) this.protocolErrors.push(`negotiated subprotocol "${ws.protocol}"`);
    this.sendFrame({ type: 'join', room });
    const frame = await joined;
    this.selfId = frame.selfId;
    this.iceServers = frame.iceServers as RTCIceServer[];
    for (const peer of frame.peers) void this.offer(peer.id);
    return frame;
  }

  /** Labels of channels open to `peerId`. */
  openChannels(peerId: string): string[] {
    const link = this.links.get(peerId);
    if (!link) return [];
    return [...link.channels.values()].filter((c) => c.readyState === 'open').map((c) => c.label);
  }

  send(peerId: string, label: string, data: string): void {
    const channel = this.links.get(peerId)?.channels.get(label);
    if (channel?.readyState !== 'open') throw new Error(`channel ${label} to ${peerId} is not open`);
    channel.send(data);
  }

  /** A snapshot for failure messages: connection and channel states, counts, errors. */
  describe(): object {
    const links = Object.fromEntries(
      [...this.links].map(([id, { pc, channels }]) => [
        id,
        {
          connection: pc.connectionState,
          ice: pc.iceConnectionState,
          signaling: pc.signalingState,
          channels: Object.fromEntries([...channels].map(([label, c]) => [label, c.readyState])),
        },
      ]),
    );
    return {
      selfId: this.selfId,
      frames: this.frames.map((f) => f.type),
      received: this.received.length,
      links,
      failures: this.failures,
      protocolErrors: this.protocolErrors,
    };
  }

  /** Sends `leave`, closes every connection and the socket. */
  close(): void {
    if (this.ws?.readyState === 1) this.sendFrame({ type: 'leave' });
    for (const link of this.links.values()) link.pc.close();
    this.links.clear();
    this.ws?.close();
  }

  private accept(raw: unknown): ServerFrame | undefined {
    if (typeof raw !== 'string') {
      this.protocolErrors.push(`binary frame from server (${typeof raw})`);
      return undefined;
    }
    const result = decodeServerFrame(raw);
    if (!result.ok) {
      this.protocolErrors.push(`${result.code}: ${result.message} in ${raw.slice(0, 200)}`);
      return undefined;
    }
    this.frames.push(result.frame);
    return result.frame;
  }

  private handle(frame: ServerFrame): void {
    if ('seq' in frame && frame.type !== 'joined' && frame.type !== 'resumed') {
      this.sendFrame({ type: 'ack', seq: frame.seq });
    }
    if (frame.type === 'signal') {
      const link = this.link(frame.from);
      link.queue = link.queue
        .then(() => this.onSignal(link, frame.from, frame.data))
        .catch((err: unknown) => {
          this.failures.push(`signal from ${frame.from}: ${String(err)}`);
        });
    } else if (frame.type === 'peer-left') {
      this.links.get(frame.peerId)?.pc.close();
      this.links.delete(frame.peerId);
    }
  }

  private async onSignal(link: Link, from: string, data: ServerFrameMap['signal']['data']): Promise<void> {
    if ('description' in data) {
      await link.pc.setRemoteDescription(data.description);
      if (data.description.type === 'offer') {
        await link.pc.setLocalDescription(await link.pc.createAnswer());
        this.signal(from, { description: descriptionOf(link.pc) });
      }
    } else if (data.candidate?.candidate) {
      await link.pc.addIceCandidate(data.candidate);
    }
  }

  private async offer(peerId: string): Promise<void> {
    const link = this.link(peerId);
    for (const { label, init } of CHANNELS) this.track(peerId, link, link.pc.createDataChannel(label, init));
    try {
      await link.pc.setLocalDescription(await link.pc.createOffer());
      this.signal(peerId, { description: descriptionOf(link.pc) });
    } catch (err) {
      this.failures.push(`offer to ${peerId}: ${String(err)}`);
    }
  }

  private link(peerId: string): Link {
    let link = this.links.get(peerId);
    if (link) return link;
    const pc = new this.deps.RTCPeerConnection({ iceServers: this.iceServers });
    link = { pc, channels: new Map(), queue: Promise.resolve() };
    const created = link;
    pc.onicecandidate = (ev: RTCPeerConnectionIceEvent) => {
      const c = ev.candidate;
      if (!c?.candidate) return; // end of candidates needs no frame: both sides trickle everything
      this.signal(peerId, {
        candidate: { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex },
      });
    };
    pc.ondatachannel = (ev: RTCDataChannelEvent) => this.track(peerId, created, ev.channel);
    this.links.set(peerId, link);
    return link;
  }

  private track(peerId: string, link: Link, channel: RTCDataChannel): void {
    link.channels.set(channel.label, channel);
    channel.onmessage = (ev: MessageEvent) => {
      this.received.push({ from: peerId, label: channel.label, data: String(ev.data) });
    };
  }

  private signal(to: string, data: ServerFrameMap['signal']['data']): void {
    this.sendFrame({ type: 'signal', to, data });
  }

  private sendFrame(frame: object): void {
    this.ws?.send(JSON.stringify(frame));
  }
}

function descriptionOf(pc: RTCPeerConnection): { type: RTCSdpType; sdp: string } {
  const d = pc.localDescription;
  if (!d) throw new Error('no local description');
  return { type: d.type, sdp: d.sdp };
}
