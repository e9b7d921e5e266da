/**
 * One Node side of `bench:transfer` (node-datachannel), in a process of its own: JSON commands on stdin,
 * JSON events on stdout (one a line). Per round, on a fresh room and connection:
 *   {cmd:'prepare', role, mode, url, room, bytes, file?, out?} → {ev:'ready'}
 *     (receiver first: it joins and waits; then the sender joins, connects, opens the raw channel)
 *   {cmd:'go'} (sender) → {ev:'sent', ms}; the receiver then prints {ev:'received', …} by itself
 *   {cmd:'leave'} → {ev:'left'};  {cmd:'exit'}.
 */
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type Channel, joinRoom, type Peer, type Room } from '@parley/client';
import type { SourceFile } from '@parley/client/files';
import { nodeSha256, nodeSink, nodeSource } from '@parley/client/files/node';
import { cleanup } from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { WebSocket } from 'ws';
import { describeConnection, firstPeer, openRaw, pump, receive, sendEngine } from './rounds.js';

interface Prepare {
  cmd: 'prepare';
  role: 'sender' | 'receiver';
  mode: 'raw' | 'engine';
  url: string;
  room: string;
  bytes: number;
  /** Sender, engine: the file to send. */
  file?: string;
  /** Receiver, engine: the folder to receive into (removed after the round). */
  out?: string;
}
type Command = Prepare | { cmd: 'go' } | { cmd: 'leave' } | { cmd: 'exit' };

const emit = (ev: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(ev)}\n`);

let room: Room | undefined;
let go: (() => Promise<number>) | undefined;
let out: string | undefined;

async function prepare(c: Prepare): Promise<string | undefined> {
  room = await joinRoom({ url: c.url, room: c.room, rtc: { RTCPeerConnection }, WebSocket, iceServers: [] });
  if (c.role === 'receiver') {
    out = c.out;
    const received = receive(
      room,
      c.mode,
      c.bytes,
      (offer) => offer.accept(nodeSink(c.out as string), { hash: nodeSha256 }),
      () => process.memoryUsage.rss(),
    );
    received.then(
      (r) => emit({ ev: 'received', ...r }),
      (err: unknown) => emit({ ev: 'error', message: String(err) }),
    );
    return undefined;
  }
  const peer: Peer = await firstPeer(room);
  if (c.mode === 'raw') {
    const ch: Channel = await openRaw(peer);
    go = () => pump(ch, c.bytes);
  } else {
    const files: SourceFile[] = await nodeSource([c.file as string]);
    go = () => sendEngine(peer, files, { hash: nodeSha256 });
  }
  return describeConnection(peer, 'ms');
}

async function handle(c: Command): Promise<void> {
  if (c.cmd === 'prepare') {
    const connection = await prepare(c);
    emit({ ev: 'ready', connection });
  } else if (c.cmd === 'go') {
    if (!go) throw new Error('go before prepare');
    const ms = await go();
    go = undefined;
    emit({ ev: 'sent', ms });
  } else if (c.cmd === 'leave') {
    await room?.leave();
    room = undefined;
    if (out) await rm(out, { recursive: true, force: true });
    out = undefined;
    emit({ ev: 'left' });
  } else {
    cleanup();
    process.exit(0);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  handle(JSON.parse(line) as Command).catch((err: unknown) =>
    emit({ ev: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.stdin.on('end', () => {
  cleanup();
  process.exit(0);
});
