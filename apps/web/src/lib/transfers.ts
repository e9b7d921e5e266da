/**
 * The call's file transfers on the SDK's engine (@parley/client/files): a row per transfer and peer, with
 * its files, progress (bytes, rate, ETA), pause, resume and cancel. Received files are staged in the
 * Origin Private File System where the browser has it (so a reloaded page resumes) and offered for saving
 * only once verified; a received file stays announced until saved or dismissed. A sender whose receiver
 * left offers the unfinished transfer again when the same tab (its `device` id) comes back.
 *
 * Every offer waits for the user's answer (`offers`: accept into staging, into a picked folder, or
 * decline), except one for files this page already holds in staging from an offer accepted earlier (the
 * sender offering again after a reload): that one resumes without asking. At most MAX_WAITING offers per
 * peer wait at once; more are declined at once and counted (`autoDeclined`), so a peer cannot flood the UI.
 */
import { DEFAULT_CHANNEL, type Peer } from '@parley/client';
import {
  type FileOffer,
  type IncomingTransfer,
  labelFor,
  type OfferedFile,
  type OutgoingTransfer,
  onFileOffers,
  type SourceFile,
  sendFiles,
} from '@parley/client/files';
import {
  downloadSink,
  folderSink,
  listStaged,
  MEMORY_LIMIT,
  memorySink,
  opfsAvailable,
  opfsSink,
  pickFolder,
  registerDownloadWorker,
  type SaveCapabilities,
  saveAs,
  saveCapabilities,
  saveToFolder,
  stagedFile,
  sweepStaged,
} from '@parley/client/files/browser';
import { useReducer, useState } from 'preact/hooks';
import { randomId } from './random-id.js';

export type TransferStatus =
  | 'offered'
  | 'running'
  | 'paused'
  | 'resuming'
  | 'done'
  | 'failed'
  | 'cancelled'
  | 'declined';

export interface FileRow {
  readonly path: string;
  readonly size: number;
  readonly key: string;
  sha256?: string;
  /** Receiver: a URL of the verified file (disk-backed when staged), for saving. */
  url?: string;
  blob?: Blob;
  /** Receiver: verified, and neither saved nor dismissed yet. */
  waiting?: boolean;
  /** Receiver: streamed to the browser's downloads as it arrived (no staging here). */
  downloaded?: boolean;
  /** Receiver: written straight into a folder the user picked when accepting. */
  inFolder?: boolean;
}

/** An offer that waits for the user's answer. */
export interface WaitingOffer {
  /** Stable while the sender offers the same files again (its retry after a reload): the prompt stays. */
  readonly id: string;
  readonly peerId: string;
  readonly peerName: string;
  offer: FileOffer;
  readonly files: readonly OfferedFile[];
  readonly total: number;
}

/** How many offers of one peer may wait for an answer at once; more are declined at once. */
export const MAX_WAITING = 3;

export interface Transfer {
  readonly id: string;
  readonly direction: 'send' | 'receive';
  peerId: string;
  peerName: string;
  /** The other side's tab (its `device` metadata), to offer again when it comes back. */
  readonly device: string | undefined;
  /** What the row is called: the file's name, or the folder's and how many files. */
  readonly name: string;
  readonly size: number;
  readonly files: FileRow[];
  bytes: number;
  rate: number;
  etaSeconds: number | undefined;
  status: TransferStatus;
  error?: string;
  code?: string;
  /** Sender: bytes put on the wire twice; receiver: bytes it already held when the transfer (re)started. */
  resent: number;
  resumed: number;
  engine?: OutgoingTransfer | IncomingTransfer;
  /** Sender: what it reads, to offer again; and the ledger of what went out, to count bytes sent twice. */
  sources?: readonly SourceFile[];
  ledger?: Map<string, number>;
  /** Receiver: settles when every verified file so far can be saved. */
  ready?: Promise<void>;
}

/** A transfer offered again to a returning tab is offered anew when unanswered after this long. */
const RESUME_RETRY_MS = 10_000;
const RESUME_ATTEMPTS = 3;

const OVER: readonly TransferStatus[] = ['done', 'failed', 'cancelled', 'declined'];
export const isOver = (t: Transfer) => OVER.includes(t.status);

