/**
 * @parley/testing/turn: the STUN/TURN client the tests share. The client itself is @parley/turn/client
 * (LongTermClient builds, signs and reads messages; UdpTurnClient and StreamTurnClient carry them over UDP,
 * TCP and TLS), re-exported here with the helpers only tests need. Used by @parley/turn's tests, the CLI's
 * hostile tests, the fuzzers and the benchmarks' load generator. Node only (a subpath of its own, so packages
 * that import @parley/testing in browsers never load it).
 */

/**
 * OpenSSL-backed hashes (@parley/turn's, the ones the server uses) for clients that sign at volume (the
 * benchmarks' load generator, the fuzzers), so they spend their CPU on sending rather than on pure-JS SHA-1.
 * Tests that only sign a few messages use the codec's own hashes, so the server is checked against a second
 * implementation.
 */
export { nodeCrypto } from '@parley/turn';
export {
  type Attr,
  attr,
  CHANNELS,
  type Credential,
  errorCode,
  LongTermClient,
  type RequestOptions,
  type Signature,
  StreamTurnClient,
  signMessage,
  TurnClientBase,
  TurnError,
  transactionIdOf,
  type UdpClientOptions,
  UdpTurnClient,
} from '@parley/turn/client';
export { type Coturn, type CoturnOptions, requireCoturn, startCoturn } from './coturn.js';
export { closesWithin, tcpTurnPort } from './stream-helpers.js';
