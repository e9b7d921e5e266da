/** Frame decoding: JSON → object → known type → schema. Bad input yields a typed result, never a throw. */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { ErrorCode } from './errors.js';
import { CLIENT_FRAMES, type ClientFrameMap, SERVER_FRAMES, type ServerFrameMap } from './frames.js';
import { jsonShapeProblem } from './json-shape.js';

export type DecodeResult<F> =
  | { ok: true; frame: F }
  | {
      ok: false;
      code: Extract<ErrorCode, 'BAD_JSON' | 'UNKNOWN_TYPE' | 'BAD_FRAME'>;
      message: string;
      ref?: string;
    };

/** The two things decoding asks of a schema checker. */
interface Checker {
  Check(value: unknown): boolean;
  Errors(value: unknown): { First(): { path: string; message: string } | undefined };
}
type Checkers<M> = { [K in keyof M]: Checker };

/**
 * Compiled checkers where the platform allows code generation; where it does not (a page whose
 * Content-Security-Policy has no 'unsafe-eval', as Parley's own web app), the same schemas checked by
 * TypeBox's interpreter.
 */
function compileAll<M extends Record<string, TSchema>>(frames: M): Checkers<M> {
  const out = {} as Checkers<M>;
  for (const key of Object.keys(frames) as (keyof M)[]) {
    const schema = frames[key] as TSchema;
    try {
      out[key] = TypeCompiler.Compile(schema);
    } catch {
      out[key] = {
        Check: (v: unknown) => Value.Check(schema, v),
        Errors: (v: unknown) => Value.Errors(schema, v),
      };
    }
  }
  return out;
}

const clientCheckers = compileAll(CLIENT_FRAMES);
const serverCheckers = compileAll(SERVER_FRAMES);

function decodeWith<M>(checkers: Record<string, Checker>, value: unknown): DecodeResult<M[keyof M]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'BAD_JSON', message: 'a frame must be a JSON object' };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string')
    return { ok: false, code: 'BAD_FRAME', message: 'missing string field "type"' };
  const check = Object.hasOwn(checkers, type) ? checkers[type] : undefined;
  if (!check)
    return {
      ok: false,
      code: 'UNKNOWN_TYPE',
      message: `unknown frame type "${type.slice(0, 32)}"`,
      ref: type.slice(0, 32),
    };
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    const where = first?.path || '/';
    return {
      ok: false,
      code: 'BAD_FRAME',
      message: `${type}: ${where} ${first?.message ?? 'is invalid'}`,
      ref: type,
    };
  }
  return { ok: true, frame: value as M[keyof M] };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: `malformed JSON: ${(err as Error).message.slice(0, 120)}` };
  }
}

/**
 * Decodes a frame a client sent (used by the server). Beyond the schema, a frame may not repeat a key in
 * one object nor nest deeper than MAX_JSON_DEPTH: the server relays a client's own bytes, and every
 * receiver must read them the same way.
 */
export function decodeClientFrame(text: string): DecodeResult<ClientFrameMap[keyof ClientFrameMap]> {
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, code: 'BAD_JSON', message: parsed.message };
  const decoded = decodeWith<ClientFrameMap>(clientCheckers, parsed.value);
  if (!decoded.ok) return decoded;
  const problem = jsonShapeProblem(text);
  if (problem === undefined) return decoded;
  const message =
    problem.kind === 'duplicate-key'
      ? `${decoded.frame.type}: key "${problem.key.slice(0, 32)}" appears twice in one object`
      : `${decoded.frame.type}: nested deeper than ${problem.depth - 1} levels`;
  return { ok: false, code: 'BAD_FRAME', message, ref: decoded.frame.type };
}

/** Decodes a frame the server sent (used by the client). */
export function decodeServerFrame(text: string): DecodeResult<ServerFrameMap[keyof ServerFrameMap]> {
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, code: 'BAD_JSON', message: parsed.message };
  return decodeWith<ServerFrameMap>(serverCheckers, parsed.value);
}
