// Parley TURN native UDP path: the N-API functions JavaScript calls (src/native-udp.ts declares them).
// They read and check their arguments and call the engine (engine.c) and the tables (tables.c). A call
// on a closed engine throws, except destroy and close; a call naming a socket or mirror that is gone,
// or with an address the socket's family cannot take, does nothing, as a datagram to nowhere would.
#include "turn_udp.h"

#include <errno.h>
#include <stdbool.h>

#define CHECK(call)                                   \
  do {                                                \
    if ((call) != napi_ok) {                          \
      napi_throw_error(env, NULL, "turn_udp: " #call); \
      return NULL;                                    \
    }                                                 \
  } while (0)

static int arg_int(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static int arg_str(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t n;
  return napi_get_value_string_latin1(env, v, buf, cap, &n) == napi_ok;
}

// Reads up to `n` arguments into `argv`; the engine argv[0] names, NULL when it is closed (and then an
// Error is thrown when `must`).
static engine_t *engine_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, bool must) {
  size_t argc = n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = NULL;
  if (napi_get_value_external(env, argv[0], (void **)&e) != napi_ok || !e || e->destroyed) {
    if (must) napi_throw_error(env, NULL, "turn_udp: engine closed");
    return NULL;
  }
  return e;
}

// The open socket whose id is the argument; NULL when there is none.
static sock_t *arg_sock(napi_env env, engine_t *e, napi_value v) {
  int64_t id;
  return arg_int(env, v, &id) ? live(e, id) : NULL;
}

// For the calls on a mirrored allocation, argv[1] its relay socket's id: its mirror, NULL when it has none.
static relay_t *relay_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  engine_t *e = engine_args(env, info, n, argv, true);
  sock_t *s = e ? arg_sock(env, e, argv[1]) : NULL;
  return s ? s->relay : NULL;
}

// An address given as IP text and port.
typedef struct {
  char host[64];
  int64_t port;
} where_t;

// Reads an address's two arguments; 0 when either has the wrong type.
static int arg_where(napi_env env, napi_value host, napi_value port, where_t *w) {
  return arg_str(env, host, w->host, sizeof(w->host)) && arg_int(env, port, &w->port);
}

// The address as a sockaddr for a socket of `family`, and its key; 0 when the port is out of range or the
// text is not an IP address of the family.
static int where_addr(const where_t *w, int family, addr_t *a, socklen_t *len, uint8_t ip[16]) {
  return w->port >= 0 && w->port <= 65535 && parse_addr(family, w->host, (uint16_t)w->port, a, len, ip);
}

static napi_value throw_errno(napi_env env, int err) {
  napi_throw_error(env, uv_err_name(uv_translate_sys_error(err)), strerror(err));
  return NULL;
}

// create(callback(batch: Buffer, count: number)) → engine
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ext, name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t *e = engine_new();
  if (!e) {
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
  engine_start(e);
  CHECK(napi_create_external(env, e, NULL, NULL, &ext));
  return ext;
}

// destroy(engine): closes every socket; the engine goes once libuv has released the handles.
static napi_value js_destroy(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  engine_t *e = engine_args(env, info, 1, argv, false);
  if (e) engine_destroy(env, e);
  return NULL;
}

// open(engine, family 4|6, host, port, bufferBytes, relay: boolean) → [id, port]; throws an Error with
// `code` (EADDRINUSE…)
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  engine_t *e = engine_args(env, info, 6, argv, true);
  if (!e) return NULL;
  int64_t fam, bufbytes;
  where_t w;
  if (!arg_int(env, argv[1], &fam) || !arg_where(env, argv[2], argv[3], &w) || !arg_int(env, argv[4], &bufbytes) ||
      w.port < 0 || w.port > 65535) {
    napi_throw_type_error(env, NULL, "turn_udp: bad arguments to open");
    return NULL;
  }
  int family = fam == 6 ? AF_INET6 : AF_INET;
  addr_t a;
  socklen_t alen;
  uint8_t ip[16];
  if (!where_addr(&w, family, &a, &alen, ip)) {
    napi_throw_error(env, "EINVAL", "turn_udp: host is not an IP address of the family");
    return NULL;
  }
  bool is_relay = false;
  napi_get_value_bool(env, argv[5], &is_relay);
  int id;
  uint16_t bport;
  int err = sock_open(e, family, &a, alen, bufbytes, is_relay, &id, &bport);
  if (err > 0) return throw_errno(env, err);
  if (err) {
    const char *why = err == SOCK_NOMEM ? "turn_udp: out of memory" : "turn_udp: uv_poll_init_socket failed";
    napi_throw_error(env, NULL, why);
    return NULL;
  }
  napi_value out, vid, vport;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_int32(env, id, &vid));
  CHECK(napi_create_int32(env, bport, &vport));
  CHECK(napi_set_element(env, out, 0, vid));
  CHECK(napi_set_element(env, out, 1, vport));
  return out;
}

// close(engine, id)
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  engine_t *e = engine_args(env, info, 2, argv, false);
  sock_t *s = e ? arg_sock(env, e, argv[1]) : NULL;
  if (s) {
    flush_sends(e);  // queued sends may name this socket
    sock_close(e, s);
  }
  return NULL;
}

