// Parley TURN: the UDP data path in C (Linux). Owns the UDP listener and relay sockets, polls them on
// Node's own libuv loop (uv_poll_t, no extra thread), drains them with recvmmsg and sends with sendmmsg.
//
// Three fast paths are answered here without entering JavaScript:
//   1. ChannelData from a client whose (listener, client address) owns a mirrored allocation, on a live
//      mirrored channel with a live permission: the payload goes from the relay socket to the bound peer.
//   2. A datagram on a relay socket from a peer with a live mirrored channel and permission: it goes to
//      the client as ChannelData from the listener.
//   3. A STUN Binding request with no attributes, or only a valid FINGERPRINT: the success response
//      (XOR-MAPPED-ADDRESS, MAPPED-ADDRESS, FINGERPRINT when asked) is built here, byte for byte what the
//      TypeScript core answers.
// Everything else is copied into one batch per loop iteration and handed to JavaScript, whose TurnCore
// stays the source of truth: it pushes allocations, permissions and channels into the tables below (and
// removes them), after its own policy and quota checks. Nothing reaches a peer that JavaScript did not
// allow.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

// A receive slot holds a whole datagram up to SLOT_SIZE bytes (every MTU-sized one); a larger datagram
// spills into its batch position's overflow buffer and goes to JavaScript. Compact slots keep the ring in
// few pages and spread over cache sets (64 KiB slots would all alias to the same L1/L2 sets).
#define SLOT_SIZE 2048
#define OVERFLOW_SIZE 65536  // with the slot, every UDP datagram fits: no truncation
#define RING_SLOTS 256    // receive slots; fast-path sends point into them until flushed
#define RECV_BATCH 64     // datagrams per recvmmsg
#define WAKE_BUDGET 1024  // datagrams drained from one socket per poll wake (fairness)
#define INBOX_FLUSH (4 << 20)  // hand the JS batch over early past this many bytes
#define MAX_CHANNELS 256  // channels mirrored per allocation; more are served by JavaScript
#define MAX_PERMISSIONS 256

typedef union {
  struct sockaddr sa;
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;
} addr_t;

typedef struct engine engine_t;
typedef struct relay relay_t;

typedef struct sock {
  uv_poll_t poll;
  engine_t *eng;
  int fd;
  int id;
  int family;
  int closing;
  int is_relay;    // a relay socket (peers) rather than a listener (clients)
  relay_t *relay;  // set on a relay socket whose allocation is mirrored
  // Relayed since the last takeCounters: client → peer and peer → client, packets and payload bytes.
  uint64_t p2p, b2p, p2c, b2c;
} sock_t;

typedef struct {
  uint8_t ip[16];
  int64_t expires;
} perm_t;

typedef struct {
  uint16_t number;
  uint16_t port;
  uint8_t ip[16];
  int64_t expires;
  addr_t dest;
  socklen_t destlen;
} chan_t;

struct relay {
  sock_t *sock;
  int listener;  // socket id of the client's listener
  uint8_t cip[16];
  uint16_t cport;
  addr_t client;
  socklen_t clientlen;
  int64_t expires;
  chan_t *chans;
  int nchans, capchans;
  perm_t *perms;
  int nperms, capperms;
  relay_t *hnext;
};

typedef struct {
  sock_t *from;
  addr_t dest;
  socklen_t destlen;
  struct iovec iov[2];
  int iovcnt;
  uint8_t small[96];  // ChannelData header or a whole Binding response
} out_t;

struct engine {
  napi_env env;
  napi_ref callback;
  napi_ref resource;
  napi_async_context async;
  uv_loop_t *loop;
  uv_check_t check;
  int destroyed;
  int handles;  // open uv handles (sockets + check); the engine is freed at 0 once destroyed
  sock_t **socks;  // by id; NULL is free, &TOMB closed but not reusable until JavaScript saw its batch
  int nsocks;
  int ntombs;
  // client tuple → relay (fast path 1)
  relay_t **buckets;
  unsigned nbuckets, nrelays;
  // receive ring and pending fast-path sends
  uint8_t *ring;
  int used;
  addr_t from[RECV_BATCH];
  struct mmsghdr rmsgs[RECV_BATCH];
  struct iovec riov[RECV_BATCH * 2];
  uint8_t *overflow;  // RECV_BATCH × OVERFLOW_SIZE, touched only by datagrams over SLOT_SIZE
  out_t out[RING_SLOTS];
  int nout;
  struct mmsghdr smsgs[RING_SLOTS];
  uint8_t sent[RING_SLOTS];
  // batch for JavaScript
  uint8_t *inbox;
  size_t inlen, incap;
  uint32_t incount;
  int64_t clock_offset;
  uint64_t received;  // client datagrams answered or relayed here
};

