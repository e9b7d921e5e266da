/**
 * The light decoder of server frames (decode-light.ts, what the SDK uses) against the schemas (decode.ts,
 * compiled and interpreted): every frame the server's encoders produce passes both, and frames made from
 * them by random mutations get the same verdict from each (accepted, or refused with the same code and
 * ref). A disagreement prints the frame and the seed, so it replays.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '@parley/testing';
import { Value } from '@sinclair/typebox/value';
import { build } from 'esbuild';
import { type DecodeResult, decodeServerFrameLight } from './decode-light.js';
import {
  decodeServerFrame,
  ERROR_CODES,
  type ErrorCode,
  encodeError,
  encodePeer,
  encodePong,
  encodeSessionFrame,
  encodeUnsupportedVersion,
  peerJoinedBody,
  peerLeftBody,
  relayedBody,
  SERVER_FRAMES,
  sequenced,
} from './index.js';

const SEED = 20261207;

/** Every kind of frame the server sends, built by its encoders, with varied contents. */
function encodedFrames(rnd: SeededRandom): string[] {
  const pick = <T>(items: readonly T[]): T => items[rnd.int(items.length)]!;
  const ids = ['a', 'p1', 'A-b_9', 'x'.repeat(64)];
  const metadatas = [{}, { name: 'Ann' }, { name: 'Bob', avatar: { hue: 3 }, tags: ['x'] }, { '': null }];
  const peers = () =>
    Array.from({ length: rnd.int(4) }, () => ({ id: pick(ids), metadata: pick(metadatas) }));
  const iceServers = [
    [],
    [{ urls: 'stun:127.0.0.1:3478' }],
    [
      { urls: 'stun:h:3478' },
      { urls: ['turn:h:3478?transport=udp', 'turns:h:5349'], username: '1700:u', credential: 'c2Vj' },
    ],
  ];
  const signals = [
    { description: { type: 'offer', sdp: 'v=0\r\n' } },
    { description: { type: 'answer', sdp: '' } },
    { description: { type: 'rollback', sdp: 'x'.repeat(60_000) } },
    { candidate: null },
    { candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.2 54321 typ host' } },
    { candidate: { candidate: '', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' } },
    {
      candidate: { candidate: 'c'.repeat(2048), sdpMid: null, sdpMLineIndex: 65535, usernameFragment: null },
    },
  ];
  const messages = [null, 1, 'hi', [1, { a: 2 }], { deep: { er: [true] } }];
  const frames: string[] = [];
  for (const type of ['joined', 'resumed'] as const) {
    for (const servers of iceServers) {
      frames.push(
        encodeSessionFrame(type, {
          room: pick(['demo', 'a', 'Room_1.x~y-z', `r${'o'.repeat(63)}`]),
          selfId: pick(ids),
          peers: peers(),
          iceServers: servers,
          resumeToken: pick(['', 'tok.abc']),
          resumeWindowMs: pick([0, 30_000]),
          seq: pick([0, 1, 12345]),
        }),
      );
    }
  }
  const seq = () => pick([1, 2, 99, 2 ** 40]);
  for (const id of ids) {
    frames.push(sequenced(seq(), peerJoinedBody(encodePeer(id, pick(metadatas)))));
    for (const reason of ['left', 'timeout', 'kicked'] as const) {
      frames.push(sequenced(seq(), peerLeftBody(id, reason)));
    }
  }
  for (const data of signals) {
    frames.push(
      sequenced(seq(), relayedBody(pick(ids), JSON.stringify({ type: 'signal', to: pick(ids), data }))),
    );
  }
  for (const data of messages) {
    frames.push(sequenced(seq(), relayedBody(pick(ids), JSON.stringify({ type: 'message', data }))));
    frames.push(
      sequenced(seq(), relayedBody(pick(ids), JSON.stringify({ type: 'message', to: pick(ids), data }))),
    );
  }
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    frames.push(encodeError(code, ERROR_CODES[code]), encodeError(code, 'why', 'join'));
  }
  frames.push(encodeUnsupportedVersion(), encodePong(undefined), encodePong(7), encodePong(-3));
  return frames;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Lengths and numbers on both sides of every bound in the schemas. */
const LENGTHS = [0, 1, 63, 64, 65, 255, 256, 257, 2047, 2048, 2049, 59_999, 60_000, 60_001];
const NUMBERS = [-1, -0, 0, 1, 1.5, 65_535, 65_536, 2 ** 53, 1e300];
/** Strings the schemas spell (literals, frame types) and ones on the edges of their patterns. */
const WORDS = [
  ...['offer', 'answer', 'pranswer', 'rollback', 'left', 'timeout', 'kicked', 'Offer', 'leave'],
  ...Object.keys(SERVER_FRAMES),
  ...['', 'a', 'a\n', '\na', '.a', '-a', 'a b', 'a.b~c', 'a/b', 'é', 'A-b_9'],
];
const VALUES: Json[] = [
  null,
  true,
  [],
  [1],
  ['stun:h'],
  [{ id: 'a', metadata: {} }],
  {},
  { id: 'a', metadata: {} },
  { candidate: 'c' },
  { type: 'offer', sdp: '' },
  { urls: 'stun:h' },
];
const KEYS = [
  'type',
  'seq',
  'id',
  'to',
  'from',
  'data',
  'extra',
  'candidate',
  'sdpMid',
  'metadata',
  '__proto__',
];

/** Every object and array inside `value` (itself included). */
function containers(value: Json, out: (Json[] | { [key: string]: Json })[] = []) {
  if (typeof value === 'object' && value !== null) {
    out.push(value);
    for (const child of Object.values(value)) containers(child, out);
  }
  return out;
}

/**
 * `frame` with one to three random changes, each in a random object or array of it: a key dropped or
 * added, or a value replaced by one of another kind or by one of the same kind on an edge (a string of a
 * bounding length or a spelled word, a number on a bound).
 */
function mutate(frame: string, rnd: SeededRandom): string {
  const value = JSON.parse(frame) as Json;
  const pick = <T>(items: readonly T[]): T => items[rnd.int(items.length)]!;
  const edge = (old: Json | undefined): Json =>
    typeof old === 'string' && rnd.int(3) > 0
      ? rnd.int(2) === 0
        ? 'x'.repeat(pick(LENGTHS))
        : pick(WORDS)
      : typeof old === 'number' && rnd.int(3) > 0
        ? pick(NUMBERS)
        : pick<Json>([...NUMBERS, ...WORDS, ...VALUES]);
  for (let n = rnd.int(2) === 0 ? 1 : rnd.range(2, 3); n > 0; n--) {
    const target = pick(containers(value));
    const keys = Object.keys(target);
    const key = keys.length > 0 && rnd.int(5) > 0 ? pick(keys) : Array.isArray(target) ? '0' : pick(KEYS);
    if (Array.isArray(target)) target[Number(key)] = structuredClone(edge(target[Number(key)]));
    else if (rnd.int(4) === 0) delete target[key];
    else {
      // An own property, so `__proto__` becomes a key as JSON.parse would make it.
      Object.defineProperty(target, key, {
        value: structuredClone(edge(target[key])),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return JSON.stringify(value);
}

/** Every frame one change away from `frame`: each key dropped, and each key (or a new one) set to each edge value. */
function* singleChanges(frame: string): Generator<string> {
  const edges: Json[] = [...LENGTHS.map((n) => 'x'.repeat(n)), ...WORDS, ...NUMBERS, ...VALUES];
  const count = containers(JSON.parse(frame) as Json).length;
  for (let c = 0; c < count; c++) {
    const keysOf = (value: Json) => {
      const target = containers(value)[c]!;
      return { target, keys: Object.keys(target) };
    };
    const { target: original, keys } = keysOf(JSON.parse(frame) as Json);
    const candidates = Array.isArray(original) ? keys : [...keys, 'extra', '__proto__'];
    for (const key of candidates) {
      for (const replacement of [undefined, ...edges]) {
        const value = JSON.parse(frame) as Json;
        const { target } = keysOf(value);
        if (replacement === undefined) {
          if (Array.isArray(target) || !Object.hasOwn(target, key)) continue;
          delete target[key];
        } else if (Array.isArray(target)) target[Number(key)] = structuredClone(replacement);
        else {
          Object.defineProperty(target, key, {
            value: structuredClone(replacement),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        yield JSON.stringify(value);
      }
    }
  }
}

const verdict = (r: DecodeResult<unknown>) => (r.ok ? 'ok' : `${r.code} ${r.ref ?? ''}`);

test('the light decoder accepts every frame the server encoders produce, as the schemas do', () => {
  const frames = encodedFrames(new SeededRandom(SEED));
  assert.ok(frames.length > 60);
  for (const text of frames) {
    const full = decodeServerFrame(text);
    assert.ok(full.ok, `schemas refuse an encoded frame: ${text.slice(0, 200)}`);
    const light = decodeServerFrameLight(text);
    assert.ok(light.ok, `light decoder refuses ${text.slice(0, 200)}: ${light.ok ? '' : light.message}`);
    assert.deepEqual(light.frame, full.frame);
  }
});

test('the light decoder and the schemas agree on every frame one change away from an encoded one', () => {
  let compared = 0;
  for (const frame of encodedFrames(new SeededRandom(SEED))) {
    for (const text of singleChanges(frame)) {
      const full = decodeServerFrame(text);
      const light = decodeServerFrameLight(text);
      assert.equal(
        verdict(light),
        verdict(full),
        `${text.slice(0, 300)}\nlight: ${JSON.stringify(light).slice(0, 300)}`,
      );
      compared++;
    }
  }
  assert.ok(compared > 20_000, `${compared} frames compared`);
});

test('the light decoder and the schemas agree on mutated frames (accept, or refuse with the same code)', () => {
  const rnd = new SeededRandom(SEED);
  const frames = encodedFrames(rnd);
  const tally = new Map<string, number>();
  for (let i = 0; i < 30_000; i++) {
    const text = mutate(frames[rnd.int(frames.length)]!, rnd);
    const full = decodeServerFrame(text);
    const light = decodeServerFrameLight(text);
    const context = `case ${i} (seed ${SEED}): ${text.slice(0, 300)}`;
    assert.equal(verdict(light), verdict(full), `${context}\nlight: ${JSON.stringify(light).slice(0, 300)}`);
    // The interpreted schemas (what a page without 'unsafe-eval' used to run) say the same.
    const parsed = JSON.parse(text) as { type?: unknown };
    if (typeof parsed.type === 'string' && Object.hasOwn(SERVER_FRAMES, parsed.type)) {
      const schema = SERVER_FRAMES[parsed.type as keyof typeof SERVER_FRAMES];
      assert.equal(Value.Check(schema, parsed), full.ok, context);
    }
    // A refused frame of a known type says where: `peer-left: /seq is below 1`.
    if (!light.ok && light.code === 'BAD_FRAME' && light.ref) {
      assert.ok(light.message.startsWith(`${light.ref}: /`), light.message);
    }
    const key = verdict(full).split(' ')[0]!;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  // Both outcomes are common, so the loop compared real accepts and real refusals.
  assert.ok((tally.get('ok') ?? 0) > 3000, JSON.stringify([...tally]));
  assert.ok((tally.get('BAD_FRAME') ?? 0) > 3000, JSON.stringify([...tally]));
  assert.ok((tally.get('UNKNOWN_TYPE') ?? 0) > 100, JSON.stringify([...tally]));
});

test('the light decoder refuses what the schemas refuse, and says where', () => {
  const cases: [string, string, RegExp?][] = [
    ['', 'BAD_JSON'],
    ['[]', 'BAD_JSON'],
    ['{"type":1}', 'BAD_FRAME'],
    ['{"type":"toString"}', 'UNKNOWN_TYPE'],
    ['{"seq":0,"type":"peer-left","peerId":"abc","reason":"left"}', 'BAD_FRAME', /^peer-left: \/seq /],
    ['{"seq":1,"type":"peer-left","peerId":"a b","reason":"left"}', 'BAD_FRAME', /\/peerId/],
    ['{"seq":1,"type":"peer-joined","peer":{"id":"a","metadata":{},"x":1}}', 'BAD_FRAME', /\/peer\/x/],
    [
      '{"seq":1,"type":"signal","from":"a","to":"b","data":{"candidate":{"candidate":"c","sdpMLineIndex":-1}}}',
      'BAD_FRAME',
      /\/data/,
    ],
    ['{"seq":1,"type":"message","from":"a"}', 'BAD_FRAME', /\/data is missing/],
    ['{"type":"error","code":"X","message":"m","supported":[1.5]}', 'BAD_FRAME', /\/supported\/0/],
  ];
  for (const [text, code, where] of cases) {
    const full = decodeServerFrame(text);
    const light = decodeServerFrameLight(text);
    assert.equal(full.ok, false, text);
    assert.equal(light.ok, false, text);
    if (light.ok || full.ok) continue;
    assert.equal(light.code, code, text);
    assert.equal(full.code, code, text);
    if (where) assert.match(light.message, where);
  }
});

test('@parley/protocol/client carries no TypeBox and weighs a few kilobytes', async () => {
  const result = await build({
    entryPoints: [new URL('./client.ts', import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.deepEqual(
    inputs.filter((f) => f.includes('typebox') || f.endsWith('frames.ts') || f.endsWith('/decode.ts')),
    [],
  );
  const bytes = result.outputFiles[0]!.contents.length;
  assert.ok(bytes < 8 * 1024, `the client entry is ${bytes} bytes minified`);
});
