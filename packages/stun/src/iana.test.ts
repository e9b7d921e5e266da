// Constants checked against the IANA "Session Traversal Utilities for NAT (STUN) Parameters" registry,
// transcribed here from the registry's CSV exports (stun-parameters-2/-4/-6, and the password algorithms table).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AttributeType,
  allCodecs,
  attributeName,
  attributeNames,
  ErrorCode,
  errorReasons,
  isComprehensionRequired,
  Method,
  PasswordAlgorithm,
} from './index.js';

const IANA_METHODS: ReadonlyArray<[number, string]> = [
  [0x001, 'Binding'],
  [0x003, 'Allocate'],
  [0x004, 'Refresh'],
  [0x006, 'Send'],
  [0x007, 'Data'],
  [0x008, 'CreatePermission'],
  [0x009, 'ChannelBind'],
  [0x00a, 'Connect'],
  [0x00b, 'ConnectionBind'],
  [0x00c, 'ConnectionAttempt'],
];

// Every assigned attribute from RFC 8489, 8656, 6062, 5780 and 8445 (ICE). Omitted on purpose, as no RFC
// we implement defines them: ACCESS-TOKEN 0x001B, TRANSACTION_TRANSMIT_COUNTER 0x8025, ECN-CHECK 0x802D,
// THIRD-PARTY-AUTHORIZATION 0x802E, MOBILITY-TICKET 0x8030, and the 0xC000+ vendor range.
const IANA_ATTRIBUTES: ReadonlyArray<[number, string]> = [
  [0x0001, 'MAPPED-ADDRESS'],
  [0x0003, 'CHANGE-REQUEST'],
  [0x0006, 'USERNAME'],
  [0x0008, 'MESSAGE-INTEGRITY'],
  [0x0009, 'ERROR-CODE'],
  [0x000a, 'UNKNOWN-ATTRIBUTES'],
  [0x000c, 'CHANNEL-NUMBER'],
  [0x000d, 'LIFETIME'],
  [0x0012, 'XOR-PEER-ADDRESS'],
  [0x0013, 'DATA'],
  [0x0014, 'REALM'],
  [0x0015, 'NONCE'],
  [0x0016, 'XOR-RELAYED-ADDRESS'],
  [0x0017, 'REQUESTED-ADDRESS-FAMILY'],
  [0x0018, 'EVEN-PORT'],
  [0x0019, 'REQUESTED-TRANSPORT'],
  [0x001a, 'DONT-FRAGMENT'],
  [0x001c, 'MESSAGE-INTEGRITY-SHA256'],
  [0x001d, 'PASSWORD-ALGORITHM'],
  [0x001e, 'USERHASH'],
  [0x0020, 'XOR-MAPPED-ADDRESS'],
  [0x0022, 'RESERVATION-TOKEN'],
  [0x0024, 'PRIORITY'],
  [0x0025, 'USE-CANDIDATE'],
  [0x0026, 'PADDING'],
  [0x0027, 'RESPONSE-PORT'],
  [0x002a, 'CONNECTION-ID'],
  [0x8000, 'ADDITIONAL-ADDRESS-FAMILY'],
  [0x8001, 'ADDRESS-ERROR-CODE'],
  [0x8002, 'PASSWORD-ALGORITHMS'],
  [0x8003, 'ALTERNATE-DOMAIN'],
  [0x8004, 'ICMP'],
  [0x8022, 'SOFTWARE'],
  [0x8023, 'ALTERNATE-SERVER'],
  [0x8027, 'CACHE-TIMEOUT'],
  [0x8028, 'FINGERPRINT'],
  [0x8029, 'ICE-CONTROLLED'],
  [0x802a, 'ICE-CONTROLLING'],
  [0x802b, 'RESPONSE-ORIGIN'],
  [0x802c, 'OTHER-ADDRESS'],
];

const IANA_ERRORS: ReadonlyArray<[number, string]> = [
  [300, 'Try Alternate'],
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [403, 'Forbidden'],
  [405, 'Mobility Forbidden'],
  [420, 'Unknown Attribute'],
  [437, 'Allocation Mismatch'],
  [438, 'Stale Nonce'],
  [440, 'Address Family not Supported'],
  [441, 'Wrong Credentials'],
  [442, 'Unsupported Transport Protocol'],
  [443, 'Peer Address Family Mismatch'],
  [446, 'Connection Already Exists'],
  [447, 'Connection Timeout or Failure'],
  [486, 'Allocation Quota Reached'],
  [487, 'Role Conflict'],
  [500, 'Server Error'],
  [508, 'Insufficient Capacity'],
];

const pascal = (name: string) =>
  name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

test('every method constant has its IANA value, and every IANA method is defined', () => {
  assert.deepEqual(
    Object.entries(Method).sort(([, a], [, b]) => a - b),
    IANA_METHODS.map(([v, n]) => [n, v]),
  );
});

test('every attribute constant has its IANA value and registry name', () => {
  for (const [name, value] of Object.entries(AttributeType)) {
    const entry = IANA_ATTRIBUTES.find(([v]) => v === value);
    assert.ok(entry, `AttributeType.${name} = 0x${value.toString(16)} is not in the IANA table`);
    assert.equal(pascal(entry[1]), name, `AttributeType.${name}`);
    assert.equal(attributeName(value), entry[1]);
  }
});

test('every IANA attribute in scope has a constant, a name and a codec', () => {
  const codecTypes = new Set(allCodecs.map((c) => c.type));
  for (const [value, name] of IANA_ATTRIBUTES) {
    assert.equal(attributeNames.get(value), name);
    assert.ok(Object.values(AttributeType).includes(value as never), `${name} has no AttributeType constant`);
    assert.ok(codecTypes.has(value), `${name} has no codec`);
  }
  for (const codec of allCodecs) assert.equal(codec.name, attributeNames.get(codec.type));
  assert.equal(allCodecs.length, IANA_ATTRIBUTES.length);
});

test('comprehension-required attributes are exactly those below 0x8000', () => {
  assert.equal(isComprehensionRequired(AttributeType.XorMappedAddress), true);
  assert.equal(isComprehensionRequired(AttributeType.Software), false);
  assert.equal(isComprehensionRequired(0x7fff), true);
  assert.equal(isComprehensionRequired(0x8000), false);
});

test('every error code constant and reason phrase matches the IANA registry', () => {
  assert.deepEqual([...errorReasons.entries()], IANA_ERRORS);
  for (const [name, code] of Object.entries(ErrorCode)) {
    const entry = IANA_ERRORS.find(([c]) => c === code);
    assert.ok(entry, `ErrorCode.${name} = ${code} is not registered`);
    assert.equal(pascal(entry[1]), name, `ErrorCode.${name}`);
  }
  assert.equal(Object.keys(ErrorCode).length, IANA_ERRORS.length);
});

test('password algorithms match the IANA registry', () => {
  assert.deepEqual(PasswordAlgorithm, { MD5: 0x0001, SHA256: 0x0002 });
});
