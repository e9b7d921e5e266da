/** Frame decoding: JSON → object → known type → schema. Bad input yields a typed result, never a throw. */
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { type DecodeResult, decodeFrame } from './decode-light.js';
import { CLIENT_FRAMES, type ClientFrameMap, SERVER_FRAMES, type ServerFrameMap } from './frames.js';
import { jsonShapeProblem } from './json-shape.js';

/** The two things decoding asks of a schema checker. */
interface Checker {
  Check(value: unknown): boolean;
  Errors(value: unknown): { First(): { path: string; message: string } | undefined };
}
type Checkers<M> = { [K in keyof M]: Checker };

/**
 * Compiled checkers where the platform allows code generation; where it does not (a page whose
 * Content-Security-Policy has no 'unsafe-eval'), the same schemas checked by TypeBox's interpreter. (The
 * SDK does not come here: it reads server frames with decode-light.ts.)
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

/** What is wrong with `value`, a frame of a known `type`, by its schema; undefined when nothing. */
const schemaProblem =
  (checkers: Record<string, Checker>) =>
  (type: string, value: unknown): string | undefined => {
    const check = checkers[type]!;
    if (check.Check(value)) return undefined;
    const first = check.Errors(value).First();
    return `${first?.path || '/'} ${first?.message ?? 'is invalid'}`;
  };

/**
 * Decodes a frame a client sent (used by the server). Beyond the schema, a frame may not repeat a key in
 * one object nor nest deeper than MAX_JSON_DEPTH: the server relays a client's own bytes, and every
 * receiver must read them the same way.
 */
export function decodeClientFrame(text: string): DecodeResult<ClientFrameMap[keyof ClientFrameMap]> {
  const decoded = decodeFrame<ClientFrameMap>(text, CLIENT_FRAMES, schemaProblem(clientCheckers));
  if (!decoded.ok) return decoded;
  const problem = jsonShapeProblem(text);
  if (problem === undefined) return decoded;
  const message =
    problem.kind === 'duplicate-key'
      ? `${decoded.frame.type}: key "${problem.key.slice(0, 32)}" appears twice in one object`
      : `${decoded.frame.type}: nested deeper than ${problem.depth - 1} levels`;
  return { ok: false, code: 'BAD_FRAME', message, ref: decoded.frame.type };
}

/**
 * Decodes a frame the server sent against the schemas (the server's tests and tools). The SDK uses
 * `decodeServerFrameLight` (decode-light.ts), which gives the same results without TypeBox.
 */
export function decodeServerFrame(text: string): DecodeResult<ServerFrameMap[keyof ServerFrameMap]> {
  return decodeFrame<ServerFrameMap>(text, SERVER_FRAMES, schemaProblem(serverCheckers));
}