/** This tab's id, kept across reloads (sessionStorage) so a sender can resume to it. */
export function deviceId(): string {
  const KEY = 'parley-device';
  let id = sessionStorage.getItem(KEY);
  if (!id) {
    id = randomId();
    sessionStorage.setItem(KEY, id);
  }
  return id;
}

export function deviceOf(peer: Peer): string | undefined {
  const d = peer.metadata.device;
  return typeof d === 'string' ? d : undefined;
}

export class FileShare {
  readonly list: Transfer[] = [];
  /** Offers waiting for the user's answer, oldest first. */
  readonly offers: WaitingOffer[] = [];
  /** Offers declined without asking because MAX_WAITING of the same peer waited already, per peer. */
  readonly autoDeclined = new Map<string, { name: string; count: number }>();
  /** Keys of files staged here (partial, or verified and not saved): accepted before, so resumed unasked. */
  readonly #staged = new Set<string>();
  /** Known once the storage probe ran; until then staging is assumed (the probe is quick). */
  caps: SaveCapabilities = saveCapabilities(true, false);
  readonly #changed: () => void;
  readonly #nameOf: (peerId: string) => string;
  /** Where received files go: staging, a download worker, or (undefined) memory. */
  readonly #storage: Promise<'staging' | ServiceWorkerRegistration | undefined>;
  /** Per peer of a coded transfer: its PeerSession's gate, which the engine awaits after a rebuild. */
  readonly #gates = new WeakMap<Peer, () => Promise<void>>();
  #seq = 0;

