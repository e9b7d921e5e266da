/**
 * The receiving side's entry: file channels a peer opens are read up to their complete manifest, whose
 * names are sanitised, and handed to the app as a FileOffer to accept (into a Sink) or decline.
 */
import { ParleyError } from '@parley/protocol/client';
import type { Channel, ChannelData } from '../channel.js';
import type { Peer } from '../peer.js';
import type { Room } from '../room.js';
import { fileKey } from './hash.js';
import { IncomingTransfer, type ReceiveOptions } from './receive.js';
import { sanitizePath } from './sanitize.js';
import { asParleyError } from './transfer.js';
import type { FileInfo, Sink } from './types.js';
import { decodeMessage, encodeMessage, type FileMessage, parseLabel, type WireFile } from './wire.js';

/** An offered file: its sanitised path (what a Sink sees), and the name the sender gave. */
export interface OfferedFile extends FileInfo {
  readonly offeredPath: string;
  /** The file's identity for resume (hex SHA-256 of its manifest entry). */
  readonly key: string;
}

export class FileOffer {
  readonly id: string;
  readonly peer: Peer;
  readonly files: readonly OfferedFile[];
  readonly total: number;
  readonly #ch: Channel;
  #answered = false;

  /** @internal */
  constructor(id: string, peer: Peer, ch: Channel, files: OfferedFile[]) {
    this.id = id;
    this.peer = peer;
    this.files = files;
    this.total = files.reduce((n, f) => n + f.size, 0);
    this.#ch = ch;
  }

  /** Accepts the offer (or only the files at `options.files`, manifest indices) into `sink`. */
  accept(sink: Sink, options: ReceiveOptions & { files?: readonly number[] } = {}): IncomingTransfer {
    if (this.#answered) throw new ParleyError('FILE_CANCELLED', 'this offer was already answered');
    this.#answered = true;
    const chosen = options.files ?? this.files.map((_, i) => i);
    return new IncomingTransfer(this, this.#ch, sink, chosen, options);
  }

  /** Declines the offer; the sender gets FILE_DECLINED. */
  decline(): void {
    if (this.#answered) return;
    this.#answered = true;
    try {
      this.#ch.send(encodeMessage({ t: 'decline' }));
    } catch {
      // Closed already: nothing to tell.
    }
  }
}

/** Reads one file channel up to its complete manifest. */
function readOffer(peer: Peer, ch: Channel, id: string, onOffer: (offer: FileOffer) => void): void {
  let count: number | undefined;
  const files: OfferedFile[] = [];
  const refuse = (err: ParleyError) => {
    off();
    try {
      ch.send(encodeMessage({ t: 'cancel', code: err.code, message: err.message }));
    } catch {
      // Closed already.
    }
    ch.close();
  };
  const off = ch.on('message', (data: ChannelData) => {
    let m: FileMessage;
    try {
      if (typeof data !== 'string')
        throw new ParleyError('BAD_FILE_FRAME', 'binary frame before the manifest');
      m = decodeMessage(data);
      if (m.t === 'offer' && count === undefined && m.id === id) count = m.count;
      else if (m.t === 'files' && count !== undefined && files.length + m.files.length <= count)
        for (const f of m.files) files.push(offered(f));
      else throw new ParleyError('BAD_FILE_FRAME', `"${m.t}" while reading a manifest`);
    } catch (err) {
      refuse(asParleyError(err, 'BAD_FILE_FRAME'));
      return;
    }
    if (count !== undefined && files.length === count) {
      off();
      onOffer(new FileOffer(id, peer, ch, files));
    }
  });
}

function offered(f: WireFile): OfferedFile {
  if (fileKey(f) !== f.key) throw new ParleyError('BAD_FILE_FRAME', 'a manifest entry with a wrong key');
  return {
    path: sanitizePath(f.path),
    offeredPath: f.path,
    size: f.size,
    mime: f.mime,
    mtime: f.mtime,
    key: f.key,
  };
}

/** Calls `handler` with every file offer `peer` makes from now on; returns a function that stops. */
export function onFileOffers(peer: Peer, handler: (offer: FileOffer) => void): () => void {
  const take = (ch: Channel) => {
    const parsed = parseLabel(ch.label);
    if (!parsed) return;
    if ('version' in parsed) {
      // Another wire version (or a bad id): say so, then close.
      const err = new ParleyError(
        'BAD_FILE_FRAME',
        `file channel version ${parsed.version} is not spoken here`,
      );
      const refuse = () => {
        ch.send(encodeMessage({ t: 'cancel', code: err.code, message: err.message }));
        ch.close();
      };
      if (ch.readyState === 'open') refuse();
      else ch.once('open', refuse);
      return;
    }
    readOffer(peer, ch, parsed.id, handler);
  };
  return peer.on('channel', take);
}

/** `onFileOffers` for every peer in the room, now and later. */
export function onRoomFileOffers(room: Room, handler: (offer: FileOffer) => void): () => void {
  const offs = new Map<string, () => void>();
  const watch = (peer: Peer) => {
    offs.get(peer.id)?.();
    offs.set(peer.id, onFileOffers(peer, handler));
  };
  for (const peer of room.peers.values()) watch(peer);
  const offJoined = room.on('peer-joined', watch);
  const offLeft = room.on('peer-left', (peer) => {
    offs.get(peer.id)?.();
    offs.delete(peer.id);
  });
  return () => {
    offJoined();
    offLeft();
    for (const off of offs.values()) off();
    offs.clear();
  };
}
