"""DNS queries per second: a UDP client keeping a fixed number of queries
in flight against one server for a few seconds, every answer's id checked.
Used by bench/run.py's "dns" benchmark; runnable alone:

    /usr/bin/python3 bench/dns_qps.py HOST PORT NAME [SECONDS] [INFLIGHT]"""
import random
import select
import socket
import struct
import sys
import time


def query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def qps(host, port, name, seconds=3.0, inflight=32, timeout=1.0):
    """(answers per second, answers, lost): queries lost are re-sent after
    timeout and counted; an answer must carry an id still outstanding."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    s.setblocking(False)
    outstanding = {}
    answered = lost = 0
    start = time.monotonic()
    end = start + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        while len(outstanding) < inflight:
            qid = random.getrandbits(16)
            if qid in outstanding:
                continue
            try:
                s.send(query(name, qid))
            except OSError:  # an ICMP refusal of an earlier query: counted as lost
                pass
            outstanding[qid] = now
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            while True:
                try:
                    data = s.recv(4096)
                except OSError:  # nothing more, or an ICMP refusal
                    break
                qid = struct.unpack(">H", data[:2])[0]
                if outstanding.pop(qid, None) is not None:
                    answered += 1
        for qid, at in list(outstanding.items()):
            if now - at > timeout:
                del outstanding[qid]
                lost += 1
    s.close()
    return answered / (time.monotonic() - start), answered, lost


if __name__ == "__main__":
    host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    secs = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
    infl = int(sys.argv[5]) if len(sys.argv) > 5 else 32
    print("%.0f answers/s (%d answered, %d lost)" % qps(host, port, name, secs, infl))
