/**
 * Valid STUN/TURN traffic of one client (Binding, Allocate, Refresh, CreatePermission, ChannelBind, Send,
 * ChannelData, Connect, ConnectionBind), built with @parley/stun and signed with the lane's long-term
 * key, and its mutations: structural ones re-signed so they pass authentication and reach the handlers
 * (attributes inserted, duplicated, dropped, resized, out-of-range values), then byte-level ones (bit
 * flips, truncation, header and attribute length lies, garbage).
 */
import {
  AttributeType,
  ChannelNumber,
  ConnectionId,
  createMessage,
  Data,
  encodeMessage,
  Lifetime,
  MessageClass,
  Method,
  RequestedTransport,
  type StunAttribute,
  type StunMessage,
  XorPeerAddress,
} from '@parley/stun';
import { nodeCrypto, signMessage } from '@parley/testing/turn';
import type { Rng } from './random.js';

/** What a lane knows after its first exchange: who it is, and what it may name. */
export interface LaneAuth {
  username: string;
  realm: string;
  nonce: string;
  key: Uint8Array;
  /** The peer this lane's permission and channel are for (a UDP or TCP socket of the fuzzer). */
  peer: { address: string; port: number };
  channel: number;
  stream: boolean;
  /** A CONNECTION-ID the server handed out (TCP allocations), or a made-up one. */
  connectionId: number;
}

export type Kind =
  | 'binding'
  | 'allocate'
  | 'refresh'
  | 'permission'
  | 'channel-bind'
  | 'send'
  | 'channel-data'
  | 'connect'
  | 'connection-bind'
  | 'garbage';

const tid = (r: Rng) => r.bytes(12);
const peerOf = (a: LaneAuth) => ({ family: 'IPv4' as const, address: a.peer.address, port: a.peer.port });

/** The lane's valid message of a kind, as a structure (signed at encoding when `signed`). */
export function template(r: Rng, kind: Kind, a: LaneAuth): { msg: StunMessage; signed: boolean } {
  const m = (method: number, cls: MessageClass, attrs: StunAttribute[], signed = true) => ({
    msg: createMessage(method, cls, tid(r), attrs),
    signed,
  });
  const t = r.bytes(12);
  const attr = <T>(
    codec: { type: number; encode(v: T, t: Uint8Array): Uint8Array },
    v: T,
  ): StunAttribute => ({
    type: codec.type,
    value: codec.encode(v, t),
  });
  let out: { msg: StunMessage; signed: boolean };
  switch (kind) {
    case 'binding':
      out = m(Method.Binding, MessageClass.Request, [], false);
      break;
    case 'allocate':
      out = m(Method.Allocate, MessageClass.Request, [
        attr(RequestedTransport, a.stream && r.chance(0.5) ? 6 : 17),
        attr(Lifetime, r.pick([0, 60, 600, 3600])),
      ]);
      break;
    case 'refresh':
      out = m(Method.Refresh, MessageClass.Request, [attr(Lifetime, r.pick([60, 600, 3600, 0]))]);
      break;
    case 'permission':
      out = m(Method.CreatePermission, MessageClass.Request, [attr(XorPeerAddress, peerOf(a))]);
      break;
    case 'channel-bind':
      out = m(Method.ChannelBind, MessageClass.Request, [
        attr(ChannelNumber, a.channel),
        attr(XorPeerAddress, peerOf(a)),
      ]);
      break;
    case 'send':
      out = m(
        Method.Send,
        MessageClass.Indication,
        [attr(XorPeerAddress, peerOf(a)), attr(Data, r.bytes(r.size(1200)))],
        false,
      );
      break;
    case 'connect':
      out = m(Method.Connect, MessageClass.Request, [attr(XorPeerAddress, peerOf(a))]);
      break;
    case 'connection-bind':
      out = m(Method.ConnectionBind, MessageClass.Request, [attr(ConnectionId, a.connectionId)]);
      break;
    default:
      out = m(Method.Binding, MessageClass.Request, [], false);
  }
  // The transaction id the XOR-addresses were encoded with.
  out.msg.transactionId = t;
  return out;
}

/** Encodes with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (and FINGERPRINT when asked). */
export function sign(msg: StunMessage, a: LaneAuth, fingerprint: boolean): Uint8Array {
  return signMessage(msg, a, { fingerprint, crypto: nodeCrypto });
}

