/**
 * `npm run bench:transfer [-- --mib 256 --rounds 2]`: the file transfer engine against the raw data
 * channel pump, Node↔Node (node-datachannel), in the same run on the same kind of connection.
 *
 * Two peers join one room of an in-process Parley server (loopback, host candidates). Each round runs,
 * on fresh connections:
 *  - raw: 64 KiB messages on a reliable ordered channel, sent while `bufferedAmount` < 1 MiB and
 *    resumed on `bufferedamountlow` (256 KiB): the best a sender can do on this channel, no disk, no hash;
 *  - engine: `sendFiles` of a random file of the same size into `nodeSink` (disk), SHA-256 per block
 *    (Web Crypto) and per file (node:crypto), both sides, until the receiver verified it.
 * Both peers run in this one process (so the figures are the two sides' costs on one event loop, and on
 * a 2-core machine, of everything else it runs). Results: bench/results/transfer-<time>.json and
 * transfer-latest.json, and a Markdown table on stdout.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { joinRoom, type Peer, type Room } from '@parley/client';
import { onFileOffers, sendFiles } from '@parley/client/files';
import { nodeSha256, nodeSink, nodeSource } from '@parley/client/files/node';
import { startServer } from '@parley/server';
import { cleanup } from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { pino } from 'pino';
import { WebSocket } from 'ws';

const { values: args } = parseArgs({
  options: { mib: { type: 'string', default: '256' }, rounds: { type: 'string', default: '2' } },
});
const MiB = 1024 * 1024;
const size = Number(args.mib) * MiB;
const rounds = Number(args.rounds);
const CHUNK = 64 * 1024;
const HIGH = 1024 * 1024;
const LOW = 256 * 1024;
const log = (line: string) => process.stderr.write(`${line}\n`);

const server = await startServer({ port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
const dir = await mkdtemp(join(tmpdir(), 'parley-bench-transfer-'));
const file = join(dir, 'src.bin');
{
  const h = await open(file, 'w');
  for (let done = 0; done < size; done += 8 * MiB) await h.write(randomBytes(Math.min(8 * MiB, size - done)));
  await h.close();
}

let roomN = 0;
async function pair(): Promise<{ rooms: Room[]; sender: Peer; receiver: Peer }> {
  const name = `bench-transfer-${process.pid}-${roomN++}`;
  const opts = { url: server.wsUrl, room: name, rtc: { RTCPeerConnection }, WebSocket, iceServers: [] };
  const a = await joinRoom(opts);
  const joined = new Promise<Peer>((resolve) => a.once('peer-joined', resolve));
  const b = await joinRoom(opts);
  const receiver = await joined;
  const sender = b.peers.get(a.selfId) as Peer;
  // Wait for the default channel on both sides.
  await Promise.all(
    [sender, receiver].map((p) =>
      p.channels.get('parley')?.readyState === 'open'
        ? undefined
        : new Promise<void>((r) => p.once('open', () => r())),
    ),
  );
  return { rooms: [a, b], sender, receiver };
}

async function raw(): Promise<number> {
  const { rooms, sender, receiver } = await pair();
  const ch = sender.channel('raw');
  ch.bufferedAmountLowThreshold = LOW;
  const chunk = new Uint8Array(CHUNK);
  let got = 0;
  const received = new Promise<void>((resolve) =>
    receiver.on('channel', (c) =>
      c.on('message', (d) => {
        got += typeof d === 'string' ? d.length : d.byteLength;
        if (got >= size) resolve();
      }),
    ),
  );
  await new Promise<void>((r) => (ch.readyState === 'open' ? r() : ch.once('open', () => r())));
  const t0 = performance.now();
  let sent = 0;
  while (sent < size) {
    while (sent < size && ch.bufferedAmount < HIGH) {
      ch.send(chunk);
      sent += CHUNK;
    }
    if (sent < size) await new Promise<void>((r) => ch.once('bufferedamountlow', () => r()));
  }
  await received;
  const ms = performance.now() - t0;
  for (const r of rooms) await r.leave();
  return ms;
}

async function engine(round: number): Promise<{ ms: number; maxRss: number }> {
  const { rooms, sender, receiver } = await pair();
  const out = join(dir, `out-${round}`);
  onFileOffers(receiver, (offer) => offer.accept(nodeSink(out), { hash: nodeSha256 }));
  let maxRss = 0;
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage.rss());
  }, 100);
  const t0 = performance.now();
  await sendFiles(sender, await nodeSource([file]), { hash: nodeSha256 }).done;
  const ms = performance.now() - t0;
  clearInterval(sampler);
  for (const r of rooms) await r.leave();
  await rm(out, { recursive: true, force: true });
  return { ms, maxRss };
}

const runs: { round: number; rawMBps: number; engineMBps: number; ratio: number; maxRssMiB: number }[] = [];
const mbps = (ms: number) => size / 1e6 / (ms / 1000);
for (let round = 0; round < rounds; round++) {
  const r = await raw();
  const e = await engine(round);
  const row = {
    round,
    rawMBps: mbps(r),
    engineMBps: mbps(e.ms),
    ratio: mbps(e.ms) / mbps(r),
    maxRssMiB: e.maxRss / MiB,
  };
  runs.push(row);
  log(
    `round ${round}: raw ${row.rawMBps.toFixed(1)} MB/s, engine ${row.engineMBps.toFixed(1)} MB/s (${(100 * row.ratio).toFixed(0)} %), RSS ${row.maxRssMiB.toFixed(0)} MiB`,
  );
}

const result = {
  benchmark: 'transfer',
  time: new Date().toISOString(),
  node: process.version,
  bytes: size,
  loadavgAtEnd: loadavg(),
  runs,
};
const resultsDir = new URL('../results/', import.meta.url).pathname;
mkdirSync(resultsDir, { recursive: true });
const stamp = result.time.replace(/[:.]/g, '-');
writeFileSync(join(resultsDir, `transfer-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(resultsDir, 'transfer-latest.json'), `${JSON.stringify(result, null, 2)}\n`);

console.log('| round | raw pump MB/s | engine MB/s (hashing, disk) | engine ÷ raw | peak RSS (both peers) |');
console.log('| ---: | ---: | ---: | ---: | ---: |');
for (const r of runs)
  console.log(
    `| ${r.round} | ${r.rawMBps.toFixed(1)} | ${r.engineMBps.toFixed(1)} | ${(100 * r.ratio).toFixed(0)} % | ${r.maxRssMiB.toFixed(0)} MiB |`,
  );
console.log(
  `\nload average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')}`,
);

await rm(dir, { recursive: true, force: true });
await server.close();
cleanup();
