#!/bin/sh
# Runs a command (default: the browser suite) in a private network namespace of its own: loopback plus a
# veth pair with private addresses, so Chromium, node-datachannel and every server see no other network.
# Needs root (unshare -n). The namespace, and the veth pair in it, vanish when the command exits.
#   tests/e2e/hermetic.sh                                   # node scripts/test.mjs --only e2e --no-check
#   tests/e2e/hermetic.sh node --conditions=@parley/source --import tsx --test tests/e2e/peers.test.ts
set -eu
if [ "${PARLEY_E2E_IN_NETNS:-}" != 1 ]; then
  PARLEY_E2E_IN_NETNS=1 exec unshare --net "$0" "$@"
fi
ip link set lo up
# Chromium offers no loopback candidates and node-datachannel gathers none: give both a real link.
ip link add pe0 type veth peer name pe1
ip addr add 10.213.0.1/24 dev pe0
ip addr add 10.213.0.2/24 dev pe1
ip link set pe0 up
ip link set pe1 up
cd "$(dirname "$0")/../.."
if [ "$#" -eq 0 ]; then set -- node scripts/test.mjs --only e2e --no-check; fi
exec "$@"
