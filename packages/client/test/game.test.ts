/**
 * The game API (`@parley/client/game`) between real Node peers (node-datachannel) through a real server:
 * states and events in a mesh, the room clock, latest-wins under a stalled receiver, host migration, and a
 * player that rejoins with its identity.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '@parley/server';
import { NetnsLab, netnsUnavailable } from '@parley/testing';
import { createGame, type Game, schema } from '../src/game/index.js';
import type { Room } from '../src/index.js';
import { benchState } from './fixtures/game-state.js';
import { join, next, releaseNative, startTestServer, until } from './helpers.js';

const pos = schema({ x: 'f32', y: 'f32' });
type Pos = { x: number; y: number };

describe('game API', () => {
  let server: RunningServer;
  const rooms: Room[] = [];
  const games: Game<unknown>[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const g of games) g.close();
    for (const r of rooms) await r.leave();
    await server.close();
    releaseNative();
  });

  /** Joins `ids.length` players one after another (so the first is the first host), each with its game. */
  async function players(
    roomName: string,
    ids: string[],
    extra: Partial<Parameters<typeof createGame<Pos>>[1]> = {},
    joinExtra = {},
  ): Promise<{ room: Room; game: Game<Pos> }[]> {
    const out: { room: Room; game: Game<Pos> }[] = [];
    for (const id of ids) {
      const room = await join(server.wsUrl, roomName, joinExtra);
      const game = createGame(room, { state: pos, playerId: id, info: { name: id }, ...extra });
      rooms.push(room);
      games.push(game as Game<unknown>);
      out.push({ room, game });
    }
    const everyone = (g: Game<Pos>) => ids.every((id) => g.players.get(id)?.present);
    await until(() => out.every((p) => everyone(p.game)), 'every player sees every other', 20_000);
    return out;
  }

  it('in a mesh, each player’s newest state and every event reach the others', async () => {
    const [a, b, c] = await players('game-mesh', ['p-a', 'p-b', 'p-c']);
    for (const p of [a!, b!, c!]) assert.equal(p.game.host, 'p-a', 'the first player is host for everyone');
    a!.game.setState({ x: 1, y: 1 });
    b!.game.setState({ x: 2, y: 2 });
    a!.game.setState({ x: 10, y: 20 }); // replaces {1,1} if it has not gone yet
    await until(
      () =>
        [b!, c!].every((p) => p.game.players.get('p-a')?.state?.x === 10) &&
        c!.game.players.get('p-b')?.state?.x === 2,
      'newest states everywhere',
    );
    assert.deepEqual(c!.game.players.get('p-a')?.state, { x: 10, y: 20 });
    const events: [unknown, string][] = [];
    c!.game.on('event', (d, from) => events.push([d, from.id]));
    a!.game.send({ shot: 1 });
    b!.game.send({ shot: 2 }, 'p-c');
    b!.game.send({ shot: 3 }, 'p-a');
    await until(() => events.length === 2, 'two events at c');
    assert.deepEqual(
      events.sort((x, y) => x[1].localeCompare(y[1])),
      [
        [{ shot: 1 }, 'p-a'],
        [{ shot: 2 }, 'p-b'],
      ],
    );
    assert.equal(c!.game.players.get('p-b')?.info.name, 'p-b');
  });

  it('a peer whose clock is 5 s off estimates its offset to the room clock within the error bound it states', async (t) => {
    const skew = 5000.25;
    const a = await join(server.wsUrl, 'game-clock');
    const b = await join(server.wsUrl, 'game-clock');
    rooms.push(a, b);
    const host = createGame(a, { state: pos, playerId: 'host' });
    const other = createGame(b, { state: pos, playerId: 'other', now: () => performance.now() + skew });
    games.push(host as Game<unknown>, other as Game<unknown>);
    await until(() => other.clock.synced && Number.isFinite(other.clock.error), 'a clock sample', 20_000);
    // A few more round trips, to see the bound hold on every estimate, not just the first.
    for (let i = 0; i < 6; i++) {
      const { offset, error } = other.clock;
      t.diagnostic(`offset ${offset.toFixed(3)} ms ± ${error.toFixed(3)} ms (true ${-skew})`);
      assert.ok(Math.abs(offset - -skew) <= error, `|${offset} − ${-skew}| ≤ ${error}`);
      assert.ok(error > 0, 'a bound from a real round trip');
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(host.clock.error, 0, 'the host’s clock is the room’s');
    const diff = other.clock.now() - host.clock.now();
    assert.ok(Math.abs(diff) <= other.clock.error + 1, `room time differs by ${diff} ms across peers`);
  });

  it('host topology: when the host leaves, the present player with the smallest id takes over and states keep flowing', async () => {
    const [a, b, c] = await players('game-host', ['p-a', 'p-c', 'p-b'], { topology: 'host' });
    const hosts = new Map<string, (string | undefined)[]>();
    for (const [name, p] of [
      ['b', b!],
      ['c', c!],
    ] as const) {
      hosts.set(name, []);
      p.game.on('host', (h) => hosts.get(name)!.push(h));
    }
    assert.equal(a!.game.host, 'p-a');
    // Non-hosts send to the host only; the host's view reaches everyone.
    c!.game.setState({ x: 5, y: 5 });
    await until(() => b!.game.players.get('p-b')?.state?.x === 5, 'p-b’s state at p-c through the host');
    await a!.room.leave();
    games.splice(games.indexOf(a!.game as Game<unknown>), 1);
    a!.game.close();
    await until(() => b!.game.host === 'p-b' && c!.game.host === 'p-b', 'p-b is host everywhere', 10_000);
    assert.equal(b!.game.term, c!.game.term, 'both count the same term');
    assert.equal(b!.game.term, 2);
    assert.deepEqual(hosts.get('b'), ['p-b']);
    assert.deepEqual(hosts.get('c'), ['p-b']);
    assert.equal(c!.game.isHost, true);
    // The game goes on under the new host: p-c's moves reach p-b's view, and the host's own too.
    b!.game.setState({ x: 7, y: 7 });
    c!.game.setState({ x: 6, y: 6 });
    await until(
      () => b!.game.players.get('p-b')?.state?.x === 6 && c!.game.players.get('p-c')?.state?.x === 7,
      'states through the new host',
    );
    // The host corrects a player; the player takes it.
    const corrected = new Promise<Pos>((resolve) => b!.game.once('correction', (s) => resolve(s)));
    c!.game.setPlayerState('p-c', { x: 0, y: 0 });
    assert.deepEqual(await corrected, { x: 0, y: 0 });
  });

  it('a player whose connection drops past the resume window rejoins the same game as the same player', async () => {
    const short = await startTestServer({ resumeWindowMs: 200 });
    const mine: Room[] = [];
    try {
      const a = await join(short.wsUrl, 'game-rejoin');
      const b = await join(short.wsUrl, 'game-rejoin', { reconnect: { minDelayMs: 1500, maxDelayMs: 1500 } });
      mine.push(a, b);
      const ga = createGame(a, { state: pos, playerId: 'p-a', rejoinGraceMs: 20_000 });
      const gb = createGame(b, { state: pos, playerId: 'p-b' });
      games.push(ga as Game<unknown>, gb as Game<unknown>);
      await until(() => ga.players.get('p-b')?.present === true, 'p-b in the game', 20_000);
      gb.setState({ x: 1, y: 1 });
      await until(() => ga.players.get('p-b')?.state?.x === 1, 'p-b’s state', 10_000);
      const oldPeer = b.selfId;
      const seen: string[] = [];
      for (const ev of ['player-joined', 'player-away', 'player-back', 'player-left'] as const)
        ga.on(ev, (p) => seen.push(`${ev} ${p.id}`));
      const rejoined = next(b, 'rejoined', () => true, 20_000);
      short.terminate(b.selfId);
      const [newPeer] = await rejoined;
      assert.notEqual(newPeer, oldPeer, 'the room gave it a new peer id');
      await until(() => ga.players.get('p-b')?.peerId === newPeer, 'p-b back under its new peer id', 30_000);
      gb.setState({ x: 2, y: 2 });
      await until(() => ga.players.get('p-b')?.state?.x === 2, 'p-b’s states after the rejoin', 10_000);
      assert.deepEqual(seen, ['player-away p-b', 'player-back p-b'], 'away, then back: never a new player');
      assert.equal(ga.players.size, 2);
      assert.equal(gb.host, 'p-a', 'it kept the host it knew');
    } finally {
      for (const r of mine) await r.leave();
      await short.close();
    }
  });
});

