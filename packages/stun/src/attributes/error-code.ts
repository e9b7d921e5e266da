import { utf8Decode, utf8Encode, view } from '../bytes.js';
import { AttributeType, errorReasons } from '../constants.js';
import { type AttributeCodec, checkUint, decodeError, encodeError, textProblem } from './codec.js';

/** An error code and its reason phrase (ERROR-CODE); ADDRESS-ERROR-CODE adds the address family. */
export interface ErrorCodeValue {
  code: number;
  reason: string;
}

export interface AddressErrorCodeValue extends ErrorCodeValue {
  /** Address family byte the error is about: 0x01 IPv4, 0x02 IPv6. */
  family: number;
}

const REASON_LIMITS = { maxBytes: 763, maxChars: 127 };

/** The registered reason phrase for a code, or a generic one: responses should always carry a reason. */
export function reasonPhrase(code: number): string {
  return errorReasons.get(code) ?? 'Error';
}

/*
 * RFC 8489 §14.8 ERROR-CODE:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Reserved, should be 0         |Class|     Number    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      Reason Phrase (variable)                                ..
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * code = Class * 100 + Number, Class 3–6, Number 0–99. RFC 8656 §18.12 ADDRESS-ERROR-CODE is the same with
 * the address family in the first byte.
 */
function decodeCode(name: string, value: Uint8Array): { first: number; code: number; reason: string } {
  if (value.length < 4) throw decodeError(name, `length ${value.length}, need at least 4`);
  const v = view(value);
  const cls = v.getUint8(2) & 0x07;
  const number = v.getUint8(3);
  if (cls < 3 || cls > 6) throw decodeError(name, `class ${cls}, need 3–6`);
  if (number > 99) throw decodeError(name, `number ${number}, need 0–99`);
  const reason = utf8Decode(value.subarray(4), `attribute ${name}`);
  const problem = textProblem(reason, value.length - 4, REASON_LIMITS);
  if (problem) throw decodeError(name, `reason phrase has ${problem}`);
  return { first: v.getUint8(0), code: cls * 100 + number, reason };
}

function encodeCode(name: string, first: number, { code, reason }: ErrorCodeValue): Uint8Array {
  if (!Number.isInteger(code) || code < 300 || code > 699)
    throw encodeError(name, `code ${code}, need 300–699`);
  const text = utf8Encode(reason);
  const problem = textProblem(reason, text.length, REASON_LIMITS);
  if (problem) throw encodeError(name, `reason phrase has ${problem}`);
  const out = new Uint8Array(4 + text.length);
  out[0] = first;
  out[2] = Math.floor(code / 100);
  out[3] = code % 100;
  out.set(text, 4);
  return out;
}

/** RFC 8489 §14.8 ERROR-CODE. */
export const ErrorCodeAttribute: AttributeCodec<ErrorCodeValue> = {
  type: AttributeType.ErrorCode,
  name: 'ERROR-CODE',
  decode(value) {
    const { code, reason } = decodeCode('ERROR-CODE', value);
    return { code, reason };
  },
  encode: (value) => encodeCode('ERROR-CODE', 0, value),
};

/** RFC 8656 §18.12 ADDRESS-ERROR-CODE: why an allocation of one address family failed (RFC 8656 §7.2). */
export const AddressErrorCode: AttributeCodec<AddressErrorCodeValue> = {
  type: AttributeType.AddressErrorCode,
  name: 'ADDRESS-ERROR-CODE',
  decode(value) {
    const { first, code, reason } = decodeCode('ADDRESS-ERROR-CODE', value);
    return { family: first, code, reason };
  },
  encode(value) {
    checkUint('ADDRESS-ERROR-CODE', value.family, 8);
    return encodeCode('ADDRESS-ERROR-CODE', value.family, value);
  },
};
