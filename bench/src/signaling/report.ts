/** Turns the results into the tables printed at the end of a run (Markdown, so docs can quote them). */
import type { FleetResult } from './fleet.js';
import type { HeapBreakdown } from './heap.js';
import type { KeepAliveCost } from './keepalive.js';
import type { ProfileResult } from './profile.js';
import { DIALECTS, SYSTEM_LABELS, type SystemName } from './systems.js';
import type { SearchResult } from './throughput.js';
import { memoryTrust } from './trust.js';

export interface Results {
  throughput: SearchResult | null;
  ratio: number | null;
  /** PeerJS's server CPU per frame over Parley's: how much more one core relays with Parley. */
  costRatio: number | null;
  idle: FleetResult[];
  heap: HeapBreakdown[];
  keepAlive: KeepAliveCost[];
  scale: FleetResult[];
  profile: ProfileResult | null;
}

const kib = (b: number) => (Number.isFinite(b) ? `${(b / 1024).toFixed(2)} KiB` : '—');
/** A memory-per-connection cell: the figure, or why it cannot be trusted (see trust.ts). */
const mem = (perConn: number | null | undefined, connections: number) => {
  if (perConn == null) return '—';
  const t = memoryTrust(perConn, connections);
  return t.ok ? kib(perConn) : `untrusted (${t.why})`;
};
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '>2000');
const k = (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(x % 1000 ? 1 : 0)}k` : '—');

/** The keep-alive a system's clients send, from its dialect: "ping every 20 s". */
function keepAliveLabel(s: SystemName): string {
  const beat = DIALECTS[s].heartbeat;
  if (!beat) return 'WebSocket pongs only';
  return `${(JSON.parse(beat.frame) as { type: string }).type} every ${beat.everyMs / 1000} s`;
}
const settleS = (r: Results) => Math.round((r.idle[0]?.settleMs ?? 0) / 1000);

export function tables(r: Results): string {
  const out: string[] = [];
  const systems = new Set<SystemName>([
    ...(r.throughput?.systems.map((s) => s.system) ?? []),
    ...r.idle.map((f) => f.system),
  ]);
  out.push(
    `| system | highest rate with p99 ≤ 10 ms (median) | per round | p50 / p99 there (ms) | server CPU there | server CPU per frame | one core at that cost | memory per idle connection: RSS after ${settleS(r)} s idle | RSS right after connecting | heap + external | marginal RSS | marginal heap + external |`,
    '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const s of systems) {
    const t = r.throughput?.systems.find((x) => x.system === s);
    const m = r.idle.find((x) => x.system === s && x.keepAlive) ?? r.idle.find((x) => x.system === s);
    const at = t?.atKnee;
    out.push(
      `| ${SYSTEM_LABELS[s]} | ${t ? `${k(t.medianKnee)} msgs/s` : '—'} | ${t ? t.kneePerRound.map(k).join(', ') : '—'} | ` +
        `${at ? `${ms(at.p50Ms)} / ${ms(at.p99Ms)}` : '—'} | ${at ? `${Math.round(at.serverCpu * 100)}%` : '—'} | ` +
        `${t ? `${t.medianCostUs.toFixed(1)} µs` : '—'} | ${t ? `${k(t.projectedPerCore)} msgs/s` : '—'} | ` +
        `${m ? mem(m.settledRssPerConn, m.connected) : '—'} | ` +
        `${m ? mem(m.rssPerConn, m.connected) : '—'} | ${m ? mem(m.heapPerConn, m.connected) : '—'} | ` +
        `${m?.marginal ? mem(m.marginal.rssPerConn, m.connected) : '—'} | ${m?.marginal ? mem(m.marginal.heapPerConn, m.connected) : '—'} |`,
    );
  }
  out.push('');
  if (r.idle.length > 0) {
    out.push(
      `| system | clients' keep-alive | RSS per idle connection after ${settleS(r)} s idle | right after connecting | heap + external | marginal RSS | idle server allocates (bytes/ms) | young generation then |`,
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const m of r.idle)
      out.push(
        `| ${SYSTEM_LABELS[m.system]} | ${m.keepAlive ? keepAliveLabel(m.system) : 'none (silent)'} | ` +
          `${mem(m.settledRssPerConn, m.connected)} | ${mem(m.rssPerConn, m.connected)} | ${mem(m.heapPerConn, m.connected)} | ` +
          `${m.marginal ? mem(m.marginal.rssPerConn, m.connected) : '—'} | ` +
          `${m.idleAlloc ? Math.round(m.idleAlloc.bytesPerMs).toLocaleString('en') : '—'} | ` +
          `${m.idleAlloc ? `${(m.idleAlloc.youngGen / 2 ** 20).toFixed(1)} MiB` : '—'} |`,
      );
    out.push(
      '',
      'V8 gives its young generation back (down to 1 MiB) only at a GC while the process allocates under ' +
        '1,000 bytes/ms (heap.cc, `ShouldResizeNewSpace`), or when its memory reducer finds the process idle; ' +
        "above that it keeps it at its maximum, 32 MiB by default. The allocation rate is sampled after the last reading by V8's heap profiler, garbage included.",
      '',
    );
  }
  for (const m of r.idle) {
    const server = m.servers[0];
    const curve = server?.settleCurve;
    if (!server || !curve?.length) continue;
    const per = (rss: number) => ((rss - server.before.rss) / server.connections / 1024).toFixed(2);
    out.push(
      `${SYSTEM_LABELS[m.system]}, keep-alive ${m.keepAlive ? 'on' : 'off'}: RSS per idle connection while idling (s after the last joined: KiB, no GC forced): ` +
        curve
          .filter((_, i) => curve.length <= 12 || i % 2 === 1)
          .map((c) => `${c.ms / 1000}: ${per(c.rss)}`)
          .join(', '),
    );
  }
  // Only figures that can be trusted make a headline, and a ratio only of two such figures.
  const settled = (s: SystemName, keepAlive: boolean) => {
    const m = r.idle.find((x) => x.system === s && x.keepAlive === keepAlive);
    return m && memoryTrust(m.settledRssPerConn, m.connected).ok
      ? (m.settledRssPerConn as number)
      : undefined;
  };
  for (const keepAlive of [true, false])
    if (settled('parley', keepAlive) && settled('peerjs', keepAlive))
      out.push(
        '',
        `Memory per idle connection after ${settleS(r)} s idle, ${keepAlive ? "clients sending their own system's keep-alive" : 'silent clients'}: ` +
          `Parley **${kib(settled('parley', keepAlive)!)}** (target ≤ 4 KiB), PeerJS ${kib(settled('peerjs', keepAlive)!)} ` +
          `(**${(settled('peerjs', keepAlive)! / settled('parley', keepAlive)!).toFixed(2)}x** Parley's).`,
      );
  out.push('');
  for (const t of r.throughput?.systems ?? [])
    out.push(
      `${SYSTEM_LABELS[t.system]}: server CPU per frame by round ${t.costUsPerRound.map((c) => c.toFixed(1)).join(', ')} µs; ` +
        (r.throughput!.overloadRate > 0
          ? `offered ${k(r.throughput!.overloadRate)} msgs/s (overloaded), it relayed ${t.overloadPerCpuSecondPerRound.map(k).join(', ')} frames per CPU-second (median ${k(t.medianOverloadPerCpuSecond)}); `
          : '') +
        `other processes used a median ${Math.round(t.medianOthersCpu * 100)}% of a core during its steps.`,
    );
  if (r.ratio !== null)
    out.push('', `Parley / PeerJS highest held rate: **${r.ratio.toFixed(2)}x** (target ≥ 1.5x).`);
  const over = (s: SystemName) =>
    r.throughput?.systems.find((x) => x.system === s)?.medianOverloadPerCpuSecond;
  if (over('parley') && over('peerjs'))
    out.push(
      `Parley / PeerJS frames relayed per CPU-second when overloaded: **${(over('parley')! / over('peerjs')!).toFixed(2)}x**.`,
    );
  if (r.costRatio !== null && Number.isFinite(r.costRatio))
    out.push(`PeerJS / Parley server CPU per relayed frame: **${r.costRatio.toFixed(2)}x**.`);
  if (r.heap.length) {
    const names = [...new Set(r.heap.flatMap((h) => h.perConnection.slice(0, 14).map((c) => c.name)))];
    out.push(
      '',
      `Heap per idle connection by constructor (V8 heap snapshots, ${r.heap[0]!.connections} clients minus none; bytes × count):`,
      '',
      `| constructor | ${r.heap.map((h) => SYSTEM_LABELS[h.system]).join(' | ')} |`,
      `| --- |${r.heap.map(() => ' ---: |').join('')}`,
      ...names.map((n) => {
        const cells = r.heap.map((h) => {
          const c = h.perConnection.find((x) => x.name === n);
          return c ? `${c.bytes} B × ${c.count}` : '—';
        });
        return `| ${n} | ${cells.join(' | ')} |`;
      }),
      `| **total** | ${r.heap.map((h) => `**${h.totalBytes} B**`).join(' | ')} |`,
    );
  }
  if (r.keepAlive.length) {
    const n = r.idle[0]?.requested ?? 19_000;
    out.push(
      '',
      `Allocation per keep-alive message (V8's sampling heap profiler, garbage included; ${r.keepAlive[0]!.clients.toLocaleString('en')} idle clients, each sending one per round, the server's reply included, idle baseline subtracted), and what that comes to with ${n.toLocaleString('en')} clients on each system's own interval. V8 keeps its young generation at its maximum while a process allocates 1,000 bytes/ms or more:`,
      '',
      `| system | keep-alive | server's reply | bytes per message | idle server's own allocation (bytes/ms) | with ${n.toLocaleString('en')} clients (bytes/ms) |`,
      '| --- | --- | --- | ---: | ---: | ---: |',
      ...r.keepAlive.map((c) => {
        const beat = DIALECTS[c.system].heartbeat;
        const every = beat?.everyMs ?? Number.NaN;
        return (
          `| ${SYSTEM_LABELS[c.system]} | ${keepAliveLabel(c.system)} | ${beat?.reply ?? 'none'} | ${Math.round(c.bytesPerMessage).toLocaleString('en')} | ` +
          `${Math.round(c.baselineBytesPerMs).toLocaleString('en')} | ${Math.round((n / every) * c.bytesPerMessage).toLocaleString('en')} |`
        );
      }),
    );
  }
  for (const f of r.scale) {
    out.push(
      '',
      `${SYSTEM_LABELS[f.system]}, ${f.connected.toLocaleString('en')} of ${f.requested.toLocaleString('en')} connections ` +
        `on ${f.servers.length} server processes and ${f.workers} client processes (${f.failed} failed), ` +
        `set up in ${(f.setupMs / 1000).toFixed(1)} s:`,
      '',
      '| server process | connections | open files | RSS after GC | heap + external | RSS delta / conn |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...f.servers.map(
        (s, i) =>
          `| #${i + 1} | ${s.connections} | ${s.openFiles} | ${(s.after.rss / 2 ** 20).toFixed(0)} MiB | ` +
          `${((s.after.heapUsed + s.after.external) / 2 ** 20).toFixed(0)} MiB | ${kib((s.after.rss - s.before.rss) / Math.max(1, s.connections))} |`,
      ),
      '',
      `Largest client process: ${f.maxWorkerOpenFiles} open files.` +
        (f.check
          ? ` Relay check across all connections at ${k(f.check.offered)} msgs/s: got ${k(f.check.achieved)}/s (${(f.check.delivered * 100).toFixed(1)}% of sent), p50 ${ms(f.check.p50Ms)} ms, p99 ${ms(f.check.p99Ms)} ms.`
          : ''),
    );
  }
  if (r.profile) {
    const p = r.profile;
    out.push(
      '',
      `CPU profile of ${SYSTEM_LABELS[p.system]} relaying ${k(p.rate)} msgs/s offered (${k(p.achieved)} delivered), self time:`,
      '',
      '| function | where | self |',
      '| --- | --- | ---: |',
      ...p.top.map((h) => `| ${h.function} | ${h.where || '—'} | ${h.selfPct}% |`),
      '',
      `By module: ${p.byModule.map((m) => `${m.module} ${m.selfPct}%`).join(', ')}.`,
    );
  }
  return out.join('\n');
}
