/**
 * `npm run bench:games [-- --seconds 15 --delay 40 --loss 0,2,5]`: game state over a lossy, delayed link.
 *
 * Two Node peers (node-datachannel), each in a network namespace of its own, joined through a third
 * namespace that delays every frame by `--delay` ms each way and drops `--loss` % of them (bench/src/games/
 * impair.py: this kernel has no sch_netem, so a userspace bridge does what `tc … netem delay loss` would).
 * Signaling goes through a Parley server on a unix socket, which crosses namespaces. For each loss rate the
 * sender sends 60 updates/s of a ~100-byte state for `--seconds`, first with the game API (its unordered,
 * unreliable state lane, latest wins, paced), then the same bytes over a reliable ordered channel, on the
 * same connection. The receiver samples every 2 ms the age of the freshest update it holds (wall clock,
 * shared by both processes) and notes the largest gap between fresher updates.
 * Results: bench/results/games-<time>.json and games-latest.json, and a Markdown table on stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startServer } from '@parley/server';
import { NetnsLab, netnsUnavailable } from '@parley/testing';
import { pino } from 'pino';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    delay: { type: 'string', default: '40' },
    loss: { type: 'string', default: '0,2,5' },
  },
});
const seconds = Number(args.seconds);
const delayMs = Number(args.delay);
const losses = String(args.loss).split(',').map(Number);
const repoRoot = new URL('../../', import.meta.url).pathname;
const log = (line: string) => process.stderr.write(`${line}\n`);

const why = netnsUnavailable();
if (why) {
  log(`bench:games: ${why}`);
  process.exit(1);
}

class Child {
  readonly lines: Record<string, unknown>[] = [];
  readonly proc: ChildProcess;
  constructor(cmd: string, argv: string[]) {
    this.proc = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        this.lines.push({ ev: 'text', text: l });
      }
    });
  }
  async wait(match: (l: Record<string, unknown>) => boolean, from = 0, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline || this.proc.exitCode !== null)
        throw new Error('bench:games: a child stalled');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  send(cmd: Record<string, unknown>): number {
    const mark = this.lines.length;
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return mark;
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin!.end(`${JSON.stringify({ cmd: 'leave' })}\n`);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};

const lab = new NetnsLab('gbench');
const ns = { a: lab.namespace('a'), m: lab.namespace('m'), b: lab.namespace('b') };
lab.veth({ ns: ns.a, dev: 'ga0', addr: '198.18.9.1/24' }, { ns: ns.m, dev: 'gm0' });
lab.veth({ ns: ns.b, dev: 'gb0', addr: '198.18.9.2/24' }, { ns: ns.m, dev: 'gm1' });
for (const dev of ['gm0', 'gm1']) lab.exec(ns.m, 'ip', 'link', 'set', dev, 'promisc', 'on');
// veth leaves UDP checksums to "the hardware" (none): a frame the bridge re-sends would arrive with a bad one.
lab.exec(ns.a, 'ethtool', '-K', 'ga0', 'tx', 'off');
lab.exec(ns.b, 'ethtool', '-K', 'gb0', 'tx', 'off');
const socket = join(tmpdir(), `parley-gbench-${process.pid}.sock`);
rmSync(socket, { force: true });
const server = await startServer({ path: socket, logger: pino({ level: 'silent' }) });
const children: Child[] = [];
let impair: Child | undefined;

async function startImpair(loss: number): Promise<void> {
  await impair?.stop();
  if (impair) impair.proc.kill('SIGTERM');
  const [cmd, argv] = lab.argv(
    ns.m,
    'python3',
    join(repoRoot, 'bench/src/games/impair.py'),
    'gm0',
    'gm1',
    String(delayMs),
    String(loss),
  );
  impair = new Child(cmd, argv);
  await impair.wait((l) => l.text === 'ready');
}

function peer(namespace: string, id: string): Child {
  const script = join(repoRoot, 'bench/src/games/peer.ts');
  const [cmd, argv] = lab.argv(
    namespace,
    process.execPath,
    '--conditions=@parley/source',
    '--import',
    'tsx',
    script,
    server.wsUrl,
    'games-bench',
    id,
  );
  const c = new Child(cmd, argv);
  children.push(c);
  return c;
}

type Row = {
  lossPct: number;
  lane: 'game API (unreliable, latest wins)' | 'reliable ordered channel';
  ageP50Ms: number;
  ageP99Ms: number;
  maxGapMs: number;
  samples: number;
  updatesReceived: number;
};
const rows: Row[] = [];
try {
  await startImpair(0);
  const receiver = peer(ns.b, 'receiver');
  await receiver.wait((l) => l.ev === 'joined');
  const sender = peer(ns.a, 'sender');
  await sender.wait((l) => l.ev === 'player' && l.id === 'receiver');
  await receiver.wait((l) => l.ev === 'player' && l.id === 'sender');
  log(`bench:games: connected; ${delayMs} ms each way, ${seconds} s per lane and loss rate`);
  for (const loss of losses) {
    await startImpair(loss);
    for (const lane of ['game', 'reliable'] as const) {
      const warmupMs = 2000;
      const mark = receiver.send({ cmd: 'measure', lane, ms: seconds * 1000, warmupMs });
      const sMark = sender.send({ cmd: 'send', lane, ms: seconds * 1000 + warmupMs + 200 });
      const m = (await receiver.wait((l) => l.ev === 'measured', mark, (seconds + 30) * 1000)) as {
        ages: number[];
        gaps: number[];
      };
      await sender.wait((l) => l.ev === 'sent', sMark, 60_000);
      // Let a reliable backlog drain before the next phase starts.
      await new Promise((r) => setTimeout(r, lane === 'reliable' ? 5000 : 1000));
      const row: Row = {
        lossPct: loss,
        lane: lane === 'game' ? 'game API (unreliable, latest wins)' : 'reliable ordered channel',
        ageP50Ms: pct(m.ages, 50),
        ageP99Ms: pct(m.ages, 99),
        maxGapMs: Math.max(0, ...m.gaps),
        samples: m.ages.length,
        updatesReceived: m.gaps.length + 1,
      };
      rows.push(row);
      log(
        `loss ${loss}% ${row.lane}: age p50 ${row.ageP50Ms.toFixed(1)} ms, p99 ${row.ageP99Ms.toFixed(1)} ms, ` +
          `largest gap ${row.maxGapMs.toFixed(1)} ms (${row.updatesReceived} fresher updates)`,
      );
    }
  }
} finally {
  await Promise.all(children.map((c) => c.stop()));
  await impair?.stop();
  impair?.proc.kill('SIGTERM');
  await server.close();
  lab.destroy();
  rmSync(socket, { force: true });
}

const intervalMs = 1000 / 60;
const target = 1.5 * delayMs + intervalMs;
const result = {
  bench: 'games',
  at: new Date().toISOString(),
  setup: {
    delayMsEachWay: delayMs,
    updatesPerSecond: 60,
    stateBytes: 13 + 108,
    secondsPerLane: seconds,
    impairment: 'userspace AF_PACKET bridge (bench/src/games/impair.py); the kernel has no sch_netem',
    node: process.version,
  },
  targetP99AgeMs: target,
  rows,
};
const dir = join(repoRoot, 'bench/results');
mkdirSync(dir, { recursive: true });
const stamp = result.at.replace(/[:.]/g, '-');
writeFileSync(join(dir, `games-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(dir, 'games-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
const f = (x: number) => x.toFixed(1);
console.log(
  `\n| loss | lane | age p50 (ms) | age p99 (ms) | largest gap (ms) |\n| --- | --- | --- | --- | --- |`,
);
for (const r of rows)
  console.log(`| ${r.lossPct} % | ${r.lane} | ${f(r.ageP50Ms)} | ${f(r.ageP99Ms)} | ${f(r.maxGapMs)} |`);
console.log(`\ntarget: the game API's p99 age ≤ 1.5 × ${delayMs} + ${f(intervalMs)} = ${f(target)} ms`);
console.log(`results: bench/results/games-${stamp}.json`);
