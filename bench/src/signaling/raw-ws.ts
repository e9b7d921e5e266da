/**
 * A minimal WebSocket client for load generation (RFC 6455 §5): the handshake, unmasked server frames in,
 * masked client frames out. The load generator shares a 2-core machine with the server under test, so it
 * must cost far less per message than the server: it writes pre-built frames (mask key 0, which leaves the
 * payload bytes as they are) in one write per tick and never parses JSON on the hot path.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

export interface RawWsOptions {
  host: string;
  port: number;
  /** Path and query, e.g. `/ws` or `/peerjs?key=peerjs&id=a&token=t`. */
  path: string;
  protocol?: string;
  /** Source address to connect from (e.g. 127.0.0.12), to spread clients over several addresses. */
  localAddress?: string;
  onText: (payload: Buffer) => void;
  onClose: (why: string) => void;
}

/** Builds one masked client frame around `payload` (mask key 0). */
export function clientFrame(payload: Buffer, opcode = OP_TEXT): Buffer {
  const len = payload.length;
  const head = len < 126 ? 6 : len < 65_536 ? 8 : 14;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x80 | opcode;
  if (len < 126) {
    out[1] = 0x80 | len;
  } else if (len < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  out.writeUInt32BE(0, head - 4);
  payload.copy(out, head);
  return out;
}

export function textFrame(text: string): Buffer {
  return clientFrame(Buffer.from(text));
}

export class RawWs {
  readonly socket: net.Socket;
  private rest: Buffer | null = null;
  private closed = false;

  private constructor(
    socket: net.Socket,
    private readonly opts: RawWsOptions,
  ) {
    this.socket = socket;
  }

  /** Opens the TCP connection and completes the upgrade; rejects on any status but 101. */
  static connect(opts: RawWsOptions, timeoutMs = 15_000): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host: opts.host,
        port: opts.port,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      });
      socket.setNoDelay(true);
      const ws = new RawWs(socket, opts);
      let head: Buffer = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error('handshake timeout')), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const onHandshake = (chunk: Buffer) => {
        head = head.length ? Buffer.concat([head, chunk]) : chunk;
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!/^HTTP\/1\.1 101/.test(status)) return fail(new Error(`upgrade refused: ${status}`));
        clearTimeout(timer);
        socket.off('data', onHandshake);
        socket.off('error', fail);
        socket.on('data', (c: Buffer) => ws.onData(c));
        socket.on('error', (e) => ws.finish(`error: ${e.message}`));
        socket.on('close', () => ws.finish('closed'));
        const after = head.subarray(end + 4);
        resolve(ws);
        // Frames that came with the 101 are handled after the caller has seen the socket.
        if (after.length) setImmediate(() => ws.onData(after));
      };
      socket.on('data', onHandshake);
      socket.on('error', fail);
      socket.write(
        `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          (opts.protocol ? `Sec-WebSocket-Protocol: ${opts.protocol}\r\n` : '') +
          '\r\n',
      );
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Bytes queued in user space that the kernel has not taken yet. */
  get backlog(): number {
    return this.socket.writableLength;
  }

  write(frames: Buffer): void {
    if (!this.closed) this.socket.write(frames);
  }

  sendText(text: string): void {
    this.write(textFrame(text));
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private finish(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.opts.onClose(why);
  }

  private onData(chunk: Buffer): void {
    let buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    let off = 0;
    while (buf.length - off >= 2) {
      const b0 = buf[off]!;
      let len = buf[off + 1]! & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - off < 4) break;
        len = buf.readUInt16BE(off + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - off < 10) break;
        len = Number(buf.readBigUInt64BE(off + 2));
        head = 10;
      }
      if (buf.length - off < head + len) break;
      const payload = buf.subarray(off + head, off + head + len);
      off += head + len;
      const opcode = b0 & 0x0f;
      if (opcode === OP_TEXT) this.opts.onText(payload);
      else if (opcode === OP_PING) this.write(clientFrame(Buffer.from(payload), 0xa));
      else if (opcode === OP_CLOSE) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.finish(`close ${code} ${payload.subarray(2).toString()}`);
        this.socket.end();
        return;
      }
    }
    if (off < buf.length) {
      // Keep only the partial frame; copy so the big chunk it came from can be freed.
      buf = buf.subarray(off);
      this.rest = Buffer.from(buf);
    }
  }
}
