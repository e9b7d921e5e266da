/**
 * Once a second: the server's RSS (VmRSS from /proc/PID/status, read from outside so reading it changes
 * nothing inside), its CPU and open files, and connections/sessions/rooms from its /healthz; every 10 s
 * its /metrics (frames in/out, error frames by code). Nothing here waits longer than its own timeout.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { processTickSeconds } from '../proc-stat.js';
import { machineBusySeconds } from '../signaling/cpu.js';

export interface Sample {
  /** Seconds since the server started. */
  t: number;
  rssMiB: number;
  /** CPU used since the previous sample, in cores. */
  cpu: number;
  openFiles: number;
  /** From /healthz; null when it did not answer within 900 ms. */
  connections: number | null;
  sessions: number | null;
  rooms: number | null;
  healthMs: number | null;
  /** Clients the fleet holds open (its own count, from worker progress reports). */
  fleetOpen: number;
  /** CPU of the whole machine since the previous sample, in cores (of os.cpus().length). */
  machineCpu: number;
  /** Of that, processes other than the server and the soak's own (other engineers' builds and tests). */
  othersCpu: number;
  /**
   * SYNs dropped because a listen queue was full (TcpExt ListenDrops, /proc/net/netstat), since the
   * sampler started: machine-wide, but mostly the server's when the soak runs. A dropped SYN is retried
   * by the client's kernel after 1, 3, 7, 15, 31 s.
   */
  listenDrops: number;
}

export interface Metrics {
  framesIn: number;
  framesOut: number;
  errors: Record<string, number>;
  /** Every parley_* sample line, for the record. */
  raw: Record<string, number>;
}

/** TcpExt ListenDrops of this network namespace (NaN when unreadable). */
export function listenDrops(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const keys = lines[at]!.split(/\s+/);
    const vals = lines[at + 1]!.split(/\s+/);
    return Number(vals[keys.indexOf('ListenDrops')]);
  } catch {
    return Number.NaN;
  }
}

export function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

export function httpGet(port: number, path: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body : null));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(null);
    });
    req.on('error', () => resolve(null));
  });
}

export function parseMetrics(text: string): Metrics {
  const raw: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('parley_')) continue;
    const m = /^(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    raw[m[1]!] = Number(m[2]);
    const e = /^parley_signaling_errors_total\{code="(\w+)"\}\s+(\S+)/.exec(line);
    if (e) errors[e[1]!] = Number(e[2]);
  }
  return {
    framesIn: raw.parley_signaling_frames_in_total ?? Number.NaN,
    framesOut: raw.parley_signaling_frames_out_total ?? Number.NaN,
    errors,
    raw,
  };
}

export class Sampler {
  readonly samples: Sample[] = [];
  lastMetrics: Metrics | null = null;
  fleetOpen = 0;
  private timer: NodeJS.Timeout | null = null;
  private cpu0 = Number.NaN;
  /** The server's CPU seconds at the last sample it was alive for (after it died, /proc has nothing). */
  serverCpuTotal = Number.NaN;
  private machine0 = Number.NaN;
  private listenDrops0 = Number.NaN;
  private ours0 = Number.NaN;
  /** The soak's own processes (orchestrator, workers), so that the rest of the machine can be told apart. */
  ourPids: number[] = [process.pid];
  private last = 0;
  private busy = false;

  constructor(
    private readonly pid: number,
    private readonly port: number,
    private readonly startedAt: number,
  ) {}

  start(): void {
    this.cpu0 = processTickSeconds(this.pid);
    this.machine0 = machineBusySeconds();
    this.listenDrops0 = listenDrops();
    this.ours0 = this.oursCpu();
    this.last = performance.now();
    let n = 0;
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void this.sample(n++ % 10 === 0).finally(() => {
        this.busy = false;
      });
    }, 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async sample(withMetrics: boolean): Promise<void> {
    const now = performance.now();
    const cpu1 = processTickSeconds(this.pid);
    if (Number.isFinite(cpu1)) this.serverCpuTotal = cpu1;
    const dt = (now - this.last) / 1000;
    const cpu = (cpu1 - this.cpu0) / dt;
    const machine1 = machineBusySeconds();
    const ours1 = this.oursCpu();
    const machineCpu = (machine1 - this.machine0) / dt;
    const othersCpu = Math.max(0, machineCpu - cpu - (ours1 - this.ours0) / dt);
    this.cpu0 = cpu1;
    this.machine0 = machine1;
    this.ours0 = ours1;
    this.last = now;
    const rssKiB = procStatusKiB(this.pid, 'VmRSS');
    const files = openFiles(this.pid);
    const t0 = performance.now();
    const body = await httpGet(this.port, '/healthz', 900);
    const healthMs = body === null ? null : Math.round(performance.now() - t0);
    let h: { connections?: number; sessions?: number; rooms?: number } = {};
    try {
      if (body) h = JSON.parse(body);
    } catch {}
    this.samples.push({
      t: Math.round((Date.now() - this.startedAt) / 100) / 10,
      rssMiB: Math.round((rssKiB / 1024) * 10) / 10,
      cpu: Math.round(cpu * 100) / 100,
      openFiles: files,
      connections: h.connections ?? null,
      sessions: h.sessions ?? null,
      rooms: h.rooms ?? null,
      healthMs,
      fleetOpen: this.fleetOpen,
      machineCpu: Math.round(machineCpu * 100) / 100,
      othersCpu: Math.round(othersCpu * 100) / 100,
      listenDrops: listenDrops() - this.listenDrops0,
    });
    if (withMetrics) await this.scrape();
  }

  private oursCpu(): number {
    // A worker that has exited reads NaN: count it as 0 from then on (its share moves to "others").
    return this.ourPids.reduce((a, pid) => a + (processTickSeconds(pid) || 0), 0);
  }

  /** Stretches when /healthz did not answer, with what the rest of the machine used meanwhile. */
  stalls(): Array<{ fromS: number; toS: number; samples: number; serverCpu: number; othersCpu: number }> {
    const out: Array<{ fromS: number; toS: number; samples: number; serverCpu: number; othersCpu: number }> =
      [];
    let cur: Sample[] = [];
    const flush = () => {
      if (!cur.length) return;
      const mean = (f: (x: Sample) => number) =>
        Math.round((cur.reduce((a, x) => a + f(x), 0) / cur.length) * 100) / 100;
      out.push({
        fromS: cur[0]!.t,
        toS: cur.at(-1)!.t,
        samples: cur.length,
        serverCpu: mean((x) => x.cpu),
        othersCpu: mean((x) => x.othersCpu),
      });
      cur = [];
    };
    for (const x of this.samples) {
      if (x.connections === null) cur.push(x);
      else flush();
    }
    flush();
    return out;
  }

  async scrape(): Promise<Metrics | null> {
    const text = await httpGet(this.port, '/metrics', 3000);
    if (text) this.lastMetrics = parseMetrics(text);
    return text ? this.lastMetrics : null;
  }
}
