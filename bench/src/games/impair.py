#!/usr/bin/env python3
"""A userspace stand-in for `tc qdisc … netem delay D loss L` (this kernel has no sch_netem): an Ethernet
bridge between two interfaces over AF_PACKET sockets that drops each frame with probability L and forwards
the rest D ms later, both ways. Runs inside the middle namespace of the games benchmark.
usage: impair.py IF_A IF_B DELAY_MS LOSS_PERCENT [SEED]"""
import heapq, random, select, socket, sys, time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

a_name, b_name, delay_ms, loss_pct = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
socks = {}
for name in (a_name, b_name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    s.setblocking(False)
    socks[name] = s
other = {socks[a_name]: socks[b_name], socks[b_name]: socks[a_name]}
queue = []  # (due, seq, out socket, frame)
seq = 0
delay = delay_ms / 1000.0
loss = loss_pct / 100.0
print("ready", flush=True)
while True:
    now = time.monotonic()
    timeout = max(0.0, queue[0][0] - now) if queue else 1.0
    readable, _, _ = select.select(list(other), [], [], timeout)
    now = time.monotonic()
    for s in readable:
        while True:
            try:
                frame, addr = s.recvfrom(65535)
            except BlockingIOError:
                break
            if addr[2] == PACKET_OUTGOING:
                continue
            if rng.random() < loss:
                continue
            seq += 1
            heapq.heappush(queue, (now + delay, seq, other[s], frame))
    while queue and queue[0][0] <= time.monotonic():
        _, _, out, frame = heapq.heappop(queue)
        try:
            out.send(frame)
        except OSError:
            pass