// A closed socket's id is not reused before the batch that may still name it has been delivered.
static sock_t TOMB;

static sock_t *live(engine_t *e, int64_t id) {
  if (id < 0 || id >= e->nsocks) return NULL;
  sock_t *s = e->socks[id];
  return s && s != &TOMB && !s->closing ? s : NULL;
}

static void clear_tombs(engine_t *e) {
  if (e->ntombs == 0) return;
  for (int i = 0; i < e->nsocks; i++)
    if (e->socks[i] == &TOMB) e->socks[i] = NULL;
  e->ntombs = 0;
}

// ---------------------------------------------------------------------------------------------------
// small helpers

static int64_t now_ms(engine_t *e) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + e->clock_offset;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static uint32_t rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

// 16-byte key of an address: IPv6 as is, IPv4 as ::ffff:a.b.c.d (each socket is one family anyway).
static void addr_key(const addr_t *a, uint8_t ip[16], uint16_t *port) {
  if (a->sa.sa_family == AF_INET) {
    memset(ip, 0, 10);
    ip[10] = ip[11] = 0xff;
    memcpy(ip + 12, &a->v4.sin_addr, 4);
    *port = ntohs(a->v4.sin_port);
  } else {
    memcpy(ip, &a->v6.sin6_addr, 16);
    *port = ntohs(a->v6.sin6_port);
  }
}

// Parses IP text for a socket of `family`; fills the key and the sockaddr. 0 on failure.
static int parse_addr(int family, const char *text, uint16_t port, addr_t *out, socklen_t *len, uint8_t ip[16]) {
  memset(out, 0, sizeof(*out));
  if (family == AF_INET) {
    if (inet_pton(AF_INET, text, &out->v4.sin_addr) != 1) return 0;
    out->v4.sin_family = AF_INET;
    out->v4.sin_port = htons(port);
    *len = sizeof(struct sockaddr_in);
  } else {
    if (inet_pton(AF_INET6, text, &out->v6.sin6_addr) != 1) return 0;
    out->v6.sin6_family = AF_INET6;
    out->v6.sin6_port = htons(port);
    *len = sizeof(struct sockaddr_in6);
  }
  uint16_t p;
  addr_key(out, ip, &p);
  return 1;
}

