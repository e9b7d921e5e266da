/**
 * @parley/client/files: the file transfer engine (docs/files.md). Streams files and folder trees to a
 * peer on a channel per transfer, verified block by block and whole, resumable from the last verified
 * block. A subpath of its own, so the core SDK's browser bundle does not carry it.
 */
export {
  AUTH_LABEL,
  AUTH_TIMEOUT_MS,
  type AuthHandlers,
  type AuthOptions,
  authenticate,
  authenticatePeers,
  type TransferRole,
  transferMetadata,
  transferRoleOf,
} from './auth.js';
export { claimCode, codeParts, isCode, newCode, ROOM_NUMBERS, roomOf } from './code.js';
export { fileKey, type HashFactory, nobleSha256, type StreamingHash, sha256Hex } from './hash.js';
export { FileOffer, type OfferedFile, onFileOffers, onRoomFileOffers } from './offer.js';
export { PeerSession, type PeerSessionEvents, REBIND_TIMEOUT_MS, sessionSecret } from './rebind.js';
export { IncomingTransfer, type ReceiveOptions } from './receive.js';
export { sanitizePath } from './sanitize.js';
export { HIGH_WATER, LOW_WATER, OutgoingTransfer, type SendOptions, sendFiles } from './send.js';
export type { TransferEvents, TransferState } from './transfer.js';
export type {
  FileInfo,
  FileResult,
  Progress,
  ResumeState,
  Sink,
  SinkFile,
  SourceFile,
  TransferSummary,
} from './types.js';
export {
  BLOCK_SIZE,
  CHUNK_SIZE,
  decodeData,
  decodeMessage,
  encodeData,
  encodeMessage,
  type FileMessage,
  LIMITS,
  labelFor,
  type ReceiverMessage,
  type SenderMessage,
  WINDOW,
  WIRE_VERSION,
  type WireFile,
} from './wire.js';
