"""A loopback HTTP/1.1 proxy in front of a berth server that passes
requests and answers through unchanged, but can be armed to lose one
answer: the request whose X-Amz-Target ends with a given action reaches
the server, which answers, and the proxy then passes on only the
answer's head and closes the client's connection (a connection that
broke after the server had done the work)."""
import socket
import threading


def _read_message(sock, buf):
    """One HTTP message (headers and a Content-Length body) from sock,
    with buf holding bytes already read; returns (message, rest) or
    (None, b"") when the peer closed."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def _target(message):
    for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"x-amz-target":
            return v.strip().decode()
    return ""


class DropProxy:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.armed_action = None
        self.dropped = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, action):
        """Lose the answer to the next request for `action`."""
        with self.lock:
            self.armed_action = action

    def _accept(self):
        while not self.closing:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            u = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            c.close()
            return
        cbuf, ubuf = b"", b""
        try:
            while True:
                req, cbuf = _read_message(c, cbuf)
                if req is None:
                    return
                u.sendall(req)
                resp, ubuf = _read_message(u, ubuf)
                if resp is None:
                    return
                with self.lock:
                    drop = self.armed_action and _target(req).endswith("." + self.armed_action)
                    if drop:
                        self.armed_action = None
                        self.dropped += 1
                if drop:
                    # The answer's head first: a connection that died
                    # before a whole header line looks unused to libcurl,
                    # which would send the request again by itself.
                    c.sendall(resp.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
                    return
                c.sendall(resp)
        except OSError:
            return
        finally:
            c.close()
            u.close()

    def close(self):
        self.closing = True
        self.sock.close()
