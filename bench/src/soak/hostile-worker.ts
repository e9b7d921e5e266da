/**
 * Soak hostile mix, in its own process beside the well-behaved fleet: every kind bounded in count and
 * rate, each from its own loopback address (so a per-address limit sees one attacker per kind).
 * - paused: readers that join, then stop reading (socket paused) while a partner sends to them; half of
 *   them keep sending app-level pings so the server's liveness check still sees them alive;
 * - flood: bursts of WebSocket connections (and joins) from one address;
 * - malformed: bad JSON, schema violations, binary frames on a joined socket, and frames `ws` itself
 *   rejects (RSV1 set, bad UTF-8, unmasked, reserved opcode) on raw sockets with and without a subprotocol;
 * - oversized: frames past the frame limit, past the hard cap, and a header announcing 1 TiB;
 * - http: GETs of a static file with odd Range headers (`bytes=10-5` among them);
 * - slowloris: HTTP requests whose headers trickle in a byte at a time;
 * - turn: Allocate bursts from one address with valid TURN REST credentials, allocations left to expire.
 * Driven over IPC by ../soak.ts; replies with what was sent and what came back, per kind.
 */
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { clientFrame } from '../signaling/raw-ws.js';
import { openTurnClient, restCredentials, type TurnClient, TurnError } from '../turn/client.js';
import type { HostileKindStats, HostileReply, HostileRun } from './ipc.js';
import { mulberry32 } from './rng.js';

const SUBPROTOCOL = 'parley.v1';
const stats: HostileReply = {};
const kind = (name: string, unit: string): HostileKindStats => {
  stats[name] ??= { sent: 0, unit, outcomes: {}, notes: [] };
  return stats[name]!;
};
const bump = (k: HostileKindStats, what: string, n = 1) => {
  k.outcomes[what] = (k.outcomes[what] ?? 0) + n;
};
const note = (k: HostileKindStats, line: string) => {
  if (k.notes.length < 12) k.notes.push(line);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stopping = false;
let deadline = 0;
let rand = Math.random;
/** Past the deadline, closes are ours: not counted as outcomes. */
const over = () => stopping || performance.now() >= deadline;
const open = new Set<{ close(): void }>();
const track = <T extends { close(): void }>(x: T): T => {
  open.add(x);
  return x;
};

/** Repeats `fn` every `everyMs` until the deadline (at most `maxRounds` times). */
async function every(
  everyMs: number,
  maxRounds: number,
  fn: (round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < maxRounds && !stopping && performance.now() < deadline; round++) {
    const t0 = performance.now();
    try {
      await fn(round);
    } catch {}
    await sleep(Math.max(0, everyMs - (performance.now() - t0)));
  }
}

function wsOpen(o: HostileRun, addr: string, protocol: string | null = SUBPROTOCOL): WebSocket {
  const ws = new WebSocket(`ws://${o.host}:${o.port}/ws`, protocol ? [protocol] : [], {
    localAddress: addr,
    perMessageDeflate: false,
    handshakeTimeout: 5000,
  });
  ws.on('error', () => {});
  return ws;
}

/** Waits for `joined` (resolves its selfId) or fails on close/error/timeout. */
function wsJoin(ws: WebSocket, room: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('join timeout')), timeoutMs);
    const hello = () => ws.send(JSON.stringify({ type: 'join', room }));
    if (ws.readyState === WebSocket.OPEN) hello();
    else ws.once('open', hello);
    const onMsg = (d: WebSocket.RawData) => {
      try {
        const f = JSON.parse(d.toString()) as { type?: string; selfId?: string; code?: string };
        if (f.type === 'joined') {
          clearTimeout(timer);
          ws.off('message', onMsg);
          resolve(f.selfId ?? '');
        } else if (f.type === 'error') {
          clearTimeout(timer);
          reject(new Error(f.code));
        }
      } catch {}
    };
    ws.on('message', onMsg);
    ws.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`close ${code}`));
    });
    ws.once('unexpected-response', (req, res) => {
      clearTimeout(timer);
      req.destroy();
      reject(new Error(`http ${res.statusCode}`));
    });
  });
}

// --- paused readers --------------------------------------------------------------------------------