const ATTRIBUTE_TYPES = [
  AttributeType.MappedAddress,
  AttributeType.Username,
  AttributeType.MessageIntegrity,
  AttributeType.ErrorCode,
  AttributeType.UnknownAttributes,
  AttributeType.ChannelNumber,
  AttributeType.Lifetime,
  AttributeType.XorPeerAddress,
  AttributeType.Data,
  AttributeType.Realm,
  AttributeType.Nonce,
  AttributeType.XorRelayedAddress,
  AttributeType.RequestedAddressFamily,
  AttributeType.EvenPort,
  AttributeType.RequestedTransport,
  AttributeType.DontFragment,
  AttributeType.MessageIntegritySha256,
  AttributeType.PasswordAlgorithm,
  AttributeType.Userhash,
  AttributeType.XorMappedAddress,
  AttributeType.ReservationToken,
  AttributeType.AdditionalAddressFamily,
  AttributeType.ConnectionId,
  AttributeType.Fingerprint,
  AttributeType.Software,
  AttributeType.PasswordAlgorithms,
  AttributeType.AlternateDomain,
  AttributeType.IceControlling,
  0x0000,
  0x7fff,
  0x8000,
  0xffff,
];

function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** A value for an attribute type: often well-formed with an edge value, sometimes any bytes. */
function valueFor(r: Rng, type: number, t: Uint8Array, a: LaneAuth): Uint8Array {
  if (r.chance(0.3)) return r.bytes(r.size(600));
  switch (type) {
    case AttributeType.Lifetime:
      return u32(r.pick([0, 1, 59, 60, 600, 3599, 3600, 3601, 86_400, 0x7fffffff, 0xffffffff]));
    case AttributeType.ChannelNumber: {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(
        r.pick([0, 0x3fff, 0x4000, 0x4001, 0x4fff, 0x5000, 0x7ffe, 0x7fff, 0x8000, 0xffff, r.int(65536)]),
      );
      return b;
    }
    case AttributeType.XorPeerAddress:
    case AttributeType.XorRelayedAddress:
    case AttributeType.XorMappedAddress:
      return XorPeerAddress.encode(
        r.chance(0.8)
          ? {
              family: 'IPv4',
              address: r.chance(0.5) ? a.peer.address : `127.${r.int(256)}.${r.int(256)}.${r.range(1, 254)}`,
              port: r.chance(0.5) ? a.peer.port : r.int(65536),
            }
          : {
              family: 'IPv6',
              address: r.pick(['::1', '::ffff:127.0.0.1', '::', 'fe80::1']),
              port: r.int(65536),
            },
        t,
      );
    case AttributeType.RequestedTransport:
      return u32(r.pick([6, 17, 0, 1, 255]) << 24);
    case AttributeType.RequestedAddressFamily:
    case AttributeType.AdditionalAddressFamily:
      return u32(r.pick([1, 2, 0, 3, 255]) << 24);
    case AttributeType.EvenPort:
      return Buffer.from([r.pick([0, 0x80, 0xff])]);
    case AttributeType.DontFragment:
      return new Uint8Array(0);
    case AttributeType.Data:
      return r.bytes(r.pick([0, 1, 3, 4, 100, 1200, 1500, 8000, 65_000]));
    case AttributeType.ConnectionId:
      return u32(r.chance(0.5) ? a.connectionId : r.int(2 ** 32));
    case AttributeType.Username:
      return Buffer.from(r.pick([a.username, '', 'x'.repeat(513), `${a.username}x`, '0:x']));
    default:
      return r.bytes(r.size(64));
  }
}

/** Structural mutations of a message before it is (re-)signed. */
function mutateStructure(r: Rng, msg: StunMessage, a: LaneAuth): void {
  const attrs = msg.attributes;
  const n = r.weighted<number>([
    [3, 0],
    [4, 1],
    [2, 2],
    [1, 4],
  ]);
  for (let i = 0; i < n; i++) {
    r.weighted<() => void>([
      [
        3,
        () =>
          attrs.splice(r.int(attrs.length + 1), 0, {
            type: r.pick(ATTRIBUTE_TYPES),
            value: new Uint8Array(0),
          }),
      ],
      [2, () => attrs.length && attrs.push({ ...attrs[r.int(attrs.length)]! })],
      [2, () => attrs.length && attrs.splice(r.int(attrs.length), 1)],
      [
        3,
        () => {
          if (attrs.length) attrs[r.int(attrs.length)]!.value = new Uint8Array(0);
        },
      ],
      [1, () => (msg.class = r.int(4) as MessageClass)],
      [1, () => (msg.method = r.chance(0.7) ? r.pick(Object.values(Method)) : r.int(0x1000))],
      [1, () => (msg.transactionId = r.bytes(12))],
    ])();
  }
  // Fill freshly inserted or emptied values with something of their type.
  for (const at of attrs)
    if (at.value.length === 0 && at.type !== AttributeType.DontFragment && r.chance(0.9))
      at.value = valueFor(r, at.type, msg.transactionId, a);
}

