/**
 * The byte-level WebSocket grammar (RFC 6455): opening handshakes, valid and mangled, with every
 * subprotocol case, and frames with every opcode, length encoding, mask and RSV bit, fragmentation,
 * bad UTF-8, oversized control frames and close codes. Nothing here knows of a particular server bug.
 */
import type { Rng } from './random.js';

const INTERESTING_LENGTHS = [
  0,
  1,
  2,
  125,
  126,
  127,
  65535,
  65536,
  2 ** 20,
  2 ** 31 - 1,
  2 ** 32,
  2 ** 53 - 1,
];
const CLOSE_CODES = [
  0, 1, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015,
  1016, 2999, 3000, 3999, 4000, 4001, 4999, 5000, 65535,
];
const BAD_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** What a client might offer as Sec-WebSocket-Protocol (undefined: the header is left out). */
function subprotocols(r: Rng): string[] | undefined {
  return r.weighted<() => string[] | undefined>([
    [3, () => undefined],
    [4, () => ['parley.v1']],
    [3, () => ['parley.v2']],
    [
      2,
      () => [
        r.pick(['', ' ', 'parley', 'parley.v', 'parley.v0', 'parley.v01', 'PARLEY.V1', 'x,y', '\u00e9']),
      ],
    ],
    [
      2,
      () =>
        Array.from({ length: r.range(2, 40) }, (_, i) => r.pick(['parley.v1', 'parley.v2', `p${i}`, 'a'])),
    ],
  ])();
}

export interface Handshake {
  text: string;
  /** Whether this handshake should be answered with 101 by a server that speaks RFC 6455. */
  valid: boolean;
}

export function handshake(r: Rng, port: number): Handshake {
  const protocols = subprotocols(r);
  const key = Buffer.from(r.bytes(16)).toString('base64');
  const headers: [string, string][] = [
    ['Host', `127.0.0.1:${port}`],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', '13'],
  ];
  if (protocols) headers.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
  if (r.chance(0.1))
    headers.push(['Origin', r.pick(['http://127.0.0.1', 'null', 'http://evil.example', ''])]);
  if (r.chance(0.05))
    headers.push(['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits']);
  let path = '/ws';
  let method = 'GET';
  let version = 'HTTP/1.1';
  let eol = '\r\n';
  let valid = true;
  const set = (name: string, value: string) => {
    const h = headers.find((h) => h[0] === name);
    if (h) h[1] = value;
    else headers.push([name, value]);
  };
  if (r.chance(0.25)) {
    valid = false;
    const mangles = r.range(1, 3);
    for (let m = 0; m < mangles; m++) {
      r.weighted<() => void>([
        [3, () => headers.splice(r.int(headers.length), 1)],
        [
          2,
          () => {
            const h = headers[r.int(headers.length)]!;
            h[1] = r.pick([
              '',
              ' ',
              'x'.repeat(r.size(9000)),
              `${h[1]}, ${h[1]}`,
              h[1].toUpperCase(),
              '\t',
              key,
            ]);
          },
        ],
        [1, () => headers.push(headers[r.int(headers.length)]!)],
        [1, () => set('Sec-WebSocket-Version', r.pick(['8', '12', '14', '-1', 'x']))],
        [1, () => set('Sec-WebSocket-Key', r.pick(['', 'short', `${key}=`, '!'.repeat(24)]))],
        [
          1,
          () =>
            (path = r.pick([
              '/',
              '/WS',
              '/ws/',
              '//ws',
              '/ws?x=1',
              '/ws#f',
              '*',
              'http://127.0.0.1/ws',
              '/%77s',
            ])),
        ],
        [1, () => (method = r.pick(['POST', 'get', 'HEAD', 'CONNECT', 'OPTIONS']))],
        [1, () => (version = r.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'http/1.1']))],
        [1, () => (eol = '\n')],
        [1, () => headers.push([`X-${r.int(1000)}`, 'y'.repeat(r.size(20000))])],
        [1, () => headers.push(['Transfer-Encoding', 'chunked'], ['Content-Length', String(r.size(100))])],
      ])();
    }
  } else {
    // Harmless variation a server must accept: header order and case.
    if (r.chance(0.3)) headers.reverse();
    if (r.chance(0.2)) for (const h of headers) h[0] = h[0].toLowerCase();
  }
  const text = `${method} ${path} ${version}${eol}${headers.map(([k, v]) => `${k}: ${v}`).join(eol)}${eol}${eol}`;
  return { text, valid };
}

export interface FrameSpec {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
  /** 'min' is the shortest length encoding; '16' and '64' may be non-minimal. */
  length: 'min' | '16' | '64';
  /** Declared payload length when it lies about the payload sent. */
  declared?: number;
}