static uint32_t crc_table[256];
static void crc_init(void) {
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

// ---------------------------------------------------------------------------------------------------
// client tuple → relay hash (chained)

static unsigned tuple_hash(int listener, const uint8_t ip[16], uint16_t port) {
  uint32_t h = 2166136261u ^ (uint32_t)listener;
  for (int i = 0; i < 16; i++) h = (h ^ ip[i]) * 16777619u;
  h = (h ^ port) * 16777619u;
  return h ^ (h >> 15);
}

static relay_t *find_relay(engine_t *e, int listener, const uint8_t ip[16], uint16_t port) {
  if (e->nbuckets == 0) return NULL;
  relay_t *r = e->buckets[tuple_hash(listener, ip, port) & (e->nbuckets - 1)];
  for (; r; r = r->hnext)
    if (r->listener == listener && r->cport == port && memcmp(r->cip, ip, 16) == 0) return r;
  return NULL;
}

static void hash_insert(engine_t *e, relay_t *r) {
  if (e->nrelays + 1 > e->nbuckets) {
    unsigned n = e->nbuckets ? e->nbuckets * 2 : 64;
    relay_t **b = calloc(n, sizeof(*b));
    if (!b) return;
    for (unsigned i = 0; i < e->nbuckets; i++) {
      relay_t *x = e->buckets[i];
      while (x) {
        relay_t *next = x->hnext;
        unsigned h = tuple_hash(x->listener, x->cip, x->cport) & (n - 1);
        x->hnext = b[h];
        b[h] = x;
        x = next;
      }
    }
    free(e->buckets);
    e->buckets = b;
    e->nbuckets = n;
  }
  unsigned h = tuple_hash(r->listener, r->cip, r->cport) & (e->nbuckets - 1);
  r->hnext = e->buckets[h];
  e->buckets[h] = r;
  e->nrelays++;
}

static void hash_remove(engine_t *e, relay_t *r) {
  if (e->nbuckets == 0) return;
  relay_t **pp = &e->buckets[tuple_hash(r->listener, r->cip, r->cport) & (e->nbuckets - 1)];
  for (; *pp; pp = &(*pp)->hnext) {
    if (*pp == r) {
      *pp = r->hnext;
      e->nrelays--;
      return;
    }
  }
}

static void relay_free(engine_t *e, relay_t *r) {
  if (!r) return;
  hash_remove(e, r);
  if (r->sock) r->sock->relay = NULL;
  free(r->chans);
  free(r->perms);
  free(r);
}

static chan_t *chan_by_number(relay_t *r, uint16_t number) {
  for (int i = 0; i < r->nchans; i++)
    if (r->chans[i].number == number) return &r->chans[i];
  return NULL;
}

static chan_t *chan_by_peer(relay_t *r, const uint8_t ip[16], uint16_t port) {
  for (int i = 0; i < r->nchans; i++)
    if (r->chans[i].port == port && memcmp(r->chans[i].ip, ip, 16) == 0) return &r->chans[i];
  return NULL;
}

static perm_t *perm_by_ip(relay_t *r, const uint8_t ip[16]) {
  for (int i = 0; i < r->nperms; i++)
    if (memcmp(r->perms[i].ip, ip, 16) == 0) return &r->perms[i];
  return NULL;
}

static int permitted(relay_t *r, const uint8_t ip[16], int64_t now) {
  perm_t *p = perm_by_ip(r, ip);
  return p && p->expires > now;
}

// ---------------------------------------------------------------------------------------------------
// sending and the JavaScript batch

static void flush_sends(engine_t *e) {
  int n = e->nout;
  if (n == 0) return;
  memset(e->sent, 0, (size_t)n);
  for (int i = 0; i < n; i++) {
    if (e->sent[i]) continue;
    sock_t *s = e->out[i].from;
    int m = 0;
    for (int j = i; j < n; j++) {
      if (e->sent[j] || e->out[j].from != s) continue;
      e->sent[j] = 1;
      out_t *o = &e->out[j];
      struct msghdr *h = &e->smsgs[m++].msg_hdr;
      memset(h, 0, sizeof(*h));
      h->msg_name = &o->dest;
      h->msg_namelen = o->destlen;
      h->msg_iov = o->iov;
      h->msg_iovlen = (size_t)o->iovcnt;
    }
    if (s->closing) continue;
    int off = 0;
    while (off < m) {
      int r = sendmmsg(s->fd, e->smsgs + off, (unsigned)(m - off), MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        off++;  // this datagram failed (unreachable, buffer full): UDP drops it, carry on with the rest
      } else {
        off += r;
      }
    }
  }
  e->nout = 0;
}

static void call_js(engine_t *e) {
  if (e->incount == 0 || e->destroyed) {
    e->inlen = 0;
    e->incount = 0;
    clear_tombs(e);
    return;
  }
  napi_env env = e->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value buf, count, cb, recv, result;
  void *data;
  uint32_t n = e->incount;
  size_t len = e->inlen;
  e->incount = 0;
  e->inlen = 0;
  if (napi_create_buffer_copy(env, len, e->inbox, &data, &buf) == napi_ok &&
      napi_create_uint32(env, n, &count) == napi_ok &&
      napi_get_reference_value(env, e->callback, &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok) {
    napi_value argv[2] = {buf, count};
    napi_status st = napi_make_callback(env, e->async, recv, cb, 2, argv, &result);
    if (st == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
  clear_tombs(e);
}

// Sends what is queued (it points into the receive ring), then hands the batch to JavaScript.
static void flush_all(engine_t *e) {
  flush_sends(e);
  e->used = 0;
  call_js(e);
}

// Copies a datagram (`len` bytes from `p`, then `len2` from `p2`) into the batch for JavaScript.
static void to_js(engine_t *e, sock_t *s, const addr_t *from, const uint8_t *p, size_t len, const uint8_t *p2,
                  size_t len2) {
  char text[INET6_ADDRSTRLEN];
  uint16_t port;
  if (from->sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &from->v4.sin_addr, text, sizeof(text));
    port = ntohs(from->v4.sin_port);
  } else if (from->sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &from->v6.sin6_addr, text, sizeof(text));
    port = ntohs(from->v6.sin6_port);
  } else {
    return;
  }
  size_t alen = strlen(text);
  size_t need = e->inlen + 12 + alen + len + len2;
  if (need > e->incap) {
    size_t cap = e->incap ? e->incap : 65536;
    while (cap < need) cap *= 2;
    uint8_t *b = realloc(e->inbox, cap);
    if (!b) return;
    e->inbox = b;
    e->incap = cap;
  }
  // Record, little-endian: u32 socket id, u16 port, u8 address length, u8 0, u32 length, address, data.
  uint8_t *r = e->inbox + e->inlen;
  uint32_t id = (uint32_t)s->id, l = (uint32_t)(len + len2);
  memcpy(r, &id, 4);
  memcpy(r + 4, &port, 2);
  r[6] = (uint8_t)alen;
  r[7] = 0;
  memcpy(r + 8, &l, 4);
  memcpy(r + 12, text, alen);
  memcpy(r + 12 + alen, p, len);
  if (len2) memcpy(r + 12 + alen + len, p2, len2);
  e->inlen = need;
  e->incount++;
}

static out_t *queue(engine_t *e, sock_t *from, const addr_t *dest, socklen_t destlen) {
  out_t *o = &e->out[e->nout++];
  o->from = from;
  memcpy(&o->dest, dest, destlen);
  o->destlen = destlen;
  return o;
}

// ---------------------------------------------------------------------------------------------------
// fast paths

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

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  sock_t *s = h->data;
  engine_t *e = s->eng;
  if (s->closing) return;
  if (status < 0) {
    // libuv stops a poll handle that reports POLLERR. A UDP socket's pending error (an ICMP error on a
    // socket that asked for them) is not fatal: clear it and keep polling, as node:dgram keeps receiving.
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
    return;
  }
  int budget = WAKE_BUDGET;
  int64_t now = now_ms(e);
  while (budget > 0 && !s->closing) {
    if (e->used + RECV_BATCH > RING_SLOTS || e->inlen > INBOX_FLUSH) {
      flush_all(e);
      if (s->closing || e->destroyed) return;
      now = now_ms(e);
    }
    for (int i = 0; i < RECV_BATCH; i++) {
      struct iovec *v = &e->riov[2 * i];
      v[0].iov_base = e->ring + (size_t)(e->used + i) * SLOT_SIZE;
      v[0].iov_len = SLOT_SIZE;
      v[1].iov_base = e->overflow + (size_t)i * OVERFLOW_SIZE;
      v[1].iov_len = OVERFLOW_SIZE;
      struct msghdr *m = &e->rmsgs[i].msg_hdr;
      memset(m, 0, sizeof(*m));
      m->msg_name = &e->from[i];
      m->msg_namelen = sizeof(addr_t);
      m->msg_iov = v;
      m->msg_iovlen = 2;
    }
    int n = recvmmsg(s->fd, e->rmsgs, RECV_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN, or an error the socket reports (ignored, as node:dgram's listeners do)
    }
    for (int i = 0; i < n; i++) {
      uint8_t *p = e->riov[2 * i].iov_base;
      int len = (int)e->rmsgs[i].msg_len;
      const addr_t *from = &e->from[i];
      int done;
      if (len > SLOT_SIZE) {
        to_js(e, s, from, p, SLOT_SIZE, e->riov[2 * i + 1].iov_base, (size_t)len - SLOT_SIZE);
        continue;
      }
      if (s->is_relay) {
        done = try_peer(e, s, p, len, from, now);
      } else if (len > 0 && p[0] >= 0x40) {
        done = try_channel_data(e, s, p, len, from, now);
      } else {
        done = try_binding(e, s, p, len, from, e->rmsgs[i].msg_hdr.msg_namelen);
      }
      if (!done) to_js(e, s, from, p, (size_t)len, NULL, 0);
    }
    e->used += n;
    budget -= n;
    if (n < RECV_BATCH) break;
  }
}

static void on_check(uv_check_t *h) {
  engine_t *e = h->data;
  if (e->nout > 0 || e->incount > 0) flush_all(e);
}

// ---------------------------------------------------------------------------------------------------
// lifetime

static void engine_maybe_free(engine_t *e) {
  if (!e->destroyed || e->handles > 0) return;
  free(e->socks);
  free(e->buckets);
  free(e->ring);
  free(e->overflow);
  free(e->inbox);
  free(e);
}

static void on_sock_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  engine_t *e = s->eng;
  free(s);
  e->handles--;
  engine_maybe_free(e);
}

static void sock_close(engine_t *e, sock_t *s) {
  if (s->closing) return;
  s->closing = 1;
  relay_free(e, s->relay);
  e->socks[s->id] = &TOMB;
  e->ntombs++;
  // uv_close stops polling and takes the fd out of epoll synchronously; the fd can be closed right after.
  uv_close((uv_handle_t *)&s->poll, on_sock_closed);
  close(s->fd);
  s->fd = -1;
}

static void on_check_closed(uv_handle_t *h) {
  engine_t *e = h->data;
  e->handles--;
  engine_maybe_free(e);
}

// ---------------------------------------------------------------------------------------------------
// N-API glue

#define CHECK(call)                                   \
  do {                                                \
    if ((call) != napi_ok) {                          \
      napi_throw_error(env, NULL, "turn_udp: " #call); \
      return NULL;                                    \
    }                                                 \
  } while (0)

static engine_t *arg_engine(napi_env env, napi_value v) {
  engine_t *e = NULL;
  if (napi_get_value_external(env, v, (void **)&e) != napi_ok || !e || e->destroyed) {
    napi_throw_error(env, NULL, "turn_udp: engine closed");
    return NULL;
  }
  return e;
}

static int arg_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static int arg_str(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t n;
  return napi_get_value_string_latin1(env, v, buf, cap, &n) == napi_ok;
}

static sock_t *arg_sock(engine_t *e, int64_t id) { return live(e, id); }

// create(callback(batch: Buffer, count: number)) → engine
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ext, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = calloc(1, sizeof(*e));
  if (!e) {
    napi_throw_error(env, NULL, "turn_udp: out of memory");
    return NULL;
  }
  e->ring = malloc((size_t)RING_SLOTS * SLOT_SIZE);
  e->overflow = malloc((size_t)RECV_BATCH * OVERFLOW_SIZE);
  if (!e->ring || !e->overflow) {
    free(e->ring);
    free(e->overflow);
    free(e);
    napi_throw_error(env, NULL, "turn_udp: out of memory");
    return NULL;
  }
  e->env = env;
  napi_value resource;
  CHECK(napi_create_reference(env, argv[0], 1, &e->callback));
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_reference(env, resource, 1, &e->resource));
  CHECK(napi_create_string_utf8(env, "ParleyTurnUdp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &e->async));
  CHECK(napi_get_uv_event_loop(env, &e->loop));
  uv_check_init(e->loop, &e->check);
  e->check.data = e;
  uv_check_start(&e->check, on_check);
  uv_unref((uv_handle_t *)&e->check);
  e->handles = 1;
  CHECK(napi_create_external(env, e, NULL, NULL, &ext));
  return ext;
}

// destroy(engine): closes every socket; the engine goes once libuv has released the handles.
static napi_value js_destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&e) != napi_ok || !e || e->destroyed) return NULL;
  flush_sends(e);
  e->used = 0;
  for (int i = 0; i < e->nsocks; i++)
    if (live(e, i)) sock_close(e, e->socks[i]);
  e->destroyed = 1;
  napi_async_destroy(env, e->async);
  napi_delete_reference(env, e->callback);
  napi_delete_reference(env, e->resource);
  uv_check_stop(&e->check);
  uv_close((uv_handle_t *)&e->check, on_check_closed);
  return NULL;
}

