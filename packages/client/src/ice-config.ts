/**
 * ICE servers as the RTCPeerConnection implementation needs them. Browsers take `username` and
 * `credential` as given. node-datachannel's polyfill folds them into a `turn:USER:PASS@host` URL for
 * libdatachannel without escaping them, and TURN REST credentials break that URL: the username is
 * `expiry:peer` (a colon) and the base64 password may hold `/`, `+` and `=`. libjuice then gathers no
 * relay candidate at all. libdatachannel percent-decodes the user part, so for that implementation both
 * values are percent-encoded here, and the URL it builds carries them intact.
 */
import type { RTCPeerConnectionConstructor } from './types.js';

/** Whether `ctor` is node-datachannel's polyfill: its prototype has members no browser's has. */
export function isNodeDatachannel(ctor: RTCPeerConnectionConstructor): boolean {
  const proto = (ctor as { prototype?: object }).prototype;
  return (
    typeof proto === 'object' &&
    proto !== null &&
    'ext_localCandidates' in proto &&
    'selectedCandidatePair' in proto
  );
}

/** Copies of `servers`, their TURN credentials percent-encoded where the implementation needs it. */
export function iceServersFor(
  ctor: RTCPeerConnectionConstructor,
  servers: readonly RTCIceServer[],
): RTCIceServer[] {
  if (!isNodeDatachannel(ctor)) return servers.map((s) => ({ ...s }));
  return servers.map((s) => ({
    ...s,
    ...(typeof s.username === 'string' ? { username: encodeURIComponent(s.username) } : {}),
    ...(typeof s.credential === 'string' ? { credential: encodeURIComponent(s.credential) } : {}),
  }));
}
