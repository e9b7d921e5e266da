/**
 * The arena game: 2–6 players move in a 1000 × 600 field; one player is "it" and tags another by touching
 * them. Host topology: each player simulates its own movement and sends its position; the host relays
 * everyone's to everyone and decides tags (reliable events). Remote players are drawn where they were
 * 100 ms ago on the room clock, interpolated between updates.
 */
import { joinRoom, type Room } from '@parley/client';
import { createGame, type Game, lerpNumbers, type Player, StateBuffer, schema } from '@parley/client/game';
import { randomId } from '../lib/random-id.js';

export const FIELD = { width: 1000, height: 600 };
export const RADIUS = 22;
const SPEED = 260; // units per second
const INTERP_DELAY_MS = 100;
const TAG_COOLDOWN_MS = 1500;
export const COLORS = ['#4f8cff', '#3ecf8e', '#f5a623', '#c678dd', '#56b6c2', '#e06c75'];

export const positionSchema = schema({ x: 'f32', y: 'f32' });
export type Position = { x: number; y: number };

type ArenaEvent = { kind: 'it'; it: string; at: number; tags: Record<string, number> };

export interface PlayerView {
  id: string;
  name: string;
  color: string;
  self: boolean;
  host: boolean;
  it: boolean;
  tags: number;
  pingMs: number | undefined;
  x: number;
  y: number;
}

export class Arena {
  readonly room: Room;
  readonly game: Game<Position>;
  readonly #buffers = new Map<string, StateBuffer<Position>>();
  #pos: Position;
  #keys = new Set<string>();
  #target: Position | undefined;
  #it: string | undefined;
  #itSince = 0;
  #tags: Record<string, number> = {};
  #last = performance.now();

  static async join(options: { url: string; room: string; name: string; relay: boolean }): Promise<Arena> {
    const room = await joinRoom({
      url: options.url,
      room: options.room,
      metadata: { name: options.name },
      ...(options.relay ? { iceTransportPolicy: 'relay' as const } : {}),
    });
    return new Arena(room, options.name);
  }

  private constructor(room: Room, name: string) {
    this.room = room;
    // The same player id across reloads of this tab: a dropped player comes back as itself.
    const key = `parley-game:${room.name}`;
    const playerId = sessionStorage.getItem(key) ?? randomId(6);
    sessionStorage.setItem(key, playerId);
    this.game = createGame(room, {
      state: positionSchema,
      topology: 'host',
      playerId,
      info: { name },
      maxPlayers: 6,
    });
    this.#pos = { x: 80 + Math.random() * (FIELD.width - 160), y: 80 + Math.random() * (FIELD.height - 160) };
    this.game.setState(this.#pos);
    this.game.on('state', (p, s, time) => this.#buffer(p.id).push(time, s));
    this.game.on('correction', (s) => {
      this.#pos = { ...s };
    });
    this.game.on('event', (data) => this.#onEvent(data as ArenaEvent));
    // The host tells newcomers (and everyone, after a change of host) who is "it".
    this.game.on('player-joined', () => this.#announceIfHost());
    this.game.on('host', () => this.#announceIfHost());
    this.game.on('player-left', (p) => {
      this.#buffers.delete(p.id);
      if (p.id === this.#it) this.#it = undefined;
      this.#announceIfHost();
    });
  }

  get self(): Position {
    return this.#pos;
  }

  key(code: string, down: boolean): void {
    if (down) this.#keys.add(code);
    else this.#keys.delete(code);
    this.#target = undefined;
  }

  /** Move toward a point of the field (pointer, touch). */
  goTo(target: Position | undefined): void {
    this.#target = target;
  }

  /** One frame: move this player, send its position, decide tags on the host. */
  step(now = performance.now()): void {
    const dt = Math.min(0.1, (now - this.#last) / 1000);
    this.#last = now;
    let dx = 0;
    let dy = 0;
    const k = this.#keys;
    if (k.has('ArrowLeft') || k.has('KeyA')) dx -= 1;
    if (k.has('ArrowRight') || k.has('KeyD')) dx += 1;
    if (k.has('ArrowUp') || k.has('KeyW')) dy -= 1;
    if (k.has('ArrowDown') || k.has('KeyS')) dy += 1;
    if (this.#target && !dx && !dy) {
      dx = this.#target.x - this.#pos.x;
      dy = this.#target.y - this.#pos.y;
      if (Math.hypot(dx, dy) < 4) {
        dx = 0;
        dy = 0;
        this.#target = undefined;
      }
    }
    const len = Math.hypot(dx, dy);
    if (len > 0) {
      const step = Math.min(SPEED * dt, this.#target ? len : SPEED * dt);
      this.#pos = {
        x: clamp(this.#pos.x + (dx / len) * step, RADIUS, FIELD.width - RADIUS),
        y: clamp(this.#pos.y + (dy / len) * step, RADIUS, FIELD.height - RADIUS),
      };
      this.game.setState(this.#pos);
    }
    if (this.game.isHost) this.#checkTags();
  }

  /** Every player as this page shows it now (remote ones interpolated). */
  view(): PlayerView[] {
    const renderAt = this.game.clock.now() - INTERP_DELAY_MS;
    const out: PlayerView[] = [];
    const ids = [...this.game.players.keys()].sort();
    for (const p of this.game.players.values()) {
      if (!p.present) continue;
      const pos = p.self ? this.#pos : this.#buffers.get(p.id)?.at(renderAt, lerpNumbers);
      if (!pos) continue;
      out.push({
        id: p.id,
        name: String(p.info.name ?? p.id),
        color: COLORS[ids.indexOf(p.id) % COLORS.length] as string,
        self: p.self,
        host: p.id === this.game.host,
        it: p.id === this.#it,
        tags: this.#tags[p.id] ?? 0,
        pingMs: p.rttMs,
        x: pos.x,
        y: pos.y,
      });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  async leave(): Promise<void> {
    this.game.close();
    await this.room.leave();
  }

  #buffer(id: string): StateBuffer<Position> {
    let b = this.#buffers.get(id);
    if (!b) {
      b = new StateBuffer();
      this.#buffers.set(id, b);
    }
    return b;
  }

  #onEvent(ev: ArenaEvent): void {
    if (ev?.kind !== 'it' || typeof ev.it !== 'string') return;
    this.#it = ev.it;
    this.#itSince = ev.at;
    this.#tags = ev.tags ?? {};
  }

  #announceIfHost(): void {
    if (!this.game.isHost) return;
    const present = [...this.game.players.values()].filter((p) => p.present).map((p) => p.id);
    if (!this.#it || !present.includes(this.#it)) {
      this.#it = present.sort()[0];
      this.#itSince = this.game.clock.now();
    }
    if (!this.#it) return;
    const ev: ArenaEvent = { kind: 'it', it: this.#it, at: this.#itSince, tags: this.#tags };
    this.game.send(ev);
  }

  /** The host's call: "it" touching another player passes "it" on (after a cooldown). */
  #checkTags(): void {
    const now = this.game.clock.now();
    if (!this.#it || now - this.#itSince < TAG_COOLDOWN_MS) return;
    const players = this.view();
    const it = players.find((p) => p.id === this.#it);
    if (!it) return;
    for (const p of players) {
      if (p.id === it.id || Math.hypot(p.x - it.x, p.y - it.y) > 2 * RADIUS) continue;
      this.#tags[it.id] = (this.#tags[it.id] ?? 0) + 1;
      this.#it = p.id;
      this.#itSince = now;
      this.#announceIfHost();
      return;
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

export type { Player };
