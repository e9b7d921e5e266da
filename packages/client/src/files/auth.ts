/**
 * End-to-end authentication by the transfer code (docs/files.md, "Threat model"). Once a peer connection is
 * up, and before any file is offered or accepted, the sender and the receiver run SPAKE2 (RFC 9382,
 * spake2.ts) on a channel of their own with the code's secret words as the password, then exchange key
 * confirmations whose keys also cover both DTLS certificate fingerprints as each side sees them. A signaling
 * server that relays every frame learns only the code's number; one that rewrites the fingerprints or puts
 * its own peers in the middle fails the confirmation (or DTLS) without learning the words, and both sides
 * stop with AUTH_FAILED. Each attempt tests one guess of the words.
 *
 * On the `parley-auth/1` channel, JSON text:
 *   both ways          {t:'spake2', share}   the SPAKE2 share (pA from the sender, pB from the receiver), hex
 *   sender → receiver  {t:'confirm', mac}    cA, once the sender has pB
 *   receiver → sender  {t:'confirm', mac}    cB, only after cA checked out (the receiver is then through)
 *   either             {t:'fail', message}   this side's check failed: stop
 */
import { ParleyError, type PeerMetadata } from '@parley/protocol/client';
import type { Channel, ChannelData } from '../channel.js';
import { DEFAULT_CHANNEL, type Peer } from '../peer.js';
import type { Room } from '../room.js';
import { codeParts } from './code.js';
import { bindingOf, PeerSession } from './rebind.js';
import { equalBytes, passwordScalar, Spake2 } from './spake2.js';

export const AUTH_LABEL = 'parley-auth/1';
/** How long a side waits from the start for the other to prove it knows the code. */
export const AUTH_TIMEOUT_MS = 30_000;

export type TransferRole = 'sender' | 'receiver';

/** Join metadata that says which side of a coded transfer a peer is (who authenticates whom). */
export function transferMetadata(role: TransferRole, extra: PeerMetadata = {}): PeerMetadata {
  return { ...extra, transfer: role };
}

/** The role a peer announced with `transferMetadata`, if any. */
export function transferRoleOf(peer: Peer): TransferRole | undefined {
  const r = peer.metadata.transfer;
  return r === 'sender' || r === 'receiver' ? r : undefined;
}

export interface AuthOptions {
  /** Default AUTH_TIMEOUT_MS. */
  timeoutMs?: number;
  /** How long the session then waits for a rebuilt connection's re-binding (default REBIND_TIMEOUT_MS). */
  rebindTimeoutMs?: number;
}

const MISMATCH = 'the code did not match, or someone is in the middle';
const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
function unhex(s: unknown): Uint8Array {
  if (typeof s !== 'string' || !/^(?:[0-9a-f]{2}){1,200}$/.test(s)) throw new Error('not hex');
  return new Uint8Array(s.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? []);
}

/**
 * Proves to `peer` that this side knows `code`'s words and checks that `peer` does too, over this very
 * connection. Resolves once the other side is authenticated; rejects with AUTH_FAILED (a wrong code,
 * someone in the middle, or no proof in time) or PEER_GONE. The sender opens the channel; the receiver
 * resolves before it sends its own confirmation, so an offer never reaches it unauthenticated. Resolves
 * with the PeerSession (rebind.ts) whose `gate` the transfer engine awaits after the connection was rebuilt.
 */