// open(engine, family 4|6, host, port, bufferBytes, relay: boolean) → [id, port]; throws an Error with
// `code` (EADDRINUSE…)
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  int64_t fam, port, bufbytes;
  char host[64];
  if (!arg_int(env, argv[1], &fam) || !arg_str(env, argv[2], host, sizeof(host)) || !arg_int(env, argv[3], &port) ||
      !arg_int(env, argv[4], &bufbytes) || port < 0 || port > 65535) {
    napi_throw_type_error(env, NULL, "turn_udp: bad arguments to open");
    return NULL;
  }
  int family = fam == 6 ? AF_INET6 : AF_INET;
  addr_t a;
  socklen_t alen;
  uint8_t ip[16];
  if (!parse_addr(family, host, (uint16_t)port, &a, &alen, ip)) {
    napi_throw_error(env, "EINVAL", "turn_udp: host is not an IP address of the family");
    return NULL;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    napi_throw_error(env, uv_err_name(uv_translate_sys_error(errno)), strerror(errno));
    return NULL;
  }
  int one = 1;
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bufbytes > 0) {
    int b = (int)bufbytes;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b, sizeof(b));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b));
  }
  if (bind(fd, &a.sa, alen) < 0) {
    int err = errno;
    close(fd);
    napi_throw_error(env, uv_err_name(uv_translate_sys_error(err)), strerror(err));
    return NULL;
  }
  addr_t bound;
  socklen_t blen = sizeof(bound);
  getsockname(fd, &bound.sa, &blen);
  sock_t *s = calloc(1, sizeof(*s));
  if (!s) {
    close(fd);
    napi_throw_error(env, NULL, "turn_udp: out of memory");
    return NULL;
  }
  int id = -1;
  for (int i = 0; i < e->nsocks; i++)
    if (!e->socks[i]) {
      id = i;
      break;
    }
  if (id < 0) {
    sock_t **grown = realloc(e->socks, sizeof(*grown) * (size_t)(e->nsocks ? e->nsocks * 2 : 16));
    if (!grown) {
      free(s);
      close(fd);
      napi_throw_error(env, NULL, "turn_udp: out of memory");
      return NULL;
    }
    int old = e->nsocks;
    e->socks = grown;
    e->nsocks = old ? old * 2 : 16;
    for (int i = old; i < e->nsocks; i++) e->socks[i] = NULL;
    id = old;
  }
  bool is_relay = false;
  napi_get_value_bool(env, argv[5], &is_relay);
  s->is_relay = is_relay;
  s->eng = e;
  s->fd = fd;
  s->id = id;
  s->family = family;
  if (uv_poll_init_socket(e->loop, &s->poll, fd) != 0) {
    free(s);
    close(fd);
    napi_throw_error(env, NULL, "turn_udp: uv_poll_init_socket failed");
    return NULL;
  }
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  e->socks[id] = s;
  e->handles++;
  napi_value out, vid, vport;
  uint16_t bport = ntohs(family == AF_INET ? bound.v4.sin_port : bound.v6.sin6_port);
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_int32(env, id, &vid));
  CHECK(napi_create_int32(env, bport, &vport));
  CHECK(napi_set_element(env, out, 0, vid));
  CHECK(napi_set_element(env, out, 1, vport));
  return out;
}

