/**
 * ICE recovery with a real link failure: two Node peers, each in its own network namespace, joined by a veth
 * pair; signaling reaches both through a unix socket (which crosses namespaces). Taking the link down breaks
 * the peer connection; bringing it up lets the SDK's restart succeed, with the same Peer and no second join.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '@parley/server';
import { NetnsLab, netnsUnavailable } from '@parley/testing';
import { startTestServer } from './helpers.js';

type Event = { ev: string } & Record<string, unknown>;

const id = process.pid;
const link = { a: `pia${id}`.slice(0, 15), b: `pib${id}`.slice(0, 15) };
const fixture = fileURLToPath(new URL('./fixtures/netns-peer.ts', import.meta.url));

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Two namespaces joined by a veth pair (namespaces a killed run left behind go first). */
function createNetwork(lab: NetnsLab): { a: string; b: string } {
  const ns = { a: lab.namespace('a'), b: lab.namespace('b') };
  lab.veth(
    { ns: ns.a, dev: link.a, addr: '198.18.0.1/24' },
    { ns: ns.b, dev: link.b, addr: '198.18.0.2/24' },
  );
  return ns;
}

/** A peer process in a namespace, speaking JSON lines. */
class NetnsPeer {
  readonly events: Event[] = [];
  readonly #proc: ChildProcess;
  #waiters: (() => void)[] = [];

  constructor(namespace: string, url: string, room: string) {
    this.#proc = spawn(
      'ip',
      [
        'netns',
        'exec',
        namespace,
        process.execPath,
        '--conditions=@parley/source',
        '--import',
        'tsx',
        fixture,
        url,
        room,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    createInterface({ input: this.#proc.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as Event);
      } catch {
        return; // a stray log line
      }
      for (const wake of this.#waiters) wake();
    });
  }

  command(cmd: Record<string, unknown>): void {
    this.#proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Resolves with the first event (from index `from` on) that matches. */
  waitFor(match: (e: Event) => boolean, timeoutMs: number, what: string, from = 0): Promise<Event> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.slice(from).find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve(found);
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; events: ${JSON.stringify(this.events)}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.#waiters.push(wake);
    });
  }

  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null) return;
    const exited = new Promise((r) => this.#proc.once('exit', r));
    this.command({ cmd: 'leave' });
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

const skip = netnsUnavailable();

describe('ICE recovery across a real link failure', { skip }, () => {
  let server: RunningServer;
  let lab: NetnsLab;
  let ns: { a: string; b: string };
  const socketPath = joinPath(tmpdir(), `parley-ice-${id}.sock`);
  const peers: NetnsPeer[] = [];

  before(async () => {
    lab = new NetnsLab('ice');
    ns = createNetwork(lab);
    rmSync(socketPath, { force: true });
    server = await startTestServer({ path: socketPath });
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    await server?.close();
    lab?.destroy();
    rmSync(socketPath, { force: true });
  });

  /** Joins two namespace peers to `room`, breaks the link at `sides`, restores it, checks the recovery. */
  async function breakAndRecover(t: TestContext, room: string, sides: ('a' | 'b')[]): Promise<void> {
    const a = new NetnsPeer(ns.a, server.wsUrl, room);
    peers.push(a);
    const aId = (await a.waitFor((e) => e.ev === 'joined', 30_000, 'a joined')).selfId as string;
    const b = new NetnsPeer(ns.b, server.wsUrl, room);
    peers.push(b);
    const bId = (await b.waitFor((e) => e.ev === 'joined', 30_000, 'b joined')).selfId as string;
    const connected = (peerId: string) => (e: Event) =>
      e.ev === 'state' && e.id === peerId && e.state === 'connected';
    await Promise.all([
      a.waitFor(connected(bId), 30_000, 'a→b connected'),
      b.waitFor(connected(aId), 30_000, 'b→a connected'),
    ]);
    a.command({ cmd: 'send', to: bId, data: 'before' });
    await b.waitFor((e) => e.ev === 'message' && e.data === 'before', 5000, 'message before the failure');

    const mark = { a: a.events.length, b: b.events.length };
    const downAt = Date.now();
    for (const side of sides) ip('-n', ns[side], 'link', 'set', link[side], 'down');
    // libdatachannel notices after ~13 s on the side whose link went down (~30 s on the other).
    const broken = (peerId: string) => (e: Event) =>
      e.ev === 'state' && e.id === peerId && e.state !== 'connected';
    await Promise.race([
      a.waitFor(broken(bId), 60_000, 'a sees the connection break', mark.a),
      b.waitFor(broken(aId), 60_000, 'b sees the connection break', mark.b),
    ]);
    const brokenAfter = Date.now() - downAt;
    for (const side of sides) ip('-n', ns[side], 'link', 'set', link[side], 'up');

    const [aBack, bBack] = await Promise.all([
      a.waitFor(connected(bId), 60_000, 'a→b connected again', mark.a),
      b.waitFor(connected(aId), 60_000, 'b→a connected again', mark.b),
    ]).catch((err: Error) => {
      throw new Error(`${err.message}\na: ${JSON.stringify(a.events)}\nb: ${JSON.stringify(b.events)}`);
    });
    t.diagnostic(
      `break noticed after ${brokenAfter} ms; connected again ${Date.now() - downAt} ms after link down`,
    );
    assert.equal(aBack.same, true, 'a still uses the same Peer object for b');
    assert.equal(bBack.same, true, 'b still uses the same Peer object for a');

    a.command({ cmd: 'send', to: bId, data: 'after a→b' });
    b.command({ cmd: 'send', to: aId, data: 'after b→a' });
    await b.waitFor(
      (e) => e.ev === 'message' && e.data === 'after a→b',
      10_000,
      'a→b after recovery',
      mark.b,
    );
    await a.waitFor(
      (e) => e.ev === 'message' && e.data === 'after b→a',
      10_000,
      'b→a after recovery',
      mark.a,
    );

    for (const p of [a, b]) {
      assert.equal(p.events.filter((e) => e.ev === 'joined').length, 1, 'joined exactly once');
      assert.equal(
        p.events.filter((e) => e.ev === 'rejoined' || e.ev === 'left').length,
        0,
        'no rejoin, nobody left',
      );
      assert.equal(
        p.events.filter((e) => e.ev === 'peer').length,
        1,
        'one Peer object for the other side, ever',
      );
    }
    const aStates = a.events
      .slice(mark.a)
      .filter((e) => e.ev === 'state')
      .map((e) => e.state);
    const bStates = b.events
      .slice(mark.b)
      .filter((e) => e.ev === 'state')
      .map((e) => e.state);
    t.diagnostic(`a's states for b: ${aStates.join(' → ')}; b's states for a: ${bStates.join(' → ')}`);
    // Recovery shows as state changes: away from connected, then connected again.
    assert.ok(
      aStates.some((s) => s !== 'connected') || bStates.some((s) => s !== 'connected'),
      `${aStates} / ${bStates}`,
    );
    assert.equal(aStates.at(-1), 'connected');
    assert.equal(bStates.at(-1), 'connected');
    await Promise.all([a.stop(), b.stop()]);
  }

  it('a connection broken by a link failure recovers by ICE restart, with the same Peer and no second join', (t) =>
    breakAndRecover(t, 'ice-one-end', ['a']));

  it('both ends of the link going down at once still recover to one working connection', (t) =>
    breakAndRecover(t, 'ice-both-ends', ['a', 'b']));
});
