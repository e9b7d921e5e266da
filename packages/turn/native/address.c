// Parley TURN native UDP path: IP addresses as text (what JavaScript passes and is handed) to and from
// sockaddrs. The 16-byte address keys and the byte-order helpers are inline in turn_udp.h.
#include "turn_udp.h"

#include <arpa/inet.h>

// Parses IP text for a socket of `family`; fills the key and the sockaddr. 0 on failure.
int parse_addr(int family, const char *text, uint16_t port, addr_t *out, socklen_t *len, uint8_t ip[16]) {
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

// Writes an address's IP as text and its port; the text's length, 0 when it is neither IPv4 nor IPv6.
size_t addr_text(const addr_t *a, char text[INET6_ADDRSTRLEN], uint16_t *port) {
  if (a->sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &a->v4.sin_addr, text, INET6_ADDRSTRLEN);
    *port = ntohs(a->v4.sin_port);
  } else if (a->sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &a->v6.sin6_addr, text, INET6_ADDRSTRLEN);
    *port = ntohs(a->v6.sin6_port);
  } else {
    return 0;
  }
  return strlen(text);
}
