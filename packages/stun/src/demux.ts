/** What a packet arriving on a TURN/STUN port is, judged by its first byte. */
export type PacketKind = 'stun' | 'channel-data' | 'other';

/**
 * Classifies a packet by its first byte (RFC 7983 §7, RFC 8656 §12): 0–3 is STUN, 64–79 is ChannelData
 * (channel numbers 0x4000–0x4FFF), anything else (DTLS 20–63, RTP 128–191, …) is not ours. Only a hint:
 * decode to be sure.
 */
export function classifyPacket(bytes: Uint8Array): PacketKind {
  const first = bytes[0];
  if (first === undefined) return 'other';
  if (first <= 3) return 'stun';
  if (first >= 0x40 && first <= 0x4f) return 'channel-data';
  return 'other';
}
