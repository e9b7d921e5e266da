/**
 * Re-binding an authenticated peer to a rebuilt connection (docs/files.md, "Threat model"). The code check
 * (auth.ts) proves the other side knows the code's words over one connection, bound to that connection's
 * DTLS fingerprints. When the SDK rebuilds a dropped connection (peer.ts: node-datachannel cannot restart
 * ICE, so a fresh RTCPeerConnection with a new DTLS certificate takes over the channels), nothing proves
 * the new connection ends at the same peer: a signaling server that can force a drop could terminate DTLS
 * itself on the new one. So each side keeps a session secret from the SPAKE2 result
 * (HKDF-SHA256(Ke, info "parley-files/rebind/1"), never the code), and on a connection whose fingerprints
 * differ from the last confirmed ones both sides prove they hold it before the transfer engine moves on:
 *
 * On the `parley-auth/1` channel (it moves over to the new connection like every channel), JSON text:
 *   both ways  {t:'rebind', n}           a fresh 32-byte nonce, hex, once the channel is open on a new connection
 *   both ways  {t:'rebound', ns, nr, mac} for each nonce heard: HMAC-SHA256(secret, role ‖ AAD), where the AAD
 *                                        names the sender's and the receiver's nonces and both DTLS
 *                                        fingerprints of the new connection as the sending side sees them
 *   either     {t:'fail', message}       this side's check failed: stop
 *
 * A side passes once the other's MAC checks out over its own current nonce (so nothing old can be replayed)
 * and the fingerprints it sees itself. No password guess can be tested this way, and whoever ends the
 * new connection without the secret fails: both sides stop with AUTH_FAILED. A MAC is ignored (not a
 * failure) only when it covers an older nonce of ours, which a connection dropping again mid-check can
 * leave behind; a round that is not through within REBIND_TIMEOUT_MS fails.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ParleyError } from '@parley/protocol/client';
import type { Channel, ChannelData } from '../channel.js';
import { Emitter } from '../emitter.js';
import type { Peer } from '../peer.js';
import { equalBytes } from './spake2.js';

/** How long a side waits, once it sees a rebuilt connection, for the other to prove it holds the session. */
export const REBIND_TIMEOUT_MS = 30_000;
const LABEL = 'parley-files/rebind/1';
const MIDDLE =
  'the connection was replaced and the new one could not prove it knows the code’s session: someone may be in the middle';

type Role = 'sender' | 'receiver';
const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
function unhex(s: unknown, bytes: number): Uint8Array {
  if (typeof s !== 'string' || s.length !== bytes * 2 || !/^[0-9a-f]*$/.test(s)) throw new Error('not hex');
  return new Uint8Array(s.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? []);
}

/** The session secret of one successful code check: what a rebuilt connection must prove it holds. */
export function sessionSecret(ke: Uint8Array): Uint8Array {
  return hkdf(sha256, ke, undefined, utf8(LABEL), 32);
}

/** @internal The fingerprints this side sees, as one string, the sender's first (what gets confirmed). */
export function bindingOf(peer: Peer, role: Role): string | undefined {
  const fp = peer.fingerprints();
  if (!fp) return undefined;
  const [s, r] = role === 'sender' ? [fp.local, fp.remote] : [fp.remote, fp.local];
  return `sender ${s}\nreceiver ${r}`;
}

export type PeerSessionEvents = {
  /** A rebuilt connection passed the re-binding (`rebinds` counts them). */
  rebound: [];
  /** The re-binding failed for good (AUTH_FAILED). */
  failed: [error: ParleyError];
};

interface Round {
  binding: string;
  nonce: Uint8Array;
}

/**
 * One authenticated peer of a coded transfer: what `authenticate` resolves with. `gate()` is what the
 * transfer engine awaits (SendOptions.gate / ReceiveOptions.gate) before it moves bytes on a channel that
 * reopened: it resolves at once while the connection is the confirmed one, once the re-binding passed on
 * a rebuilt one, and rejects with AUTH_FAILED when that failed.
 */
export class PeerSession extends Emitter<PeerSessionEvents> {
  readonly peer: Peer;
  readonly role: Role;
  readonly #secret: Uint8Array;
  readonly #ch: Channel;
  readonly #timeoutMs: number;
  readonly #offs: (() => void)[] = [];
  #confirmed: string;
  #round: Round | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failure: ParleyError | undefined;
  #waiters: { resolve: () => void; reject: (e: ParleyError) => void }[] = [];
  #rebinds = 0;

