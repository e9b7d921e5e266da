/**
 * A named data channel to one peer. It outlives the RTCDataChannel under it: when the connection is rebuilt
 * (ICE recovery) a new RTCDataChannel with the same label is bound, and messages sent meanwhile wait in a
 * queue instead of failing.
 */
import { ParleyError } from '@parley/protocol/client';
import { Emitter } from './emitter.js';

export interface ChannelOptions {
  /** Deliver in order (default true). */
  ordered?: boolean;
  /** Unreliable: give up on a message after this many retransmissions (0 = send once). */
  maxRetransmits?: number;
  /** Unreliable: give up on a message after this many milliseconds. */
  maxPacketLifeTime?: number;
}

export type ChannelData = string | Uint8Array;
export type ChannelState = 'connecting' | 'open' | 'closed';

export type ChannelEvents = {
  open: [];
  message: [data: ChannelData];
  /** `bufferedAmount` fell to `bufferedAmountLowThreshold` or below (from the open RTCDataChannel). */
  bufferedamountlow: [];
  close: [];
};

const MAX_QUEUED = 4096;
/** How long a closed RTCDataChannel waits for its connection to report failing before it counts as closed on purpose. */
const CLOSE_GRACE_MS = 1000;

export class Channel extends Emitter<ChannelEvents> {
  readonly label: string;
  readonly options: Readonly<ChannelOptions>;
  /** Bound RTCDataChannels; usually one, two when both sides created the label at once. */
  #bound: RTCDataChannel[] = [];
  #queue: ChannelData[] = [];
  #state: ChannelState = 'connecting';
  #lowThreshold = 0;
  /**
   * The connection that is up now (any object that identifies it), or undefined while there is none: a
   * RTCDataChannel that closes while the same connection stays up was closed on purpose by the other side.
   */
  readonly #liveConnection: () => object | undefined;
  #closeCheck: ReturnType<typeof setTimeout> | undefined;

  /** @internal Created by Peer. */
  constructor(label: string, options: ChannelOptions, liveConnection: () => object | undefined) {
    super();
    this.label = label;
    this.options = { ...options };
    this.#liveConnection = liveConnection;
  }

  get readyState(): ChannelState {
    return this.#state;
  }

  /** Bytes waiting in the open RTCDataChannel's send buffer. */
  get bufferedAmount(): number {
    return this.#openChannel()?.bufferedAmount ?? 0;
  }

  /** The level at or below which `bufferedamountlow` fires; kept across connection recoveries. */
  get bufferedAmountLowThreshold(): number {
    return this.#lowThreshold;
  }

