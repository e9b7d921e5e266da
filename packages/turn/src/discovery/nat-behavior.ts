/**
 * RFC 5780 NAT behaviour discovery, the client side, over one Node UDP socket per test series: the
 * filtering tests (§4.4: ask the server to answer from the other IP and port, then from the other port
 * only) and, on a second socket, the mapping tests (§4.3: the same local port to the primary address, the
 * alternate IP, then the alternate IP and port).
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import {
  addAttribute,
  ChangeRequest,
  createMessage,
  type DecodedStunMessage,
  decodeMessage,
  encodeMessage,
  getAttribute,
  MessageClass,
  Method,
  OtherAddress,
  ResponseOrigin,
  Software,
  type TransportAddress,
  XorMappedAddress,
} from '@parley/stun';
import { nodeCrypto } from '../core/node-crypto.js';
import { type Filtering, type Mapping, type NatKind, natKind, natSummary } from './nat-verdict.js';

export interface NatDiscoveryOptions {
  /** The STUN server's primary address (IP literal) and port. */
  readonly host: string;
  readonly port: number;
  /** How long one test waits for its answer, retransmitting every `rtoMs`. Default 1500 ms. */
  readonly timeoutMs?: number;
  readonly rtoMs?: number;
}

export interface NatReport {
  readonly server: string;
  /** Whether any answer came back over UDP. */
  readonly udp: boolean;
  /** The public address the server saw (test I). */
  readonly mapped?: string;
  /** The server's other address (OTHER-ADDRESS), when it supports RFC 5780. */
  readonly otherAddress?: string;
  readonly mapping: Mapping;
  readonly filtering: Filtering;
  readonly kind: NatKind;
  readonly summary: string;
}

const text = (a: TransportAddress) =>
  a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;

/** Sends Binding requests from `socket` and matches answers by transaction id. */
class Asker {
  private readonly waiting = new Map<string, (m: DecodedStunMessage) => void>();

  constructor(
    readonly socket: Socket,
    private readonly o: NatDiscoveryOptions,
  ) {
    socket.on('message', (bytes) => {
      try {
        const msg = decodeMessage(bytes);
        this.waiting.get(Buffer.from(msg.transactionId).toString('hex'))?.(msg);
      } catch {
        // not STUN
      }
    });
  }

  /** A Binding request to `to` (with CHANGE-REQUEST when given); undefined when nothing answered in time. */
  ask(
    to: { address: string; port: number },
    change?: { changeIp: boolean; changePort: boolean },
  ): Promise<DecodedStunMessage | undefined> {
    const tid = new Uint8Array(randomBytes(12));
    const msg = createMessage(Method.Binding, MessageClass.Request, tid);
    // An attribute keeps the request off a server's attribute-less fast path, which does not do RFC 5780.
    addAttribute(msg, Software, 'parley nat');
    if (change) addAttribute(msg, ChangeRequest, change);
    const bytes = encodeMessage(msg, { fingerprint: true, crypto: nodeCrypto });
    const key = Buffer.from(tid).toString('hex');
    return new Promise((resolve) => {
      const send = () => this.socket.send(bytes, to.port, to.address);
      const resend = setInterval(send, this.o.rtoMs ?? 250);
      const done = (m: DecodedStunMessage | undefined) => {
        clearInterval(resend);
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(m);
      };
      const timer = setTimeout(() => done(undefined), this.o.timeoutMs ?? 1500);
      this.waiting.set(key, (m) => done(m));
      send();
    });
  }
}

async function openSocket(family: 4 | 6): Promise<Socket> {
  const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, () => resolve()));
  return socket;
}

function ownAddress(address: string): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === address));
}

/** Runs the RFC 5780 mapping and filtering tests against one server. */
export async function discoverNatBehavior(o: NatDiscoveryOptions): Promise<NatReport> {
  const family = isIP(o.host);
  if (family === 0) throw new TypeError(`the STUN server must be given as an IP address, not ${o.host}`);
  const server = family === 6 ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
  const primary = { address: o.host, port: o.port };
  const report = (
    udp: boolean,
    mapping: Mapping,
    filtering: Filtering,
    extra: { mapped?: string; otherAddress?: string } = {},
  ): NatReport => {
    const kind = natKind(udp, mapping, filtering);
    return { server, udp, ...extra, mapping, filtering, kind, summary: natSummary(kind) };
  };

  const mappingSocket = await openSocket(family as 4 | 6);
  const filteringSocket = await openSocket(family as 4 | 6);
  try {
    // §4.4 first, before any packet of this machine went to the alternate address: a NAT that filters
    // per host rather than per mapping would otherwise let the changed answers in. Test I gives the
    // mapped address and OTHER-ADDRESS.
    const f = new Asker(filteringSocket, o);
    const first = await f.ask(primary);
    const mapped1 = first && getAttribute(first, XorMappedAddress);
    if (!mapped1) return report(false, 'unknown', 'unknown');
    const other = getAttribute(first, OtherAddress);
    const extra = { mapped: text(mapped1), ...(other ? { otherAddress: text(other) } : {}) };
    if (!other) return report(true, 'unknown', 'unknown', extra);
    let filtering: Filtering;
    const fromOther = await f.ask(primary, { changeIp: true, changePort: true });
    if (fromOther && originIs(fromOther, other.address, other.port)) filtering = 'endpoint-independent';
    else {
      const fromOtherPort = await f.ask(primary, { changeIp: false, changePort: true });
      filtering =
        fromOtherPort && originIs(fromOtherPort, o.host, other.port)
          ? 'address-dependent'
          : 'address-and-port-dependent';
    }

    // §4.3 on another socket: test I, then the alternate IP (test II), then the alternate IP and port.
    const m = new Asker(mappingSocket, o);
    const again = await m.ask(primary);
    const mappedI = again && getAttribute(again, XorMappedAddress);
    if (!mappedI) return report(true, 'unknown', filtering, extra);
    const noNat = mappedI.port === mappingSocket.address().port && ownAddress(mappedI.address);
    const second = await m.ask({ address: other.address, port: o.port });
    const mapped2 = second && getAttribute(second, XorMappedAddress);
    let mapping: Mapping = 'unknown';
    if (mapped2 && text(mapped2) === text(mappedI)) mapping = noNat ? 'no-nat' : 'endpoint-independent';
    else if (mapped2) {
      const third = await m.ask({ address: other.address, port: other.port });
      const mapped3 = third && getAttribute(third, XorMappedAddress);
      if (mapped3)
        mapping = text(mapped3) === text(mapped2) ? 'address-dependent' : 'address-and-port-dependent';
    }
    return report(true, mapping, filtering, extra);
  } finally {
    mappingSocket.close();
    filteringSocket.close();
  }
}

/** Whether the answer says it came from `address`:`port` (RESPONSE-ORIGIN). */
function originIs(msg: DecodedStunMessage, address: string, port: number): boolean {
  const origin = getAttribute(msg, ResponseOrigin);
  return origin !== undefined && origin.address === address && origin.port === port;
}
