/**
 * A real-time game session over a Room: two lanes to every peer (state updates on an unordered, unreliable
 * channel, latest wins; events on a reliable one), a shared room clock, a host chosen deterministically,
 * and players whose identity survives a dropped connection. See docs/games.md.
 */
import type { Channel } from '../channel.js';
import { Emitter } from '../emitter.js';
import { DEFAULT_CHANNEL, type Peer } from '../peer.js';
import type { Room } from '../room.js';
import { ClockSync } from './clock.js';
import { SendPacer } from './pacer.js';
import type { Schema } from './schema.js';
import {
  ACK,
  decodeFrame,
  encodeAck,
  encodePing,
  encodePong,
  encodeState,
  encodeWorld,
  FORCED,
  MAX_FRAME,
  PING,
  PONG,
  playerTag,
  STATE,
  STATE_HEADER,
  WORLD,
  WORLD_ENTRY_HEADER,
  WORLD_HEADER,
  type WorldEntry,
} from './wire.js';

export type Topology = 'mesh' | 'host';
export type PlayerInfo = { [key: string]: unknown };

export interface GameOptions<S> {
  /** The binary layout of one player's state (see `schema()`). */
  state: Schema<S>;
  /**
   * `'mesh'` (default): every player sends its state to every other. `'host'`: players send theirs to the
   * host, and the host sends everyone its view of all players (which it may correct: `setPlayerState`).
   */
  topology?: Topology;
  /** This player's identity, the same across reconnections and rejoins (keep it, e.g. in sessionStorage). */
  playerId?: string;
  /** What the others see about this player (name, colour…): any JSON object. */
  info?: PlayerInfo;
  /** Updates per second per peer at most (default 60) and at least (default 5), see SendPacer. */
  maxHz?: number;
  minHz?: number;
  /** How long a player whose connection dropped keeps its place for a rejoin (default 15 s). */
  rejoinGraceMs?: number;
  /** The most players a host's view must hold (default 8); with the state's size, bounds a frame. */
  maxPlayers?: number;
  /** The local clock in ms (default `performance.now`). */
  now?: () => number;
}

export interface Player<S> {
  readonly id: string;
  readonly self: boolean;
  /** The peer id it is connected as now (changes when it rejoins); undefined while away. */
  peerId: string | undefined;
  info: PlayerInfo;
  /** False while its connection is down (it has `rejoinGraceMs` to come back). */
  present: boolean;
  /** Its newest state and the room time it was taken at. */
  state: S | undefined;
  stateTime: number | undefined;
  /** Round trip to it (ms, smoothed), once measured. */
  rttMs: number | undefined;
}

export type GameEvents<S> = {
  'player-joined': [player: Player<S>];
  /** Its connection dropped; it keeps its place for `rejoinGraceMs`. */
  'player-away': [player: Player<S>];
  /** It came back with the same identity (after a resume, an ICE recovery or a rejoin). */
  'player-back': [player: Player<S>];
  /** It left for good (said goodbye, or did not come back in time). */
  'player-left': [player: Player<S>];
  /** A newer state of another player. `time` is on the room clock. */
  state: [player: Player<S>, state: S, time: number];
  /** The host set this player's state (host topology): take it. */
  correction: [state: S, time: number];
  /** A reliable event from another player. */
  event: [data: unknown, from: Player<S>];
  /** The host changed (undefined until known). */
  host: [playerId: string | undefined];
};

export interface LaneStats {
  /** Updates per second the pacer allows now. */
  rateHz: number;
  /** Updates sent, and the newest the peer acknowledged (by sequence number). */
  sent: number;
  acked: number;
  /** How many unacknowledged updates may be out. */
  window: number;
}

/** The game clock: the room's time as this peer estimates it. */
export interface GameClock {
  /** Room time now (ms). */
  now(): number;
  /** Room clock minus local clock (ms). */
  readonly offset: number;
  /** The true offset lies within `offset ± error` (0 on the host, whose clock the room's is). */
  readonly error: number;
  /** Whether an offset has been measured (always true on the host). */
  readonly synced: boolean;
}

type Control =
  | { t: 'hello'; id: string; info: PlayerInfo; host: string | null; term: number }
  | { t: 'host'; host: string; term: number }
  | { t: 'ev'; d: unknown }
  | { t: 'bye' };

