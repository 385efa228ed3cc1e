"""A small client of Session Manager's data channel protocol (what
session-manager-plugin speaks on ExecuteCommand's streamUrl), written from
the protocol's description for the tests: a RFC 6455 WebSocket, the
OpenDataChannelInput hello, and binary ClientMessages (a 116-byte header
counted by its first field, then the payload length and the payload; the
payload's SHA-256 digest in the header).  It checks what the plugin checks
(digests, the sequence of the server's output, acknowledgements of its own
input) and a little more (every message of ours acknowledged once, by its
sequence number and id)."""
import base64
import hashlib
import json
import os
import socket
import struct
import time
import uuid

HEADER_LENGTH = 116
OUTPUT, SIZE, HANDSHAKE_REQUEST, HANDSHAKE_RESPONSE, HANDSHAKE_COMPLETE, STDERR = 1, 3, 5, 6, 7, 11


class ProtocolError(AssertionError):
    pass


def encode(msg_type, seq, payload_type, payload, flags=0, msg_id=None):
    msg_id = msg_id or uuid.uuid4()
    b = msg_id.bytes
    head = struct.pack(">I32sIQqQ", HEADER_LENGTH, msg_type.encode().ljust(32, b" "), 1,
                       int(time.time() * 1000), seq, flags)
    # The id's low 8 bytes come first on the wire.
    head += b[8:] + b[:8] + hashlib.sha256(payload).digest() + struct.pack(">II", payload_type, len(payload))
    assert len(head) == HEADER_LENGTH + 4
    return head + payload, msg_id


def decode(data):
    if len(data) < HEADER_LENGTH + 4:
        raise ProtocolError("message of %d bytes" % len(data))
    hl, = struct.unpack(">I", data[:4])
    if hl != HEADER_LENGTH:
        raise ProtocolError("header length %d" % hl)
    mtype = data[4:36].rstrip(b" \0").decode()
    schema, created, seq, flags = struct.unpack(">IQqQ", data[36:64])
    msg_id = uuid.UUID(bytes=data[72:80] + data[64:72])
    digest = data[80:112]
    ptype, plen = struct.unpack(">II", data[112:120])
    payload = data[hl + 4:]
    if plen != len(payload):
        raise ProtocolError("payload length %d, %d bytes follow" % (plen, len(payload)))
    if payload and hashlib.sha256(payload).digest() != digest:
        raise ProtocolError("payload digest mismatch")
    if created == 0 or schema != 1:
        raise ProtocolError("created %d schema %d" % (created, schema))
    return {"type": mtype, "seq": seq, "flags": flags, "id": msg_id, "payload_type": ptype, "payload": payload}