// close(engine, id)
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&e) != napi_ok || !e || e->destroyed) return NULL;
  int64_t id;
  if (!arg_int(env, argv[1], &id)) return NULL;
  sock_t *s = arg_sock(e, id);
  if (s) {
    flush_sends(e);  // queued sends may name this socket
    e->used = 0;
    sock_close(e, s);
  }
  return NULL;
}

// send(engine, id, data: Uint8Array, address, port): one datagram now; errors are dropped as UDP does.
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  int64_t id, port;
  char host[64];
  void *data;
  size_t len;
  napi_typedarray_type type;
  napi_value ab;
  size_t byteoff;
  if (!arg_int(env, argv[1], &id) || !arg_int(env, argv[4], &port) || !arg_str(env, argv[3], host, sizeof(host)) ||
      napi_get_typedarray_info(env, argv[2], &type, &len, &data, &ab, &byteoff) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "turn_udp: bad arguments to send");
    return NULL;
  }
  sock_t *s = arg_sock(e, id);
  if (!s || port < 0 || port > 65535) return NULL;
  addr_t a;
  socklen_t alen;
  uint8_t ip[16];
  if (!parse_addr(s->family, host, (uint16_t)port, &a, &alen, ip)) return NULL;
  while (sendto(s->fd, data, len, MSG_DONTWAIT, &a.sa, alen) < 0 && errno == EINTR) {
  }
  return NULL;
}

