/**
 * What RFC 5780's tests found, in plain words: the NAT's mapping and filtering behaviour (RFC 4787) and
 * what they mean for direct connections. Pure: the tests themselves are in nat-behavior.ts.
 */

export type Mapping =
  /** The mapped address is one of this machine's own: no NAT on the way. */
  'no-nat' | 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent' | 'unknown';

export type Filtering =
  | 'endpoint-independent'
  | 'address-dependent'
  | 'address-and-port-dependent'
  | 'unknown';

/** The usual name of the combination, as the CLI and the check page print it. */
export type NatKind =
  | 'udp-blocked'
  | 'open'
  | 'full-cone'
  | 'restricted-cone'
  | 'port-restricted'
  | 'symmetric'
  | 'unknown';

export function natKind(udp: boolean, mapping: Mapping, filtering: Filtering): NatKind {
  if (!udp) return 'udp-blocked';
  if (mapping === 'address-dependent' || mapping === 'address-and-port-dependent') return 'symmetric';
  if (mapping === 'unknown') return 'unknown';
  if (mapping === 'no-nat' && filtering === 'endpoint-independent') return 'open';
  if (filtering === 'endpoint-independent') return 'full-cone';
  if (filtering === 'address-dependent') return 'restricted-cone';
  if (filtering === 'address-and-port-dependent') return 'port-restricted';
  return 'unknown';
}

/** One sentence per kind: what it is, and what it means for a call. */
export function natSummary(kind: NatKind): string {
  switch (kind) {
    case 'udp-blocked':
      return 'UDP blocked: no answer over UDP, so calls go through the relay over TCP or TLS (TURN).';
    case 'open':
      return 'no NAT: this machine has a public address and accepts UDP from anywhere; direct connections work with every peer.';
    case 'full-cone':
      return 'full-cone NAT (endpoint-independent mapping and filtering): peers anywhere can reach you directly.';
    case 'restricted-cone':
      return 'restricted-cone NAT (endpoint-independent mapping, address-dependent filtering): direct connections work with almost every peer.';
    case 'port-restricted':
      return 'port-restricted cone NAT (endpoint-independent mapping, address-and-port-dependent filtering): direct connections work, except to peers behind symmetric NATs, which will need the relay.';
    case 'symmetric':
      return 'symmetric NAT (a new public port for every destination): direct connections to other symmetric NATs, and to port-restricted ones, will need the relay.';
    default:
      return 'unknown: the server does not support RFC 5780 behaviour discovery (start it with --stun-alternate-ip).';
  }
}