class WebSocket:
    def __init__(self, url, timeout=30):
        assert url.startswith("ws://"), url
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(1)
            assert chunk, head
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, op, data):
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            h = bytes([0x80 | op, 0x80 | n])
        elif n < 65536:
            h = bytes([0x80 | op, 0x80 | 126]) + struct.pack(">H", n)
        else:
            h = bytes([0x80 | op, 0x80 | 127]) + struct.pack(">Q", n)
        self.s.sendall(h + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed")
            buf += chunk
        return buf

    def recv(self):
        """(opcode, payload) of the next data or close frame."""
        while True:
            h = self._exact(2)
            assert not h[1] & 0x80, "the server's frames are not masked"
            n = h[1] & 0x7f
            if n == 126:
                n, = struct.unpack(">H", self._exact(2))
            elif n == 127:
                n, = struct.unpack(">Q", self._exact(8))
            op, data = h[0] & 0x0f, self._exact(n)
            if op == 9:
                self.send(10, data)
                continue
            return op, data

    def close(self):
        self.s.close()


class Session:
    """One ExecuteCommand session as the plugin runs it."""

    def __init__(self, session):
        self.session = session
        self.ws = WebSocket(session["streamUrl"])
        self.ws.send(1, json.dumps({"MessageSchemaVersion": "1.0", "RequestId": str(uuid.uuid4()),
                                    "TokenValue": session["tokenValue"], "ClientId": str(uuid.uuid4()),
                                    "ClientVersion": "berth-test"}).encode())
        self.out_seq = 0           # our next input_stream_data
        self.unacked = {}          # seq -> message id of ours not yet acknowledged
        self.expected = 0          # the server's next output_stream_data
        self.stdout = b""
        self.stderr = b""
        self.session_type = None
        self.closed_output = None  # channel_closed's Output, once received
        self.close_code = None
        self.acks = []             # (seq, id) of our messages the server acknowledged
        self.resent = 0            # output messages the server sent again
        self.drop_outputs = 0      # output messages to drop unacknowledged

    def send_input(self, payload_type, payload, resend_of=None):
        if resend_of is not None:
            seq, msg_id = resend_of
            data, _ = encode("input_stream_data", seq, payload_type, payload, msg_id=msg_id)
        else:
            seq = self.out_seq
            data, msg_id = encode("input_stream_data", seq, payload_type, payload)
            self.out_seq += 1
            self.unacked[seq] = msg_id
        self.ws.send(2, data)
        return seq, msg_id

    def send_raw(self, data):
        self.ws.send(2, data)

    def _ack(self, m):
        content = json.dumps({"AcknowledgedMessageType": m["type"], "AcknowledgedMessageId": str(m["id"]),
                              "AcknowledgedMessageSequenceNumber": m["seq"], "IsSequentialMessage": True})
        self.ws.send(2, encode("acknowledge", 0, 0, content.encode(), flags=3)[0])

    def step(self):
        """Handle the next frame; False once the channel is closed."""
        op, data = self.ws.recv()
        if op == 8:
            self.close_code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            return False
        if op != 2:
            raise ProtocolError("frame with opcode %d" % op)
        m = decode(data)
        if m["type"] == "acknowledge":
            a = json.loads(m["payload"])
            seq, mid = a["AcknowledgedMessageSequenceNumber"], a["AcknowledgedMessageId"]
            assert a["AcknowledgedMessageType"] == "input_stream_data", a
            self.acks.append((seq, mid))
            if seq in self.unacked:
                assert str(self.unacked.pop(seq)) == mid, (a, self.unacked)
            return True
        if m["type"] == "channel_closed":
            c = json.loads(m["payload"])
            assert c["MessageType"] == "channel_closed" and c["SessionId"] == self.session["sessionId"], c
            self.closed_output = c["Output"]
            return True
        if m["type"] != "output_stream_data":
            return True
        if m["seq"] < self.expected:
            self.resent += 1  # a resend of one taken: dropped, as the plugin does
            return True
        if m["seq"] > self.expected:
            raise ProtocolError("output %d, expected %d" % (m["seq"], self.expected))
        if m["payload_type"] in (OUTPUT, STDERR) and self.drop_outputs > 0:
            # As the plugin before its shell handler is in place: neither
            # taken nor acknowledged.
            self.drop_outputs -= 1
            return True
        self.expected += 1
        self._ack(m)
        pt = m["payload_type"]
        if pt == HANDSHAKE_REQUEST:
            req = json.loads(m["payload"])
            actions = req["RequestedClientActions"]
            processed = []
            for a in actions:
                assert a["ActionType"] == "SessionType", a  # no KMS encryption asked for
                self.session_type = a["ActionParameters"]["SessionType"]
                processed.append({"ActionType": "SessionType", "ActionStatus": 1, "ActionResult": None,
                                  "Error": ""})
            self.send_input(HANDSHAKE_RESPONSE, json.dumps({"ClientVersion": "berth-test",
                                                            "ProcessedClientActions": processed,
                                                            "Errors": None}).encode())
        elif pt == HANDSHAKE_COMPLETE:
            assert self.session_type in ("InteractiveCommands", "NonInteractiveCommands"), self.session_type
            # As the plugin's shell session: the terminal's size first.
            self.send_input(SIZE, json.dumps({"cols": 80, "rows": 24}).encode())
            self.handshake_done = True
        elif pt == OUTPUT:
            self.stdout += m["payload"]
        elif pt == STDERR:
            self.stderr += m["payload"]
        else:
            raise ProtocolError("output payload type %d" % pt)
        return True

    def run_until(self, cond, timeout=60):
        deadline = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < deadline, (self.stdout, self.stderr)
            if not self.step():
                break

    def close(self):
        self.ws.close()