interface Link<S> {
  peer: Peer;
  state: Channel;
  events: Channel;
  pacer: SendPacer;
  player: Player<S> | undefined;
  /** Our newest state (or view) not yet sent on this link. */
  dirty: boolean;
  seqOut: number;
  seqIn: number;
  /** The newest of our updates the peer acknowledged, and when each recent one was sent (local clock). */
  acked: number;
  sentAt: Map<number, number>;
  lastPing: number;
  /**
   * Events that came before the peer's hello, for when it comes: a peer that hears our hello while its
   * channel is still opening queues an event, and its queue goes out before the hello it sends on open.
   */
  early: unknown[];
  offs: (() => void)[];
}

export const STATE_LABEL = 'parley-game-state';
export const EVENTS_LABEL = 'parley-game-events';
const PING_INTERVAL_MS = 1000;
const FAST_PINGS = 5;
/** The most events kept from a peer whose hello has not come yet. */
const MAX_EARLY_EVENTS = 64;

export class Game<S> extends Emitter<GameEvents<S>> {
  readonly room: Room;
  readonly topology: Topology;
  readonly self: Player<S>;
  readonly #schema: Schema<S>;
  readonly #options: GameOptions<S>;
  readonly #localNow: () => number;
  readonly #players = new Map<string, Player<S>>();
  readonly #byTag = new Map<number, Player<S>>();
  readonly #links = new Map<string, Link<S>>();
  /**
   * Host topology, not on the host: entries of the host's newest view for players this side has not met
   * yet, by tag. A player is met by its hello on its own link to us, which may open after the host's view
   * with its state came; the host sends nothing new until a state changes, so its entry is kept for then.
   */
  #unmet = new Map<number, { state: S; time: number }>();
  /** Players whose state the host set, with the room time it did: until their own catches up. */
  readonly #forced = new Map<string, number>();
  readonly #graceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #sync = new ClockSync();
  readonly #offs: (() => void)[] = [];
  #offset = 0;
  #synced = false;
  #host: string | undefined;
  #term = 0;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #lastCorrection = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(room: Room, options: GameOptions<S>) {
    super();
    this.room = room;
    this.topology = options.topology ?? 'mesh';
    this.#schema = options.state;
    this.#options = options;
    this.#localNow = options.now ?? (() => performance.now());
    const maxPlayers = options.maxPlayers ?? 8;
    const worldBytes = WORLD_HEADER + maxPlayers * (WORLD_ENTRY_HEADER + options.state.size);
    if (STATE_HEADER + options.state.size > MAX_FRAME || (this.topology === 'host' && worldBytes > MAX_FRAME))
      throw new RangeError(
        `game: a ${options.state.size}-byte state makes frames over ${MAX_FRAME} bytes (host view of ${maxPlayers} players: ${worldBytes})`,
      );
    const id = options.playerId ?? randomId();
    this.self = {
      id,
      self: true,
      peerId: room.selfId,
      info: options.info ?? {},
      present: true,
      state: undefined,
      stateTime: undefined,
      rttMs: undefined,
    };
    this.#addPlayer(this.self);
    this.#offs.push(
      room.on('peer-joined', (peer) => this.#link(peer)),
      room.on('peer-left', (peer, reason) => this.#unlink(peer.id, reason === 'left' ? 'left' : 'away')),
      room.on('rejoined', (selfId) => {
        this.self.peerId = selfId;
      }),
    );
    // Alone in the room: this player is the first host, and its clock the room's.
    if (room.peers.size === 0) this.#setHost(id, 1);
    for (const peer of room.peers.values()) this.#link(peer);
    this.#pingTimer = setInterval(() => this.#pingAll(), PING_INTERVAL_MS / FAST_PINGS);
  }

  get players(): ReadonlyMap<string, Player<S>> {
    return this.#players;
  }

  /** The host's player id (both topologies have one: its clock is the room's). */
  get host(): string | undefined {
    return this.#host;
  }

  get isHost(): boolean {
    return this.#host === this.self.id;
  }

  /** How many times the host has changed hands, counting the first choice (every peer agrees on it). */
  get term(): number {
    return this.#term;
  }

