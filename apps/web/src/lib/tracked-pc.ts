/**
 * The RTCPeerConnection the app hands the SDK (`JoinOptions.rtc`). The SDK keeps its connections private;
 * the app needs them for getStats() (direct or relayed, RTT, bitrate, frames), for audio levels and for the
 * raw file channel's `bufferedamountlow` event. A connection learns which peer it belongs to from that
 * peer's state message (`{"t":"state","from":…}`, see messages.ts), which every peer sends whenever its
 * default channel opens, so a connection rebuilt by ICE recovery is found again too.
 */

const byPeer = new Map<string, TrackedPeerConnection>();
const STATE_PREFIX = '{"t":"state"';

export class TrackedPeerConnection extends RTCPeerConnection {
  /** The newest RTCDataChannel per label. */
  readonly dataChannels = new Map<string, RTCDataChannel>();

  constructor(config?: RTCConfiguration) {
    super(config);
    this.addEventListener('datachannel', (ev) => this.#watch(ev.channel));
  }

  override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
    const dc = super.createDataChannel(label, init);
    this.#watch(dc);
    return dc;
  }

  #watch(dc: RTCDataChannel): void {
    this.dataChannels.set(dc.label, dc);
    dc.addEventListener('message', (ev: MessageEvent) => {
      if (typeof ev.data !== 'string' || !ev.data.startsWith(STATE_PREFIX)) return;
      try {
        const from = (JSON.parse(ev.data) as { from?: unknown }).from;
        if (typeof from === 'string') byPeer.set(from, this);
      } catch {
        // Not ours to judge: the app's own handler reports bad messages.
      }
    });
  }
}

/** The live connection to a peer, once that peer has said who it is on it. */
export function connectionOf(peerId: string): TrackedPeerConnection | undefined {
  const pc = byPeer.get(peerId);
  if (pc?.connectionState === 'closed') {
    byPeer.delete(peerId);
    return undefined;
  }
  return pc;
}

export function forgetPeer(peerId: string): void {
  byPeer.delete(peerId);
}