static relay_t *arg_relay(napi_env env, engine_t *e, napi_value v) {
  int64_t id;
  if (!arg_int(env, v, &id)) return NULL;
  sock_t *s = arg_sock(e, id);
  return s ? s->relay : NULL;
}

// relay(engine, relayId, listenerId, clientAddress, clientPort, expiresMs): mirror an allocation.
static napi_value js_relay(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  int64_t rid, lid, port, expires;
  char host[64];
  if (!arg_int(env, argv[1], &rid) || !arg_int(env, argv[2], &lid) || !arg_str(env, argv[3], host, sizeof(host)) ||
      !arg_int(env, argv[4], &port) || !arg_int(env, argv[5], &expires))
    return NULL;
  sock_t *s = arg_sock(e, rid);
  sock_t *l = arg_sock(e, lid);
  if (!s || !l || port < 0 || port > 65535) return NULL;
  relay_free(e, s->relay);
  relay_t *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  if (!parse_addr(l->family, host, (uint16_t)port, &r->client, &r->clientlen, r->cip)) {
    free(r);
    return NULL;
  }
  r->cport = (uint16_t)port;
  r->sock = s;
  r->listener = (int)lid;
  r->expires = expires;
  s->relay = r;
  hash_insert(e, r);
  return NULL;
}

