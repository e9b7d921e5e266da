// Real Chromium packets (src/fixtures/chromium.ts) decode, verify and re-encode byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHROMIUM_ALLOCATE,
  CHROMIUM_ALLOCATE_AUTH,
  CHROMIUM_BINDING_REQUEST,
  CHROMIUM_ICE_CHECK,
  CHROMIUM_ICE_PASSWORD,
  CHROMIUM_TURN_CREDENTIALS as CREDS,
} from './fixtures/chromium.js';
import {
  bytesToHex,
  decodeMessage,
  encodeMessage,
  getAttribute,
  hasAttribute,
  hexToBytes,
  IceControlling,
  longTermKey,
  MessageClass,
  Method,
  Nonce,
  Priority,
  Realm,
  RequestedTransport,
  shortTermKey,
  TransportProtocol,
  UseCandidate,
  Username,
  verifyMessage,
} from './index.js';

test("Chromium's Binding request to a STUN server decodes as an empty Binding request", () => {
  const msg = decodeMessage(hexToBytes(CHROMIUM_BINDING_REQUEST));
  assert.equal(msg.method, Method.Binding);
  assert.equal(msg.class, MessageClass.Request);
  assert.equal(msg.attributes.length, 0);
});

test("Chromium's ICE check verifies with the remote ice-pwd and carries the ICE attributes", () => {
  const bytes = hexToBytes(CHROMIUM_ICE_CHECK);
  const msg = decodeMessage(bytes);
  assert.equal(getAttribute(msg, Username), 'prly:wiEP');
  assert.equal(typeof getAttribute(msg, IceControlling), 'bigint');
  assert.equal(getAttribute(msg, UseCandidate), true);
  assert.equal(getAttribute(msg, Priority), 0x6e001eff);
  assert.ok(
    hasAttribute(msg, 0xc057),
    'GOOG-NETWORK-INFO is kept as an unknown comprehension-optional attribute',
  );
  assert.equal(verifyMessage(msg, shortTermKey(CHROMIUM_ICE_PASSWORD), { requireFingerprint: true }), 'ok');
  assert.equal(verifyMessage(msg, shortTermKey('another-ice-password-99')), 'bad-integrity');
});

test('re-encoding the ICE check with the same key reproduces its bytes exactly', () => {
  const bytes = hexToBytes(CHROMIUM_ICE_CHECK);
  const msg = decodeMessage(bytes);
  const out = encodeMessage(
    { ...msg, attributes: msg.attributes.slice(0, -2) },
    { integrity: shortTermKey(CHROMIUM_ICE_PASSWORD), fingerprint: true },
  );
  assert.equal(bytesToHex(out), CHROMIUM_ICE_CHECK);
});

test("Chromium's first Allocate asks for a UDP relay and has no integrity", () => {
  const msg = decodeMessage(hexToBytes(CHROMIUM_ALLOCATE));
  assert.equal(msg.method, Method.Allocate);
  assert.equal(getAttribute(msg, RequestedTransport), TransportProtocol.UDP);
  assert.equal(verifyMessage(msg, new Uint8Array(16)), 'missing-integrity');
});

test("Chromium's authenticated Allocate verifies with the MD5 long-term key and re-encodes exactly", () => {
  const msg = decodeMessage(hexToBytes(CHROMIUM_ALLOCATE_AUTH));
  assert.equal(getAttribute(msg, Username), CREDS.username);
  assert.equal(getAttribute(msg, Realm), CREDS.realm);
  assert.equal(getAttribute(msg, Nonce), CREDS.nonce);
  const key = longTermKey(CREDS.username, CREDS.realm, CREDS.password);
  assert.equal(verifyMessage(msg, key), 'ok');
  assert.equal(verifyMessage(msg, longTermKey(CREDS.username, CREDS.realm, 'Secret')), 'bad-integrity');
  const out = encodeMessage({ ...msg, attributes: msg.attributes.slice(0, -1) }, { integrity: key });
  assert.equal(bytesToHex(out), CHROMIUM_ALLOCATE_AUTH);
});
