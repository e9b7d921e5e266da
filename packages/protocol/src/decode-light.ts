/**
 * The light decoder of server frames, for the SDK: the same checks as the server → client schemas in
 * frames.ts (types, required fields, closed objects, lengths, patterns, integer bounds), written by hand
 * in about 1.3 KB gzipped instead of TypeBox's tens of kilobytes, and with no code generation (pages whose
 * Content-Security-Policy has no 'unsafe-eval' need nothing else). decode-light.test.ts checks that it
 * accepts and refuses exactly what `decodeServerFrame` (the schemas) does.
 *
 * Imports nothing at run time, so `@parley/protocol/client` stays free of TypeBox.
 */
import type { ErrorCode } from './errors.js';
import type { ServerFrameMap } from './frames.js';
import { PEER_ID_PATTERN, ROOM_NAME_PATTERN } from './room-name.js';

export type DecodeResult<F> =
  | { ok: true; frame: F }
  | {
      ok: false;
      code: Extract<ErrorCode, 'BAD_JSON' | 'UNKNOWN_TYPE' | 'BAD_FRAME'>;
      message: string;
      ref?: string;
    };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The steps both decoders share: JSON text → object → a string `type` that `frames` has → no `problem`
 * with its shape (`problem` says where and what, e.g. `/seq is not an integer`). Never throws.
 */
export function decodeFrame<M>(
  text: string,
  frames: object,
  problem: (type: string, value: Record<string, unknown>) => string | undefined,
): DecodeResult<M[keyof M]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      code: 'BAD_JSON',
      message: `malformed JSON: ${(err as Error).message.slice(0, 120)}`,
    };
  }
  if (!isObject(value)) return { ok: false, code: 'BAD_JSON', message: 'a frame must be a JSON object' };
  const type = value.type;
  if (typeof type !== 'string')
    return { ok: false, code: 'BAD_FRAME', message: 'missing string field "type"' };
  if (!Object.hasOwn(frames, type)) {
    const ref = type.slice(0, 32);
    return { ok: false, code: 'UNKNOWN_TYPE', message: `unknown frame type "${ref}"`, ref };
  }
  const wrong = problem(type, value);
  if (wrong) return { ok: false, code: 'BAD_FRAME', message: `${type}: ${wrong}`, ref: type };
  return { ok: true, frame: value as M[keyof M] };
}

/** Undefined when `value` passes, else where and why it does not (`/peers/0/id is not a peer id`). */
type Check = (value: unknown) => string | undefined;
type Shape = Record<string, Check>;

const str =
  (max = Number.POSITIVE_INFINITY, min = 0): Check =>
  (v) =>
    typeof v !== 'string'
      ? ' is not a string'
      : v.length < min || v.length > max
        ? ` is not ${min} to ${max} characters long`
        : undefined;
const matching = (pattern: string, what: string): Check => {
  const re = new RegExp(pattern);
  return (v) => (typeof v === 'string' && re.test(v) ? undefined : ` is not ${what}`);
};
const int =
  (min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY): Check =>
  (v) =>
    !Number.isInteger(v)
      ? ' is not an integer'
      : (v as number) < min
        ? ` is below ${min}`
        : (v as number) > max
          ? ` is above ${max}`
          : undefined;
const oneOf =
  (...values: unknown[]): Check =>
  (v) =>
    values.includes(v) ? undefined : ` is not one of ${values.join(', ')}`;
const either =
  (...checks: Check[]): Check =>
  (v) =>
    checks.some((c) => c(v) === undefined) ? undefined : ' matches none of its forms';
const array =
  (item: Check): Check =>
  (v) => {
    if (!Array.isArray(v)) return ' is not an array';
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i]);
      if (problem) return `/${i}${problem}`;
    }
    return undefined;
  };
/** Any JSON object (Metadata: a record of unknown values). */
const anyObject: Check = (v) => (isObject(v) ? undefined : ' is not an object');
const anything: Check = () => undefined;

/**
 * An object with `required` and `optional` fields (an optional one may be absent, never mistyped);
 * `closed` refuses every other key, as the schemas' `additionalProperties: false`.
 */
const object =
  (required: Shape, optional: Shape = {}, closed = false): Check =>
  (v) => {
    if (!isObject(v)) return ' is not an object';
    for (const key in required) {
      const problem = key in v ? required[key]!(v[key]) : ' is missing';
      if (problem) return `/${key}${problem}`;
    }
    for (const key in optional) {
      const problem = v[key] === undefined ? undefined : optional[key]!(v[key]);
      if (problem) return `/${key}${problem}`;
    }
    if (closed) {
      for (const key of Object.keys(v)) {
        if (!Object.hasOwn(required, key) && !Object.hasOwn(optional, key)) return `/${key} is not allowed`;
      }
    }
    return undefined;
  };

const peerId = matching(PEER_ID_PATTERN, 'a peer id');
const seq = int(1);
const peerInfo = object({ id: peerId, metadata: anyObject }, {}, true);
const nullable = (check: Check) => either(check, oneOf(null));
const signalData = either(
  object(
    {
      description: object(
        { type: oneOf('offer', 'answer', 'pranswer', 'rollback'), sdp: str(60_000) },
        {},
        true,
      ),
    },
    {},
    true,
  ),
  object(
    {
      candidate: nullable(
        object(
          { candidate: str(2048) },
          {
            sdpMid: nullable(str(64)),
            sdpMLineIndex: nullable(int(0, 65535)),
            usernameFragment: nullable(str(256)),
          },
          true,
        ),
      ),
    },
    {},
    true,
  ),
);
const session = object({
  room: matching(ROOM_NAME_PATTERN, 'a room name'),
  selfId: peerId,
  peers: array(peerInfo),
  iceServers: array(object({ urls: either(str(), array(str())) }, { username: str(), credential: str() })),
  resumeToken: str(),
  resumeWindowMs: int(0),
  seq: int(0),
});

/** One check per server frame type; `type` itself is checked before. */
const SERVER_CHECKS: { [K in keyof ServerFrameMap]: Check } = {
  joined: session,
  resumed: session,
  'peer-joined': object({ seq, peer: peerInfo }),
  'peer-left': object({ seq, peerId, reason: oneOf('left', 'timeout', 'kicked') }),
  signal: object({ seq, from: peerId, to: peerId, data: signalData }),
  message: object({ seq, from: peerId, data: anything }, { to: peerId }),
  error: object({ code: str(), message: str() }, { ref: str(), supported: array(int()) }),
  pong: object({}, { id: int() }),
};

/**
 * Decodes a frame the server sent (used by the SDK), with the same results as the schemas: `BAD_JSON`,
 * `UNKNOWN_TYPE` with `ref`, or `BAD_FRAME` saying where.
 */
export function decodeServerFrameLight(text: string): DecodeResult<ServerFrameMap[keyof ServerFrameMap]> {
  return decodeFrame<ServerFrameMap>(text, SERVER_CHECKS, (type, value) =>
    SERVER_CHECKS[type as keyof ServerFrameMap](value),
  );
}
