/** One raw TCP conversation on loopback: chunks written in order, optional pauses, a reset at any point. */
import net from 'node:net';
import type { Rng } from './random.js';

export interface RawPlan {
  host: string;
  port: number;
  /** Source address, anywhere in 127.0.0.0/8, so that per-address limits do not stop a run. */
  src: string;
  chunks: Buffer[];
  /** After writing chunk `waitAfter`, wait (up to 1 s) for the end of the response's header. */
  waitAfter?: number;
  /** Pause between chunks (a slow sender). */
  gapMs?: number;
  /** Reset the connection (RST) after this many chunks; undefined: close it politely. */
  resetAfter?: number;
  /** How long to keep the socket open after the last write, for the server to answer. */
  lingerMs: number;
  /** Instead of closing after the linger, hand the open socket over (a client that stays connected). */
  hold?: (sock: net.Socket) => void;
}

export interface RawOutcome {
  connected: boolean;
  received: number;
  /** The first line the server sent (an HTTP status line), if any. */
  firstLine: string;
}

/** A loopback source address other than 127.0.0.1 (which the bystanders use). */
export function loopbackSource(r: Rng): string {
  return `127.0.${r.range(1, 4)}.${r.range(1, 254)}`;
}

const MAX_MS = 8000;

export function runRaw(plan: RawPlan): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const out: RawOutcome = { connected: false, received: 0, firstLine: '' };
    let head = '';
    let waiter: (() => void) | undefined;
    let done = false;
    const sock = net.connect({ host: plan.host, port: plan.port, localAddress: plan.src });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(bound);
      if (!sock.destroyed) sock.destroy();
      resolve(out);
    };
    const bound = setTimeout(finish, MAX_MS);
    sock.on('error', finish);
    sock.on('close', finish);
    sock.on('data', (d: Buffer) => {
      out.received += d.length;
      if (head.length < 4096) {
        head += d.toString('latin1');
        if (!out.firstLine && head.includes('\r\n')) out.firstLine = head.slice(0, head.indexOf('\r\n'));
        if (head.includes('\r\n\r\n')) waiter?.();
      }
    });
    sock.once('connect', async () => {
      out.connected = true;
      for (let i = 0; i < plan.chunks.length && !done; i++) {
        if (plan.resetAfter === i) {
          sock.resetAndDestroy();
          return finish();
        }
        sock.write(plan.chunks[i]!);
        if (plan.waitAfter === i && !head.includes('\r\n\r\n')) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, 1000);
            waiter = () => {
              clearTimeout(t);
              r();
            };
          });
          waiter = undefined;
        }
        if (plan.gapMs) await new Promise((r) => setTimeout(r, plan.gapMs));
      }
      if (done) return;
      if (plan.resetAfter !== undefined && plan.resetAfter >= plan.chunks.length) {
        await new Promise((r) => setTimeout(r, plan.lingerMs));
        if (!done) sock.resetAndDestroy();
        return finish();
      }
      setTimeout(() => {
        if (done) return;
        if (plan.hold) {
          done = true;
          clearTimeout(bound);
          sock.removeAllListeners('data');
          sock.removeAllListeners('close');
          sock.on('data', () => {});
          plan.hold(sock);
          return resolve(out);
        }
        sock.end();
        setTimeout(finish, 100);
      }, plan.lingerMs);
    });
  });
}

/** Cuts `bytes` into pieces of the given lengths. */
export function cut(bytes: Buffer, lengths: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const n of lengths) {
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}

/** Runs `jobs` with at most `width` at once. */
export async function pool<T>(
  items: readonly T[],
  width: number,
  job: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await job(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/**
 * Connections held open on purpose (clients that connect and stay), at most `max`, each for at most
 * `maxMs`: the oldest go first. `closedByServer` counts those the server ended.
 */
export class HeldSockets {
  private readonly open = new Set<net.Socket>();
  closedByServer = 0;
  peak = 0;

  constructor(
    private readonly max: number,
    private readonly maxMs: number,
  ) {}

  add(sock: net.Socket): void {
    this.open.add(sock);
    this.peak = Math.max(this.peak, this.open.size);
    let mine = false;
    const timer = setTimeout(() => {
      mine = true;
      sock.destroy();
    }, this.maxMs);
    timer.unref();
    sock.on('error', () => {});
    sock.once('close', () => {
      clearTimeout(timer);
      if (!mine && this.open.has(sock)) this.closedByServer++;
      this.open.delete(sock);
    });
    if (this.open.size > this.max) {
      const oldest = this.open.values().next().value;
      if (oldest) {
        this.open.delete(oldest);
        oldest.destroy();
      }
    }
  }

  get size(): number {
    return this.open.size;
  }

  release(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }
}
