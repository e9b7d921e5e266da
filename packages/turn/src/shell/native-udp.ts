import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BindUdp, DEFAULT_UDP_BUFFER_BYTES, type UdpEndpoint } from './udp-sockets.js';

/**
 * The native UDP data path (packages/turn/native, C files sharing turn_udp.h, which says what each holds):
 * an N-API addon that owns the UDP listener and relay sockets, polls them on Node's own event loop and
 * drains them with recvmmsg / sendmmsg. It answers the hot paths itself (ChannelData both ways on mirrored
 * channels, Binding requests without authentication) and hands every other datagram to JavaScript in one
 * batch per loop iteration.
 */

/** The addon's functions (see the comments above each in native/bindings.c). */
export interface TurnUdpAddon {
  create(onBatch: (batch: Buffer, count: number) => void): NativeEngine;
  destroy(engine: NativeEngine): void;
  open(
    engine: NativeEngine,
    family: 4 | 6,
    host: string,
    port: number,
    bufferBytes: number,
    relay: boolean,
  ): [id: number, port: number];
  close(engine: NativeEngine, id: number): void;
  send(engine: NativeEngine, id: number, data: Uint8Array, address: string, port: number): void;
  relay(
    engine: NativeEngine,
    relayId: number,
    listenerId: number,
    clientAddress: string,
    clientPort: number,
    expiresAt: number,
  ): void;
  unrelay(engine: NativeEngine, relayId: number): void;
  expires(engine: NativeEngine, relayId: number, expiresAt: number): void;
  channel(
    engine: NativeEngine,
    relayId: number,
    number: number,
    peerAddress: string,
    peerPort: number,
    expiresAt: number,
  ): void;
  unchannel(engine: NativeEngine, relayId: number, number: number): void;
  /** expiresAt 0 removes the permission. */
  permission(engine: NativeEngine, relayId: number, peerAddress: string, expiresAt: number): void;
  clockOffset(engine: NativeEngine, ms: number): void;
  /** [received, then per relay socket: id, toPeerPackets, toPeerBytes, toClientPackets, toClientBytes]. */
  takeCounters(engine: NativeEngine, relayId: number): number[];
}

/** Opaque handle of one engine (one per server). */
export type NativeEngine = { readonly __nativeEngine: unique symbol };

const ADDON_PATH = 'native/build/Release/turn_udp.node';

let loaded: { addon: TurnUdpAddon | undefined; reason: string } | undefined;

/**
 * Loads the addon once per process. Looked for beside this file's package (this file is two levels down,
 * in src/shell/; the bundled dist/index.js one level), then through the package's own resolution (bundles
 * elsewhere, e.g. the CLI or benchmarks), or at PARLEY_TURN_NATIVE_PATH. Returns why not when it cannot be
 * used.
 */
export function loadTurnUdpAddon(): { addon: TurnUdpAddon | undefined; reason: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux') {
    loaded = { addon: undefined, reason: `the native data path is Linux-only (${process.platform})` };
    return loaded;
  }
  const require = createRequire(import.meta.url);
  const candidates: string[] = [];
  if (process.env.PARLEY_TURN_NATIVE_PATH) candidates.push(process.env.PARLEY_TURN_NATIVE_PATH);
  for (const up of ['../../', '../'])
    candidates.push(fileURLToPath(new URL(up + ADDON_PATH, import.meta.url)));
  try {
    candidates.push(join(dirname(require.resolve('@parley/turn')), '..', ADDON_PATH));
  } catch {
    // not resolvable from here (a bundle outside the workspace): the other candidates stand
  }
  let reason = notBuiltReason(candidates);
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    try {
      loaded = { addon: require(path) as TurnUdpAddon, reason: path };
      return loaded;
    } catch (err) {
      reason = `addon failed to load: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  loaded = { addon: undefined, reason };
  return loaded;
}

/** Why the addon is missing: the install script leaves native/build/NOT-BUILT.txt when node-gyp failed. */
function notBuiltReason(candidates: readonly string[]): string {
  const how = 'npm rebuild @parley/turn builds it where python3, make and a C compiler exist';
  for (const path of candidates) {
    const note = join(dirname(dirname(path)), 'NOT-BUILT.txt');
    if (existsSync(note)) return `addon not built: ${readFileSync(note, 'utf8').split('\n')[0]}; ${how}`;
  }
  return `addon not built (${ADDON_PATH}); ${how}`;
}

type Handler = (data: Uint8Array, address: string, port: number) => void;

const drop: Handler = () => {};

/** One engine: every UDP socket of one server, and the batch of datagrams the fast paths left to JS. */
export class NativeUdp {
  readonly engine: NativeEngine;
  private readonly handlers = new Map<number, Handler>();
  private closed = false;

  constructor(readonly addon: TurnUdpAddon) {
    this.engine = addon.create((batch, count) => this.dispatch(batch, count));
  }

  readonly bind: BindUdp = async (family, host, port, bufferBytes, relay) => {
    if (this.closed) throw new Error('native UDP engine closed');
    const [id, bound] = this.addon.open(
      this.engine,
      family === 'IPv4' ? 4 : 6,
      host,
      port,
      bufferBytes ?? DEFAULT_UDP_BUFFER_BYTES,
      relay,
    );
    this.handlers.set(id, drop);
    const endpoint: UdpEndpoint = {
      port: bound,
      nativeId: id,
      send: (data, toPort, address) => {
        if (this.handlers.has(id)) this.addon.send(this.engine, id, data, address, toPort);
      },
      onMessage: (handler) => {
        if (this.handlers.has(id)) this.handlers.set(id, handler);
      },
      close: async () => {
        if (!this.handlers.delete(id)) return;
        this.addon.close(this.engine, id);
      },
    };
    return endpoint;
  };

  /** Records: u32 socket id, u16 port, u8 address length, u8 0, u32 data length, address text, data. */
  private dispatch(batch: Buffer, count: number): void {
    let off = 0;
    for (let i = 0; i < count; i++) {
      const id = batch.readUInt32LE(off);
      const port = batch.readUInt16LE(off + 4);
      const alen = batch[off + 6]!;
      const dlen = batch.readUInt32LE(off + 8);
      const at = off + 12;
      off = at + alen + dlen;
      const handler = this.handlers.get(id);
      if (!handler) continue;
      try {
        handler(batch.subarray(at + alen, off), batch.toString('latin1', at, at + alen), port);
      } catch {
        // One datagram's failure must not reach the addon's callback (nor drop the rest of the batch).
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.addon.destroy(this.engine);
  }
}