export function authenticate(
  peer: Peer,
  code: string,
  role: TransferRole,
  options: AuthOptions = {},
): Promise<PeerSession> {
  const { number, secret } = codeParts(code);
  const timeoutMs = options.timeoutMs ?? AUTH_TIMEOUT_MS;
  const w = passwordScalar(secret, `parley-files/auth/1/${number}`);
  w.catch(() => {}); // reported once the channel opens (start() below)
  return new Promise<PeerSession>((resolve, reject) => {
    const offs: (() => void)[] = [];
    let ch: Channel | undefined;
    let spake: Spake2 | undefined;
    let theirShare: Uint8Array | undefined;
    let theirMac: Uint8Array | undefined;
    let keys: { mine: Uint8Array; theirs: Uint8Array; ke: Uint8Array } | undefined;
    let binding: string | undefined;
    let over = false;
    const send = (m: Record<string, unknown>) => {
      try {
        ch?.send(JSON.stringify(m));
      } catch {
        // Closed: the close handler or the timer reports it.
      }
    };
    const finish = (err?: ParleyError, tell?: string, session?: PeerSession) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      for (const off of offs.splice(0)) off();
      if (err) {
        if (tell) send({ t: 'fail', message: tell });
        // Let the failure reach the other side before the channel goes.
        setTimeout(() => ch?.close(), 500);
        reject(err);
      } else if (session) resolve(session);
    };
    /**
     * The other side went away. Once this side's share is out, a guess may have been tested: leaving then
     * (rather than saying `fail`) must not spare an attacker the burnt code, so it counts as a failure.
     */
    const gone = (why: string) => {
      if (over) return;
      if (spake) fail(`${why} during the check (${MISMATCH})`);
      else finish(new ParleyError('PEER_GONE', why));
    };
    const fail = (message: string) =>
      finish(new ParleyError('AUTH_FAILED', `authentication failed: ${message}`), message);
    const timer = setTimeout(
      () =>
        fail(`no proof of the code within ${Math.round(timeoutMs / 1000)} s (${MISMATCH}, or no connection)`),
      timeoutMs,
    );

    /** Moves the exchange on with whatever has arrived. */
    const step = () => {
      if (over || !spake || !theirShare) return;
      if (!keys) {
        binding = bindingOf(peer, role); // `sender <fp>\nreceiver <fp>`, as this side sees them
        if (!binding) return fail('the connection has no DTLS fingerprints to bind');
        try {
          keys = spake.finish(theirShare, {
            idA: utf8('parley-files sender'),
            idB: utf8('parley-files receiver'),
            aad: utf8(`${AUTH_LABEL}\n${binding}`),
          });
        } catch (err) {
          return fail(`the other side's SPAKE2 share is invalid (${(err as Error).message})`);
        }
        if (role === 'sender') send({ t: 'confirm', mac: hex(keys.mine) });
      }
      if (!theirMac) return;
      if (!equalBytes(keys.theirs, theirMac)) return fail(MISMATCH);
      // The receiver is through before the sender hears from it, so no offer comes in before this.
      const mine = keys.mine;
      finish(
        undefined,
        undefined,
        new PeerSession(peer, role, keys.ke, ch as Channel, binding as string, options.rebindTimeoutMs),
      );
      if (role === 'receiver') send({ t: 'confirm', mac: hex(mine) });
    };

    const onMessage = (data: ChannelData) => {
      if (over) return;
      let m: { t?: unknown; share?: unknown; mac?: unknown; message?: unknown };
      try {
        if (typeof data !== 'string') throw new Error('binary');
        m = JSON.parse(data);
        if (m.t === 'spake2' && !theirShare) theirShare = unhex(m.share);
        else if (m.t === 'confirm' && !theirMac && (role === 'receiver' || keys)) theirMac = unhex(m.mac);
        else if (m.t === 'fail')
          return finish(
            new ParleyError(
              'AUTH_FAILED',
              `authentication failed, the other side says: ${typeof m.message === 'string' ? m.message.slice(0, 200) : MISMATCH}`,
            ),
          );
        else throw new Error(`unexpected "${String(m.t)}"`);
      } catch (err) {
        return fail(`a malformed authentication message (${(err as Error).message})`);
      }
      step();
    };

    const use = (channel: Channel) => {
      ch = channel;
      offs.push(
        channel.on('message', onMessage),
        channel.on('close', () => gone('the authentication channel closed')),
      );
      const start = () =>
        void w.then(
          (scalar) => {
            if (over) return;
            spake = new Spake2(role === 'sender' ? 'A' : 'B', scalar);
            send({ t: 'spake2', share: hex(spake.message) });
            step();
          },
          (err: Error) => fail(`the code could not be derived (${err.message})`),
        );
      if (channel.readyState === 'open') start();
      else offs.push(channel.once('open', start));
    };

    offs.push(peer.on('close', () => gone(`peer ${peer.id} left`)));
    if (role === 'sender') {
      // As the engine does: a channel made before the default one is open may never open (node-datachannel).
      const main = peer.channels.get(DEFAULT_CHANNEL);
      const open = () => use(peer.channel(AUTH_LABEL));
      if (!main || main.readyState === 'open') open();
      else offs.push(main.once('open', open));
    } else {
      const existing = peer.channels.get(AUTH_LABEL);
      if (existing) use(existing);
      else
        offs.push(
          peer.on('channel', (channel) => {
            if (channel.label === AUTH_LABEL && !ch) use(channel);
          }),
        );
    }
  });
}

export interface AuthHandlers {
  /**
   * `peer` proved it knows the code: offer it the files (sender) or take its offers (receiver), passing
   * `session.gate` as the transfer's `gate` so a rebuilt connection must prove it holds the session.
   */
  authenticated(peer: Peer, session: PeerSession): void;
  /** `peer` did not: `err.code` is AUTH_FAILED (a wrong code, someone in the middle) or PEER_GONE. */
  failed(peer: Peer, err: ParleyError): void;
}

/**
 * `authenticate` with every peer of the other role in a coded transfer's room, now and as they join: the
 * one entry `parley send`, `parley receive` and the web app's send and receive pages share. Peers say their
 * role in their join metadata (`transferMetadata`); peers of this side's role are left alone. Returns a
 * function that stops watching for new peers.
 */
export function authenticatePeers(
  room: Room,
  code: string,
  role: TransferRole,
  handlers: AuthHandlers,
  options: AuthOptions = {},
): () => void {
  const other: TransferRole = role === 'sender' ? 'receiver' : 'sender';
  const timeoutMs = options.timeoutMs ?? AUTH_TIMEOUT_MS;
  const seen = new WeakSet<Peer>();
  const pending = new Set<Peer>();
  // One deadline for the room, not one per peer, from the first peer of the other role until one is
  // through: a peer that is replaced before its check got anywhere (it left, rejoined under a new id, or
  // its connection never came up) must not put it off for ever, nor leave this side waiting silently.
  let deadline: ReturnType<typeof setTimeout> | undefined;
  let through = false;
  const settle = (peer: Peer) => {
    pending.delete(peer);
    if (through) clearTimeout(deadline);
  };
  const check = (peer: Peer) => {
    if (seen.has(peer) || transferRoleOf(peer) !== other) return;
    seen.add(peer);
    pending.add(peer);
    if (!deadline && !through)
      deadline = setTimeout(() => {
        if (through) return;
        const last = [...pending].pop() ?? peer;
        const s = Math.round(timeoutMs / 1000);
        handlers.failed(
          last,
          new ParleyError(
            'AUTH_FAILED',
            `authentication failed: no proof of the code within ${s} s (${MISMATCH}, or no connection)`,
          ),
        );
      }, timeoutMs);
    authenticate(peer, code, role, options).then(
      (session) => {
        through = true;
        settle(peer);
        handlers.authenticated(peer, session);
      },
      (err: ParleyError) => {
        settle(peer);
        handlers.failed(peer, err);
      },
    );
  };
  for (const peer of room.peers.values()) check(peer);
  const off = room.on('peer-joined', check);
  return () => {
    off();
    clearTimeout(deadline);
  };
}
