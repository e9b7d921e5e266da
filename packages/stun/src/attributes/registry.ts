import { AlternateServer, MappedAddress, OtherAddress, ResponseOrigin } from './address.js';
import {
  AdditionalAddressFamily,
  DontFragment,
  EvenPort,
  RequestedAddressFamily,
  RequestedTransport,
  ReservationToken,
} from './allocation.js';
import { ChannelNumber } from './channel-number.js';
import type { AttributeCodec } from './codec.js';
import { ConnectionId } from './connection-id.js';
import { Data } from './data.js';
import { AddressErrorCode, ErrorCodeAttribute } from './error-code.js';
import { IceControlled, IceControlling, Priority, UseCandidate } from './ice.js';
import { Icmp } from './icmp.js';
import { Fingerprint, MessageIntegrity, MessageIntegritySha256, Userhash } from './integrity.js';
import { Lifetime } from './lifetime.js';
import { CacheTimeout, ChangeRequest, Padding, ResponsePort } from './nat-behavior.js';
import { PasswordAlgorithmAttribute, PasswordAlgorithms } from './password-algorithm.js';
import { AlternateDomain, Nonce, Realm, Software, Username } from './text.js';
import { UnknownAttributes } from './unknown-attributes.js';
import { XorMappedAddress, XorPeerAddress, XorRelayedAddress } from './xor-address.js';

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous table; each entry is typed where it is defined.
type AnyCodec = AttributeCodec<any>;

/** Every attribute codec this package has, in registry order. */
export const allCodecs: readonly AnyCodec[] = [
  MappedAddress,
  ChangeRequest,
  Username,
  MessageIntegrity,
  ErrorCodeAttribute,
  UnknownAttributes,
  ChannelNumber,
  Lifetime,
  XorPeerAddress,
  Data,
  Realm,
  Nonce,
  XorRelayedAddress,
  RequestedAddressFamily,
  EvenPort,
  RequestedTransport,
  DontFragment,
  MessageIntegritySha256,
  PasswordAlgorithmAttribute,
  Userhash,
  XorMappedAddress,
  ReservationToken,
  Priority,
  UseCandidate,
  Padding,
  ResponsePort,
  ConnectionId,
  AdditionalAddressFamily,
  AddressErrorCode,
  PasswordAlgorithms,
  AlternateDomain,
  Icmp,
  Software,
  AlternateServer,
  CacheTimeout,
  Fingerprint,
  IceControlled,
  IceControlling,
  ResponseOrigin,
  OtherAddress,
];

const byType = new Map<number, AnyCodec>(allCodecs.map((c) => [c.type, c]));

/** The codec for an attribute type, if this package knows it. */
export function codecFor(type: number): AttributeCodec<unknown> | undefined {
  return byType.get(type);
}