export function encodeFrame(f: FrameSpec, mask: Buffer): Buffer {
  const n = f.declared ?? f.payload.length;
  const mode = f.length === 'min' ? (n < 126 ? '7' : n < 65536 ? '16' : '64') : n > 65535 ? '64' : f.length;
  const head = mode === '7' ? 2 : mode === '16' ? 4 : 10;
  const out = Buffer.alloc(head + (f.masked ? 4 : 0) + f.payload.length);
  out[0] = (f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0xf);
  const m = f.masked ? 0x80 : 0;
  if (mode === '7') out[1] = m | n;
  else if (mode === '16') {
    out[1] = m | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = m | 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32) >>> 0, 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  let at = head;
  if (f.masked) {
    mask.copy(out, at, 0, 4);
    at += 4;
  }
  for (let i = 0; i < f.payload.length; i++) out[at + i] = f.payload[i]! ^ (f.masked ? mask[i & 3]! : 0);
  return out;
}

/** Text a signaling server would act on, so that frames reach past the framing layer. */
function signalingText(r: Rng): string {
  return r.pick([
    JSON.stringify({ type: 'join', room: `fz${r.int(50)}` }),
    JSON.stringify({ type: 'ping', id: r.int(1000) }),
    JSON.stringify({ type: 'message', data: r.text(30) }),
    JSON.stringify({ type: 'leave' }),
    '{',
    '[]',
    'null',
  ]);
}

function payloadFor(r: Rng, opcode: number): Buffer {
  if (opcode === 8) {
    return r.weighted<() => Buffer>([
      [1, () => Buffer.alloc(0)],
      [1, () => Buffer.from([r.int(256)])],
      [
        6,
        () => {
          const code = Buffer.alloc(2);
          code.writeUInt16BE(r.chance(0.8) ? r.pick(CLOSE_CODES) : r.int(65536));
          const reason = r.chance(0.3) ? Buffer.from(r.pick(BAD_UTF8)) : Buffer.from(r.text(20));
          return Buffer.concat([code, reason]);
        },
      ],
      [1, () => Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.alloc(r.range(124, 300), 0x61)])],
    ])();
  }
  return r.weighted<() => Buffer>([
    [5, () => Buffer.from(signalingText(r))],
    [3, () => r.bytes(r.size(300))],
    [
      2,
      () => Buffer.concat([Buffer.from(signalingText(r).slice(0, r.int(10))), Buffer.from(r.pick(BAD_UTF8))]),
    ],
    [1, () => Buffer.alloc(r.pick([125, 126, 127, 4096, 65536, 70_000]), 0x20)],
    [1, () => Buffer.from(r.text(200))],
  ])();
}

/** One frame of any kind: mostly sane, with each field sometimes out of bounds. */
export function frame(r: Rng, opcode?: number, fin?: boolean): FrameSpec {
  const op =
    opcode ??
    r.weighted<number>([
      [6, 1],
      [2, 2],
      [2, 0],
      [2, 8],
      [2, 9],
      [2, 10],
      [2, r.pick([3, 4, 5, 6, 7, 11, 12, 13, 14, 15])],
    ]);
  const payload = payloadFor(r, op);
  const f: FrameSpec = {
    fin: fin ?? r.chance(0.9),
    rsv: r.chance(0.9) ? 0 : r.range(1, 7),
    opcode: op,
    masked: r.chance(0.9),
    payload,
    length: r.weighted<'min' | '16' | '64'>([
      [8, 'min'],
      [1, '16'],
      [1, '64'],
    ]),
  };
  if (r.chance(0.08))
    f.declared = r.chance(0.5) ? r.pick(INTERESTING_LENGTHS) : Math.max(0, payload.length + r.range(-3, 3));
  return f;
}

/** A sequence of frames: single frames, fragmented messages (with control frames in between), or a mix. */
export function frames(r: Rng): FrameSpec[] {
  const out: FrameSpec[] = [];
  const parts = r.range(1, 4);
  for (let p = 0; p < parts; p++) {
    if (r.chance(0.25)) {
      const n = r.range(2, 5);
      out.push(frame(r, r.chance(0.8) ? 1 : 2, false));
      for (let i = 1; i < n; i++) {
        if (r.chance(0.2)) out.push(frame(r, r.pick([8, 9, 10, 1]), r.chance(0.8)));
        out.push(frame(r, 0, i === n - 1));
      }
    } else out.push(frame(r));
  }
  return out;
}

/** Splits `total` bytes into chunk lengths at random boundaries (one chunk, single bytes, or anything). */
export function splits(r: Rng, total: number): number[] {
  if (total === 0) return [];
  const mode = r.weighted<'whole' | 'bytes' | 'random'>([
    [6, 'whole'],
    [1, 'bytes'],
    [3, 'random'],
  ]);
  if (mode === 'whole') return [total];
  if (mode === 'bytes' && total <= 64) return Array.from({ length: total }, () => 1);
  const out: number[] = [];
  let left = total;
  while (left > 0 && out.length < 64) {
    const n = out.length === 63 ? left : Math.min(left, r.range(1, Math.max(1, Math.ceil(total / 3))));
    out.push(n);
    left -= n;
  }
  return out;
}