// send(engine, id, data: Uint8Array, address, port): one datagram now; errors are dropped as UDP does.
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  engine_t *e = engine_args(env, info, 5, argv, true);
  if (!e) return NULL;
  int64_t id;
  where_t w;
  void *data;
  size_t len;
  napi_typedarray_type type;
  napi_value ab;
  size_t byteoff;
  if (!arg_int(env, argv[1], &id) || !arg_where(env, argv[3], argv[4], &w) ||
      napi_get_typedarray_info(env, argv[2], &type, &len, &data, &ab, &byteoff) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "turn_udp: bad arguments to send");
    return NULL;
  }
  sock_t *s = live(e, id);
  addr_t a;
  socklen_t alen;
  uint8_t ip[16];
  if (!s || !where_addr(&w, s->family, &a, &alen, ip)) return NULL;
  while (sendto(s->fd, data, len, MSG_DONTWAIT, &a.sa, alen) < 0 && errno == EINTR) {
  }
  return NULL;
}

// relay(engine, relayId, listenerId, clientAddress, clientPort, expiresMs): mirror an allocation.
static napi_value js_relay(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  engine_t *e = engine_args(env, info, 6, argv, true);
  if (!e) return NULL;
  int64_t rid, lid, expires;
  where_t w;
  if (!arg_int(env, argv[1], &rid) || !arg_int(env, argv[2], &lid) || !arg_where(env, argv[3], argv[4], &w) ||
      !arg_int(env, argv[5], &expires))
    return NULL;
  sock_t *s = live(e, rid);
  sock_t *l = live(e, lid);
  if (!s || !l || w.port < 0 || w.port > 65535) return NULL;
  relay_free(e, s->relay);
  addr_t client;
  socklen_t clientlen;
  uint8_t cip[16];
  if (where_addr(&w, l->family, &client, &clientlen, cip))
    relay_mirror(e, s, (int)lid, &client, clientlen, cip, (uint16_t)w.port, expires);
  return NULL;
}

// unrelay(engine, relayId): forget an allocation's mirror (the socket stays).
static napi_value js_unrelay(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  relay_t *r = relay_args(env, info, 2, argv);
  if (r) relay_free(r->sock->eng, r);
  return NULL;
}

// expires(engine, relayId, ms): the allocation's lifetime changed (Refresh).
static napi_value js_expires(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  relay_t *r = relay_args(env, info, 3, argv);
  int64_t ms;
  if (r && arg_int(env, argv[2], &ms)) r->expires = ms;
  return NULL;
}

// channel(engine, relayId, number, peerAddress, peerPort, expiresMs): install or refresh a binding.
static napi_value js_channel(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  relay_t *r = relay_args(env, info, 6, argv);
  int64_t number, expires;
  where_t w;
  if (!r || !arg_int(env, argv[2], &number) || !arg_where(env, argv[3], argv[4], &w) ||
      !arg_int(env, argv[5], &expires) || number < 0x4000 || number > 0x7FFF)
    return NULL;
  chan_t c;
  memset(&c, 0, sizeof(c));
  if (!where_addr(&w, r->sock->family, &c.dest, &c.destlen, c.ip)) return NULL;
  c.number = (uint16_t)number;
  c.port = (uint16_t)w.port;
  c.expires = expires;
  chan_set(r, &c);
  return NULL;
}

// unchannel(engine, relayId, number)
static napi_value js_unchannel(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  relay_t *r = relay_args(env, info, 3, argv);
  int64_t number;
  if (r && arg_int(env, argv[2], &number)) chan_unset(r, number);
  return NULL;
}

// permission(engine, relayId, peerAddress, expiresMs): install or refresh; expiresMs 0 removes it.
static napi_value js_permission(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  relay_t *r = relay_args(env, info, 4, argv);
  char host[64];
  int64_t expires;
  addr_t a;
  socklen_t alen;
  uint8_t ip[16];
  if (r && arg_str(env, argv[2], host, sizeof(host)) && arg_int(env, argv[3], &expires) &&
      parse_addr(r->sock->family, host, 0, &a, &alen, ip))
    perm_set(r, ip, expires);
  return NULL;
}

// clockOffset(engine, ms): the server's clock minus the system's real-time clock.
static napi_value js_clock_offset(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  engine_t *e = engine_args(env, info, 2, argv, true);
  int64_t ms;
  if (e && arg_int(env, argv[1], &ms)) e->clock_offset = ms;
  return NULL;
}

// takeCounters(engine, relayId | -1) → [received, id, toPeerPackets, toPeerBytes, toClientPackets,
// toClientBytes, id, …]: what was relayed here since the last call, for one relay socket or all.
static napi_value js_take_counters(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  engine_t *e = engine_args(env, info, 2, argv, true);
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

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}

static napi_value Init(napi_env env, napi_value exports) {
  crc_init();
  napi_property_descriptor props[] = {
      FN("create", js_create),
      FN("destroy", js_destroy),
      FN("open", js_open),
      FN("close", js_close),
      FN("send", js_send),
      FN("relay", js_relay),
      FN("unrelay", js_unrelay),
      FN("expires", js_expires),
      FN("channel", js_channel),
      FN("unchannel", js_unchannel),
      FN("permission", js_permission),
      FN("clockOffset", js_clock_offset),
      FN("takeCounters", js_take_counters),
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
