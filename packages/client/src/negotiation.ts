/**
 * Perfect negotiation (W3C webrtc-pc §10.7 example, "polite" and "impolite" peers) over one
 * RTCPeerConnection, with trickle ICE and a queue for candidates that arrive before the remote description.
 *
 * Written to work with both browsers and node-datachannel's polyfill, which differ: the polyfill never fires
 * `negotiationneeded`, creates its offer itself when the first data channel is made (so `createOffer()`
 * resolves in `have-local-offer`), answers by itself inside setRemoteDescription, ignores
 * `setLocalDescription()` for answers, and throws on addIceCandidate before a remote description.
 */
import type { SignalPayload } from '@parley/protocol/client';

export interface NegotiationHooks {
  /** Sends a description or candidate to the remote peer through signaling. */
  signal(data: SignalPayload): void;
  /** A remote description could not be applied to this connection (e.g. an ICE restart it cannot do). */
  applyFailed(description: RTCSessionDescriptionInit, err: unknown): void;
}

export interface NegotiationOptions {
  /**
   * This side answers first: offers it would make (a track added before the remote offer arrived) wait
   * until it has answered that offer, so the first exchange never collides.
   */
  answerFirst?: boolean;
}

type WireCandidate = Extract<SignalPayload, { candidate: unknown }>['candidate'];

export class Negotiation {
  readonly pc: RTCPeerConnection;
  readonly polite: boolean;
  readonly #hooks: NegotiationHooks;
  #makingOffer = false;
  /** An offer was asked for while one could not be made (held back, or an explicit call meanwhile). */
  #offerWanted = false;
  /** Offers wait until the first remote offer has been answered (see NegotiationOptions.answerFirst). */
  #holdOffers: boolean;
  /** A remote offer was applied while our own offer was being made, which makes ours stale. */
  #supersededOffer = false;
  /** The implementation fires negotiationneeded (browsers; node-datachannel never does). */
  #firesNegotiationNeeded = false;
  #ignoreOffer = false;
  #remoteDescriptionSet = false;
  #pendingCandidates: RTCIceCandidateInit[] = [];
  #closed = false;
  /** Descriptions are applied one at a time, in arrival order. */
  #chain: Promise<void> = Promise.resolve();

  constructor(
    pc: RTCPeerConnection,
    polite: boolean,
    hooks: NegotiationHooks,
    options: NegotiationOptions = {},
  ) {
    this.pc = pc;
    this.polite = polite;
    this.#hooks = hooks;
    this.#holdOffers = options.answerFirst ?? false;
    pc.onnegotiationneeded = () => {
      this.#firesNegotiationNeeded = true;
      void this.offer();
    };
    pc.onicecandidate = (ev) => {
      if (ev.candidate?.candidate) this.#send({ candidate: toWire(ev.candidate) });
    };
  }

  /** Whether a remote description has been applied (the first exchange is done or under way). */
  get hasRemoteDescription(): boolean {
    return this.#remoteDescriptionSet;
  }

