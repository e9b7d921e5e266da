// Parley TURN: the UDP data path in C (Linux), the internal header its files share. The addon owns the UDP
// listener and relay sockets, polls them on Node's own libuv loop (uv_poll_t, no extra thread), drains them
// with recvmmsg and sends with sendmmsg (engine.c). Three fast paths are answered without entering
// JavaScript (fast_paths.c): ChannelData from a client on a mirrored channel, a peer datagram on a mirrored
// relay, and a STUN Binding request with no attributes or only a FINGERPRINT. Everything else goes to
// JavaScript in one batch per loop iteration; its TurnCore stays the source of truth and pushes
// allocations, permissions and channels into the tables (tables.c) through the N-API functions
// (bindings.c), after its own policy and quota checks. Nothing reaches a peer that JavaScript did not allow.
//
// The helpers every datagram goes through (byte order, address keys, the table lookups, queueing a send)
// are `static inline` here, so the fast paths inline them as they did when the addon was one file.
#ifndef PARLEY_TURN_UDP_H
#define PARLEY_TURN_UDP_H

#define _GNU_SOURCE
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

// The files share these functions with each other only: none is exported from the addon (as `static`
// kept them when it was one file); NAPI_MODULE's registration function is marked for export itself.
#pragma GCC visibility push(hidden)

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
extern sock_t TOMB;

static inline sock_t *live(engine_t *e, int64_t id) {
  if (id < 0 || id >= e->nsocks) return NULL;
  sock_t *s = e->socks[id];
  return s && s != &TOMB && !s->closing ? s : NULL;
}

// ---------------------------------------------------------------------------------------------------
// bytes and addresses (address.c)

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline uint32_t rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

// 16-byte key of an address: IPv6 as is, IPv4 as ::ffff:a.b.c.d (each socket is one family anyway).
static inline void addr_key(const addr_t *a, uint8_t ip[16], uint16_t *port) {
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

int parse_addr(int family, const char *text, uint16_t port, addr_t *out, socklen_t *len, uint8_t ip[16]);
size_t addr_text(const addr_t *a, char text[INET6_ADDRSTRLEN], uint16_t *port);

// ---------------------------------------------------------------------------------------------------
// the relay, channel and permission tables (tables.c); the lookups run on every fast-path datagram

static inline unsigned tuple_hash(int listener, const uint8_t ip[16], uint16_t port) {
  uint32_t h = 2166136261u ^ (uint32_t)listener;
  for (int i = 0; i < 16; i++) h = (h ^ ip[i]) * 16777619u;
  h = (h ^ port) * 16777619u;
  return h ^ (h >> 15);
}

static inline relay_t *find_relay(engine_t *e, int listener, const uint8_t ip[16], uint16_t port) {
  if (e->nbuckets == 0) return NULL;
  relay_t *r = e->buckets[tuple_hash(listener, ip, port) & (e->nbuckets - 1)];
  for (; r; r = r->hnext)
    if (r->listener == listener && r->cport == port && memcmp(r->cip, ip, 16) == 0) return r;
  return NULL;
}

static inline chan_t *chan_by_number(relay_t *r, uint16_t number) {
  for (int i = 0; i < r->nchans; i++)
    if (r->chans[i].number == number) return &r->chans[i];
  return NULL;
}

static inline chan_t *chan_by_peer(relay_t *r, const uint8_t ip[16], uint16_t port) {
  for (int i = 0; i < r->nchans; i++)
    if (r->chans[i].port == port && memcmp(r->chans[i].ip, ip, 16) == 0) return &r->chans[i];
  return NULL;
}

static inline perm_t *perm_by_ip(relay_t *r, const uint8_t ip[16]) {
  for (int i = 0; i < r->nperms; i++)
    if (memcmp(r->perms[i].ip, ip, 16) == 0) return &r->perms[i];
  return NULL;
}

static inline int permitted(relay_t *r, const uint8_t ip[16], int64_t now) {
  perm_t *p = perm_by_ip(r, ip);
  return p && p->expires > now;
}

void relay_mirror(engine_t *e, sock_t *s, int listener, const addr_t *client, socklen_t clientlen,
                  const uint8_t cip[16], uint16_t cport, int64_t expires);
void relay_free(engine_t *e, relay_t *r);
void chan_set(relay_t *r, const chan_t *c);
void chan_unset(relay_t *r, int64_t number);
void perm_set(relay_t *r, const uint8_t ip[16], int64_t expires);

// ---------------------------------------------------------------------------------------------------
// the fast paths (fast_paths.c)

void crc_init(void);
// Answers or relays one datagram of `len` bytes (at most SLOT_SIZE) received on `s`; 0 when JavaScript
// has to see it.
int fast_path(engine_t *e, sock_t *s, uint8_t *p, int len, const addr_t *from, socklen_t fromlen, int64_t now);

// ---------------------------------------------------------------------------------------------------
// the engine: sockets, polling, batching (engine.c)

// A fast-path send from `from` to `dest`; the caller fills its iovecs (they may point into the ring).
static inline out_t *queue(engine_t *e, sock_t *from, const addr_t *dest, socklen_t destlen) {
  out_t *o = &e->out[e->nout++];
  o->from = from;
  memcpy(&o->dest, dest, destlen);
  o->destlen = destlen;
  return o;
}

engine_t *engine_new(void);
void engine_start(engine_t *e);
void engine_destroy(napi_env env, engine_t *e);
void flush_sends(engine_t *e);
#define SOCK_NOMEM (-1)   // sock_open: out of memory
#define SOCK_NOPOLL (-2)  // sock_open: uv_poll_init_socket failed
int sock_open(engine_t *e, int family, const addr_t *a, socklen_t alen, int64_t bufbytes, int is_relay, int *id,
              uint16_t *port);
void sock_close(engine_t *e, sock_t *s);

#pragma GCC visibility pop
#endif
