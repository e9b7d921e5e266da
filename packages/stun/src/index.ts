// @parley/stun: a pure STUN/TURN message codec (RFC 8489, 8656, 6062, 6156, 5780). No I/O; browser and Node.

export {
  addAttribute,
  forEachVisibleAttribute,
  getAttribute,
  getAttributes,
  hasAttribute,
  unknownComprehensionRequired,
} from './access.js';
export { AlternateServer, MappedAddress, OtherAddress, ResponseOrigin } from './attributes/address.js';
export {
  AdditionalAddressFamily,
  DontFragment,
  EvenPort,
  RequestedAddressFamily,
  RequestedTransport,
  ReservationToken,
} from './attributes/allocation.js';
export { ChannelNumber } from './attributes/channel-number.js';
export type { AttributeCodec } from './attributes/codec.js';
export { ConnectionId } from './attributes/connection-id.js';
export { Data } from './attributes/data.js';
export {
  AddressErrorCode,
  type AddressErrorCodeValue,
  ErrorCodeAttribute,
  type ErrorCodeValue,
  reasonPhrase,
} from './attributes/error-code.js';
export { IceControlled, IceControlling, Priority, UseCandidate } from './attributes/ice.js';
export { Icmp, type IcmpValue } from './attributes/icmp.js';
export { Fingerprint, MessageIntegrity, MessageIntegritySha256, Userhash } from './attributes/integrity.js';
export { Lifetime } from './attributes/lifetime.js';
export { CacheTimeout, ChangeRequest, Padding, ResponsePort } from './attributes/nat-behavior.js';
export {
  PasswordAlgorithmAttribute,
  PasswordAlgorithms,
  type PasswordAlgorithmValue,
} from './attributes/password-algorithm.js';
export { allCodecs, codecFor } from './attributes/registry.js';
export { AlternateDomain, Nonce, Realm, Software, Username } from './attributes/text.js';
export { UnknownAttributes } from './attributes/unknown-attributes.js';
export { XorMappedAddress, XorPeerAddress, XorRelayedAddress } from './attributes/xor-address.js';
export { bytesToHex, constantTimeEqual, hexToBytes } from './bytes.js';
export {
  CHANNEL_DATA_HEADER_LENGTH,
  type ChannelData,
  type ChannelRangeOptions,
  channelDataLength,
  decodeChannelData,
  encodeChannelData,
  isValidChannelNumber,
  peekChannelData,
  startsChannelData,
  writeChannelData,
} from './channel-data.js';
export {
  AddressFamily,
  AttributeType,
  attributeName,
  attributeNames,
  CHANNEL_MAX,
  CHANNEL_MAX_LEGACY,
  CHANNEL_MIN,
  ErrorCode,
  errorReasons,
  HEADER_LENGTH,
  isComprehensionRequired,
  type KnownMethod,
  MAGIC_COOKIE,
  MessageClass,
  Method,
  PasswordAlgorithm,
  TRANSACTION_ID_LENGTH,
  TransportProtocol,
} from './constants.js';
export {
  crc32,
  type DigestAlgorithm,
  type HmacAlgorithm,
  pureCrypto,
  type StunCrypto,
} from './crypto/index.js';
export { classifyPacket, type PacketKind } from './demux.js';
export { type EncodeOptions, encodeMessage, FINGERPRINT_XOR } from './encode.js';
export { StunDecodeError, type StunDecodeErrorCode, StunEncodeError } from './errors.js';
export { type StreamFrame, StunStreamFramer } from './framer.js';
export {
  type VerifyOptions,
  type VerifyResult,
  verifyFingerprint,
  verifyMessage,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
} from './integrity.js';
export { canonicalIp, formatIp, parseIp, type TransportAddress, tryParseIp } from './ip.js';
export { longTermKey, opaqueString, shortTermKey, userHash } from './keys.js';
export {
  createMessage,
  type DecodedStunMessage,
  decodeMessage,
  decodeMessageType,
  encodedLength,
  encodeMessageType,
  isStunMessage,
  randomTransactionId,
  readHeader,
  type StunAttribute,
  type StunHeader,
  type StunMessage,
} from './message.js';
export { validateAttributes } from './validate.js';
