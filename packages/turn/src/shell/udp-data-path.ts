import { isIP } from 'node:net';
import type { IpFamily } from '../core/types.js';
import { loadTurnUdpAddon, NativeUdp } from './native-udp.js';
import type { TurnServerOptions } from './server-options.js';

let logged = false;

export function defaultLog(line: string): void {
  if (logged || process.env.PARLEY_LOG_LEVEL === 'silent') return;
  logged = true;
  process.stderr.write(`${line}\n`);
}

/**
 * Picks the UDP data path: the native addon when allowed, built and usable for these addresses (it binds
 * IP literals only), else node:dgram. Says why in `reason`.
 */
export function chooseDataPath(
  o: TurnServerOptions,
  hosts: Partial<Record<IpFamily, string>>,
): { native: NativeUdp | undefined; reason: string } {
  const wanted = o.udpDataPath ?? (process.env.PARLEY_TURN_NATIVE === '0' ? 'dgram' : 'auto');
  if (wanted === 'dgram') {
    return { native: undefined, reason: o.udpDataPath ? 'udpDataPath: dgram' : 'PARLEY_TURN_NATIVE=0' };
  }
  const named = [
    ...o.listen.filter((l) => l.transport === 'udp').map((l) => l.host),
    ...Object.values(hosts),
  ];
  const notIp = named.find((h) => isIP(h) === 0);
  const { addon, reason } = loadTurnUdpAddon();
  const why = notIp !== undefined ? `host ${notIp} is not an IP address` : addon ? undefined : reason;
  if (why !== undefined || !addon) {
    if (wanted === 'native') throw new Error(`the native UDP data path is not available: ${why}`);
    return { native: undefined, reason: why ?? reason };
  }
  return { native: new NativeUdp(addon), reason };
}
