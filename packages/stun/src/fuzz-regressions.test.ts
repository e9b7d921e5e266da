// Inputs kept from fuzzing. Rule: any input that ever makes a decoder throw something other than
// StunDecodeError (or accept garbage) goes here, with the error it must now produce.
//
// As of this writing the fuzzers in fuzz.test.ts (plus longer runs of the same generators over 40 seeds,
// ~400k mutated messages) have found no crash, so the cases below are hand-picked boundary inputs that break
// other STUN decoders (lengths that overrun, integrity attributes of the wrong size, truncated list entries),
// pinned so a regression shows up as a named failure instead of a seed number.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeChannelData, hexToBytes, StunDecodeError, StunStreamFramer } from './index.js';
import { exerciseDecoder } from './testing/exercise.js';

const HDR = (type: string, length: string) => `${type}${length}2112a442000102030405060708090a0b`;

const cases: Array<{
  name: string;
  hex: string;
  code: string;
  place: string;
  run?: (b: Uint8Array) => unknown;
}> = [
  { name: 'empty input', hex: '', code: 'TRUNCATED', place: 'header' },
  {
    name: 'header claims 65532 bytes of body, none follow',
    hex: HDR('0001', 'fffc'),
    code: 'BAD_LENGTH',
    place: 'header',
  },
  {
    name: 'twenty zero bytes (no magic cookie)',
    hex: '00'.repeat(20),
    code: 'BAD_MAGIC_COOKIE',
    place: 'header',
  },
  {
    name: 'attribute length 0xffff in a 4-byte body',
    hex: `${HDR('0001', '0004')}0006ffff`,
    code: 'BAD_ATTRIBUTE',
    place: 'attribute USERNAME',
  },
  {
    name: 'FINGERPRINT with an empty value',
    hex: `${HDR('0001', '0004')}80280000`,
    code: 'BAD_ATTRIBUTE',
    place: 'attribute FINGERPRINT',
  },
  {
    name: 'MESSAGE-INTEGRITY-SHA256 of 36 bytes',
    hex: `${HDR('0001', '0028')}001c0024${'00'.repeat(36)}`,
    code: 'BAD_ATTRIBUTE',
    place: 'attribute MESSAGE-INTEGRITY-SHA256',
  },
  {
    name: 'XOR-MAPPED-ADDRESS claiming IPv6 with 8 bytes',
    hex: `${HDR('0101', '000c')}002000080002a147e112a643`,
    code: 'BAD_ATTRIBUTE',
    place: 'attribute XOR-MAPPED-ADDRESS',
  },
  {
    name: 'ERROR-CODE reason with a lone continuation byte',
    hex: `${HDR('0111', '000c')}000900050000040180000000`,
    code: 'BAD_ATTRIBUTE',
    place: 'attribute ERROR-CODE',
  },
  {
    name: 'PASSWORD-ALGORITHMS with a truncated second entry',
    hex: `${HDR('0111', '000c')}800200060001000000020000`,
    code: 'BAD_ATTRIBUTE',
    place: 'attribute PASSWORD-ALGORITHMS',
  },
  {
    name: 'ChannelData whose length says 65535 with 4 bytes of data',
    hex: '4000ffff01020304',
    code: 'BAD_LENGTH',
    place: 'channel data',
    run: decodeChannelData,
  },
  {
    name: 'a TLS record on a TURN stream',
    hex: '160301002a',
    code: 'BAD_HEADER',
    place: 'stream',
    run: (b) => new StunStreamFramer().push(b),
  },
];

for (const c of cases) {
  test(`regression: ${c.name} fails with ${c.code} at ${c.place}`, () => {
    const bytes = hexToBytes(c.hex);
    assert.throws(
      () => (c.run ?? exerciseDecoder)(bytes),
      (err) => {
        assert.ok(err instanceof StunDecodeError, `threw ${String(err)}`);
        assert.equal(err.code, c.code);
        assert.equal(err.place, c.place);
        return true;
      },
    );
  });
}