async function pausedPair(o: HostileRun, i: number, keepAlive: boolean): Promise<void> {
  const k = kind('paused', 'frames sent to paused readers');
  const FRAME_BYTES = 16_384;
  // 10 frames of 16 KiB a second: 50 frame tokens a second (a frame costs 1 + 1 per 4 KiB), half the per-connection rate.
  const RATE = 10;
  for (let gen = 0; gen < 6 && !stopping && performance.now() < deadline; gen++) {
    const room = `soak-hostile-paused-${i}-${gen}`;
    const reader = track(wsOpen(o, o.addresses.paused));
    const sender = track(wsOpen(o, o.addresses.paused));
    let readerId: string;
    try {
      readerId = await wsJoin(reader, room);
      await wsJoin(sender, room);
    } catch (err) {
      bump(k, `setup failed: ${(err as Error).message}`);
      reader.terminate();
      sender.terminate();
      await sleep(5000);
      continue;
    }
    // Stop reading: the server's writes pile up in the kernel, then in its own buffers.
    (reader as unknown as { _socket: net.Socket })._socket.pause();
    const pausedAt = performance.now();
    const pad = 'x'.repeat(FRAME_BYTES);
    let gone = '';
    sender.on('message', (d) => {
      const text = d.toString();
      if (text.includes('"peer-left"')) gone ||= 'peer-left';
      else if (text.includes('PEER_NOT_FOUND')) gone ||= 'PEER_NOT_FOUND';
      else if (text.includes('"type":"error"')) bump(k, `sender got ${/"code":"(\w+)"/.exec(text)?.[1]}`);
    });
    sender.once('close', (code) => {
      gone ||= `sender closed ${code}`;
    });
    let n = 0;
    while (!gone && !stopping && performance.now() < deadline) {
      if (sender.readyState === WebSocket.OPEN) {
        for (let j = 0; j < RATE / 10; j++)
          sender.send(`{"type":"message","to":"${readerId}","data":{"n":${n++},"pad":"${pad}"}}`);
        k.sent += RATE / 10;
      }
      if (keepAlive && n % 100 === 0 && reader.readyState === WebSocket.OPEN) reader.send('{"type":"ping"}'); // writes still go out: the server sees a live client
      await sleep(100);
    }
    const s = ((performance.now() - pausedAt) / 1000).toFixed(0);
    if (gone) {
      bump(k, `${keepAlive ? 'keep-alive' : 'silent'} reader evicted (${gone})`);
      note(k, `${keepAlive ? 'keep-alive' : 'silent'} paused reader ${i}.${gen} gone after ${s} s (${gone})`);
    } else {
      bump(k, `${keepAlive ? 'keep-alive' : 'silent'} reader still held at end`);
      note(k, `${keepAlive ? 'keep-alive' : 'silent'} paused reader ${i}.${gen} still held after ${s} s`);
    }
    reader.terminate();
    sender.terminate();
  }
}

// --- connect flood -----------------------------------------------------------------------------------

async function flood(o: HostileRun): Promise<void> {
  const k = kind('flood', 'connections');
  const BURST = 300;
  await every(15_000, 60, async (round) => {
    const t0 = performance.now();
    const socks = Array.from({ length: BURST }, () => track(wsOpen(o, o.addresses.flood)));
    k.sent += BURST;
    const results = await Promise.allSettled(
      socks.map((ws, j) => wsJoin(ws, `soak-hostile-flood-${round}-${Math.floor(j / 40)}`)),
    );
    for (const r of results) bump(k, r.status === 'fulfilled' ? 'joined' : (r.reason as Error).message);
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    if (round < 3)
      note(k, `burst ${round}: ${ok}/${BURST} joined in ${Math.round(performance.now() - t0)} ms`);
    await sleep(2000);
    for (const ws of socks) {
      ws.terminate();
      open.delete(ws);
    }
  });
}

// --- malformed frames ----------------------------------------------------------------------------------