/** A player process in a namespace (fixtures/game-peer.ts), speaking JSON lines. */
class PlayerProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly #proc: ChildProcess;

  constructor(lab: NetnsLab, ns: string, url: string, room: string, id: string) {
    const fixture = fileURLToPath(new URL('./fixtures/game-peer.ts', import.meta.url));
    const [cmd, args] = lab.argv(
      ns,
      process.execPath,
      '--conditions=@parley/source',
      '--import',
      'tsx',
      fixture,
      url,
      room,
      id,
    );
    this.#proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.#proc.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // a stray log line
      }
    });
  }

  /** Sends a command and waits for the reply event `ev`. */
  async ask<T>(cmd: Record<string, unknown>, ev: string, timeoutMs = 30_000): Promise<T> {
    const from = this.lines.length;
    this.#proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    await until(
      () => this.lines.slice(from).some((l) => l.ev === ev),
      `"${ev}" after ${JSON.stringify(cmd)}`,
      timeoutMs,
    );
    return this.lines.slice(from).find((l) => l.ev === ev) as T;
  }

  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null) return;
    const exited = new Promise((r) => this.#proc.once('exit', r));
    this.#proc.stdin!.write(`${JSON.stringify({ cmd: 'leave' })}\n`);
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

describe('game API over a slow link', { skip: netnsUnavailable() }, () => {
  let lab: NetnsLab;
  let server: RunningServer;
  const socket = joinPath(tmpdir(), `parley-game-${process.pid}.sock`);
  const procs: PlayerProcess[] = [];
  let ns: { a: string; b: string };
  before(async () => {
    lab = new NetnsLab('game');
    ns = { a: lab.namespace('a'), b: lab.namespace('b') };
    const dev = { a: `pga${process.pid}`.slice(0, 15), b: `pgb${process.pid}`.slice(0, 15) };
    lab.veth(
      { ns: ns.a, dev: dev.a, addr: '198.18.7.1/24' },
      { ns: ns.b, dev: dev.b, addr: '198.18.7.2/24' },
    );
    // 64 kbit/s from sender to receiver: about half of what 60 updates/s of ~100 bytes take on the wire.
    const tbf = 'tbf rate 64kbit burst 1600 latency 400ms';
    lab.exec(ns.a, 'tc', 'qdisc', 'add', 'dev', dev.a, 'root', ...tbf.split(' '));
    rmSync(socket, { force: true });
    server = await startTestServer({ path: socket });
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await server?.close();
    lab?.destroy();
    rmSync(socket, { force: true });
  });

  it('on a link slower than the updates, the state lane keeps no backlog and delivers the newest, while a reliable channel queues every update', async (t) => {
    const receiver = new PlayerProcess(lab, ns.b, server.wsUrl, 'slow', 'receiver');
    procs.push(receiver);
    await until(() => receiver.lines.some((l) => l.ev === 'joined'), 'the receiver joined', 30_000);
    const sender = new PlayerProcess(lab, ns.a, server.wsUrl, 'slow', 'sender');
    procs.push(sender);
    await until(
      () => sender.lines.some((l) => l.ev === 'player' && l.id === 'receiver'),
      'players met',
      30_000,
    );
    type Ran = { from: number; to: number; maxBuffered: number; rate: number; onLane: number };
    type Got = { game: number[]; reliable: number[] };
    const frame = 13 + benchState.size;

    const sent = (r: Ran) => r.to - r.from + 1;
    const inRange = (ns: number[], r: Ran) => ns.filter((n) => n >= r.from && n <= r.to);
    /** How many updates behind the receiver is when the sender stops: its backlog, counted in updates. */
    const behind = (r: Ran, got: number[]) => r.to - Math.max(r.from - 1, ...inRange(got, r));

    const game = await sender.ask<Ran>({ cmd: 'run', lane: 'game', ms: 3000 }, 'ran');
    const gameLag = behind(game, (await receiver.ask<Got>({ cmd: 'report' }, 'report')).game);
    await until(
      async () => (await receiver.ask<Got>({ cmd: 'report' }, 'report')).game.includes(game.to),
      'the newest update at the receiver',
      10_000,
      200,
    );
    const gameGot = inRange((await receiver.ask<Got>({ cmd: 'report' }, 'report')).game, game);
    const reliable = await sender.ask<Ran>({ cmd: 'run', lane: 'reliable', ms: 3000 }, 'ran');
    const reliableGot = inRange((await receiver.ask<Got>({ cmd: 'report' }, 'report')).reliable, reliable);
    const reliableLag = behind(reliable, reliableGot);
    t.diagnostic(
      `state lane: ${sent(game)} updates set, ${game.onLane} sent, ${gameGot.length} delivered, ` +
        `${gameLag} behind when sending stopped, channel buffered at most ${game.maxBuffered} bytes; ` +
        `reliable channel: ${sent(reliable)} sent, ${reliableGot.length} delivered, ${reliableLag} behind`,
    );
    // The control: this link cannot carry every update, so a reliable channel falls ever further behind
    // (its backlog sits below the data channel: node-datachannel's bufferedAmount counts only what
    // libdatachannel itself holds, not SCTP's queue).
    assert.ok(
      reliableLag >= 30,
      `reliable: ${reliableLag} of ${sent(reliable)} behind (half a second or more)`,
    );
    assert.deepEqual(
      reliableGot,
      reliableGot.map((_, i) => reliable.from + i),
      'reliable: every one, in order',
    );
    // The state lane: updates are replaced rather than queued, so the receiver is a few updates behind at
    // most (those on the wire and in the window), a small part of the reliable channel's backlog.
    assert.ok(gameLag * 3 < reliableLag, `state lane ${gameLag} behind, reliable ${reliableLag}`);
    assert.ok(game.maxBuffered <= 2 * frame, `state lane buffered ${game.maxBuffered} bytes (≤ 2 updates)`);
    assert.ok(
      game.onLane < sent(game),
      `${game.onLane} of ${sent(game)} updates went: older ones were replaced`,
    );
    assert.equal(gameGot.at(-1), game.to, 'the last update delivered is the newest one set');
    assert.deepEqual(
      gameGot,
      [...gameGot].sort((x, y) => x - y),
      'never an older update after a newer one',
    );
  });
});
