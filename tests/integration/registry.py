"""A real Docker distribution registry (Debian's docker-registry) for tests,
and a tiny pusher speaking the distribution API, so test images are built
offline and byte-for-byte reproducibly.

    reg = Registry(tmpdir, htpasswd=("user", "pass")).start()
    push_image(reg.hostport, "busybox", "1", [layer_bytes], config_dict)
"""
import base64
import gzip
import hashlib
import io
import json
import os
import socket
import subprocess
import tarfile
import time
import urllib.error
import urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MTIME = 1700000000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """One docker-registry process with storage under directory."""

    def __init__(self, directory, htpasswd=None, port=0):
        self.dir = str(directory)
        self.storage = os.path.join(self.dir, "storage")
        self.log_path = os.path.join(self.dir, "registry.log")
        self.htpasswd = htpasswd
        self.port = port or free_port()
        self.hostport = "127.0.0.1:%d" % self.port
        self.proc = None

    def start(self, timeout=20):
        os.makedirs(self.storage, exist_ok=True)
        cfg = [
            "version: 0.1",
            "log:",
            "  level: info",
            "  accesslog:",
            "    disabled: false",
            "storage:",
            "  filesystem:",
            "    rootdirectory: %s" % self.storage,
            "  delete:",
            "    enabled: true",
            "http:",
            "  addr: %s" % self.hostport,
        ]
        if self.htpasswd:
            user, password = self.htpasswd
            path = os.path.join(self.dir, "htpasswd")
            out = subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True)
            with open(path, "wb") as f:
                f.write(out.stdout)
            cfg += ["auth:", "  htpasswd:", "    realm: berth-test", "    path: %s" % path]
        cfg_path = os.path.join(self.dir, "config.yml")
        with open(cfg_path, "w") as f:
            f.write("\n".join(cfg) + "\n")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg_path], stdout=log, stderr=log)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited; log:\n" + self.log())
            try:
                urllib.request.urlopen("http://%s/v2/" % self.hostport, timeout=1).close()
                return self
            except urllib.error.HTTPError:
                return self  # 401 with auth: it is up
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry did not start; log:\n" + self.log())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def blob_path(self, digest):
        hexd = digest.split(":", 1)[1]
        return os.path.join(self.storage, "docker/registry/v2/blobs/sha256", hexd[:2], hexd, "data")

    def blob_gets(self, digest, since=0, at_least=0, settle=0.3):
        """How many GETs of this blob the registry served (from its access
        log), counting log bytes after offset since.  The registry logs a
        request after answering it, so wait (up to 10 s) for at_least lines,
        then settle a moment for any extra ones."""
        def count():
            text = self.log()[since:]
            return sum(1 for line in text.splitlines()
                       if '"GET /v2/' in line and "/blobs/%s" % digest in line)
        deadline = time.time() + 10
        while count() < at_least and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(settle)
        return count()


# --- pushing ------------------------------------------------------------------

def _request(method, url, data=None, headers=None, auth=None):
    h = dict(headers or {})
    if auth:
        h["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
    req = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(hostport, repo, data, auth=None):
    digest = sha256(data)
    base = "http://%s/v2/%s" % (hostport, repo)
    status, _, _ = _request("HEAD", "%s/blobs/%s" % (base, digest), auth=auth)
    if status == 200:
        return digest
    status, headers, body = _request("POST", base + "/blobs/uploads/", data=b"", auth=auth)
    assert status == 202, (status, body)
    loc = headers.get("Location") or headers.get("location")
    if loc.startswith("/"):
        loc = "http://%s%s" % (hostport, loc)
    loc += ("&" if "?" in loc else "?") + "digest=" + digest
    status, _, body = _request("PUT", loc, data=data, auth=auth,
                               headers={"Content-Type": "application/octet-stream"})
    assert status == 201, (status, body)
    return digest


def push_manifest(hostport, repo, ref, manifest, media_type, auth=None):
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    status, _, resp = _request("PUT", "http://%s/v2/%s/manifests/%s" % (hostport, repo, ref), data=body,
                               headers={"Content-Type": media_type}, auth=auth)
    assert status == 201, (status, resp)
    return sha256(body), len(body)


def push_image(hostport, repo, tag, layers, config, docker=False, auth=None):
    """layers: list of (bytes, compression) with compression in
    {"gzip", "zstd", None}; config: the image config (rootfs filled in).
    Returns (manifest digest, manifest size)."""
    descs, diff_ids = [], []
    for data, comp in layers:
        diff_ids.append(sha256(data))
        blob, mt = compress(data, comp, docker)
        descs.append({"mediaType": mt, "digest": push_blob(hostport, repo, blob, auth), "size": len(blob)})
    config = dict(config)
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    cfg = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    mt = DOCKER_MANIFEST if docker else OCI_MANIFEST
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt,
        "config": {"mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                   "digest": push_blob(hostport, repo, cfg, auth), "size": len(cfg)},
        "layers": descs,
    }
    return push_manifest(hostport, repo, tag, manifest, mt, auth)


def push_index(hostport, repo, tag, entries, auth=None):
    """entries: list of (digest, size, platform dict)."""
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [{"mediaType": OCI_MANIFEST, "digest": d, "size": s, "platform": p}
                           for d, s, p in entries]}
    return push_manifest(hostport, repo, tag, index, OCI_INDEX, auth)


