/** RFC 8489 §6: the fixed value in bytes 4–7 of every STUN message. */
export const MAGIC_COOKIE = 0x2112a442;
export const HEADER_LENGTH = 20;
export const TRANSACTION_ID_LENGTH = 12;

/** RFC 8489 §5: the two class bits of the message type. */
export const MessageClass = {
  Request: 0b00,
  Indication: 0b01,
  SuccessResponse: 0b10,
  ErrorResponse: 0b11,
} as const;
export type MessageClass = (typeof MessageClass)[keyof typeof MessageClass];

/** IANA "STUN Methods" registry (RFC 8489, RFC 8656, RFC 6062). */
export const Method = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
  Connect: 0x00a,
  ConnectionBind: 0x00b,
  ConnectionAttempt: 0x00c,
} as const;
export type KnownMethod = (typeof Method)[keyof typeof Method];

/** IANA "STUN Attributes" registry entries this codec understands. */
export const AttributeType = {
  MappedAddress: 0x0001,
  ChangeRequest: 0x0003,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  MessageIntegritySha256: 0x001c,
  PasswordAlgorithm: 0x001d,
  Userhash: 0x001e,
  XorMappedAddress: 0x0020,
  ReservationToken: 0x0022,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  Padding: 0x0026,
  ResponsePort: 0x0027,
  ConnectionId: 0x002a,
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  PasswordAlgorithms: 0x8002,
  AlternateDomain: 0x8003,
  Icmp: 0x8004,
  Software: 0x8022,
  AlternateServer: 0x8023,
  CacheTimeout: 0x8027,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
  ResponseOrigin: 0x802b,
  OtherAddress: 0x802c,
} as const;

/** Registry names (as IANA spells them) by attribute type, for error messages and logs. */
export const attributeNames: ReadonlyMap<number, string> = new Map([
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
]);

/** Name of an attribute type for messages: the registry name, or `0x1234` for one we do not know. */
export function attributeName(type: number): string {
  return attributeNames.get(type) ?? `0x${type.toString(16).padStart(4, '0')}`;
}

/** RFC 8489 §14: types 0x0000–0x7FFF are comprehension-required; a receiver that does not know one must fail. */
export function isComprehensionRequired(type: number): boolean {
  return type < 0x8000;
}

/** IANA "STUN Error Codes" registry entries used by STUN and TURN, with their reason phrases. */
export const ErrorCode = {
  TryAlternate: 300,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  MobilityForbidden: 405,
  UnknownAttribute: 420,
  AllocationMismatch: 437,
  StaleNonce: 438,
  AddressFamilyNotSupported: 440,
  WrongCredentials: 441,
  UnsupportedTransportProtocol: 442,
  PeerAddressFamilyMismatch: 443,
  ConnectionAlreadyExists: 446,
  ConnectionTimeoutOrFailure: 447,
  AllocationQuotaReached: 486,
  RoleConflict: 487,
  ServerError: 500,
  InsufficientCapacity: 508,
} as const;

export const errorReasons: ReadonlyMap<number, string> = new Map([
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
]);

/** RFC 8489 §18.5 "STUN Password Algorithms" registry. */
export const PasswordAlgorithm = { MD5: 0x0001, SHA256: 0x0002 } as const;

/** Address family byte in address attributes and REQUESTED-/ADDITIONAL-ADDRESS-FAMILY (RFC 8489 §14.1). */
export const AddressFamily = { IPv4: 0x01, IPv6: 0x02 } as const;

/** IP protocol numbers carried by REQUESTED-TRANSPORT (RFC 8656 §18.8, RFC 6062). */
export const TransportProtocol = { TCP: 6, UDP: 17 } as const;

/** RFC 8656 §12: channel numbers a client may bind. */
export const CHANNEL_MIN = 0x4000;
export const CHANNEL_MAX = 0x4fff;
/**
 * RFC 5766 §11's upper bound, which RFC 8656 narrowed to 0x4FFF. Deployed clients (coturn's
 * turnutils_uclient among them) still pick numbers up to 0x7FFF and coturn accepts them, so a server
 * may too (`legacyRange`).
 */
export const CHANNEL_MAX_LEGACY = 0x7fff;