  /**
   * Creates and sends an offer (on negotiationneeded, and explicitly where that event never fires). An offer
   * held back until the first remote offer is answered is made then. Browsers fire negotiationneeded again
   * once stable if an offer is still needed (webrtc-pc §4.4.1.5), so a browser's event that comes while an
   * offer is under way is dropped, as in the spec's example: recording it was seen to send a redundant
   * offer that collided with the remote's. An explicit call (no such event) is made once stable instead.
   */
  async offer(): Promise<void> {
    if (this.#closed) return;
    if (this.#holdOffers) {
      this.#offerWanted = true;
      return;
    }
    if (this.#makingOffer || answering(this.pc)) {
      if (!this.#firesNegotiationNeeded) this.#offerWanted = true;
      return;
    }
    this.#offerWanted = false;
    this.#makingOffer = true;
    this.#supersededOffer = false;
    try {
      const offer = await settle(this.pc.createOffer(), 'createOffer');
      // A remote offer won the race while ours was being made; perfect negotiation answers it instead (and
      // a stale offer would be refused anyway).
      if (this.#closed || this.#supersededOffer || answering(this.pc)) return;
      await settle(this.pc.setLocalDescription(offer), 'setLocalDescription');
      this.#send({ description: describe(this.pc.localDescription, offer) });
    } catch {
      // The state moved under us (a remote offer was applied meanwhile): browsers fire negotiationneeded
      // again if an offer is still needed, and the recovery watchdog catches a connection that stays stuck.
    } finally {
      this.#makingOffer = false;
    }
    this.#offerIfWanted();
  }

  /** Handles a description or candidate from the remote peer. */
  handle(data: SignalPayload): Promise<void> {
    this.#chain = this.#chain
      .then(() => this.#handle(data))
      .catch((err: unknown) => console.error('parley: handling a signal failed', err));
    return this.#chain;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const pc = this.pc;
    pc.onnegotiationneeded = pc.onicecandidate = null;
    pc.onconnectionstatechange = pc.oniceconnectionstatechange = pc.ondatachannel = pc.ontrack = null;
    try {
      pc.close();
    } catch {
      // Already closed.
    }
  }

  async #handle(data: SignalPayload): Promise<void> {
    if (this.#closed) return;
    if ('description' in data) await this.#onDescription(data.description);
    else if (data.candidate) await this.#onCandidate(data.candidate);
  }

  async #onDescription(description: RTCSessionDescriptionInit): Promise<void> {
    const pc = this.pc;
    const collision = description.type === 'offer' && (this.#makingOffer || pc.signalingState !== 'stable');
    this.#ignoreOffer = !this.polite && collision;
    if (this.#ignoreOffer) return;
    try {
      // Polite side of a collision: browsers roll the local offer back implicitly here.
      if (description.type === 'offer' && this.#makingOffer) this.#supersededOffer = true;
      await settle(pc.setRemoteDescription(description), 'setRemoteDescription');
      this.#remoteDescriptionSet = true;
      await this.#flushCandidates();
      if (description.type === 'offer' && !this.#closed) {
        const answer = await settle(pc.createAnswer(), 'createAnswer');
        await settle(pc.setLocalDescription(answer), 'setLocalDescription');
        this.#send({ description: describe(null, answer) });
        this.#holdOffers = false;
      }
      this.#offerIfWanted();
    } catch (err) {
      if (!this.#closed) this.#hooks.applyFailed(description, err);
    }
  }

  /** Makes the offer that had to wait, now that the connection is stable. */
  #offerIfWanted(): void {
    if (this.#offerWanted && !this.#makingOffer && !this.#closed && this.pc.signalingState === 'stable')
      void this.offer();
  }

  async #onCandidate(candidate: NonNullable<WireCandidate>): Promise<void> {
    const init = fromWire(candidate);
    if (!this.#remoteDescriptionSet) {
      this.#pendingCandidates.push(init);
      return;
    }
    await this.#addCandidate(init);
  }

  async #flushCandidates(): Promise<void> {
    const pending = this.#pendingCandidates;
    this.#pendingCandidates = [];
    for (const init of pending) await this.#addCandidate(init);
  }

  async #addCandidate(init: RTCIceCandidateInit): Promise<void> {
    try {
      await this.pc.addIceCandidate(init);
    } catch {
      // Candidates of an ignored offer, or of the remote's previous connection, fail harmlessly here.
    }
  }

  #send(data: SignalPayload): void {
    if (!this.#closed) this.#hooks.signal(data);
  }
}

/** A remote offer is applied and its answer not yet made: an offer now would be refused. */
function answering(pc: RTCPeerConnection): boolean {
  return pc.signalingState === 'have-remote-offer';
}

/**
 * node-datachannel's createOffer/createAnswer wait for its native side and never settle on a connection
 * that died meanwhile; a stuck step would block every later signal for this peer, so it fails instead.
 */
function settle<T>(step: Promise<T>, what: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    step.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

function describe(
  current: RTCSessionDescription | null,
  created: RTCSessionDescriptionInit,
): { type: 'offer' | 'answer'; sdp: string } {
  const type = created.type === 'answer' ? 'answer' : 'offer';
  const sdp = current?.type === type && current.sdp ? current.sdp : (created.sdp ?? '');
  return { type, sdp };
}

function toWire(c: RTCIceCandidate): NonNullable<WireCandidate> {
  return {
    candidate: c.candidate,
    sdpMid: c.sdpMid ?? null,
    sdpMLineIndex: c.sdpMLineIndex ?? null,
    usernameFragment: c.usernameFragment ?? null,
  };
}

function fromWire(c: NonNullable<WireCandidate>): RTCIceCandidateInit {
  const init: RTCIceCandidateInit = { candidate: c.candidate };
  if (c.sdpMid != null) init.sdpMid = c.sdpMid;
  if (c.sdpMLineIndex != null) init.sdpMLineIndex = c.sdpMLineIndex;
  if (c.usernameFragment != null) init.usernameFragment = c.usernameFragment;
  // The polyfill needs sdpMid; every implementation we meet uses mid "0" for the first m-line.
  if (init.sdpMid === undefined && init.sdpMLineIndex === undefined) init.sdpMid = '0';
  return init;
}
