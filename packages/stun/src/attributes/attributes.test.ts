import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AddressErrorCode,
  bytesToHex,
  ChangeRequest,
  ChannelNumber,
  DontFragment,
  ErrorCodeAttribute,
  EvenPort,
  hexToBytes,
  IceControlling,
  Icmp,
  Lifetime,
  MappedAddress,
  PasswordAlgorithmAttribute,
  PasswordAlgorithms,
  Realm,
  RequestedTransport,
  ResponsePort,
  reasonPhrase,
  StunDecodeError,
  StunEncodeError,
  UnknownAttributes,
  Userhash,
  Username,
  XorPeerAddress,
  XorRelayedAddress,
} from '../index.js';

const TID = hexToBytes('b7e7a701bc34d686fa87dfae');
const hex = (b: Uint8Array) => bytesToHex(b);

describe('address attributes', () => {
  test('MAPPED-ADDRESS carries the address in the clear', () => {
    const value = MappedAddress.encode({ family: 'IPv4', address: '192.0.2.1', port: 32853 }, TID);
    assert.equal(hex(value), '00018055c0000201');
    assert.deepEqual(MappedAddress.decode(value, TID), { family: 'IPv4', address: '192.0.2.1', port: 32853 });
  });

  test('XOR-RELAYED-ADDRESS for IPv6 XORs with cookie and transaction id, and the transaction id matters', () => {
    const addr = { family: 'IPv6' as const, address: '2001:db8::1', port: 3478 };
    const value = XorRelayedAddress.encode(addr, TID);
    assert.deepEqual(XorRelayedAddress.decode(value, TID), addr);
    assert.notDeepEqual(XorRelayedAddress.decode(value, new Uint8Array(12)), addr);
  });

  test('an unknown family, or a length that does not fit the family, is a decode error naming the attribute', () => {
    assert.throws(() => XorPeerAddress.decode(hexToBytes('00030000c0000201'), TID), {
      message: 'attribute XOR-PEER-ADDRESS: unknown address family 0x03',
    });
    assert.throws(() => XorPeerAddress.decode(hexToBytes('00020000c0000201'), TID), {
      message: 'attribute XOR-PEER-ADDRESS: length 8, need 20 for IPv6',
    });
    assert.throws(() => MappedAddress.decode(hexToBytes('0001'), TID), StunDecodeError);
  });

  test('encoding refuses a family that does not match the address, and ports outside 0–65535', () => {
    assert.throws(
      () => MappedAddress.encode({ family: 'IPv6', address: '192.0.2.1', port: 1 }, TID),
      StunEncodeError,
    );
    assert.throws(
      () => MappedAddress.encode({ family: 'IPv4', address: '192.0.2.1', port: 70000 }, TID),
      StunEncodeError,
    );
    assert.throws(
      () => MappedAddress.encode({ family: 'IPv4', address: 'localhost', port: 1 }, TID),
      StunEncodeError,
    );
  });
});

describe('ERROR-CODE and ADDRESS-ERROR-CODE', () => {
  test('438 Stale Nonce is class 4, number 38', () => {
    const value = ErrorCodeAttribute.encode({ code: 438, reason: reasonPhrase(438) }, TID);
    assert.equal(hex(value.subarray(0, 4)), '00000426');
    assert.deepEqual(ErrorCodeAttribute.decode(value, TID), { code: 438, reason: 'Stale Nonce' });
  });

  test('every TURN error code has its reason phrase', () => {
    const codes = [400, 401, 403, 420, 437, 438, 440, 441, 442, 443, 446, 447, 486, 500, 508];
    for (const code of codes) assert.notEqual(reasonPhrase(code), 'Error', `${code}`);
    assert.equal(reasonPhrase(599), 'Error');
  });

  test('a class outside 3–6 or a number over 99 is a decode error', () => {
    assert.throws(() => ErrorCodeAttribute.decode(hexToBytes('00000701'), TID), {
      message: 'attribute ERROR-CODE: class 7, need 3–6',
    });
    assert.throws(() => ErrorCodeAttribute.decode(hexToBytes('00000464'), TID), { message: /number 100/ });
    assert.throws(() => ErrorCodeAttribute.decode(hexToBytes('0000'), TID), {
      message: /length 2, need at least 4/,
    });
  });

  test('ADDRESS-ERROR-CODE keeps the address family in its first byte', () => {
    const value = AddressErrorCode.encode(
      { family: 2, code: 440, reason: 'Address Family not Supported' },
      TID,
    );
    assert.equal(hex(value.subarray(0, 4)), '02000428');
    assert.deepEqual(AddressErrorCode.decode(value, TID), {
      family: 2,
      code: 440,
      reason: 'Address Family not Supported',
    });
  });
});