/** Byte-level damage after encoding. */
function mutateBytes(r: Rng, bytes: Uint8Array): Uint8Array {
  const b = Buffer.from(bytes);
  return r.weighted<() => Uint8Array>([
    [
      4,
      () => {
        for (let i = r.range(1, 8); i > 0; i--) b[r.int(b.length)]! ^= 1 << r.int(8);
        return b;
      },
    ],
    [2, () => b.subarray(0, r.int(b.length))],
    [
      2,
      () => {
        if (b.length >= 4)
          b.writeUInt16BE(
            r.chance(0.5)
              ? r.int(65536)
              : Math.max(0, b.readUInt16BE(2) + r.pick([-8, -4, -1, 1, 4, 8])) & 0xffff,
            2,
          );
        return b;
      },
    ],
    [
      2,
      () => {
        // An attribute's length field: walk the attributes to one and lie about it.
        let at = 20;
        const stops: number[] = [];
        while (at + 4 <= b.length && stops.length < 32) {
          stops.push(at);
          at += 4 + ((b.readUInt16BE(at + 2) + 3) & ~3);
        }
        if (stops.length) b.writeUInt16BE(r.pick([0, 1, 3, 4, 0xffff, r.int(65536)]), r.pick(stops) + 2);
        return b;
      },
    ],
    [1, () => Buffer.concat([b, r.bytes(r.size(64))])],
    [
      1,
      () => {
        if (b.length > 8) b.writeUInt32BE(r.int(2 ** 32), 4);
        return b;
      },
    ],
  ])();
}

/** One ChannelData message: a channel (the lane's or any), a length (true or a lie), data; padded on streams. */
function channelData(r: Rng, a: LaneAuth): Uint8Array {
  const data = r.bytes(r.size(1400));
  const channel = r.chance(0.8)
    ? a.channel
    : r.pick([0x3fff, 0x4000, 0x4fff, 0x5000, 0x7fff, 0x8000, r.int(65536)]);
  const declared = r.chance(0.9)
    ? data.length
    : r.pick([0, 1, data.length + 1, Math.max(0, data.length - 1), 0xffff]);
  const pad = a.stream && r.chance(0.9) ? (4 - (data.length % 4)) % 4 : 0;
  const out = Buffer.alloc(4 + data.length + pad);
  out.writeUInt16BE(channel, 0);
  out.writeUInt16BE(declared, 2);
  data.copy(out, 4);
  return out;
}

const UDP_KINDS: readonly (readonly [number, Kind])[] = [
  [2, 'binding'],
  [2, 'allocate'],
  [2, 'refresh'],
  [3, 'permission'],
  [3, 'channel-bind'],
  [6, 'send'],
  [8, 'channel-data'],
  [1, 'connect'],
  [1, 'garbage'],
];
const STREAM_KINDS: readonly (readonly [number, Kind])[] = [
  ...UDP_KINDS,
  [2, 'connect'],
  [1, 'connection-bind'],
];

/** One fuzz input for a lane, generated from its own seed: a mutation of the lane's valid traffic. */
export function fuzzMessage(r: Rng, a: LaneAuth): { kind: Kind; bytes: Uint8Array } {
  const kind = r.weighted(a.stream ? STREAM_KINDS : UDP_KINDS);
  if (kind === 'garbage' && (!a.stream || r.chance(0.2))) {
    const g = r.bytes(r.size(200));
    if (g.length >= 8 && r.chance(0.5)) {
      g[0] = r.int(2);
      g.writeUInt32BE(0x2112a442, 4);
    }
    return { kind, bytes: g };
  }
  if (kind === 'channel-data') {
    const cd = channelData(r, a);
    return { kind, bytes: r.chance(a.stream ? 0.03 : 0.15) ? mutateBytes(r, cd) : cd };
  }
  const { msg, signed } = template(r, kind, a);
  const structural = r.chance(0.5);
  if (structural) mutateStructure(r, msg, a);
  let bytes: Uint8Array;
  try {
    bytes =
      signed || r.chance(0.1)
        ? sign(msg, a, r.chance(0.3))
        : encodeMessage(msg, { fingerprint: r.chance(0.3), crypto: nodeCrypto });
  } catch {
    // The codec refuses some structures (a body past 64 KiB); send the raw attributes instead.
    bytes = r.bytes(r.size(100));
  }
  // On a stream most byte damage ends the connection at the first bad frame, so it is rarer there.
  if (!structural || r.chance(0.3)) if (r.chance(a.stream ? 0.15 : 0.6)) bytes = mutateBytes(r, bytes);
  return { kind, bytes };
}