  set bufferedAmountLowThreshold(bytes: number) {
    this.#lowThreshold = bytes;
    for (const dc of this.#bound) dc.bufferedAmountLowThreshold = bytes;
  }

  /** Sends now when open; while (re)connecting the message waits and goes out on open. */
  send(data: ChannelData): void {
    if (this.#state === 'closed')
      throw new ParleyError('CHANNEL_CLOSED', `channel "${this.label}" is closed`);
    const dc = this.#openChannel();
    if (dc && this.#queue.length === 0) {
      try {
        sendOn(dc, data);
        return;
      } catch (err) {
        // Closing under us (the connection is going; recovery will reopen): keep the message for then.
        if (!closedUnder(dc, err)) throw err;
      }
    }
    if (this.#queue.length >= MAX_QUEUED) throw new ParleyError('SEND_QUEUE_FULL');
    this.#queue.push(data);
  }

  /**
   * Sends on the RTCDataChannel that is open now and returns true; returns false, and keeps nothing for
   * later, when none is (the connection dropped or is being rebuilt) or it closes under the send. For what
   * must never go out on a connection its sender has not vetted yet (the file engine's data: the next
   * connection may end somewhere else until the transfer's re-binding passed), and can be sent again.
   */
  sendNow(data: ChannelData): boolean {
    const dc = this.#openChannel();
    if (this.#state !== 'open' || !dc || this.#queue.length > 0) return false;
    try {
      sendOn(dc, data);
      return true;
    } catch (err) {
      if (closedUnder(dc, err)) return false;
      throw err;
    }
  }

  /** Closes the channel on both sides. */
  close(): void {
    if (this.#state === 'closed') return;
    const bound = this.#bound;
    this.#bound = [];
    for (const dc of bound) {
      detach(dc);
      dc.close();
    }
    this.#finish();
  }

  /** @internal Attaches an RTCDataChannel with this label. */
  bind(dc: RTCDataChannel): void {
    if (this.#state === 'closed') {
      dc.close();
      return;
    }
    dc.binaryType = 'arraybuffer';
    this.#bound.push(dc);
    dc.onopen = () => this.#onOpen();
    dc.onmessage = (ev: MessageEvent) => this.emit('message', toData(ev.data));
    dc.onclose = () => this.#onUnderlyingClose(dc);
    dc.bufferedAmountLowThreshold = this.#lowThreshold;
    dc.onbufferedamountlow = () => {
      if (dc === this.#openChannel()) this.emit('bufferedamountlow');
    };
    if (dc.readyState === 'open') this.#onOpen();
  }

  /** @internal Lets go of every RTCDataChannel without closing the Channel (the connection is being replaced). */
  unbindAll(): void {
    for (const dc of this.#bound) detach(dc);
    this.#bound = [];
    if (this.#state === 'open') this.#state = 'connecting';
  }

  /** @internal The peer is gone: close for good. */
  dispose(): void {
    this.close();
    this.removeAllListeners();
  }

  #openChannel(): RTCDataChannel | undefined {
    return this.#bound.find((dc) => dc.readyState === 'open');
  }

  #onOpen(): void {
    const dc = this.#openChannel();
    if (!dc) return;
    this.#flush(dc);
    if (this.#state === 'connecting') {
      this.#state = 'open';
      this.emit('open');
    }
  }

  /** Sends what waited, in order; stops (keeping the rest) if the channel closes under us meanwhile. */
  #flush(dc: RTCDataChannel): void {
    while (this.#queue.length > 0) {
      try {
        sendOn(dc, this.#queue[0] as ChannelData);
      } catch (err) {
        if (closedUnder(dc, err)) return;
        // Unsendable (e.g. larger than the remote accepts): drop it rather than block the queue forever.
        console.error(`parley: dropped a queued message on channel "${this.label}"`, err);
      }
      this.#queue.shift();
    }
  }

  #onUnderlyingClose(dc: RTCDataChannel): void {
    detach(dc);
    this.#bound = this.#bound.filter((d) => d !== dc);
    if (this.#openChannel()) return;
    if (this.#state === 'open') this.#state = 'connecting';
    const connection = this.#liveConnection();
    if (!connection) return; // the connection is going: recovery binds a new RTCDataChannel
    // The connection still looks up. Either the other side closed this channel on purpose, or the connection
    // is failing and says so a moment later: libdatachannel closes its channels before it reports the
    // connection closed. Decide once that moment has passed, so that a failing connection never takes the
    // channel (and every message sent on it meanwhile) with it.
    clearTimeout(this.#closeCheck);
    this.#closeCheck = setTimeout(() => {
      this.#closeCheck = undefined;
      if (this.#bound.length === 0 && this.#liveConnection() === connection) this.#finish();
    }, CLOSE_GRACE_MS);
  }

  #finish(): void {
    clearTimeout(this.#closeCheck);
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#queue = [];
    this.emit('close');
  }
}

function sendOn(dc: RTCDataChannel, data: ChannelData): void {
  // Both overloads exist everywhere; TypeScript's DOM typing wants an ArrayBuffer-backed view.
  if (typeof data === 'string') dc.send(data);
  else dc.send(data as Uint8Array<ArrayBuffer>);
}

/**
 * Whether a failed send means the channel is closing (browsers: readyState; node-datachannel: its message,
 * "… closed" or, on a connection closed under a channel that still reads open, "Sending failed, errno=32"
 * (EPIPE)).
 */
function closedUnder(dc: RTCDataChannel, err: unknown): boolean {
  return dc.readyState !== 'open' || /closed|errno=32\b|EPIPE/i.test(String((err as Error)?.message ?? err));
}

function toData(data: unknown): ChannelData {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return String(data);
}

function detach(dc: RTCDataChannel): void {
  dc.onopen = dc.onmessage = dc.onclose = dc.onbufferedamountlow = null;
}
