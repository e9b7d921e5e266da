/**
 * @parley/turn/client: the one STUN/TURN client. LongTermClient builds, signs and reads messages;
 * UdpTurnClient and StreamTurnClient (TCP, TLS) carry them over real sockets with the long-term-credential
 * dance and the Binding/Allocate/CreatePermission/ChannelBind/Refresh/Send helpers. `parley doctor` checks a
 * deployment with it, and the repository's tests build their client on it. Node only.
 */

export {
  type Attr,
  attr,
  CHANNELS,
  type Credential,
  errorCode,
  LongTermClient,
  type Signature,
  signMessage,
  TurnError,
  transactionIdOf,
} from './messages.js';
export { StreamTurnClient } from './stream-client.js';
export { type RequestOptions, TurnClientBase } from './turn-client.js';
export { type UdpClientOptions, UdpTurnClient } from './udp-client.js';