const MALFORMED_TEXT = [
  '{not json',
  '[]',
  '"a string"',
  'null',
  '{}',
  '{"type":"nope"}',
  '{"type":"join"}',
  '{"type":"join","room":"../../etc"}',
  '{"type":"signal","to":1,"data":{}}',
  '{"type":"message","to":"x","data":1,"from":"me"}',
  '{"type":"message","data":1,"seq":5}',
  '{"type":"ack","seq":-1}',
  '{"type":"ack","seq":1e300}',
  '{"type":"ack","seq":"1"}',
  '{"type":"resume","token":"x.y","lastSeq":0}',
  '{"type":"ping","id":1.5}',
  '{"__proto__":{"type":"join"},"type":"message","data":{}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `{"type":"message","data":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
  '{"type":"leave","extra":true}',
];

async function malformed(o: HostileRun): Promise<void> {
  const k = kind('malformed', 'frames');
  let ws: WebSocket | null = null;
  let idx = 0;
  let lastSent = '';
  await every(100, 100_000, async () => {
    if (!ws || ws.readyState > WebSocket.OPEN) {
      ws = track(wsOpen(o, o.addresses.malformed));
      const mine = ws;
      mine.on('message', (d, binary) => {
        const code = binary ? 'binary reply' : (/"code":"(\w+)"/.exec(d.toString())?.[1] ?? 'other');
        bump(k, code);
      });
      mine.on('close', (code) => {
        if (over()) return;
        bump(k, `close ${code}`);
        note(k, `closed ${code} after sending ${JSON.stringify(lastSent.slice(0, 60))}`);
      });
      try {
        await wsJoin(mine, 'soak-hostile-malformed');
      } catch (err) {
        bump(k, `join failed: ${(err as Error).message}`);
        await sleep(1000);
        return;
      }
    }
    const i = idx++;
    if (i % 5 === 4) {
      lastSent = '(binary 5 bytes)';
      ws.send(Buffer.from([0, 1, 2, 0xff, 0xfe]), { binary: true });
    } else {
      lastSent = MALFORMED_TEXT[i % MALFORMED_TEXT.length]!;
      ws.send(lastSent);
    }
    k.sent++;
  });
  (ws as WebSocket | null)?.terminate();
}

