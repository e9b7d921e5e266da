/**
 * @parley/testing/turn: the one STUN/TURN test client. TestClient builds, signs and reads messages;
 * UdpTurnClient and StreamTurnClient (TCP, TLS) carry them over real sockets with the long-term-credential
 * dance and the Allocate/CreatePermission/ChannelBind/Refresh/Send helpers. Used by @parley/turn's tests, the
 * CLI's hostile tests, the fuzzers and the benchmarks' load generator. Node only (a subpath of its own, so
 * packages that import @parley/testing in browsers never load it).
 */

export { closesWithin, StreamTurnClient, tcpTurnPort } from './stream-client.js';
export {
  type Attr,
  attr,
  CHANNELS,
  type Credential,
  errorCode,
  nodeCrypto,
  type Signature,
  signMessage,
  TestClient,
  TurnError,
  transactionIdOf,
} from './test-client.js';
export { type RequestOptions, TurnClientBase } from './turn-client.js';
export { type UdpClientOptions, UdpTurnClient } from './udp-client.js';