  /** @internal Made by `authenticate` once the code check passed on `confirmed`'s connection. */
  constructor(peer: Peer, role: Role, ke: Uint8Array, ch: Channel, confirmed: string, timeoutMs?: number) {
    super();
    this.peer = peer;
    this.role = role;
    this.#secret = sessionSecret(ke);
    this.#ch = ch;
    this.#confirmed = confirmed;
    this.#timeoutMs = timeoutMs ?? REBIND_TIMEOUT_MS;
    this.#offs.push(
      ch.on('message', (d) => this.#onMessage(d)),
      ch.on('open', () => this.#start(true)),
      peer.on('state', (s) => {
        if (s === 'connected') this.#start(false);
        else this.#stopClock(); // no connection, nothing to prove on: the clock runs while one is up
      }),
      peer.on('close', () => this.#dispose()),
    );
  }

  /** Rebuilt connections that passed the re-binding so far. */
  get rebinds(): number {
    return this.#rebinds;
  }

  /** The AUTH_FAILED that ended this session, if one did. */
  get failure(): ParleyError | undefined {
    return this.#failure;
  }

  /** Resolves when the live connection is one this session confirmed; rejects with AUTH_FAILED. */
  gate = (): Promise<void> => {
    if (this.#failure) return Promise.reject(this.#failure);
    if (bindingOf(this.peer, this.role) === this.#confirmed) return Promise.resolve();
    const waiting = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#start(false);
    return waiting;
  };

  /**
   * A connection came up, the channel (re)opened on one (`force`), or the other side asked (`force`): on
   * the confirmed fingerprints, whoever waits may go on; on others, start the clock and, once the channel
   * is open, a round with a fresh nonce (a new one for each reopening: the last one may have been lost).
   */
  #start(force: boolean): void {
    if (this.#failure) return;
    const binding = bindingOf(this.peer, this.role);
    if (binding === this.#confirmed) {
      this.#stopClock();
      for (const w of this.#waiters.splice(0)) w.resolve();
      // The other side asked although we see the confirmed connection: answer, or it waits in vain.
      if (!force || this.#ch.readyState !== 'open') return;
    }
    if (!binding || this.#ch.readyState !== 'open') {
      this.#clock();
      return;
    }
    if (!force && this.#round?.binding === binding) {
      this.#clock();
      return;
    }
    this.#round = { binding, nonce: crypto.getRandomValues(new Uint8Array(32)) };
    if (binding !== this.#confirmed) this.#clock(true);
    this.#send({ t: 'rebind', n: hex(this.#round.nonce) });
  }

  /** Fails the session unless a round passes in time (`restart`: from now, on a new connection). */
  #clock(restart = false): void {
    if (this.#timer && !restart) return;
    clearTimeout(this.#timer);
    const s = Math.round(this.#timeoutMs / 1000);
    this.#timer = setTimeout(() => this.#fail(`${MIDDLE} (no proof within ${s} s)`), this.#timeoutMs);
  }

  #stopClock(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #mac(role: Role, ns: Uint8Array, nr: Uint8Array, binding: string): Uint8Array {
    return hmac(
      sha256,
      this.#secret,
      utf8(`${LABEL}\n${role}\nnonce-sender ${hex(ns)}\nnonce-receiver ${hex(nr)}\n${binding}`),
    );
  }

  #onMessage(data: ChannelData): void {
    if (this.#failure) return;
    let m: { t?: unknown; n?: unknown; ns?: unknown; nr?: unknown; mac?: unknown; message?: unknown };
    try {
      if (typeof data !== 'string') throw new Error('binary');
      m = JSON.parse(data);
      if (typeof m !== 'object' || m === null) throw new Error('not an object');
    } catch {
      return this.#fail(`${MIDDLE} (a malformed message)`);
    }
    // What is left of the code check itself (the receiver's last confirmation) is not ours.
    if (m.t === 'spake2' || m.t === 'confirm') return;
    if (m.t === 'fail') {
      const said = typeof m.message === 'string' ? m.message.slice(0, 200) : MIDDLE;
      return this.#fail(`the other side says: ${said}`, false);
    }
    try {
      if (m.t === 'rebind') {
        const theirs = unhex(m.n, 32);
        if (!this.#round) this.#start(true);
        const round = this.#round as Round | undefined;
        if (!round) return; // no fingerprints or no open channel yet: the clock runs
        const [ns, nr] = this.role === 'sender' ? [round.nonce, theirs] : [theirs, round.nonce];
        const mac = this.#mac(this.role, ns, nr, round.binding);
        this.#send({ t: 'rebound', ns: hex(ns), nr: hex(nr), mac: hex(mac) });
      } else if (m.t === 'rebound') {
        const ns = unhex(m.ns, 32);
        const nr = unhex(m.nr, 32);
        const mac = unhex(m.mac, 32);
        const round = this.#round;
        const mine = this.role === 'sender' ? ns : nr;
        // A proof over an older nonce of ours (the connection dropped again meanwhile) proves nothing now.
        if (!round || !equalBytes(mine, round.nonce)) return;
        const other: Role = this.role === 'sender' ? 'receiver' : 'sender';
        if (!equalBytes(mac, this.#mac(other, ns, nr, round.binding))) return this.#fail(MIDDLE);
        this.#pass(round.binding);
      } else throw new Error(`unexpected "${String(m.t)}"`);
    } catch (err) {
      this.#fail(`${MIDDLE} (a malformed message: ${(err as Error).message})`);
    }
  }

  #pass(binding: string): void {
    // Through only if the connection is still the one the round ran on.
    if (bindingOf(this.peer, this.role) !== binding) return;
    this.#round = undefined;
    this.#stopClock();
    for (const w of this.#waiters.splice(0)) w.resolve();
    if (binding === this.#confirmed) return; // a round the other side asked for on the confirmed one
    this.#confirmed = binding;
    this.#rebinds++;
    this.emit('rebound');
  }

  #fail(message: string, tell = true): void {
    if (this.#failure) return;
    this.#failure = new ParleyError('AUTH_FAILED', `authentication failed: ${message}`);
    clearTimeout(this.#timer);
    if (tell) this.#send({ t: 'fail', message });
    for (const w of this.#waiters.splice(0)) w.reject(this.#failure);
    this.emit('failed', this.#failure);
  }

  #send(m: Record<string, unknown>): void {
    try {
      this.#ch.send(JSON.stringify(m));
    } catch {
      // Closed: the clock reports it.
    }
  }

  #dispose(): void {
    this.#stopClock();
    for (const off of this.#offs.splice(0)) off();
    for (const w of this.#waiters.splice(0))
      w.reject(new ParleyError('PEER_GONE', `peer ${this.peer.id} left`));
  }
}
