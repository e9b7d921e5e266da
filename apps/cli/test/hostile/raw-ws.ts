/** Raw WebSocket bytes for hostile tests: a handshake with any subprotocol header and any frame at all. */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface RawSocket {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves when the server closes or resets the connection. */
  ended: Promise<void>;
}

/** Opens a TCP connection and sends an upgrade request; resolves with the server's response head. */
export async function rawUpgrade(
  host: string,
  port: number,
  protocols: string | undefined,
  extraHeaders: string[] = [],
): Promise<RawSocket & { head: string }> {
  const socket = connect({ host, port });
  socket.on('error', () => {});
  await once(socket, 'connect');
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
  });
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    [
      'GET /ws HTTP/1.1',
      `Host: ${host}:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      ...(protocols === undefined ? [] : [`Sec-WebSocket-Protocol: ${protocols}`]),
      ...extraHeaders,
      '',
      '',
    ].join('\r\n'),
  );
  const deadline = Date.now() + 3000;
  while (!buf.includes('\r\n\r\n')) {
    if (Date.now() > deadline || socket.destroyed) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const end = buf.indexOf('\r\n\r\n');
  return {
    socket,
    received: () => buf,
    ended,
    head: end < 0 ? buf.toString('latin1') : buf.subarray(0, end).toString('latin1'),
  };
}

export interface FrameSpec {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  payload?: Uint8Array;
  /** Default true: clients must mask. */
  masked?: boolean;
  /** Claim this length instead of the payload's. */
  length?: number;
}

/** One WebSocket frame (RFC 6455 §5.2), as given: nothing is checked. */
export function frame(spec: FrameSpec): Buffer {
  const payload = Buffer.from(spec.payload ?? new Uint8Array());
  const len = spec.length ?? payload.length;
  const masked = spec.masked ?? true;
  const b0 = ((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f);
  let header: Buffer;
  if (len < 126) header = Buffer.from([b0, (masked ? 0x80 : 0) | len]);
  else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = b0;
    header[1] = (masked ? 0x80 : 0) | 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = b0;
    header[1] = (masked ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([header, key, body]);
}

/** A close frame with this code (any number, even an invalid one). */
export function closeFrame(code: number): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(code);
  return frame({ opcode: 8, payload: p });
}

/** The frames `ws` refuses: each one makes it emit 'error' on the server's socket. */
export const REFUSED_FRAMES: Record<string, Buffer> = {
  'invalid UTF-8 in a text frame': frame({ opcode: 1, payload: Buffer.from([0xc3, 0x28, 0xff]) }),
  'reserved opcode 3': frame({ opcode: 3, payload: Buffer.from('x') }),
  'reserved control opcode 0xB': frame({ opcode: 0xb }),
  'unmasked client frame': frame({ opcode: 1, payload: Buffer.from('{}'), masked: false }),
  'RSV1 without an extension': frame({ opcode: 1, rsv: 4, payload: Buffer.from('{}') }),
  'close code 999': closeFrame(999),
  'fragmented control frame': frame({ opcode: 9, fin: false }),
  'oversized control frame': frame({ opcode: 9, payload: Buffer.alloc(126) }),
  'continuation with nothing to continue': frame({ opcode: 0, payload: Buffer.from('x') }),
  'frame past the size cap': frame({ opcode: 2, length: 2 ** 40, payload: Buffer.alloc(0) }),
};