  get clock(): GameClock {
    const game = this;
    return {
      now: () => this.#localNow() + this.#offset,
      get offset() {
        return game.#offset;
      },
      get error() {
        return game.isHost ? 0 : (game.#sync.best?.error ?? Number.POSITIVE_INFINITY);
      },
      get synced() {
        return game.isHost || game.#synced;
      },
    };
  }

  /** The state lane to each peer, by peer id: the send rate now, updates sent and acknowledged. */
  laneStats(): Map<string, LaneStats> {
    return new Map(
      [...this.#links].map(([id, l]) => [
        id,
        { rateHz: l.pacer.rateHz, sent: l.seqOut, acked: l.acked, window: l.pacer.window },
      ]),
    );
  }

  /**
   * This player's newest state. It replaces whatever state has not gone out yet: each peer gets the newest
   * at the rate its link allows, never a queue of old ones.
   */
  setState(state: S): void {
    if (this.#closed) return;
    const time = this.clock.now();
    this.self.state = state;
    this.self.stateTime = time;
    this.#markDirty();
  }

  /** Host topology, on the host: sets another player's state; that player gets it as a `correction`. */
  setPlayerState(playerId: string, state: S): void {
    if (!this.isHost) throw new Error('game: only the host sets other players’ states');
    const player = this.#players.get(playerId);
    if (!player) return;
    if (player.self) return this.setState(state);
    player.state = state;
    player.stateTime = this.clock.now();
    this.#forced.set(playerId, player.stateTime);
    this.#markDirty();
  }

  /** A reliable event to every other player, or to one (by player id). JSON data. */
  send(data: unknown, to?: string): void {
    const text = JSON.stringify({ t: 'ev', d: data } satisfies Control);
    for (const link of this.#links.values()) {
      if (to !== undefined && link.player?.id !== to) continue;
      link.events.send(text);
    }
  }

  /** Leaves the game: the others drop this player at once. The room stays joined. */
  close(): void {
    if (this.#closed) return;
    for (const link of this.#links.values()) {
      try {
        if (link.events.readyState === 'open') link.events.send(JSON.stringify({ t: 'bye' }));
      } catch {
        // Closing anyway.
      }
    }
    this.#closed = true;
    clearInterval(this.#pingTimer);
    clearTimeout(this.#flushTimer);
    for (const t of this.#graceTimers.values()) clearTimeout(t);
    for (const off of this.#offs) off();
    for (const link of this.#links.values()) for (const off of link.offs) off();
    this.#links.clear();
    this.removeAllListeners();
  }

  // ---- links (one per peer in the room) ----

  #link(peer: Peer): void {
    if (this.#closed || this.#links.has(peer.id)) return;
    // As the file engine does: a channel the answering side made before the connection's default channel
    // was open was seen to close at once or never open (node-datachannel), so make ours once it is open.
    const main = peer.channels.get(DEFAULT_CHANNEL);
    if (main && main.readyState !== 'open') {
      const off = main.once('open', () => {
        const i = this.#offs.indexOf(off);
        if (i >= 0) this.#offs.splice(i, 1);
        this.#link(peer);
      });
      this.#offs.push(off);
      return;
    }
    const state = peer.channel(STATE_LABEL, { ordered: false, maxRetransmits: 0 });
    const events = peer.channel(EVENTS_LABEL, {});
    const link: Link<S> = {
      peer,
      state,
      events,
      pacer: new SendPacer({
        ...(this.#options.maxHz !== undefined ? { maxHz: this.#options.maxHz } : {}),
        ...(this.#options.minHz !== undefined ? { minHz: this.#options.minHz } : {}),
      }),
      player: undefined,
      dirty: true,
      seqOut: 0,
      seqIn: -1,
      acked: 0,
      sentAt: new Map(),
      lastPing: Number.NEGATIVE_INFINITY,
      early: [],
      offs: [],
    };
    this.#links.set(peer.id, link);
    const hello = () => events.send(JSON.stringify(this.#hello()));
    link.offs.push(
      events.on('open', hello),
      events.on('message', (data) => this.#onControl(link, data)),
      state.on('message', (data) => {
        if (typeof data !== 'string') this.#onFrame(link, data);
      }),
      state.on('open', () => this.#flush()),
    );
    if (events.readyState === 'open') hello();
  }

  #unlink(peerId: string, why: 'left' | 'away'): void {
    const link = this.#links.get(peerId);
    if (!link) return;
    this.#links.delete(peerId);
    for (const off of link.offs) off();
    const player = link.player;
    // It may already be back under another peer id (a rejoin announced before the old id's departure).
    if (!player || player.peerId !== peerId) return;
    if (why === 'left') this.#removePlayer(player);
    else this.#away(player);
  }

  #hello(): Control {
    return { t: 'hello', id: this.self.id, info: this.self.info, host: this.#host ?? null, term: this.#term };
  }

  #onControl(link: Link<S>, data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: Control;
    try {
      msg = JSON.parse(data) as Control;
    } catch {
      return;
    }
    switch (msg?.t) {
      case 'hello':
        if (typeof msg.id !== 'string' || msg.id === this.self.id) return;
        this.#onHello(link, msg);
        return;
      case 'host':
        if (typeof msg.host === 'string' && typeof msg.term === 'number') this.#claim(msg.host, msg.term);
        return;
      case 'ev':
        if (link.player) this.emit('event', msg.d, link.player);
        else if (link.early.length < MAX_EARLY_EVENTS) link.early.push(msg.d);
        return;
      case 'bye':
        if (link.player) this.#removePlayer(link.player);
    }
  }

  #onHello(link: Link<S>, msg: Extract<Control, { t: 'hello' }>): void {
    let player = this.#players.get(msg.id);
    const info = msg.info && typeof msg.info === 'object' ? msg.info : {};
    if (player) {
      const wasAway = !player.present;
      const moved = player.peerId !== link.peer.id;
      // The same player under another peer id: its old link (if any) is stale.
      if (moved && player.peerId !== undefined) {
        const old = this.#links.get(player.peerId);
        if (old && old !== link) old.player = undefined;
      }
      player.peerId = link.peer.id;
      player.info = info;
      player.present = true;
      link.player = player;
      clearTimeout(this.#graceTimers.get(player.id));
      this.#graceTimers.delete(player.id);
      if (wasAway) this.emit('player-back', player);
    } else {
      player = {
        id: msg.id,
        self: false,
        peerId: link.peer.id,
        info,
        present: true,
        state: undefined,
        stateTime: undefined,
        rttMs: undefined,
      };
      link.player = player;
      this.#addPlayer(player);
      this.emit('player-joined', player);
      const seen = this.#unmet.get(playerTag(player.id));
      if (seen) {
        this.#unmet.delete(playerTag(player.id));
        this.#apply(player, seen.state, seen.time);
      }
    }
    for (const d of link.early.splice(0)) this.emit('event', d, player);
    link.seqIn = -1;
    if (typeof msg.host === 'string' && typeof msg.term === 'number') this.#claim(msg.host, msg.term);
    this.#electIfUnknown();
    link.dirty = true;
    this.#flush();
  }

  // ---- host ----

  /**
   * A host claim: a higher term wins; at the same term the smaller player id wins, so two peers that chose
   * differently (each saw a different set of players) agree as soon as they hear each other.
   */
  #claim(host: string, term: number): void {
    if (term > this.#term || (term === this.#term && (this.#host === undefined || host < this.#host)))
      this.#setHost(host, term);
  }

  /** Nobody knew a host when the game started (everyone was already in the room): choose one together. */
  #electIfUnknown(): void {
    if (this.#host !== undefined) return;
    const links = [...this.#links.values()];
    if (!links.every((l) => l.player !== undefined)) return;
    this.#setHost(this.#lowestPresent(), 1);
  }

  #lowestPresent(): string {
    let lowest = this.self.id;
    for (const p of this.#players.values()) if (p.present && p.id < lowest) lowest = p.id;
    return lowest;
  }

  #setHost(host: string, term: number): void {
    const changed = host !== this.#host;
    this.#host = host;
    this.#term = term;
    if (!changed) return;
    // The new host keeps the room time it had: the room clock carries on from where it was.
    this.#sync.reset();
    this.#synced = this.#host === this.self.id;
    for (const link of this.#links.values()) {
      link.dirty = true;
      if (link.player?.id === host) link.lastPing = Number.NEGATIVE_INFINITY;
    }
    this.emit('host', host);
    this.#flush();
  }

  /** The host went: the present player with the smallest id takes over, in the next term. */
  #hostGone(): void {
    const next = this.#lowestPresent();
    this.#setHost(next, this.#term + 1);
    if (next === this.self.id) {
      const text = JSON.stringify({ t: 'host', host: next, term: this.#term } satisfies Control);
      for (const link of this.#links.values()) if (link.player) link.events.send(text);
    }
  }

  // ---- players ----

  #addPlayer(player: Player<S>): void {
    this.#players.set(player.id, player);
    this.#byTag.set(playerTag(player.id), player);
  }

  #away(player: Player<S>): void {
    if (!player.present) return;
    player.present = false;
    player.peerId = undefined;
    this.emit('player-away', player);
    if (player.id === this.#host) this.#hostGone();
    this.#graceTimers.set(
      player.id,
      setTimeout(() => this.#removePlayer(player), this.#options.rejoinGraceMs ?? 15_000),
    );
  }

  #removePlayer(player: Player<S>): void {
    if (this.#players.get(player.id) !== player || player.self) return;
    clearTimeout(this.#graceTimers.get(player.id));
    this.#graceTimers.delete(player.id);
    this.#players.delete(player.id);
    this.#byTag.delete(playerTag(player.id));
    this.#forced.delete(player.id);
    const wasHost = player.id === this.#host && player.present;
    player.present = false;
    for (const link of this.#links.values()) if (link.player === player) link.player = undefined;
    this.emit('player-left', player);
    if (wasHost) this.#hostGone();
  }

  // ---- the state lane ----

  #markDirty(): void {
    for (const link of this.#links.values()) link.dirty = true;
    this.#flush();
  }

  /** Whether this side sends anything on the state lane to this link now. */
  #sendsTo(link: Link<S>): boolean {
    if (!link.player) return false;
    if (this.topology === 'mesh') return this.self.state !== undefined;
    if (this.isHost) return true;
    return link.player.id === this.#host && this.self.state !== undefined;
  }

  /** Sends the newest state (or host view) on every link whose pacer allows it; retries the rest later. */
  #flush(): void {
    if (this.#closed) return;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const now = this.#localNow();
    let retryAt = Number.POSITIVE_INFINITY;
    for (const link of this.#links.values()) {
      if (!this.#sendsTo(link) || link.state.readyState !== 'open') continue;
      if (!link.dirty) {
        // The newest update is not acknowledged a while after it went: it may be lost, so send it again
        // (as a new update), or a player that stopped moving would stay where a lost update left it.
        const sentAt = link.sentAt.get(link.seqOut);
        if (link.acked >= link.seqOut || sentAt === undefined) continue;
        const dueAt = sentAt + Math.max(50, 1.5 * (link.player?.rttMs ?? 100));
        if (now < dueAt) {
          retryAt = Math.min(retryAt, dueAt);
          continue;
        }
        link.dirty = true;
      }
      const frame = this.#frameFor(link);
      if (!frame) continue;
      const inFlight = link.seqOut - link.acked;
      if (!link.pacer.decide(now, link.state.bufferedAmount, frame.byteLength, inFlight)) {
        // Waiting for time or for the buffer to drain; the newest state goes then.
        retryAt = Math.min(retryAt, Math.max(link.pacer.nextAt, now + 4));
        continue;
      }
      try {
        link.state.send(frame);
        link.seqOut++;
        link.dirty = false;
        link.sentAt.set(link.seqOut, now);
        link.sentAt.delete(link.seqOut - 256);
        retryAt = Math.min(retryAt, now + Math.max(50, 1.5 * (link.player?.rttMs ?? 100)));
      } catch {
        // Closing under us; recovery reopens the channel and `open` flushes again.
      }
    }
    if (retryAt !== Number.POSITIVE_INFINITY)
      this.#flushTimer = setTimeout(() => this.#flush(), Math.max(1, retryAt - now));
  }

  #frameFor(link: Link<S>): Uint8Array | undefined {
    const seq = link.seqOut + 1;
    if (this.topology === 'host' && this.isHost) {
      const entries: WorldEntry<S>[] = [];
      for (const p of this.#players.values()) {
        if (p.state === undefined || p.stateTime === undefined) continue;
        entries.push({
          tag: playerTag(p.id),
          flags: this.#forced.has(p.id) ? FORCED : 0,
          time: p.stateTime,
          state: p.state,
        });
      }
      return entries.length ? encodeWorld(this.#schema, seq, entries) : undefined;
    }
    if (this.self.state === undefined || this.self.stateTime === undefined) return undefined;
    return encodeState(this.#schema, seq, this.self.stateTime, this.self.state);
  }

  #onFrame(link: Link<S>, bytes: Uint8Array): void {
    const frame = decodeFrame(this.#schema, bytes);
    if (!frame) return;
    switch (frame.kind) {
      case PING: {
        const t1 = this.clock.now();
        this.#sendRaw(link, encodePong(frame.t0, t1, this.clock.now()));
        return;
      }
      case PONG:
        this.#onPong(link, frame.t0, frame.t1, frame.t2);
        return;
      case ACK: {
        if (frame.seq <= link.acked || frame.seq > link.seqOut) return;
        link.acked = frame.seq;
        const sentAt = link.sentAt.get(frame.seq);
        const now = this.#localNow();
        if (sentAt !== undefined) link.pacer.observeRtt(now - sentAt, now);
        // The window may have opened: the newest state goes now rather than at the next update.
        if (link.dirty) this.#flush();
        return;
      }
      case STATE: {
        const player = link.player;
        if (!player || !this.#fresh(link, frame.seq)) return;
        const forcedAt = this.#forced.get(player.id);
        if (forcedAt !== undefined) {
          // Sent before the player could have taken the host's correction: stale.
          if (frame.time < forcedAt + (player.rttMs ?? 0) / 2) return;
          this.#forced.delete(player.id);
        }
        this.#apply(player, frame.state, frame.time);
        if (this.topology === 'host' && this.isHost) this.#markDirty();
        return;
      }
      case WORLD: {
        if (!link.player || link.player.id !== this.#host || !this.#fresh(link, frame.seq)) return;
        // The newest view replaces the last one's unmet players (one the host no longer lists has gone).
        this.#unmet = new Map();
        for (const e of frame.entries) {
          const player = this.#byTag.get(e.tag);
          if (!player) {
            this.#unmet.set(e.tag, { state: e.state, time: e.time });
            continue;
          }
          if (player.self) {
            if (e.flags & FORCED && e.time > this.#lastCorrection) {
              this.#lastCorrection = e.time;
              this.self.state = e.state;
              this.emit('correction', e.state, e.time);
            }
            continue;
          }
          this.#apply(player, e.state, e.time);
        }
      }
    }
  }

  /** Drops what is older than the newest seen from this link (the lane is unordered); acknowledges the rest. */
  #fresh(link: Link<S>, seq: number): boolean {
    if (seq <= link.seqIn) return false;
    link.seqIn = seq;
    this.#sendRaw(link, encodeAck(seq));
    return true;
  }

  #apply(player: Player<S>, state: S, time: number): void {
    if (player.stateTime !== undefined && time <= player.stateTime) return;
    player.state = state;
    player.stateTime = time;
    this.emit('state', player, state, time);
  }

  #sendRaw(link: Link<S>, bytes: Uint8Array): void {
    if (link.state.readyState !== 'open') return;
    try {
      link.state.send(bytes);
    } catch {
      // Closing under us.
    }
  }

  // ---- the clock ----

  #pingAll(): void {
    const now = this.#localNow();
    for (const link of this.#links.values()) {
      // The host's link is pinged fast until the clock has a few samples, every other once a second.
      const toHost = link.player !== undefined && link.player.id === this.#host && !this.isHost;
      const interval = toHost && this.#sync.count < FAST_PINGS ? 0 : PING_INTERVAL_MS;
      if (now - link.lastPing < interval) continue;
      link.lastPing = now;
      this.#sendRaw(link, encodePing(now));
    }
  }

  #onPong(link: Link<S>, t0: number, t1: number, t2: number): void {
    const t3 = this.#localNow();
    const rtt = t3 - t0 - (t2 - t1);
    if (rtt < 0 || rtt > 60_000) return;
    link.pacer.observeRtt(rtt, t3);
    if (link.player)
      link.player.rttMs = link.player.rttMs === undefined ? rtt : link.player.rttMs * 0.7 + rtt * 0.3;
    if (!link.player || link.player.id !== this.#host || this.isHost) return;
    this.#sync.add(t0, t1, t2, t3);
    const best = this.#sync.best;
    if (best) {
      this.#offset = best.offset;
      this.#synced = true;
    }
  }
}

/** Starts a game on a joined room. */
export function createGame<S>(room: Room, options: GameOptions<S>): Game<S> {
  return new Game(room, options);
}

function randomId(): string {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, (c) =>
    c === '+' ? '-' : c === '/' ? '_' : '',
  );
}