// unrelay(engine, relayId): forget an allocation's mirror (the socket stays).
static napi_value js_unrelay(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  relay_t *r = arg_relay(env, e, argv[1]);
  if (r) relay_free(e, r);
  return NULL;
}

// expires(engine, relayId, ms): the allocation's lifetime changed (Refresh).
static napi_value js_expires(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  relay_t *r = arg_relay(env, e, argv[1]);
  int64_t ms;
  if (r && arg_int(env, argv[2], &ms)) r->expires = ms;
  return NULL;
}

// channel(engine, relayId, number, peerAddress, peerPort, expiresMs): install or refresh a binding.
static napi_value js_channel(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  relay_t *r = arg_relay(env, e, argv[1]);
  int64_t number, port, expires;
  char host[64];
  if (!r || !arg_int(env, argv[2], &number) || !arg_str(env, argv[3], host, sizeof(host)) ||
      !arg_int(env, argv[4], &port) || !arg_int(env, argv[5], &expires) || port < 0 || port > 65535 ||
      number < 0x4000 || number > 0x7FFF)
    return NULL;
  chan_t c;
  memset(&c, 0, sizeof(c));
  if (!parse_addr(r->sock->family, host, (uint16_t)port, &c.dest, &c.destlen, c.ip)) return NULL;
  c.number = (uint16_t)number;
  c.port = (uint16_t)port;
  c.expires = expires;
  // One binding per number and per peer: replace whatever held either.
  for (int i = 0; i < r->nchans;) {
    chan_t *x = &r->chans[i];
    if (x->number == c.number || (x->port == c.port && memcmp(x->ip, c.ip, 16) == 0)) {
      r->chans[i] = r->chans[--r->nchans];
    } else {
      i++;
    }
  }
  if (r->nchans >= MAX_CHANNELS) return NULL;  // served by JavaScript
  if (r->nchans == r->capchans) {
    int cap = r->capchans ? r->capchans * 2 : 4;
    chan_t *g = realloc(r->chans, sizeof(*g) * (size_t)cap);
    if (!g) return NULL;
    r->chans = g;
    r->capchans = cap;
  }
  r->chans[r->nchans++] = c;
  return NULL;
}

