/** What `parley send` and `parley receive` share: joining over node-datachannel, progress bars, sizes. */
import { type JoinOptions, joinRoom, type Room } from '@parley/client';
import { isCode, type Progress } from '@parley/client/files';
import cliProgress from 'cli-progress';
import { InvalidArgumentError } from 'commander';
import { cleanup } from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { WebSocket } from 'ws';

/** The signaling server when none is given: a local `parley serve` on its default port. */
/** Commander's parser for a transfer code argument or option (`parley send --code`, `parley receive`). */
export function codeArg(v: string): string {
  if (!isCode(v)) throw new InvalidArgumentError('a code like 4127-word-word');
  return v;
}

export const DEFAULT_SERVER = 'ws://127.0.0.1:8080/ws';

/** `http(s)://host:port` or `ws(s)://host:port[/ws]` → the WebSocket URL of its signaling endpoint. */
export function signalingUrl(server: string): string {
  const u = new URL(server);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  return u.toString();
}

/** The web app's address on the same server. */
export function webUrl(server: string): string {
  const u = new URL(signalingUrl(server));
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/';
  return u.toString();
}

export function join(server: string, room: string, metadata?: JoinOptions['metadata']): Promise<Room> {
  return joinRoom({
    url: signalingUrl(server),
    room,
    rtc: { RTCPeerConnection },
    WebSocket,
    ...(metadata ? { metadata } : {}),
  });
}

/** Stops node-datachannel's threads so the process can exit. */
export function releaseNative(): void {
  cleanup();
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A progress bar on stderr (rate and ETA), or nothing when `quiet`. */
export function progressBar(label: string, total: number, quiet: boolean): (p: Progress) => void {
  if (quiet || !process.stderr.isTTY) return () => {};
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {percentage}% | {done}/{size} | {rate}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { done: '0 B', size: formatBytes(total), rate: '0 B' });
  return (p) => {
    bar.update(p.bytes, {
      done: formatBytes(p.bytes),
      size: formatBytes(p.total),
      rate: formatBytes(p.rate),
    });
    if (p.bytes >= p.total) bar.stop();
  };
}
