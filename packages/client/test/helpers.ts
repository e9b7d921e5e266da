/** Shared fixtures for the SDK's integration tests: a real server, real WebSockets, real node-datachannel. */
import { type RunningServer, type ServerOptions, startServer } from '@parley/server';
import { cleanup } from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import type {
  Channel,
  ChannelData,
  ChannelEvents,
  JoinOptions,
  Peer,
  PeerEvents,
  Room,
  RoomEvents,
} from '../src/index.js';
import { joinRoom } from '../src/index.js';

export const rtc = { RTCPeerConnection };

/** A channel message as text, whichever way it arrived. */
export const text = (d: ChannelData) => (typeof d === 'string' ? d : new TextDecoder().decode(d));

/** Stops node-datachannel's native threads, which otherwise keep the test process alive. Call last. */
export function releaseNative(): void {
  cleanup();
}

export function startTestServer(options: ServerOptions = {}): Promise<RunningServer> {
  return startServer({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), ...options });
}

/** Joins with Node's implementations and no STUN/TURN (host candidates suffice on one machine). */
export function join(url: JoinOptions['url'], room: string, extra: Partial<JoinOptions> = {}): Promise<Room> {
  return joinRoom({ url, room, rtc, WebSocket, iceServers: [], ...extra });
}

type EventsOf<T> = T extends Room
  ? RoomEvents
  : T extends Peer
    ? PeerEvents
    : T extends Channel
      ? ChannelEvents
      : never;
type Args<T, K> = Extract<EventsOf<T>[K & keyof EventsOf<T>], unknown[]>;
type Subscribable = { on(event: string, listener: (...args: never[]) => void): () => void };

/** Resolves with the arguments of the next `event` (optionally the next one matching `when`). */
export function next<T extends Room | Peer | Channel, K extends keyof EventsOf<T> & string>(
  emitter: T,
  event: K,
  when: (...args: Args<T, K>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Args<T, K>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const off = (emitter as unknown as Subscribable).on(event, (...args: never[]) => {
      const a = args as unknown as Args<T, K>;
      if (!when(...a)) return;
      clearTimeout(timer);
      off();
      resolve(a);
    });
  });
}

/** Collects the arguments of every `event` into an array. */
export function collect<T extends Room | Peer | Channel, K extends keyof EventsOf<T> & string>(
  emitter: T,
  event: K,
): Args<T, K>[] {
  const out: Args<T, K>[] = [];
  (emitter as unknown as Subscribable).on(event, (...args: never[]) =>
    out.push(args as unknown as Args<T, K>),
  );
  return out;
}

export { until } from '@parley/testing';
