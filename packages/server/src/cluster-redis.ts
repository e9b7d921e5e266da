/**
 * The cluster adapter over Redis (ioredis): presence, relay to other nodes, resume on any node, node
 * liveness and recovery after an outage. Loaded only when a Redis URL is given. The hot path (a frame
 * for a peer on another node, a frame stamped here) is one script call, never awaited: ioredis pipelines
 * every call of a tick into one write. See cluster-scripts.ts for the data in Redis.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FrameBody, PeerLeaveReason } from '@parley/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ClusterLink, type ClusterSide, clusterTokens, type TakeOver } from './cluster-link.js';
import {
  type ClaimReply,
  parseClaim,
  parseFrames,
  parseMembers,
  parsePresence,
  streamIdAfter,
} from './cluster-messages.js';
import type { ClusterFigures } from './cluster-metrics.js';
import { CLAIM, JOIN, LEAVE, SEND, STAMPED } from './cluster-scripts.js';

export interface RedisClusterOptions {
  url: string;
  /** Signs resume tokens: every node of a cluster must have the same. */
  secret: string;
  resumeWindowMs: number;
  /** Frames kept per peer in the store (replay and pending streams). */
  maxFrames: number;
  /** How long a node's liveness key lives without a refresh. Default 5 s, refreshed every second. */
  nodeTtlMs?: number;
  prefix?: string;
  logger: Logger;
}

type Script = (...args: (string | number | Buffer)[]) => Promise<unknown>;
type Scripts = Record<'pJoin' | 'pLeave' | 'pSend' | 'pStamped' | 'pClaim', Script>;

const MAX_QUEUED_LEAVES = 10_000;
const MAX_LATENCY_SAMPLES = 10_000;
/** Frames per script call at most (a busier tick makes several calls). */
const BATCH = 256;

export class RedisCluster implements ClusterLink {
  readonly nodeId = randomBytes(6).toString('base64url');
  private side: ClusterSide | undefined;
  private readonly cmd: Redis & Scripts;
  private readonly sub: Redis;
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly tokens: Pick<ClusterLink, 'mintToken' | 'tokenValid'>;
  private cmdReady = false;
  private subReady = false;
  /** Leaves that could not be told while the store was away, told when it is back. */
  private queuedLeaves: { id: string; room: string }[] = [];
  /** Frames that came for a peer while its take-over is under way. */
  private readonly claims = new Map<string, [string, FrameBody][]>();
  /** Nodes holding peers known here whose liveness key is gone, and since when. */
  private readonly deadSince = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private latencies: number[] = [];
  errors = 0;
  nodesSeen = 1;
  private stopped = false;
  /** The tick's frames for other nodes' peers: (id, body)… */
  private sends: (string | number | Buffer)[] = [];
  /** The tick's frames stamped here: (id, seq, bytes, pending id)… */
  private stamps: (string | number | Buffer)[] = [];
  private flushScheduled = false;
  /** The liveness key has been set since the store last came up. */
  private beating = false;

  /** Loads ioredis (only now: a node without a cluster never loads it) and makes the adapter. */
  static async create(options: RedisClusterOptions): Promise<RedisCluster> {
    const { Redis } = await import('ioredis');
    return new RedisCluster(options, Redis);
  }

