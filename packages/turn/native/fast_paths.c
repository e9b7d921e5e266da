// Parley TURN native UDP path: the three fast paths, answered without entering JavaScript.
//   1. ChannelData from a client whose (listener, client address) owns a mirrored allocation, on a live
//      mirrored channel with a live permission: the payload goes from the relay socket to the bound peer.
//   2. A datagram on a relay socket from a peer with a live mirrored channel and permission: it goes to
//      the client as ChannelData from the listener.
//   3. A STUN Binding request with no attributes, or only a valid FINGERPRINT: the success response
//      (XOR-MAPPED-ADDRESS, MAPPED-ADDRESS, FINGERPRINT when asked) is built here, byte for byte what the
//      TypeScript core answers.
// Each queues its send (engine.c flushes them with sendmmsg); what none takes goes to JavaScript.
#include "turn_udp.h"

// CRC-32 (IEEE 802.3), for STUN FINGERPRINT; crc_init fills the table once, when the addon loads.
static uint32_t crc_table[256];
void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// Fast path 3: RFC 8489 Binding request without attributes (or with only a valid FINGERPRINT).
static int try_binding(engine_t *e, sock_t *s, const uint8_t *p, int len, const addr_t *from, socklen_t fromlen) {
  if (len < 20 || p[0] != 0x00 || p[1] != 0x01) return 0;
  int mlen = rd16(p + 2);
  if (mlen + 20 != len || rd32(p + 4) != 0x2112A442u) return 0;
  int fingerprint = 0;
  if (mlen == 8 && rd16(p + 20) == 0x8028 && rd16(p + 22) == 4) {
    if ((crc32(p, 20) ^ 0x5354554Eu) != rd32(p + 24)) return 0;  // JavaScript drops and counts it
    fingerprint = 1;
  } else if (mlen != 0) {
    return 0;
  }
  out_t *o = queue(e, s, from, fromlen);
  uint8_t *r = o->small;
  uint8_t ip[16];
  uint16_t port;
  addr_key(from, ip, &port);
  int v6 = from->sa.sa_family == AF_INET6;
  int alen = v6 ? 20 : 8;
  int n = 20;
  // XOR-MAPPED-ADDRESS
  wr16(r + n, 0x0020);
  wr16(r + n + 2, (uint16_t)alen);
  r[n + 4] = 0;
  r[n + 5] = v6 ? 0x02 : 0x01;
  wr16(r + n + 6, port ^ 0x2112);
  if (v6) {
    for (int i = 0; i < 16; i++) r[n + 8 + i] = ip[i] ^ p[4 + i];  // cookie then transaction id
  } else {
    for (int i = 0; i < 4; i++) r[n + 8 + i] = ip[12 + i] ^ p[4 + i];
  }
  n += 4 + alen;
  // MAPPED-ADDRESS
  wr16(r + n, 0x0001);
  wr16(r + n + 2, (uint16_t)alen);
  r[n + 4] = 0;
  r[n + 5] = v6 ? 0x02 : 0x01;
  wr16(r + n + 6, port);
  memcpy(r + n + 8, v6 ? ip : ip + 12, v6 ? 16 : 4);
  n += 4 + alen;
  // header
  wr16(r, 0x0101);
  memcpy(r + 4, p + 4, 16);  // magic cookie + transaction id
  if (fingerprint) {
    wr16(r + 2, (uint16_t)(n - 20 + 8));
    wr16(r + n, 0x8028);
    wr16(r + n + 2, 4);
    wr32(r + n + 4, crc32(r, (size_t)n) ^ 0x5354554Eu);
    n += 8;
  } else {
    wr16(r + 2, (uint16_t)(n - 20));
  }
  o->iov[0].iov_base = r;
  o->iov[0].iov_len = (size_t)n;
  o->iovcnt = 1;
  e->received++;
  return 1;
}

// Fast path 1: ChannelData from a client to its allocation's bound peer.
static int try_channel_data(engine_t *e, sock_t *s, uint8_t *p, int len, const addr_t *from, int64_t now) {
  if (len < 4 || p[0] < 0x40 || p[0] > 0x7F) return 0;
  int dlen = rd16(p + 2);
  if (len < 4 + dlen || len > 4 + ((dlen + 3) & ~3)) return 0;
  uint8_t ip[16];
  uint16_t port;
  addr_key(from, ip, &port);
  relay_t *r = find_relay(e, s->id, ip, port);
  if (!r || r->expires <= now || r->sock->closing) return 0;
  chan_t *c = chan_by_number(r, rd16(p));
  if (!c || c->expires <= now || !permitted(r, c->ip, now)) return 0;
  out_t *o = queue(e, r->sock, &c->dest, c->destlen);
  o->iov[0].iov_base = p + 4;
  o->iov[0].iov_len = (size_t)dlen;
  o->iovcnt = 1;
  r->sock->p2p++;
  r->sock->b2p += (uint64_t)dlen;
  e->received++;
  return 1;
}

// Fast path 2: a peer datagram on a relay socket, to the client as ChannelData.
static int try_peer(engine_t *e, sock_t *s, uint8_t *p, int len, const addr_t *from, int64_t now) {
  relay_t *r = s->relay;
  if (!r || r->expires <= now || len > 0xFFFF) return 0;
  sock_t *l = live(e, r->listener);
  if (!l) return 0;
  uint8_t ip[16];
  uint16_t port;
  addr_key(from, ip, &port);
  chan_t *c = chan_by_peer(r, ip, port);
  if (!c || c->expires <= now || !permitted(r, ip, now)) return 0;
  out_t *o = queue(e, l, &r->client, r->clientlen);
  wr16(o->small, c->number);
  wr16(o->small + 2, (uint16_t)len);
  o->iov[0].iov_base = o->small;
  o->iov[0].iov_len = 4;
  o->iov[1].iov_base = p;
  o->iov[1].iov_len = (size_t)len;
  o->iovcnt = 2;
  s->p2c++;
  s->b2c += (uint64_t)len;
  return 1;
}

int fast_path(engine_t *e, sock_t *s, uint8_t *p, int len, const addr_t *from, socklen_t fromlen, int64_t now) {
  if (s->is_relay) return try_peer(e, s, p, len, from, now);
  if (len > 0 && p[0] >= 0x40) return try_channel_data(e, s, p, len, from, now);
  return try_binding(e, s, p, len, from, fromlen);
}
