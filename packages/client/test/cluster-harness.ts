/**
 * A cluster as a user runs one: a redis-server on a free loopback port and `parley serve --redis …`
 * processes (the built CLI, as installed), each on a free port. Node peers join them with the SDK.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startRedis, type TestRedis } from '@parley/testing';
import type { Peer, Room } from '../src/index.js';
import { join, next, releaseNative, until } from './helpers.js';

const bin = fileURLToPath(new URL('../../../apps/cli/bin/parley.js', import.meta.url));
export const CLUSTER_SECRET = 'cluster-test-secret';

export interface ClusterNode {
  readonly child: ChildProcess;
  readonly wsUrl: string;
  readonly httpUrl: string;
  readonly exited: Promise<unknown>;
  output(): string;
  /** GET a path; the status and JSON body. */
  get(path: string): Promise<{ status: number; body: string }>;
}

export interface TestCluster {
  redis: TestRedis;
  nodes: ClusterNode[];
  startNode(): Promise<ClusterNode>;
  stop(): Promise<void>;
}

/**
 * A cluster for one describe block: started before its tests, and after them the rooms the tests opened
 * are left, the cluster stopped and the native module released. `rooms` collects what to leave.
 */
export function useCluster(
  count: number,
  resumeWindowSeconds?: number,
): { readonly cluster: TestCluster; readonly rooms: Room[] } {
  let cluster: TestCluster | undefined;
  const rooms: Room[] = [];
  before(async () => {
    cluster = await startCluster(count, resumeWindowSeconds);
  });
  after(async () => {
    for (const r of rooms) await r.leave();
    await cluster?.stop();
    releaseNative();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the cluster starts in before()');
      return cluster;
    },
    rooms,
  };
}

export async function startCluster(count: number, resumeWindowSeconds = 10): Promise<TestCluster> {
  const redis = await startRedis();
  const nodes: ClusterNode[] = [];
  const startNode = async () => {
    const node = await startServeNode(redis.url, resumeWindowSeconds);
    nodes.push(node);
    return node;
  };
  for (let i = 0; i < count; i++) await startNode();
  return {
    redis,
    nodes,
    startNode,
    async stop() {
      for (const n of nodes)
        if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
      await Promise.all(nodes.map((n) => n.exited));
      await redis.kill();
    },
  };
}

async function startServeNode(redisUrl: string, resumeWindowSeconds: number): Promise<ClusterNode> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--port',
      '0',
      '--no-turn',
      '--log-level',
      'warn',
      '--resume-window',
      String(resumeWindowSeconds),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PARLEY_REDIS_URL: redisUrl, PARLEY_CLUSTER_SECRET: CLUSTER_SECRET },
    },
  );
  const exited = once(child, 'exit');
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  await until(
    () => {
      if (child.exitCode !== null) throw new Error(`parley serve exited: ${out}`);
      return /signaling\s+(ws:\S+)/.test(out);
    },
    'parley serve to start',
    20_000,
  );
  const wsUrl = /signaling\s+(ws:\S+)/.exec(out)?.[1] as string;
  const httpUrl = wsUrl.replace('ws:', 'http:').replace(/\/ws$/, '');
  const node: ClusterNode = {
    child,
    wsUrl,
    httpUrl,
    exited,
    output: () => out,
    async get(path) {
      const res = await fetch(httpUrl + path);
      return { status: res.status, body: await res.text() };
    },
  };
  await until(async () => (await node.get('/readyz')).status === 200, 'the node to be ready', 20_000);
  return node;
}

/** Two peers of one room joined on two nodes, connected peer to peer with the default channel open. */
export async function pairAcross(
  urlA: string | string[],
  urlB: string | string[],
  room: string,
): Promise<{ a: Room; b: Room; bOnA: Peer; aOnB: Peer }> {
  const fast = { reconnect: { minDelayMs: 100, maxDelayMs: 1000 } };
  const a = await join(urlA, room, fast);
  const joined = next(a, 'peer-joined', () => true, 20_000);
  const b = await join(urlB, room, fast);
  const [bOnA] = await joined;
  const aOnB = b.peers.get(a.selfId) as Peer;
  await until(() => bOnA.state === 'connected' && aOnB.state === 'connected', 'p2p connected', 20_000);
  await until(
    () =>
      aOnB.channels.get('parley')?.readyState === 'open' &&
      bOnA.channels.get('parley')?.readyState === 'open',
    'the default channel open both ways',
    20_000,
  );
  return { a, b, bOnA, aOnB };
}