describe('text attributes', () => {
  test('invalid UTF-8 is a decode error, not a replacement character', () => {
    assert.throws(() => Realm.decode(Uint8Array.of(0x61, 0xff), TID), {
      message: 'attribute REALM: invalid UTF-8',
    });
  });

  test('limits: REALM under 128 characters, USERNAME at most 512 bytes', () => {
    assert.equal(Realm.decode(Realm.encode('é'.repeat(127), TID), TID), 'é'.repeat(127));
    assert.throws(() => Realm.encode('a'.repeat(128), TID), { message: /128 characters, at most 127/ });
    assert.throws(() => Realm.decode(new Uint8Array(128).fill(0x61), TID), StunDecodeError);
    assert.throws(() => Username.encode('a'.repeat(513), TID), StunEncodeError);
  });

  test('a leading byte-order mark survives the round trip', () => {
    assert.equal(Username.decode(Username.encode('\uFEFFuser', TID), TID), '\uFEFFuser');
  });
});

describe('TURN attributes', () => {
  test('CHANNEL-NUMBER, LIFETIME, REQUESTED-TRANSPORT have their RFC 8656 layouts', () => {
    assert.equal(hex(ChannelNumber.encode(0x4001, TID)), '40010000');
    assert.equal(hex(Lifetime.encode(600, TID)), '00000258');
    assert.equal(hex(RequestedTransport.encode(17, TID)), '11000000');
    assert.equal(RequestedTransport.decode(hexToBytes('06000000'), TID), 6);
    assert.throws(() => Lifetime.decode(hexToBytes('0258'), TID), {
      message: 'attribute LIFETIME: length 2, need 4',
    });
    assert.throws(() => Lifetime.encode(-1, TID), StunEncodeError);
  });

  test('EVEN-PORT is one byte with the R bit on top', () => {
    assert.equal(hex(EvenPort.encode({ reserve: true }, TID)), '80');
    assert.deepEqual(EvenPort.decode(Uint8Array.of(0x7f), TID), { reserve: false });
    assert.throws(() => EvenPort.decode(new Uint8Array(4), TID), StunDecodeError);
  });

  test('DONT-FRAGMENT has no value; a value is a decode error', () => {
    assert.equal(DontFragment.encode(true, TID).length, 0);
    assert.throws(() => DontFragment.decode(new Uint8Array(1), TID), {
      message: 'attribute DONT-FRAGMENT: length 1, need 0',
    });
  });

  test('ICMP packs a 7-bit type and 9-bit code after 16 reserved bits', () => {
    const value = Icmp.encode({ type: 3, code: 4, errorData: 1400 }, TID);
    assert.equal(hex(value), '0000060400000578');
    assert.deepEqual(Icmp.decode(value, TID), { type: 3, code: 4, errorData: 1400 });
    assert.throws(() => Icmp.encode({ type: 128, code: 0, errorData: 0 }, TID), StunEncodeError);
  });
});

describe('STUN auth and misc attributes', () => {
  test('PASSWORD-ALGORITHMS lists entries, parameters padded to 4', () => {
    const value = PasswordAlgorithms.encode(
      [
        { algorithm: 2, parameters: new Uint8Array(0) },
        { algorithm: 1, parameters: Uint8Array.of(9, 9, 9) },
      ],
      TID,
    );
    assert.equal(hex(value), '00020000' + '0001000309090900');
    assert.deepEqual(PasswordAlgorithms.decode(value, TID), [
      { algorithm: 2, parameters: new Uint8Array(0) },
      { algorithm: 1, parameters: Uint8Array.of(9, 9, 9) },
    ]);
    assert.throws(() => PasswordAlgorithms.decode(hexToBytes('00010008aabb'), TID), {
      message: /run past the end/,
    });
  });

  test('PASSWORD-ALGORITHM holds exactly one entry', () => {
    assert.deepEqual(PasswordAlgorithmAttribute.decode(hexToBytes('00020000'), TID), {
      algorithm: 2,
      parameters: new Uint8Array(0),
    });
    assert.throws(
      () => PasswordAlgorithmAttribute.decode(hexToBytes('0002000000010000'), TID),
      StunDecodeError,
    );
  });

  test('UNKNOWN-ATTRIBUTES is a list of 16-bit types; an odd length is a decode error', () => {
    assert.equal(hex(UnknownAttributes.encode([0x0018, 0x7777], TID)), '00187777');
    assert.deepEqual(UnknownAttributes.decode(hexToBytes('00187777'), TID), [0x0018, 0x7777]);
    assert.throws(() => UnknownAttributes.decode(hexToBytes('001877'), TID), { message: /length 3 is odd/ });
  });

  test('USERHASH must be 32 bytes', () => {
    assert.throws(() => Userhash.decode(new Uint8Array(31), TID), {
      message: 'attribute USERHASH: length 31, need 32',
    });
  });

  test('CHANGE-REQUEST flags and RESPONSE-PORT (RFC 5780)', () => {
    assert.equal(hex(ChangeRequest.encode({ changeIp: true, changePort: true }, TID)), '00000006');
    assert.deepEqual(ChangeRequest.decode(hexToBytes('00000002'), TID), {
      changeIp: false,
      changePort: true,
    });
    assert.equal(hex(ResponsePort.encode(3479, TID)), '0d970000');
  });

  test('ICE-CONTROLLING carries a 64-bit tie-breaker as a bigint', () => {
    const value = IceControlling.encode(0xfedcba9876543210n, TID);
    assert.equal(hex(value), 'fedcba9876543210');
    assert.equal(IceControlling.decode(value, TID), 0xfedcba9876543210n);
  });
});
