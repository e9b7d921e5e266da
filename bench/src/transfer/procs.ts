/**
 * What the transfer benchmark reads from Linux's /proc about the processes it measures: a process tree
 * (a browser and its renderers), resident memory, and CPU time per thread (so a round can say which
 * thread was busy: a renderer's main thread, its WebRTC network thread, node-datachannel's threads…).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

function stat(path: string): { comm: string; ppid: number; cpu: number } | undefined {
  try {
    const s = readFileSync(path, 'utf8');
    const open = s.indexOf('(');
    const close = s.lastIndexOf(')');
    const f = s.slice(close + 2).split(' ');
    return {
      comm: s.slice(open + 1, close),
      ppid: Number(f[1]),
      cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK,
    };
  } catch {
    return undefined;
  }
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Every process below `root` (not `root` itself). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const s = stat(`/proc/${pid}/stat`);
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const todo = [...(children.get(root) ?? [])];
  while (todo.length) {
    const pid = todo.pop() as number;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The direct children of `root`. */
export function children(root: number): number[] {
  return pids().filter((pid) => stat(`/proc/${pid}/stat`)?.ppid === root);
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Resident set size in bytes, NaN when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds of every thread of `pid`, by thread id, with the thread's name. */
export type ThreadCpu = Map<string, { name: string; cpu: number }>;

export function threadCpu(pid: number): ThreadCpu {
  const out: ThreadCpu = new Map();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const s = stat(`/proc/${pid}/task/${tid}/stat`);
    // The main thread carries the process's name ("node", "chromium"): call it what it is.
    if (s) out.set(tid, { name: tid === String(pid) ? 'main' : s.comm, cpu: s.cpu });
  }
  return out;
}

/** One process's CPU over a window: in all, and its busiest threads (names summed), as % of one core. */
export interface CpuShare {
  /** % of one core, all threads. */
  total: number;
  /** The busiest thread names, % of one core each (threads sharing a name are summed). */
  threads: Record<string, number>;
}

/** CPU used between two `threadCpu` readings over `ms`, as % of one core; the `top` busiest names. */
export function cpuShare(before: ThreadCpu, after: ThreadCpu, ms: number, top = 4): CpuShare {
  const byName = new Map<string, number>();
  let total = 0;
  for (const [tid, a] of after) {
    const d = a.cpu - (before.get(tid)?.cpu ?? 0);
    if (!(d > 0)) continue;
    total += d;
    byName.set(a.name, (byName.get(a.name) ?? 0) + d);
  }
  const pct = (s: number) => Math.round((1000 * s) / (ms / 1000)) / 10;
  const threads = Object.fromEntries(
    [...byName.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([n, s]) => [n, pct(s)]),
  );
  return { total: pct(total), threads };
}

/**
 * This network namespace's UDP counters (IPv4 and IPv6 summed): datagrams received, and datagrams dropped
 * because a socket's receive buffer was full (on loopback the only way a datagram is lost: the receiving
 * process did not read in time, and SCTP's congestion control then slows the sender down).
 */
export function udpCounters(): { datagrams: number; rcvbufDrops: number } {
  let datagrams = 0;
  let rcvbufDrops = 0;
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = (lines[0] ?? '').split(/\s+/);
    const values = (lines[1] ?? '').split(/\s+/).map(Number);
    datagrams += values[names.indexOf('InDatagrams')] ?? 0;
    rcvbufDrops += values[names.indexOf('RcvbufErrors')] ?? 0;
  } catch {}
  try {
    for (const l of readFileSync('/proc/net/snmp6', 'utf8').split('\n')) {
      const [k, v] = l.split(/\s+/);
      if (k === 'Udp6InDatagrams') datagrams += Number(v);
      if (k === 'Udp6RcvbufErrors') rcvbufDrops += Number(v);
    }
  } catch {}
  return { datagrams, rcvbufDrops };
}