  constructor(changed: () => void, nameOf: (peerId: string) => string) {
    this.#changed = changed;
    this.#nameOf = nameOf;
    this.#storage = this.#probe().then((where) => {
      this.caps = saveCapabilities(where === 'staging', !!where && where !== 'staging');
      this.#changed();
      return where;
    });
  }

  /**
   * Staging where the browser has it, else a streamed download through the app's service worker, else
   * memory. `?save=download` or `?save=memory` in the page's address forces the lesser ones (tests, and
   * to see what another browser gets).
   */
  async #probe(): Promise<'staging' | ServiceWorkerRegistration | undefined> {
    const force = new URLSearchParams(location.search).get('save');
    if (!force && (await opfsAvailable())) {
      await sweepStaged().catch(() => 0);
      for (const s of await listStaged().catch(() => [])) if (!s.state.saved) this.#staged.add(s.key);
      await this.#restore().catch(() => undefined);
      return 'staging';
    }
    if (force === 'memory') return undefined;
    const base = location.pathname.replace(/[^/]*$/, '');
    return registerDownloadWorker(`${base}parley-download-sw.js`).catch(() => undefined);
  }

  /** Files verified before this page was (re)loaded and neither saved nor dismissed: still to save. */
  async #restore(): Promise<void> {
    for (const s of await listStaged()) {
      if (!s.state.sha256 || s.state.saved) continue;
      const blob = await s.blob();
      const f: FileRow = {
        path: s.state.path,
        size: s.state.size,
        key: s.key,
        sha256: s.state.sha256,
        blob,
        url: URL.createObjectURL(blob),
        waiting: true,
      };
      const t = this.#add('receive', { id: '', name: 'an earlier visit' }, [f]);
      t.status = 'done';
      t.bytes = f.size;
    }
  }

  /** Transfers with `peer` await `gate` (a coded transfer's `PeerSession.gate`) after a rebuilt connection. */
  guard(peer: Peer, gate: () => Promise<void>): void {
    this.#gates.set(peer, gate);
  }

  /** Offers `files` to each of `peers`, a transfer each. */
  send(files: readonly SourceFile[], peers: readonly Peer[]): void {
    if (files.length === 0) return;
    for (const peer of peers) {
      const t = this.#add(
        'send',
        peer,
        files.map((f) => ({ path: f.path, size: f.size, key: '' })),
      );
      t.sources = files;
      t.ledger = new Map();
      this.#start(t, peer);
    }
    this.#changed();
  }

  /** Starts listening to `peer`'s offers, and resumes what was cut when its tab left. */
  watch(peer: Peer): () => void {
    const off = onFileOffers(peer, (offer) => void this.#onOffer(peer, offer));
    const device = deviceOf(peer);
    if (device)
      for (const t of this.list) {
        if (t.direction !== 'send' || t.device !== device || t.peerId === peer.id || !t.sources) continue;
        // The same tab under a new peer id: what its old self did not get goes again (whether or not
        // the old peer's departure has been noticed yet).
        if (t.status === 'done' || t.status === 'cancelled' || t.status === 'declined') continue;
        if (t.status === 'failed' && t.code !== 'PEER_GONE') continue;
        const old = t.engine;
        t.engine = undefined;
        old?.cancel();
        t.peerId = peer.id;
        t.peerName = this.#nameOf(peer.id);
        t.status = 'resuming';
        t.error = undefined;
        t.code = undefined;
        // Offer once the new connection is up (its default channel open), not while it is negotiated.
        const main = peer.channels.get(DEFAULT_CHANNEL);
        if (!main || main.readyState === 'open') this.#start(t, peer);
        else main.once('open', () => t.status === 'resuming' && this.#start(t, peer));
      }
    return off;
  }

  pause(id: string): void {
    this.#find(id)?.engine?.pause();
  }

  resume(id: string): void {
    this.#find(id)?.engine?.resume();
  }

  cancel(id: string): void {
    const t = this.#find(id);
    if (!t || isOver(t)) return;
    if (t.engine && !isOver(t)) t.engine.cancel();
    t.status = 'cancelled';
    t.sources = undefined;
    this.#changed();
  }

  /** The number of received files that wait to be saved or dismissed. */
  get waiting(): number {
    return this.list.reduce((n, t) => n + t.files.filter((f) => f.waiting).length, 0);
  }

  /** A received file was saved (its link clicked), or its reminder dismissed: it no longer waits. */
  settle(id: string, path: string, saved: boolean): void {
    const f = this.#find(id)?.files.find((x) => x.path === path);
    if (!f?.waiting) return;
    f.waiting = false;
    if (f.key) {
      this.#staged.delete(f.key);
      void stagedFile(f.key).then((s) => (saved ? s?.markSaved() : undefined));
      if (!saved) this.#drop(f);
    }
    this.#changed();
  }

  /** Every waiting file of a transfer into a folder the user picks (Chromium), relative paths kept. */
  async saveAllToFolder(id: string): Promise<void> {
    const t = this.#find(id);
    if (!t) return;
    const dir = await pickFolder();
    if (!dir) return;
    for (const f of t.files)
      if (f.blob) {
        await saveToFolder(dir, f.path, f.blob);
        this.settle(id, f.path, true);
      }
  }

  /** One file where the user says (Chromium's save dialog). */
  async saveAs(id: string, path: string): Promise<void> {
    const f = this.#find(id)?.files.find((x) => x.path === path);
    if (f?.blob && (await saveAs(f.blob, f.path))) this.settle(id, path, true);
  }

  dispose(): void {
    for (const t of this.list) for (const f of t.files) if (f.url) URL.revokeObjectURL(f.url);
  }

  #drop(f: FileRow): void {
    if (f.url) URL.revokeObjectURL(f.url);
    f.url = undefined;
    f.blob = undefined;
    if (f.key) {
      this.#staged.delete(f.key);
      void stagedFile(f.key).then((s) => s?.remove());
    }
  }

  #start(t: Transfer, peer: Peer, attempt = 1): void {
    const gate = this.#gates.get(peer);
    const engine = sendFiles(peer, t.sources as SourceFile[], { ledger: t.ledger, gate });
    this.#follow(t, engine);
    engine.on('file', (r) => {
      const f = t.files.find((x) => x.path === r.path);
      if (f) f.sha256 = r.sha256;
      this.#changed();
    });
    // An offer again to a tab that came back was, rarely, never answered (its channel not seen on the
    // new connection): offer once more, a few times at most, if it is still unanswered after a while.
    if (t.status === 'resuming' && attempt < RESUME_ATTEMPTS)
      setTimeout(() => {
        if (t.engine !== engine || engine.state !== 'offered') return;
        t.engine = undefined;
        engine.cancel();
        t.status = 'resuming';
        this.#start(t, peer, attempt + 1);
      }, RESUME_RETRY_MS);
  }

  async #onOffer(peer: Peer, offer: FileOffer): Promise<void> {
    const where = await this.#storage;
    // The sender offering again what this page staged from an accepted offer (a reload cut it): resume.
    // Or more than this page can hold in memory: declined at once, and the row says why.
    const resume = where === 'staging' && offer.files.some((f) => this.#staged.has(f.key));
    if (resume || (!where && offer.total > MEMORY_LIMIT)) {
      this.#receive(peer, offer);
      return;
    }
    const same = (w: WaitingOffer) =>
      w.peerId === peer.id &&
      w.files.length === offer.files.length &&
      w.files.every((f, i) => f.key === offer.files[i]?.key);
    const again = this.offers.find(same);
    if (again) {
      // The sender gave up on its unanswered offer and made it anew: the prompt stays, on the new one.
      again.offer.decline();
      again.offer = offer;
    } else if (this.offers.filter((w) => w.peerId === peer.id).length >= MAX_WAITING) {
      offer.decline();
      const n = this.autoDeclined.get(peer.id);
      this.autoDeclined.set(peer.id, { name: this.#nameOf(peer.id), count: (n?.count ?? 0) + 1 });
      this.#changed();
      return;
    } else {
      this.offers.push({
        id: `o${++this.#seq}`,
        peerId: peer.id,
        peerName: this.#nameOf(peer.id),
        offer,
        files: offer.files,
        total: offer.total,
      });
    }
    // The sender cancelled, or left: the question is moot.
    const gone = () => {
      const i = this.offers.findIndex((w) => w.offer === offer);
      if (i < 0) return;
      this.offers.splice(i, 1);
      this.#changed();
    };
    peer.channels.get(labelFor(offer.id))?.once('close', gone);
    peer.once('close', gone);
    this.#changed();
  }

  /**
   * The user's answer to a waiting offer: its files (all, or those at `files`, manifest indices) into
   * staging (or what this browser has instead), or straight into a folder the user picks now.
   */
  async accept(id: string, into: 'staging' | 'folder' = 'staging', files?: readonly number[]): Promise<void> {
    const w = this.offers.find((x) => x.id === id);
    if (!w || files?.length === 0) return;
    let dir: FileSystemDirectoryHandle | undefined;
    if (into === 'folder') {
      dir = await pickFolder();
      // Cancelled, or the offer went away while the picker was open.
      if (!dir || !this.offers.includes(w)) return;
    }
    this.offers.splice(this.offers.indexOf(w), 1);
    this.#receive(w.offer.peer, w.offer, files, dir);
  }

  /** Declines a waiting offer: the sender sees FILE_DECLINED, and nothing of it is kept here. */
  decline(id: string): void {
    const i = this.offers.findIndex((x) => x.id === id);
    if (i < 0) return;
    this.offers[i]?.offer.decline();
    this.offers.splice(i, 1);
    this.#changed();
  }

  #receive(peer: Peer, offer: FileOffer, chosen?: readonly number[], dir?: FileSystemDirectoryHandle): void {
    void this.#storage.then((where) => {
      const staging = !dir && where === 'staging';
      const picked = chosen ? chosen.map((i) => offer.files[i]).filter((f) => !!f) : offer.files;
      const files: FileRow[] = picked.map((f) => ({ path: f.path, size: f.size, key: f.key }));
      const t = this.#add('receive', peer, files);
      const total = files.reduce((n, f) => n + f.size, 0);
      if (!dir && !where && total > MEMORY_LIMIT) {
        offer.decline();
        t.status = 'failed';
        t.code = 'DISK_FULL';
        t.error = `this browser can only hold ${MEMORY_LIMIT / 1024 / 1024} MiB of received files in memory`;
        this.#changed();
        return;
      }
      const sink = dir
        ? folderSink(dir)
        : staging
          ? opfsSink()
          : where && where !== 'staging'
            ? downloadSink(where)
            : memorySink((m) => {
                const f = files.find((x) => x.path === m.path);
                if (f) {
                  f.blob = m.blob;
                  f.url = URL.createObjectURL(m.blob);
                }
              });
      if (staging) for (const f of files) this.#staged.add(f.key);
      let engine: IncomingTransfer;
      try {
        engine = offer.accept(sink, { gate: this.#gates.get(peer), ...(chosen ? { files: chosen } : {}) });
      } catch (err) {
        t.status = 'failed';
        t.error = (err as Error).message;
        this.#changed();
        return;
      }
      this.#follow(t, engine);
      engine.on('file', (r) => {
        const f = files.find((x) => x.path === r.path);
        if (!f) return;
        f.sha256 = r.sha256;
        const ready = (async () => {
          if (staging) {
            const blob = await (await stagedFile(f.key))?.blob();
            if (blob) {
              f.blob = blob;
              f.url = URL.createObjectURL(blob);
            }
          }
          // A streamed download or a file in a picked folder is saved already; a staged or in-memory
          // file waits for Save.
          f.downloaded = !dir && !!where && !staging;
          f.inFolder = !!dir;
          f.waiting = !!f.url;
          this.#changed();
        })();
        t.ready = Promise.all([t.ready, ready]).then(() => undefined);
      });
      this.#changed();
    });
  }

  #follow(t: Transfer, engine: OutgoingTransfer | IncomingTransfer): void {
    t.engine = engine;
    // An accepted offer starts 'running' without a 'state' event.
    if (engine.state !== 'offered' || t.status !== 'resuming') t.status = engine.state;
    const mine = () => t.engine === engine;
    engine.on('state', (s) => {
      if (!mine() || s === 'done') return; // 'done' below, once the files can be saved
      if (s !== 'offered' || t.status !== 'resuming') t.status = s;
      this.#changed();
    });
    engine.on('progress', (p) => {
      if (!mine()) return;
      t.bytes = p.bytes;
      t.rate = p.rate;
      t.etaSeconds = p.etaSeconds;
      this.#changed();
    });
    engine.on('done', async (s) => {
      // A receiver's row is done once every file can be saved.
      await t.ready?.catch(() => undefined);
      if (!mine()) return;
      t.status = 'done';
      t.bytes = s.bytes;
      t.resent = s.resentBytes;
      t.resumed = s.resumedBytes;
      t.etaSeconds = 0;
      t.sources = undefined;
      this.#changed();
    });
    engine.on('error', (err) => {
      if (!mine()) return;
      t.status =
        err.code === 'FILE_CANCELLED' ? 'cancelled' : err.code === 'FILE_DECLINED' ? 'declined' : 'failed';
      t.code = err.code;
      t.error =
        err.code === 'PEER_GONE' && t.direction === 'send'
          ? `${t.peerName} left; the rest goes when they come back`
          : err.code === 'FILE_DECLINED'
            ? undefined
            : err.message;
      if (err.code === 'FILE_DECLINED') t.sources = undefined;
      this.#changed();
    });
  }

  #add(
    direction: Transfer['direction'],
    peer: Peer | { id: string; name: string },
    files: FileRow[],
  ): Transfer {
    const size = files.reduce((n, f) => n + f.size, 0);
    const top = files[0]?.path.split('/')[0] ?? '';
    const folder = files.length > 1 && files.every((f) => f.path.startsWith(`${top}/`));
    const name =
      files.length === 1
        ? (files[0]?.path ?? '')
        : folder
          ? `${top}/ (${files.length} files)`
          : `${files.length} files`;
    const t: Transfer = {
      id: `t${++this.#seq}`,
      direction,
      peerId: peer.id,
      peerName: 'name' in peer ? peer.name : this.#nameOf(peer.id),
      device: 'metadata' in peer ? deviceOf(peer) : undefined,
      name,
      size,
      files,
      bytes: 0,
      rate: 0,
      etaSeconds: undefined,
      status: 'offered',
      resent: 0,
      resumed: 0,
    };
    this.list.unshift(t);
    return t;
  }

  #find(id: string): Transfer | undefined {
    return this.list.find((t) => t.id === id);
  }
}

/**
 * A FileShare for a page of its own (the send and receive pages): the page renders again whenever a
 * transfer changes. `peerName` names the other side in the rows.
 */
export function useFileShare(peerName: string): FileShare {
  const [, render] = useReducer((n: number, _: unknown) => n + 1, 0);
  const [files] = useState(
    () =>
      new FileShare(
        () => render(undefined),
        () => peerName,
      ),
  );
  return files;
}
