/** Every fuzzer by name, for the campaign runner and the tests. */
import type { Case, Fuzzer } from './driver.js';
import { http } from './http.js';
import { signaling } from './signaling.js';
import { turnTcp, turnTls, turnUdp, turnUdpDgram } from './turn.js';
import { wsBytes } from './ws-bytes.js';

export const fuzzers: Record<string, Fuzzer<Case>> = {
  'ws-bytes': wsBytes as unknown as Fuzzer<Case>,
  signaling: signaling as unknown as Fuzzer<Case>,
  http: http as unknown as Fuzzer<Case>,
  'turn-udp': turnUdp,
  'turn-udp-dgram': turnUdpDgram,
  'turn-tcp': turnTcp,
  'turn-tls': turnTls,
};
