/**
 * Signaling wire format v1: every frame is one JSON object in one WebSocket text message, with a `type`.
 * The schemas here are the single source of truth; docs/protocol.md describes them for people.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { PEER_ID_PATTERN, ROOM_NAME_PATTERN } from './room-name.js';

const Str = (max: number, min = 0) => Type.String({ minLength: min, maxLength: max });
const closed = { additionalProperties: false } as const;

export const RoomName = Type.String({ pattern: ROOM_NAME_PATTERN });
export const PeerId = Type.String({ pattern: PEER_ID_PATTERN });
/** Application metadata a peer announces on join (display name, avatar…): any JSON object. */
export const Metadata = Type.Record(Type.String({ maxLength: 128 }), Type.Unknown());

export const SessionDescription = Type.Object(
  {
    type: Type.Union([
      Type.Literal('offer'),
      Type.Literal('answer'),
      Type.Literal('pranswer'),
      Type.Literal('rollback'),
    ]),
    sdp: Str(60_000),
  },
  closed,
);
export const IceCandidate = Type.Object(
  {
    candidate: Str(2048),
    sdpMid: Type.Optional(Type.Union([Str(64), Type.Null()])),
    sdpMLineIndex: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.Null()])),
    usernameFragment: Type.Optional(Type.Union([Str(256), Type.Null()])),
  },
  closed,
);
/** What a `signal` carries: an SDP description, or a trickled ICE candidate (null = end of candidates). */
export const SignalData = Type.Union([
  Type.Object({ description: SessionDescription }, closed),
  Type.Object({ candidate: Type.Union([IceCandidate, Type.Null()]) }, closed),
]);
export const IceServer = Type.Object({
  urls: Type.Union([Type.String(), Type.Array(Type.String())]),
  username: Type.Optional(Type.String()),
  credential: Type.Optional(Type.String()),
});
export const PeerInfo = Type.Object({ id: PeerId, metadata: Metadata }, closed);

// Client → server ---------------------------------------------------------------------------------------

export const JoinFrame = Type.Object(
  {
    type: Type.Literal('join'),
    room: RoomName,
    token: Type.Optional(Str(4096, 1)),
    metadata: Type.Optional(Metadata),
  },
  closed,
);
export const ResumeFrame = Type.Object(
  { type: Type.Literal('resume'), token: Str(256, 1), lastSeq: Type.Integer({ minimum: 0 }) },
  closed,
);
export const SignalFrame = Type.Object(
  { type: Type.Literal('signal'), to: PeerId, data: SignalData },
  closed,
);
/** An app message relayed by the server: to one peer (`to`) or to everyone else in the room. */
export const MessageFrame = Type.Object(
  { type: Type.Literal('message'), to: Type.Optional(PeerId), data: Type.Unknown() },
  closed,
);
export const LeaveFrame = Type.Object({ type: Type.Literal('leave') }, closed);
/** Acknowledges every sequenced frame up to `seq`, so the server can forget them. */
export const AckFrame = Type.Object({ type: Type.Literal('ack'), seq: Type.Integer({ minimum: 0 }) }, closed);
/** Application-level heartbeat, for clients (browsers) that cannot send WebSocket pings. */
export const PingFrame = Type.Object(
  { type: Type.Literal('ping'), id: Type.Optional(Type.Integer()) },
  closed,
);

export const CLIENT_FRAMES = {
  join: JoinFrame,
  resume: ResumeFrame,
  signal: SignalFrame,
  message: MessageFrame,
  leave: LeaveFrame,
  ack: AckFrame,
  ping: PingFrame,
} as const satisfies Record<string, TSchema>;

// Server → client ---------------------------------------------------------------------------------------

const Seq = Type.Integer({ minimum: 1 });
const sessionFields = {
  room: RoomName,
  selfId: PeerId,
  peers: Type.Array(PeerInfo),
  iceServers: Type.Array(IceServer),
  resumeToken: Type.String(),
  resumeWindowMs: Type.Integer({ minimum: 0 }),
  /** The last sequence number the server has assigned to this session (replayed frames follow `resumed`). */
  seq: Type.Integer({ minimum: 0 }),
};
export const JoinedFrame = Type.Object({ type: Type.Literal('joined'), ...sessionFields });
export const ResumedFrame = Type.Object({ type: Type.Literal('resumed'), ...sessionFields });
export const PeerJoinedFrame = Type.Object({ type: Type.Literal('peer-joined'), seq: Seq, peer: PeerInfo });
export const LeaveReason = Type.Union([
  Type.Literal('left'),
  Type.Literal('timeout'),
  Type.Literal('kicked'),
]);
export const PeerLeftFrame = Type.Object({
  type: Type.Literal('peer-left'),
  seq: Seq,
  peerId: PeerId,
  reason: LeaveReason,
});
export const RelayedSignalFrame = Type.Object({
  type: Type.Literal('signal'),
  seq: Seq,
  from: PeerId,
  to: PeerId,
  data: SignalData,
});
export const RelayedMessageFrame = Type.Object({
  type: Type.Literal('message'),
  seq: Seq,
  from: PeerId,
  to: Type.Optional(PeerId),
  data: Type.Unknown(),
});
export const ErrorFrame = Type.Object({
  type: Type.Literal('error'),
  code: Type.String(),
  message: Type.String(),
  /** The type of the client frame that caused the error, when known. */
  ref: Type.Optional(Type.String()),
  supported: Type.Optional(Type.Array(Type.Integer())),
});
export const PongFrame = Type.Object({ type: Type.Literal('pong'), id: Type.Optional(Type.Integer()) });

export const SERVER_FRAMES = {
  joined: JoinedFrame,
  resumed: ResumedFrame,
  'peer-joined': PeerJoinedFrame,
  'peer-left': PeerLeftFrame,
  signal: RelayedSignalFrame,
  message: RelayedMessageFrame,
  error: ErrorFrame,
  pong: PongFrame,
} as const satisfies Record<string, TSchema>;

export type ClientFrameMap = { [K in keyof typeof CLIENT_FRAMES]: Static<(typeof CLIENT_FRAMES)[K]> };
export type ServerFrameMap = { [K in keyof typeof SERVER_FRAMES]: Static<(typeof SERVER_FRAMES)[K]> };
export type ClientFrame = ClientFrameMap[keyof ClientFrameMap];
export type ServerFrame = ServerFrameMap[keyof ServerFrameMap];
export type SignalPayload = Static<typeof SignalData>;
export type IceServerConfig = Static<typeof IceServer>;
export type PeerDescriptor = Static<typeof PeerInfo>;
export type PeerLeaveReason = Static<typeof LeaveReason>;
export type PeerMetadata = Static<typeof Metadata>;
