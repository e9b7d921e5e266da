/** Frame decoding: JSON → object → known type → schema. Bad input yields a typed result, never a throw. */
import type { TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import type { ErrorCode } from './errors.js';
import { CLIENT_FRAMES, type ClientFrameMap, SERVER_FRAMES, type ServerFrameMap } from './frames.js';

export type DecodeResult<F> =
  | { ok: true; frame: F }
  | {
      ok: false;
      code: Extract<ErrorCode, 'BAD_JSON' | 'UNKNOWN_TYPE' | 'BAD_FRAME'>;
      message: string;
      ref?: string;
    };

type Checkers<M> = { [K in keyof M]: TypeCheck<TSchema> };

function compileAll<M extends Record<string, TSchema>>(frames: M): Checkers<M> {
  const out = {} as Checkers<M>;
  for (const key of Object.keys(frames) as (keyof M)[])
    out[key] = TypeCompiler.Compile(frames[key] as TSchema);
  return out;
}

const clientCheckers = compileAll(CLIENT_FRAMES);
const serverCheckers = compileAll(SERVER_FRAMES);

function decodeWith<M>(
  checkers: Record<string, TypeCheck<TSchema>>,
  value: unknown,
): DecodeResult<M[keyof M]> {
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

/** Decodes a frame a client sent (used by the server). */
export function decodeClientFrame(text: string): DecodeResult<ClientFrameMap[keyof ClientFrameMap]> {
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, code: 'BAD_JSON', message: parsed.message };
  return decodeWith<ClientFrameMap>(clientCheckers, parsed.value);
}

/** Decodes a frame the server sent (used by the client). */
export function decodeServerFrame(text: string): DecodeResult<ServerFrameMap[keyof ServerFrameMap]> {
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, code: 'BAD_JSON', message: parsed.message };
  return decodeWith<ServerFrameMap>(serverCheckers, parsed.value);
}