  private constructor(
    private readonly options: RedisClusterOptions,
    RedisClient: typeof Redis,
  ) {
    this.prefix = options.prefix ?? 'parley:';
    // Long enough for a resume after the window has nearly run out, and for a quiet peer's replay.
    this.ttl = Math.max(2 * options.resumeWindowMs, 60_000);
    this.tokens = clusterTokens(options.secret);
    const connection = {
      // Nothing waits for a store that is away: calls fail at once and are counted, so memory stays bounded.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
      retryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    };
    this.cmd = new RedisClient(options.url, { ...connection, lazyConnect: true }) as Redis & Scripts;
    this.sub = new RedisClient(options.url, {
      ...connection,
      lazyConnect: true,
      enableAutoPipelining: false,
    });
    const scripts: [keyof Scripts, number, string][] = [
      ['pJoin', 2, JOIN],
      ['pLeave', 5, LEAVE],
      ['pSend', 0, SEND],
      ['pStamped', 0, STAMPED],
      ['pClaim', 4, CLAIM],
    ];
    for (const [name, numberOfKeys, lua] of scripts) this.cmd.defineCommand(name, { numberOfKeys, lua });
    this.cmd.on('error', (err) => this.log('redis error', err));
    this.sub.on('error', (err) => this.log('redis subscriber error', err));
    this.cmd.on('ready', () => {
      this.cmdReady = true;
      this.resync();
    });
    this.sub.on('ready', () => {
      this.sub.subscribe(this.key('presence'), this.key(`to:${this.nodeId}`)).then(() => {
        this.subReady = true;
        this.resync();
      }, noop);
    });
    for (const [client, flag] of [
      [this.cmd, 'cmdReady'],
      [this.sub, 'subReady'],
    ] as const) {
      client.on('close', () => {
        this[flag] = false;
      });
    }
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.safely(() => this.onMessage(channel.toString(), message)),
    );
  }

  get connected(): boolean {
    return this.cmdReady && this.subReady;
  }

  /** Connects (waiting up to `waitMs` for Redis: past that the node starts not ready and keeps trying). */
  async start(side: ClusterSide, waitMs = 5000): Promise<void> {
    this.side = side;
    this.cmd.connect().catch(noop);
    this.sub.connect().catch(noop);
    const deadline = Date.now() + waitMs;
    while (!this.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    this.timers.push(setInterval(() => this.heartbeat(), 1000));
  }

  stats(): ClusterFigures {
    return {
      ready: this.connected,
      nodesSeen: this.nodesSeen,
      errors: this.errors,
      takeLatencies: () => {
        const out = this.latencies;
        this.latencies = [];
        return out;
      },
    };
  }

  /** Stops refreshing this node's liveness and lets it go: its peers are left to the others. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.cmdReady) await this.cmd.del(this.key(`node:${this.nodeId}`)).catch(() => {});
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  mintToken(peerId: string): string {
    return this.tokens.mintToken(peerId);
  }

  tokenValid(peerId: string, token: string): boolean {
    return this.tokens.tokenValid(peerId, token);
  }

  joined(
    peerId: string,
    room: string,
    descriptor: string,
    then: (members: [string, string, string][]) => void,
  ): void {
    this.call(
      this.cmd.pJoin(
        this.key(`peer:${peerId}`),
        this.key(`room:${room}`),
        peerId,
        this.nodeId,
        room,
        descriptor,
        this.key('presence'),
        '0',
      ),
    ).then(
      (reply) => {
        const members = parseMembers(reply as string[], peerId, this.nodeId);
        this.safely(() => then(members));
      },
      () => this.safely(() => then([])),
    );
  }

  left(peerId: string, room: string): void {
    if (!this.cmdReady) {
      if (this.queuedLeaves.length < MAX_QUEUED_LEAVES) this.queuedLeaves.push({ id: peerId, room });
      return;
    }
    this.leave(peerId, room, this.nodeId, 'left', '0');
  }

  forward(peerId: string, body: FrameBody): void {
    this.sends.push(peerId, body);
    this.scheduleFlush();
  }

  stamped(peerId: string, seq: number, bytes: Buffer, pendingId: string | undefined): void {
    if (!this.cmdReady) return;
    this.stamps.push(peerId, seq, bytes, pendingId ?? '');
    this.scheduleFlush();
  }

  /**
   * The tick's frames go out in one call per kind, after every frame of the tick was handed over and
   * before the WebSocket writes of the tick (their flush is a later setImmediate): a frame is in Redis
   * before its peer can have it. Stamped frames first: they were made before any move the tick saw.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const { maxFrames } = this.options;
    const stamps = this.stamps;
    const sends = this.sends;
    this.stamps = [];
    this.sends = [];
    const head = [maxFrames, this.ttl, this.prefix, this.key('to:')];
    for (let i = 0; i < stamps.length; i += 4 * BATCH)
      this.call(this.cmd.pStamped(this.nodeId, ...head, ...stamps.slice(i, i + 4 * BATCH)));
    for (let i = 0; i < sends.length; i += 2 * BATCH)
      this.call(this.cmd.pSend(...head, ...sends.slice(i, i + 2 * BATCH)));
  };

  acked(peerId: string, seq: number): void {
    if (!this.cmdReady) return;
    this.call(this.cmd.xtrim(this.key(`replay:${peerId}`), 'MINID', `${seq + 1}-0`));
  }

  takeOver(peerId: string, then: (found: TakeOver | undefined) => void): void {
    this.claims.set(peerId, []);
    const keys = ['peer', 'cur', 'replay', 'pend'].map((k) => this.key(`${k}:${peerId}`));
    const done = (found: TakeOver | undefined) => {
      const meanwhile = this.claims.get(peerId) ?? [];
      this.claims.delete(peerId);
      then(found);
      if (!found) return;
      const last = found.pending.at(-1)?.[0];
      for (const [id, body] of meanwhile)
        if (last === undefined || streamIdAfter(id, last)) this.side?.fromCluster(peerId, body, id);
    };
    this.call(this.cmd.pClaim(...keys, peerId, this.nodeId, this.prefix, this.key('presence'))).then(
      (reply) => this.safely(() => done(reply ? parseClaim(reply as ClaimReply) : undefined)),
      () => this.safely(() => done(undefined)),
    );
  }

  private leave(id: string, room: string, node: string, reason: PeerLeaveReason, announce: string) {
    const keys = [`peer:${id}`, `room:${room}`, `cur:${id}`, `replay:${id}`, `pend:${id}`];
    return this.call(
      this.cmd.pLeave(...keys.map((k) => this.key(k)), id, node, this.key('presence'), reason, announce),
    );
  }

  /** The store is (back) up: register this node's peers again and load everyone else's. */
  private resync(): void {
    if (!this.connected || this.stopped || !this.side) return;
    this.beating = false;
    this.heartbeat();
    for (const s of this.side.localSessions()) {
      this.call(
        this.cmd.pJoin(
          this.key(`peer:${s.id}`),
          this.key(`room:${s.room}`),
          s.id,
          this.nodeId,
          s.room,
          s.descriptor,
          this.key('presence'),
          '1',
        ),
      );
    }
    const leaves = this.queuedLeaves;
    this.queuedLeaves = [];
    for (const { id, room } of leaves) this.leave(id, room, this.nodeId, 'left', '1');
    this.loadPresence().catch((err) => this.log('loading presence failed', err));
  }

  private async loadPresence(): Promise<void> {
    const stream = this.cmd.scanStream({ match: this.key('room:*'), count: 500 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      for (const key of keys) {
        const room = key.slice(this.key('room:').length);
        const peers = await this.call(this.cmd.hgetall(key));
        for (const [id, value] of Object.entries(peers as Record<string, string>)) {
          const at = value.indexOf('\n');
          const node = value.slice(0, at);
          if (node !== this.nodeId) this.side?.remoteJoined(id, room, node, value.slice(at + 1), true);
        }
      }
    }
  }

  /** Refreshes this node's liveness, and reaps the peers of nodes gone for longer than the resume window. */
  private heartbeat(): void {
    if (!this.cmdReady || this.stopped) return;
    const ttl = this.options.nodeTtlMs ?? 5000;
    // GET: the key's old value. Gone while this node was registered means the others took it for dead
    // (an event loop stalled past the TTL) and may have ended its peers: register them again.
    const beating = this.beating;
    this.beating = true;
    this.call(this.cmd.set(this.key(`node:${this.nodeId}`), '1', 'PX', ttl, 'GET')).then((old) => {
      if (old === null && beating) {
        this.options.logger.warn('cluster: this node was taken for dead; registering its peers again');
        this.resync();
      }
    }, noop);
    this.call(this.cmd.sadd(this.key('nodes'), this.nodeId));
    this.call(this.cmd.smembers(this.key('nodes'))).then(
      (members) => this.census(members).catch((err) => this.log('counting nodes failed', err)),
      noop,
    );
  }

  /** Counts the live nodes, and reaps the peers of nodes gone for longer than the resume window. */
  private async census(members: string[]): Promise<void> {
    const nodes = this.side?.remoteNodes() ?? new Map<string, string[]>();
    const names = [...new Set([...members, ...nodes.keys()])];
    if (names.length === 0) return;
    const alive = await this.call(this.cmd.mget(names.map((n) => this.key(`node:${n}`)))).catch(() => []);
    const live = new Set(names.filter((_, i) => alive[i] !== null && alive[i] !== undefined));
    this.nodesSeen = Math.max(1, live.size);
    const gone = members.filter((n) => !live.has(n) && n !== this.nodeId);
    if (gone.length) this.call(this.cmd.srem(this.key('nodes'), ...gone)).catch(noop);
    const now = Date.now();
    for (const node of this.deadSince.keys()) if (!nodes.has(node)) this.deadSince.delete(node);
    for (const [node, peers] of nodes) {
      if (live.has(node)) {
        this.deadSince.delete(node);
        continue;
      }
      const since = this.deadSince.get(node) ?? now;
      this.deadSince.set(node, since);
      if (now - since >= this.options.resumeWindowMs) for (const id of peers) this.reap(id, node);
    }
  }

  /** A peer of a dead node not resumed anywhere: the first node to end it in the store announces it. */
  private reap(id: string, node: string): void {
    this.call(this.cmd.hget(this.key(`peer:${id}`), 'room')).then((room) => {
      if (typeof room !== 'string') return this.safely(() => this.side?.timedOut(id));
      this.leave(id, room, node, 'timeout', '0').then(
        (ended) => {
          if (ended === 1) this.safely(() => this.side?.timedOut(id));
        },
        () => {},
      );
    }, noop);
  }

  private onMessage(channel: string, bytes: Buffer): void {
    const side = this.side;
    if (!side) return;
    if (channel !== this.key('presence')) {
      return parseFrames(bytes, (id, entry, body) => {
        const claim = this.claims.get(id);
        if (claim) claim.push([entry, body]);
        else side.fromCluster(id, body, entry);
      });
    }
    const event = parsePresence(bytes.toString());
    if (event?.kind === 'joined') {
      if (event.node !== this.nodeId)
        side.remoteJoined(event.id, event.room, event.node, event.descriptor, event.announce);
    } else if (event?.kind === 'left') side.remoteLeft(event.id, event.reason);
    else if (event?.kind === 'moved' && event.node !== this.nodeId) side.moved(event.id, event.node);
  }

  /** Times a call and counts its failure; the promise never rejects unhandled. */
  private call<T>(promise: Promise<T>): Promise<T> {
    const start = performance.now();
    promise.then(
      () => {
        if (this.latencies.length < MAX_LATENCY_SAMPLES)
          this.latencies.push((performance.now() - start) / 1000);
      },
      () => {
        this.errors++;
      },
    );
    return promise;
  }

  private key(name: string): string {
    return this.prefix + name;
  }

  /** Runs what the core does for a reply or a message: a failure there is logged, never thrown. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.logger.error({ err }, 'cluster: handling a message from Redis failed');
    }
  }

  /** A connection's error (a failed connect, a reset): counted, and logged. */
  private log(what: string, err: Error): void {
    this.errors++;
    this.options.logger.warn({ err: err.message }, what);
  }
}

function noop(): void {}