def compress(data, comp, docker=False):
    if comp == "gzip":
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=6) as g:
            g.write(data)
        return buf.getvalue(), DOCKER_LAYER if docker else OCI_LAYER + "+gzip"
    if comp == "zstd":
        out = subprocess.run(["zstd", "-q", "-c", "-3"], input=data, check=True, capture_output=True)
        return out.stdout, OCI_LAYER + "+zstd"
    return data, OCI_LAYER


# --- tarballs ---------------------------------------------------------------------

class Tar:
    """Build a layer tarball entry by entry, reproducibly."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, name, type_, mode, uid=0, gid=0):
        ti = tarfile.TarInfo(name)
        ti.type = type_
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = ""
        ti.mtime = MTIME
        return ti

    def dir(self, name, mode=0o755, uid=0, gid=0):
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode, uid, gid))
        return self

    def file(self, name, data=b"", mode=0o644, uid=0, gid=0):
        if isinstance(data, str):
            data = data.encode()
        ti = self._info(name, tarfile.REGTYPE, mode, uid, gid)
        ti.size = len(data)
        self.tar.addfile(ti, io.BytesIO(data))
        return self

    def symlink(self, name, target):
        ti = self._info(name, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.tar.addfile(ti)
        return self

    def hardlink(self, name, target):
        ti = self._info(name, tarfile.LNKTYPE, 0o644)
        ti.linkname = target
        self.tar.addfile(ti)
        return self

    def chardev(self, name, major, minor, mode=0o666):
        ti = self._info(name, tarfile.CHRTYPE, mode)
        ti.devmajor, ti.devminor = major, minor
        self.tar.addfile(ti)
        return self

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


# --- Bearer token auth -------------------------------------------------------------

class TokenProxy:
    """A Bearer-token front for a registry, as Docker Hub and ECR work: the
    registry answers 401 with a Bearer challenge naming a token realm; the
    realm checks Basic credentials (or allows anonymous pulls) and hands out
    a token; requests with the token are passed on to the real registry.
    Blob GETs are answered with a redirect, as registries on S3 do."""

    def __init__(self, backend_hostport, credentials=None):
        import http.server
        import secrets
        import threading

        self.backend = backend_hostport
        self.credentials = credentials
        self.token = secrets.token_hex(16)
        self.token_requests = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self):
                if self.path.startswith("/token"):
                    return self._token()
                if self.path.startswith("/redirected/"):
                    return self._forward(self.path[len("/redirected"):])
                if self.headers.get("Authorization") != "Bearer " + proxy.token:
                    challenge = ('Bearer realm="http://%s/token",service="berth-test",'
                                 'scope="repository:%s:pull"' % (proxy.hostport, self.path.split("/")[2]))
                    return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}',
                                      {"WWW-Authenticate": challenge, "Content-Type": "application/json"})
                if "/blobs/" in self.path:
                    # Like S3: the redirect target must not get our token.
                    # Another host name for the same server: a different origin.
                    loc = "http://localhost:%d/redirected%s" % (proxy.server.server_address[1], self.path)
                    return self._send(307, headers={"Location": loc})
                return self._forward(self.path)

            do_HEAD = do_GET

            def _token(self):
                from urllib.parse import parse_qs, urlparse
                q = parse_qs(urlparse(self.path).query)
                proxy.token_requests.append({"service": q.get("service"), "scope": q.get("scope"),
                                             "authorization": self.headers.get("Authorization")})
                if proxy.credentials:
                    want = "Basic " + base64.b64encode(("%s:%s" % proxy.credentials).encode()).decode()
                    if self.headers.get("Authorization") != want:
                        return self._send(401, b'{"details":"bad credentials"}')
                body = json.dumps({"access_token": proxy.token, "expires_in": 300}).encode()
                return self._send(200, body, {"Content-Type": "application/json"})

            def _forward(self, path):
                if self.path.startswith("/redirected/") and self.headers.get("Authorization"):
                    return self._send(400, b"authorization leaked to redirect target")
                req = urllib.request.Request("http://%s%s" % (proxy.backend, path), method=self.command,
                                             headers={"Accept": self.headers.get("Accept", "*/*"),
                                                      **({"Range": self.headers["Range"]}
                                                         if self.headers.get("Range") else {})})
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        status, headers, body = r.status, r.headers, r.read()
                except urllib.error.HTTPError as e:
                    status, headers, body = e.code, e.headers, e.read()
                keep = {k: headers[k] for k in ("Content-Type", "Docker-Content-Digest", "Content-Range")
                        if headers.get(k)}
                return self._send(status, body, keep)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.hostport = "127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
