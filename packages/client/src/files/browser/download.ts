/**
 * The streamed-download sink, for a browser that has a service worker but no staging (no Origin Private
 * File System, as in some private windows): each file becomes a download the browser writes to disk as
 * verified blocks arrive, through a service worker that answers a hidden frame's request with a stream.
 * Memory stays flat (the worker's stream holds at most a few chunks); a reload cannot resume (the download
 * goes with the page); a file whose whole SHA-256 fails is errored, so the browser marks the download
 * failed rather than keeping it.
 *
 * The worker's protocol (its one home; the web app's `parley-download-sw.js` speaks it): the page posts
 * `{ t: 'parley-download', id, name, size, mime, port }` to the worker, which answers `{ ready }` on
 * `port`; the page then loads `<scope>parley-download/<id>` in a hidden frame, which the worker answers
 * with the stream (`content-disposition: attachment`). On the port the page sends `{ chunk }`, `{ end }`
 * or `{ error }`; the worker answers `{ ack }` for each chunk once its stream has room, and
 * `{ cancelled }` when the user cancels the download.
 */
import { ParleyError } from '@parley/protocol/client';
import type { FileInfo, ResumeState, Sink, SinkFile } from '../types.js';

export const DOWNLOAD_PATH = 'parley-download/';

/** Registers the download worker at `url` (scope: its folder) and waits until it is active. */
export async function registerDownloadWorker(url: string): Promise<ServiceWorkerRegistration> {
  if (!('serviceWorker' in navigator) || !isSecureContext)
    throw new ParleyError('DISK_FULL', 'no service worker here (it needs HTTPS or localhost)');
  const reg = await navigator.serviceWorker.register(url);
  const worker = reg.active ?? reg.installing ?? reg.waiting;
  if (worker && worker.state !== 'activated')
    await new Promise<void>((resolve) => {
      const check = () => {
        if (worker.state === 'activated') resolve();
      };
      worker.addEventListener('statechange', check);
      check();
    });
  return reg;
}

/** A Sink whose every file is a streamed download through `reg`'s worker. */
export function downloadSink(reg: ServiceWorkerRegistration): Sink {
  return {
    async open(info: FileInfo): Promise<SinkFile> {
      return new DownloadFile(reg, info);
    },
  };
}

class DownloadFile implements SinkFile {
  readonly resume = undefined;
  readonly #reg: ServiceWorkerRegistration;
  readonly #info: FileInfo;
  #port: MessagePort | undefined;
  #frame: HTMLIFrameElement | undefined;
  #waiting: ((m: { ack?: boolean; ready?: boolean; cancelled?: boolean }) => void) | undefined;
  #cancelled = false;

  constructor(reg: ServiceWorkerRegistration, info: FileInfo) {
    this.#reg = reg;
    this.#info = info;
  }

  #next(): Promise<{ ack?: boolean; ready?: boolean; cancelled?: boolean }> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  async #start(): Promise<MessagePort> {
    if (this.#port) return this.#port;
    const worker = this.#reg.active;
    if (!worker) throw new ParleyError('DISK_FULL', 'the download worker is not active');
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    port1.onmessage = (e: MessageEvent) => {
      if (e.data?.cancelled) this.#cancelled = true;
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(e.data ?? {});
    };
    const id = crypto.randomUUID();
    const name = this.#info.path.split('/').pop() || 'file';
    const ready = this.#next();
    worker.postMessage(
      { t: 'parley-download', id, name, size: this.#info.size, mime: this.#info.mime, port: port2 },
      [port2],
    );
    await ready;
    const frame = document.createElement('iframe');
    frame.hidden = true;
    frame.src = `${this.#reg.scope}${DOWNLOAD_PATH}${id}`;
    document.body.append(frame);
    this.#frame = frame;
    return port1;
  }

  async write(_offset: number, data: Uint8Array): Promise<void> {
    const port = await this.#start();
    if (this.#cancelled) throw new ParleyError('FILE_CANCELLED', 'the download was cancelled');
    const ack = this.#next();
    const copy = data.slice();
    port.postMessage({ chunk: copy }, [copy.buffer]);
    await ack;
    if (this.#cancelled) throw new ParleyError('FILE_CANCELLED', 'the download was cancelled');
  }

  async checkpoint(_state: ResumeState): Promise<void> {}

  read(): Promise<Uint8Array> {
    return Promise.reject(new ParleyError('SOURCE_CHANGED', 'a streamed download does not resume'));
  }

  async commit(): Promise<string> {
    const port = await this.#start();
    port.postMessage({ end: true });
    this.#done();
    return this.#info.path;
  }

  async abort(): Promise<void> {
    this.#port?.postMessage({ error: 'the transfer stopped' });
    this.#done();
  }

  #done(): void {
    const frame = this.#frame;
    // The frame goes once the download has surely started (removing it at once may cancel it).
    if (frame) setTimeout(() => frame.remove(), 60_000);
  }
}