/** A raw WebSocket upgrade (with or without a subprotocol) from `addr`; resolves with the socket after 101. */
function rawUpgrade(o: HostileRun, addr: string, protocol: string | null): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: o.host, port: o.port, localAddress: addr });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('handshake timeout'));
    }, 5000);
    let head = '';
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('data', function onData(c: Buffer) {
      head += c.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      s.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) {
        s.destroy();
        return reject(new Error(`http ${head.slice(9, 12)}`));
      }
      resolve(s);
    });
    s.write(
      `GET /ws HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
        '\r\n',
    );
  });
}

/** Frames `ws` refuses at the framing layer (each closes the connection from the server's side). */
const BAD_WIRE: Array<[string, () => Buffer]> = [
  [
    'rsv1 set',
    () => {
      const f = clientFrame(Buffer.from('{"type":"ping"}'));
      f[0] = f[0]! | 0x40;
      return f;
    },
  ],
  ['invalid utf-8 text', () => clientFrame(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))],
  ['reserved opcode 3', () => clientFrame(Buffer.from('x'), 0x3)],
  [
    'unmasked frame',
    () => {
      const p = Buffer.from('{"type":"ping"}');
      return Buffer.concat([Buffer.from([0x81, p.length]), p]);
    },
  ],
  [
    'fragmented ping',
    () => {
      const f = clientFrame(Buffer.from('x'), 0x9);
      f[0] = f[0]! & 0x7f;
      return f;
    },
  ],
  ['close code 999', () => clientFrame(Buffer.from([0x03, 0xe7]), 0x8)],
];

async function badWire(o: HostileRun): Promise<void> {
  const k = kind('malformed-wire', 'connections with a frame ws rejects');
  await every(2000, 10_000, async (round) => {
    const [name, frame] = BAD_WIRE[Math.floor(round / 2) % BAD_WIRE.length]!;
    const protocol = round % 2 === 0 ? SUBPROTOCOL : null;
    const label = `${name}, ${protocol ? 'with' : 'no'} subprotocol`;
    let s: net.Socket;
    try {
      s = await rawUpgrade(o, o.addresses.malformed, protocol);
    } catch (err) {
      bump(k, `${label}: upgrade failed (${(err as Error).message})`);
      return;
    }
    k.sent++;
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('still open after 3 s'), 3000);
      let got = Buffer.alloc(0);
      s.on('data', (c: Buffer) => {
        got = Buffer.concat([got, c]);
      });
      s.on('close', () => {
        clearTimeout(timer);
        // The last frame in is the close frame, if the server sent one: report its code.
        const at = got.lastIndexOf(0x88);
        const code = at >= 0 && got.length >= at + 4 ? got.readUInt16BE(at + 2) : null;
        resolve(code ? `closed ${code}` : 'closed without close frame');
      });
      s.on('error', () => {});
      s.write(frame());
    });
    s.destroy();
    bump(k, `${label}: ${outcome}`);
  });
}

// --- oversized frames ------------------------------------------------------------------------------------

async function oversized(o: HostileRun): Promise<void> {
  const k = kind('oversized', 'frames');
  await every(3000, 10_000, async (round) => {
    const which = round % 3;
    if (which === 2) {
      // A header announcing a 1 TiB payload, then a little data.
      let s: net.Socket;
      try {
        s = await rawUpgrade(o, o.addresses.oversized, SUBPROTOCOL);
      } catch (err) {
        bump(k, `1 TiB header: upgrade failed (${(err as Error).message})`);
        return;
      }
      const head = Buffer.alloc(14);
      head[0] = 0x81;
      head[1] = 0x80 | 127;
      head.writeBigUInt64BE(1n << 40n, 2);
      k.sent++;
      const outcome = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve('still open after 3 s'), 3000);
        s.on('close', () => {
          clearTimeout(timer);
          resolve('closed');
        });
        s.on('error', () => {});
        s.write(Buffer.concat([head, Buffer.alloc(4096, 0x61)]));
      });
      s.destroy();
      bump(k, `1 TiB header: ${outcome}`);
      return;
    }
    const size = which === 0 ? 70 * 1024 : 300 * 1024;
    const label = which === 0 ? '70 KiB' : '300 KiB';
    const ws = track(wsOpen(o, o.addresses.oversized));
    try {
      await wsJoin(ws, 'soak-hostile-oversized');
    } catch (err) {
      bump(k, `${label}: join failed (${(err as Error).message})`);
      ws.terminate();
      return;
    }
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('no answer in 3 s'), 3000);
      ws.on('message', (d) => {
        clearTimeout(timer);
        resolve(/"code":"(\w+)"/.exec(d.toString())?.[1] ?? 'other frame');
      });
      ws.on('close', (code) => {
        clearTimeout(timer);
        resolve(`close ${code}`);
      });
      ws.send(`{"type":"message","data":"${'y'.repeat(size)}"}`);
    });
    k.sent++;
    bump(k, `${label}: ${outcome}`);
    ws.terminate();
    open.delete(ws);
  });
}

// --- HTTP: odd Range headers, slowloris ------------------------------------------------------------------

const RANGES = [
  'bytes=10-5',
  'bytes=-0',
  'bytes=999999999-',
  'bytes=abc',
  'bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14',
  'bytes=5-',
  'items=0-1',
];

async function httpRanges(o: HostileRun): Promise<void> {
  const k = kind('http-range', 'requests');
  await every(1000, 100_000, async (round) => {
    const range = RANGES[round % RANGES.length]!;
    k.sent++;
    const status = await new Promise<string>((resolve) => {
      const req = http.get(
        {
          host: o.host,
          port: o.port,
          path: o.staticPath,
          localAddress: o.addresses.http,
          agent: false,
          headers: { Range: range },
          timeout: 5000,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
          res.on('error', () => resolve(`${res.statusCode} then error`));
        },
      );
      req.on('timeout', () => {
        req.destroy();
        resolve('timeout');
      });
      req.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    });
    bump(k, `${range} → ${status}`);
  });
}

async function slowloris(o: HostileRun): Promise<void> {
  const k = kind('slowloris', 'connections');
  const MAX_OPEN = 40;
  const MAX_TOTAL = 400;
  const lifetimes: number[] = [];
  let live = 0;
  const start = () => {
    if (stopping || performance.now() >= deadline || k.sent >= MAX_TOTAL) return;
    k.sent++;
    live++;
    const t0 = performance.now();
    const s = net.connect({ host: o.host, port: o.port, localAddress: o.addresses.slowloris });
    const handle = track({ close: () => s.destroy() });
    const text = `GET /index.html HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(4000)}\r\n\r\n`;
    let i = 0;
    const drip = setInterval(() => {
      if (i < text.length) s.write(text[i++]!);
    }, 2000);
    let answered = '';
    s.on('data', (c: Buffer) => {
      answered ||= c.toString('latin1').slice(9, 12);
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearInterval(drip);
      open.delete(handle);
      live--;
      if (over()) return;
      lifetimes.push((performance.now() - t0) / 1000);
      bump(k, answered ? `server answered ${answered} and closed` : 'closed by server, no answer');
      setTimeout(start, 1000 + rand() * 1000);
    });
  };
  for (let i = 0; i < MAX_OPEN; i++) setTimeout(start, i * 100);
  while (!stopping && performance.now() < deadline) await sleep(500);
  if (live > 0) bump(k, 'still open at end', live);
  if (lifetimes.length) {
    const s = [...lifetimes].sort((a, b) => a - b);
    note(
      k,
      `${s.length} closed by the server after min/median/max ${s[0]!.toFixed(0)}/${s[Math.floor(s.length / 2)]!.toFixed(0)}/${s.at(-1)!.toFixed(0)} s`,
    );
  }
}

// --- TURN Allocate flood -----------------------------------------------------------------------------------

async function turnFlood(o: HostileRun): Promise<void> {
  const k = kind('turn-allocate', 'Allocate attempts (each: 401 challenge, then authenticated)');
  const BURST = 100;
  const CONCURRENCY = 16;
  const MAX_TOTAL = 1500;
  // A new user name for every allocation, so the per-IP limit is what stops it, not the per-user one.
  await every(20_000, 1000, async (round) => {
    let next = 0;
    const t0 = performance.now();
    let ok = 0;
    const lane = async () => {
      while (next < BURST && k.sent < MAX_TOTAL && !stopping && performance.now() < deadline) {
        next++;
        k.sent++;
        let c: TurnClient | null = null;
        try {
          const creds = restCredentials(o.turnSecret, `soak-flood-${k.sent}`, 3600);
          c = await openTurnClient({ host: o.host, port: o.turnPort }, creds, o.addresses.turn);
          await c.allocateRelay();
          ok++;
          bump(k, 'allocated');
        } catch (err) {
          bump(
            k,
            err instanceof TurnError ? `error ${err.code || 'timeout'}` : `error ${(err as Error).message}`,
          );
        } finally {
          void c?.close(); // the allocation stays on the server until its lifetime runs out
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    if (round < 3)
      note(k, `burst ${round}: ${ok}/${next} allocated in ${Math.round(performance.now() - t0)} ms`);
  });
}

async function runHostile(o: HostileRun): Promise<HostileReply> {
  deadline = performance.now() + o.durationMs;
  rand = mulberry32(o.seed);
  kind('paused', 'frames sent to paused readers');
  await Promise.all([
    ...Array.from({ length: 6 }, (_, i) => pausedPair(o, i, i % 2 === 0)),
    flood(o),
    malformed(o),
    badWire(o),
    oversized(o),
    httpRanges(o),
    slowloris(o),
    turnFlood(o),
  ]);
  stopping = true;
  for (const x of open) x.close();
  return stats;
}

process.on('message', async (msg: (HostileRun | { op: 'close' | 'stats' }) & { rid: number }) => {
  if (msg.op === 'stats') process.send?.({ rid: msg.rid, reply: stats });
  else if (msg.op === 'hostile') process.send?.({ rid: msg.rid, reply: await runHostile(msg) });
  else {
    stopping = true;
    for (const x of open) x.close();
    process.send?.({ rid: msg.rid, reply: null }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
// A bug of this generator must show in the results, not end the hostile mix.
process.on('uncaughtException', (err) => {
  bump(kind('hostile-worker', 'exceptions'), err.message.slice(0, 80));
});
process.send?.({ ready: true });