// unchannel(engine, relayId, number)
static napi_value js_unchannel(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  relay_t *r = arg_relay(env, e, argv[1]);
  int64_t number;
  if (!r || !arg_int(env, argv[2], &number)) return NULL;
  for (int i = 0; i < r->nchans; i++) {
    if (r->chans[i].number == number) {
      r->chans[i] = r->chans[--r->nchans];
      break;
    }
  }
  return NULL;
}

// permission(engine, relayId, peerAddress, expiresMs): install or refresh; expiresMs 0 removes it.
static napi_value js_permission(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  relay_t *r = arg_relay(env, e, argv[1]);
  char host[64];
  int64_t expires;
  if (!r || !arg_str(env, argv[2], host, sizeof(host)) || !arg_int(env, argv[3], &expires)) return NULL;
  addr_t a;
  socklen_t alen;
  uint8_t ip[16];
  if (!parse_addr(r->sock->family, host, 0, &a, &alen, ip)) return NULL;
  perm_t *p = perm_by_ip(r, ip);
  if (expires == 0) {
    if (p) *p = r->perms[--r->nperms];
    return NULL;
  }
  if (p) {
    p->expires = expires;
    return NULL;
  }
  if (r->nperms >= MAX_PERMISSIONS) return NULL;
  if (r->nperms == r->capperms) {
    int cap = r->capperms ? r->capperms * 2 : 4;
    perm_t *g = realloc(r->perms, sizeof(*g) * (size_t)cap);
    if (!g) return NULL;
    r->perms = g;
    r->capperms = cap;
  }
  memcpy(r->perms[r->nperms].ip, ip, 16);
  r->perms[r->nperms++].expires = expires;
  return NULL;
}

// clockOffset(engine, ms): the server's clock minus the system's real-time clock.
static napi_value js_clock_offset(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  int64_t ms;
  if (arg_int(env, argv[1], &ms)) e->clock_offset = ms;
  return NULL;
}

// takeCounters(engine, relayId | -1) → [received, id, toPeerPackets, toPeerBytes, toClientPackets,
// toClientBytes, id, …]: what was relayed here since the last call, for one relay socket or all.
static napi_value js_take_counters(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = arg_engine(env, argv[0]);
  if (!e) return NULL;
  int64_t only;
  if (!arg_int(env, argv[1], &only)) only = -1;
  napi_value out, v;
  CHECK(napi_create_array(env, &out));
  uint32_t k = 0;
  CHECK(napi_create_double(env, (double)e->received, &v));
  CHECK(napi_set_element(env, out, k++, v));
  e->received = 0;
  for (int i = 0; i < e->nsocks; i++) {
    sock_t *s = live(e, i);
    if (!s || (only >= 0 && i != only)) continue;
    if (s->p2p == 0 && s->p2c == 0) continue;
    double vals[5] = {(double)i, (double)s->p2p, (double)s->b2p, (double)s->p2c, (double)s->b2c};
    for (int j = 0; j < 5; j++) {
      CHECK(napi_create_double(env, vals[j], &v));
      CHECK(napi_set_element(env, out, k++, v));
    }
    s->p2p = s->b2p = s->p2c = s->b2c = 0;
  }
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  crc_init();
  napi_property_descriptor props[] = {
      {"create", NULL, js_create, NULL, NULL, NULL, napi_default, NULL},
      {"destroy", NULL, js_destroy, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"relay", NULL, js_relay, NULL, NULL, NULL, napi_default, NULL},
      {"unrelay", NULL, js_unrelay, NULL, NULL, NULL, napi_default, NULL},
      {"expires", NULL, js_expires, NULL, NULL, NULL, napi_default, NULL},
      {"channel", NULL, js_channel, NULL, NULL, NULL, napi_default, NULL},
      {"unchannel", NULL, js_unchannel, NULL, NULL, NULL, napi_default, NULL},
      {"permission", NULL, js_permission, NULL, NULL, NULL, napi_default, NULL},
      {"clockOffset", NULL, js_clock_offset, NULL, NULL, NULL, napi_default, NULL},
      {"takeCounters", NULL, js_take_counters, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
