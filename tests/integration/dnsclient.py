"""A tiny DNS client for the tests: one question over UDP (or TCP), the
answer's rcode, flags and records decoded (A, AAAA, SRV, CNAME, SOA)."""
import random
import socket
import struct

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "AAAA": 28, "SRV": 33, "ANY": 255}
NAMES = {v: k for k, v in TYPES.items()}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query_bytes(name, qtype="A", qid=None, flags=0x0100):
    qid = random.getrandbits(16) if qid is None else qid
    return struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 0) + encode_name(name) + struct.pack(">HH", TYPES[qtype], 1)


def read_name(msg, off, depth=0):
    labels = []
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            assert depth < 16, "compression loop"
            ptr = struct.unpack(">H", msg[off:off + 2])[0] & 0x3FFF
            rest, _ = read_name(msg, ptr, depth + 1)
            labels.append(rest)
            return ".".join(x for x in labels if x), off + 2
        off += 1
        if n == 0:
            return ".".join(labels), off
        labels.append(msg[off:off + n].decode())
        off += n


def parse(msg):
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    sections = {"answer": [], "authority": [], "additional": []}
    for sec, count in (("answer", an), ("authority", ns), ("additional", ar)):
        for _ in range(count):
            name, off = read_name(msg, off)
            rtype, _cls, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
            off += 10
            rdata = msg[off:off + rdlen]
            t = NAMES.get(rtype, str(rtype))
            if t == "A":
                value = socket.inet_ntop(socket.AF_INET, rdata)
            elif t == "AAAA":
                value = socket.inet_ntop(socket.AF_INET6, rdata)
            elif t == "SRV":
                prio, weight, port = struct.unpack(">HHH", rdata[:6])
                value = (prio, weight, port, read_name(msg, off + 6)[0])
            elif t == "CNAME":
                value = read_name(msg, off)[0]
            elif t == "SOA":
                mname, o = read_name(msg, off)
                rname, o = read_name(msg, o)
                value = (mname, rname) + struct.unpack(">IIIII", msg[o:o + 20])
            else:
                value = rdata
            sections[sec].append({"name": name, "type": t, "ttl": ttl, "value": value})
            off += rdlen
    return dict(id=qid, rcode=flags & 0xF, aa=bool(flags & 0x0400), tc=bool(flags & 0x0200), **sections)


def ask(server, port, name, qtype="A", timeout=5.0, tcp=False):
    q = query_bytes(name, qtype)
    if tcp:
        with socket.create_connection((server, port), timeout=timeout) as s:
            s.sendall(struct.pack(">H", len(q)) + q)
            hdr = s.recv(2, socket.MSG_WAITALL)
            n = struct.unpack(">H", hdr)[0]
            data = b""
            while len(data) < n:
                chunk = s.recv(n - len(data))
                assert chunk, "connection closed"
                data += chunk
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(q, (server, port))
            data, _ = s.recvfrom(65535)
    r = parse(data)
    assert r["id"] == struct.unpack(">H", q[:2])[0]
    return r


def values(answer, rtype):
    return sorted(r["value"] for r in answer["answer"] if r["type"] == rtype)
