// Parley TURN native UDP path: the engine. Opens the UDP sockets and polls them on Node's own libuv loop
// (uv_poll_t, no extra thread), drains a readable one with recvmmsg into a ring of receive slots, offers
// each datagram to the fast paths, sends what they queued with sendmmsg once per loop iteration (a
// uv_check_t after the poll phase) or when the ring fills, and hands every other datagram to JavaScript in
// one batch. Also the clock the fast paths check expiry against, and the engine's and sockets' lifetime.
#include "turn_udp.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

sock_t TOMB;  // see turn_udp.h

static void clear_tombs(engine_t *e) {
  if (e->ntombs == 0) return;
  for (int i = 0; i < e->nsocks; i++)
    if (e->socks[i] == &TOMB) e->socks[i] = NULL;
  e->ntombs = 0;
}

// The clock expiry is checked against: real time plus the offset of the server's injected clock.
static int64_t now_ms(engine_t *e) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + e->clock_offset;
}

// ---------------------------------------------------------------------------------------------------
// sending and the JavaScript batch

// Sends what the fast paths queued, grouped by socket, with sendmmsg.
void flush_sends(engine_t *e) {
  int n = e->nout;
  e->used = 0;  // the receive slots the sends point into are free again once this returns
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
  call_js(e);
}

// Copies a datagram (`len` bytes from `p`, then `len2` from `p2`) into the batch for JavaScript.
static void to_js(engine_t *e, sock_t *s, const addr_t *from, const uint8_t *p, size_t len, const uint8_t *p2,
                  size_t len2) {
  char text[INET6_ADDRSTRLEN];
  uint16_t port;
  size_t alen = addr_text(from, text, &port);
  if (alen == 0) return;
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

// ---------------------------------------------------------------------------------------------------
// polling

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  sock_t *s = h->data;
  engine_t *e = s->eng;
  if (s->closing) return;
  if (status < 0) {
    // libuv stops a poll handle that reports POLLERR. A UDP socket's pending error (an ICMP error on a
    // socket that asked for them) is not fatal: clear it and keep polling, as node:dgram keeps receiving.
    // (Ours are unconnected without IP_RECVERR, so Linux drops ICMP errors for them: this is a guard.)
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
      if (len > SLOT_SIZE) {
        to_js(e, s, from, p, SLOT_SIZE, e->riov[2 * i + 1].iov_base, (size_t)len - SLOT_SIZE);
        continue;
      }
      socklen_t fromlen = e->rmsgs[i].msg_hdr.msg_namelen;
      if (!fast_path(e, s, p, len, from, fromlen, now)) to_js(e, s, from, p, (size_t)len, NULL, 0);
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

void sock_close(engine_t *e, sock_t *s) {
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

// An engine with its receive ring; NULL when out of memory.
engine_t *engine_new(void) {
  engine_t *e = calloc(1, sizeof(*e));
  if (!e) return NULL;
  e->ring = malloc((size_t)RING_SLOTS * SLOT_SIZE);
  e->overflow = malloc((size_t)RECV_BATCH * OVERFLOW_SIZE);
  if (!e->ring || !e->overflow) {
    free(e->ring);
    free(e->overflow);
    free(e);
    return NULL;
  }
  return e;
}

// Starts the per-iteration flush on e->loop (it does not keep the loop alive).
void engine_start(engine_t *e) {
  uv_check_init(e->loop, &e->check);
  e->check.data = e;
  uv_check_start(&e->check, on_check);
  uv_unref((uv_handle_t *)&e->check);
  e->handles = 1;
}

// Closes every socket; the engine goes once libuv has released the handles.
void engine_destroy(napi_env env, engine_t *e) {
  flush_sends(e);
  for (int i = 0; i < e->nsocks; i++)
    if (live(e, i)) sock_close(e, e->socks[i]);
  e->destroyed = 1;
  napi_async_destroy(env, e->async);
  napi_delete_reference(env, e->callback);
  napi_delete_reference(env, e->resource);
  uv_check_stop(&e->check);
  uv_close((uv_handle_t *)&e->check, on_check_closed);
}

// A free socket id, growing the table when none is; -1 when out of memory.
static int free_id(engine_t *e) {
  for (int i = 0; i < e->nsocks; i++)
    if (!e->socks[i]) return i;
  sock_t **grown = realloc(e->socks, sizeof(*grown) * (size_t)(e->nsocks ? e->nsocks * 2 : 16));
  if (!grown) return -1;
  int old = e->nsocks;
  e->socks = grown;
  e->nsocks = old ? old * 2 : 16;
  for (int i = old; i < e->nsocks; i++) e->socks[i] = NULL;
  return old;
}

// Opens a UDP socket bound to `a` (send and receive buffers `bufbytes` when > 0) and polls it. 0 with its
// id and bound port; else an errno, SOCK_NOMEM or SOCK_NOPOLL.
int sock_open(engine_t *e, int family, const addr_t *a, socklen_t alen, int64_t bufbytes, int is_relay, int *id,
              uint16_t *port) {
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int one = 1;
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bufbytes > 0) {
    int b = (int)bufbytes;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &b, sizeof(b));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b));
  }
  if (bind(fd, &a->sa, alen) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  addr_t bound;
  socklen_t blen = sizeof(bound);
  getsockname(fd, &bound.sa, &blen);
  int err = SOCK_NOMEM;
  sock_t *s = calloc(1, sizeof(*s));
  if (!s || (*id = free_id(e)) < 0) goto fail;
  s->is_relay = is_relay;
  s->eng = e;
  s->fd = fd;
  s->id = *id;
  s->family = family;
  err = SOCK_NOPOLL;
  if (uv_poll_init_socket(e->loop, &s->poll, fd) != 0) goto fail;
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  e->socks[*id] = s;
  e->handles++;
  *port = ntohs(family == AF_INET ? bound.v4.sin_port : bound.v6.sin6_port);
  return 0;
fail:
  free(s);
  close(fd);
  return err;
}
