// Parley TURN native UDP path: the tables JavaScript mirrors its state into — relays by client tuple
// (listener, client address, port) in a chained hash, and per relay its channels and permissions. The
// lookups the fast paths make on every datagram are inline in turn_udp.h.
#include "turn_udp.h"

#include <stdlib.h>

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

// Mirrors an allocation: relay socket `s` serves the client at `client` through listener `listener`.
void relay_mirror(engine_t *e, sock_t *s, int listener, const addr_t *client, socklen_t clientlen,
                  const uint8_t cip[16], uint16_t cport, int64_t expires) {
  relay_t *r = calloc(1, sizeof(*r));
  if (!r) return;
  memcpy(&r->client, client, sizeof(*client));
  r->clientlen = clientlen;
  memcpy(r->cip, cip, 16);
  r->cport = cport;
  r->sock = s;
  r->listener = listener;
  r->expires = expires;
  s->relay = r;
  hash_insert(e, r);
}

void relay_free(engine_t *e, relay_t *r) {
  if (!r) return;
  hash_remove(e, r);
  if (r->sock) r->sock->relay = NULL;
  free(r->chans);
  free(r->perms);
  free(r);
}

// `items` (`n` of `size` bytes, room for `*cap`) with room for one more: doubled from 4 when full, NULL
// when out of memory (`items` is then unchanged).
static void *room_for_one(void *items, int n, int *cap, size_t size) {
  if (n < *cap) return items;
  int grown = *cap ? *cap * 2 : 4;
  void *g = realloc(items, size * (size_t)grown);
  if (g) *cap = grown;
  return g;
}

// Installs or refreshes a channel. One binding per number and per peer: it replaces whatever held either.
void chan_set(relay_t *r, const chan_t *c) {
  for (int i = 0; i < r->nchans;) {
    chan_t *x = &r->chans[i];
    if (x->number == c->number || (x->port == c->port && memcmp(x->ip, c->ip, 16) == 0)) {
      r->chans[i] = r->chans[--r->nchans];
    } else {
      i++;
    }
  }
  if (r->nchans >= MAX_CHANNELS) return;  // served by JavaScript
  chan_t *g = room_for_one(r->chans, r->nchans, &r->capchans, sizeof(*g));
  if (!g) return;
  r->chans = g;
  r->chans[r->nchans++] = *c;
}

void chan_unset(relay_t *r, int64_t number) {
  for (int i = 0; i < r->nchans; i++) {
    if (r->chans[i].number == number) {
      r->chans[i] = r->chans[--r->nchans];
      break;
    }
  }
}

// Installs or refreshes a permission; `expires` 0 removes it.
void perm_set(relay_t *r, const uint8_t ip[16], int64_t expires) {
  perm_t *p = perm_by_ip(r, ip);
  if (expires == 0) {
    if (p) *p = r->perms[--r->nperms];
    return;
  }
  if (p) {
    p->expires = expires;
    return;
  }
  if (r->nperms >= MAX_PERMISSIONS) return;
  perm_t *g = room_for_one(r->perms, r->nperms, &r->capperms, sizeof(*g));
  if (!g) return;
  r->perms = g;
  memcpy(r->perms[r->nperms].ip, ip, 16);
  r->perms[r->nperms++].expires = expires;
}
