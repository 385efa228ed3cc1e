"""Starting and stopping real berth processes for integration tests.

Every test talks to a real `berth server` on a free loopback port with its
own temporary data directory.  The binary comes from $BERTH_BIN (make test
points it at the ASan+UBSan build), so a sanitizer report fails the test
that caused it: a server that exits non-zero on SIGTERM fails teardown.

Credentials: the server wants every request SigV4-signed.  ROOT_KEY is one
root key for the whole test session (and everything it starts: bench/run.py
and its worker processes find it in the environment), made once here.
Every server gets it as BERTH_ROOT_ACCESS_KEY_ID/BERTH_ROOT_SECRET_ACCESS_KEY
(BerthServer), every agent and `berth logs` as AWS_ACCESS_KEY_ID/
AWS_SECRET_ACCESS_KEY (client_env), boto3 through client() and the AWS CLI
through aws_cli_env(); raw_call() signs with it.

The store: with BERTH_TEST_STORE=postgres (make integration-postgres), each
BerthServer started without a --store of its own keeps its state in a
database of its own on a throwaway PostgreSQL, one per test process (its
pytest-xdist worker), started at the first server and removed when the
process ends (new_store_url).  Anything else (unset, "sqlite"): SQLite in
the server's data directory, as a user's first `berth server` has it.
"""
import atexit
import datetime
import glob
import itertools
import json
import os
import pathlib
import re
import secrets
import select
import signal
import socket
import sqlite3
import string
import subprocess
import time
import unittest.mock
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
from botocore.config import Config
from botocore.credentials import Credentials

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BERTH_BIN = os.environ.get("BERTH_BIN", os.path.join(ROOT, "build", "berth"))
AWS_V2 = "/usr/bin/aws"  # the AWS CLI v2, for tests that drive it
ECS_TARGET = "AmazonEC2ContainerServiceV20141113"
LOGS_TARGET = "Logs_20140328"
AGENT_TARGET = "BerthAgent_20261122"
REGION = "us-east-1"

# Where the session's root key travels to child processes (bench/run.py
# under test_bench_smoke, its multiprocessing workers, bench_logs.py).
_KEY_ENV = ("BERTH_TEST_ROOT_ACCESS_KEY_ID", "BERTH_TEST_ROOT_SECRET_ACCESS_KEY")


def new_key():
    """A fresh key in the shape berth generates: "AKIA" + 16 upper-case
    letters/digits, and a 40-character secret of [A-Za-z0-9/+]."""
    kid = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))
    return Credentials(kid, secret)


def _session_root_key():
    kid, secret = (os.environ.get(n) for n in _KEY_ENV)
    if not (kid and secret):
        key = new_key()
        kid, secret = key.access_key, key.secret_key
        os.environ[_KEY_ENV[0]], os.environ[_KEY_ENV[1]] = kid, secret
    return Credentials(kid, secret)


# The one root key of this test session: made once, at the first import.
ROOT_KEY = _session_root_key()

# LeakSanitizer runs at exit; sanitizer failures must change the exit code.
SAN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=86",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=87",
}

# Inherited variables that would change which credentials or region a
# client uses behind the test's back.
_AWS_CLIENT_VARS = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
                    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")


def client_env(base=None, key=ROOT_KEY, region=REGION):
    """An environment (default: this process's, with the sanitizer
    options) for a berth client process (`berth agent`, `berth logs`,
    `berth up`'s agent): key as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
    AWS_DEFAULT_REGION region; with key None, no credentials at all."""
    env = dict(os.environ, **SAN_ENV) if base is None else dict(base)
    for k in _AWS_CLIENT_VARS + ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(k, None)
    if key is not None:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = key.access_key, key.secret_key
    env["AWS_DEFAULT_REGION"] = region
    return env


def server_env(base=None, root_key=ROOT_KEY):
    """An environment for `berth server`: root_key as BERTH_ROOT_ACCESS_KEY_ID/
    BERTH_ROOT_SECRET_ACCESS_KEY; with root_key None, neither (the server
    then makes its own key into DATA/credentials on first start)."""
    env = dict(os.environ, **SAN_ENV) if base is None else dict(base)
    env.pop("BERTH_ROOT_ACCESS_KEY_ID", None)
    env.pop("BERTH_ROOT_SECRET_ACCESS_KEY", None)
    if root_key is not None:
        env["BERTH_ROOT_ACCESS_KEY_ID"] = root_key.access_key
        env["BERTH_ROOT_SECRET_ACCESS_KEY"] = root_key.secret_key
    return env


def aws_cli_env(home, key=ROOT_KEY, region=REGION, **extra):
    """A clean environment for the AWS CLI v2 (/usr/bin/aws): key from the
    environment, no user configuration; extra overrides (e.g.
    AWS_SHARED_CREDENTIALS_FILE=..., AWS_PROFILE=... with key None)."""
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(home), "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_PAGER": "", "AWS_CLI_AUTO_PROMPT": "off", "PYTHONUNBUFFERED": "1",
    }
    if key is not None:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = key.access_key, key.secret_key
    env.update(extra)
    return env


TEST_STORE = os.environ.get("BERTH_TEST_STORE", "sqlite")
if TEST_STORE not in ("sqlite", "postgres"):
    raise RuntimeError("BERTH_TEST_STORE is sqlite or postgres, not %r" % TEST_STORE)
_test_pg = None
_test_dbs = itertools.count(1)


def stop_store():
    """Stop and remove this process's throwaway PostgreSQL, if it started one."""
    global _test_pg
    pg, _test_pg = _test_pg, None
    if pg is not None:
        pg.stop()


def _store_db(url):
    return url.split("@/", 1)[1].split("?", 1)[0]


def new_store_url():
    """A postgresql:// URL of a new, empty database on this process's
    throwaway PostgreSQL (started on first use), for one BerthServer."""
    global _test_pg
    if _test_pg is None:
        import pgserver
        _test_pg = pgserver.PgServer().start()
        atexit.register(stop_store)
    name = "berth_%d_%d" % (os.getpid(), next(_test_dbs))
    _test_pg.createdb(name)
    return "postgresql://berth@/%s?host=%s" % (name, _test_pg.sock)


class BerthServer:
    """One `berth server` process; restartable on the same data dir (and,
    under BERTH_TEST_STORE=postgres, the same database)."""

    def __init__(self, data_dir, log_path, extra_args=(), root_key=ROOT_KEY):
        """root_key: the BERTH_ROOT_* key the server starts with (a
        botocore Credentials), or None for none (it makes its own)."""
        self.data_dir = str(data_dir)
        self.log_path = str(log_path)
        self.extra_args = list(extra_args)
        self.root_key = root_key
        self.proc = None
        self.endpoint = None
        self.port = 0
        self.store_url = None
        if TEST_STORE == "postgres" and not any(a == "--store" or a.startswith("--store=") for a in self.extra_args):
            self.store_url = new_store_url()
            self.extra_args += ["--store", self.store_url]

    def start(self, timeout=20):
        endpoint_file = os.path.join(self.data_dir, "endpoint")
        if os.path.exists(endpoint_file):
            os.unlink(endpoint_file)
        env = server_env(root_key=self.root_key)
        # Reuse the port across restarts so clients keep working.
        listen = "127.0.0.1:%d" % self.port
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BERTH_BIN, "server", "--listen", listen, "--data", self.data_dir] + self.extra_args,
            stdout=log, stderr=log, env=env)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("berth server exited with %s; log:\n%s" % (self.proc.returncode, self.log()))
            if os.path.exists(endpoint_file):
                self.endpoint = open(endpoint_file).read().strip()
                self.port = int(self.endpoint.rsplit(":", 1)[1])
                if self._healthy():
                    return self
            time.sleep(0.02)
        raise RuntimeError("berth server did not start; log:\n" + self.log())

    def _healthy(self):
        try:
            with urllib.request.urlopen(self.endpoint + "/healthz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self, check=True):
        """SIGTERM and wait; with check, a non-zero exit (a sanitizer report,
        a leak) is an error."""
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("berth server did not stop on SIGTERM")
        if check and rc != 0:
            raise AssertionError("berth server exited %d; log:\n%s" % (rc, self.log()))

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def store_holds(self, needle):
        """Where the server's store holds the bytes needle, or None: SQLite's
        files in the data directory (database, WAL), or a dump of its
        PostgreSQL database (where a bytea column would show the bytes in
        hex, so that form is looked for too)."""
        if self.store_url is None:
            files = glob.glob(os.path.join(self.data_dir, "*.db*"))
            assert files, "no SQLite store in " + self.data_dir
            for f in files:
                with open(f, "rb") as fh:
                    if needle in fh.read():
                        return f
            return None
        dump = _test_pg.dump(_store_db(self.store_url))
        return "the PostgreSQL dump" if needle in dump or needle.hex().encode() in dump else None

    def store_exec(self, sql):
        """Run one SQL statement on the server's store (stopped first, as
        an operator would edit it) in the store's dialect."""
        assert not self.alive(), "stop the server before editing its store"
        if self.store_url is None:
            con = sqlite3.connect(glob.glob(os.path.join(self.data_dir, "*.db"))[0])
            try:
                con.execute(sql)
                con.commit()
            finally:
                con.close()
        else:
            _test_pg.psql(sql + ";", db=_store_db(self.store_url))


def client(endpoint, service="ecs", region=REGION, validate=True, key=ROOT_KEY):
    """A boto3 client for a berth endpoint, signing with key (default the
    session's root key).

    validate=False turns off botocore's own parameter checks, so a test can
    send what a buggy or hostile client would and see the server's answer."""
    cfg = Config(retries={"max_attempts": 1}, parameter_validation=validate,
                 connect_timeout=5, read_timeout=60)
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=key.access_key, aws_secret_access_key=key.secret_key,
                        config=cfg)


class _FrozenDatetime(datetime.datetime):
    at = None

    @classmethod
    def utcnow(cls):
        return cls.at


def sign(method, url, headers, body, key=ROOT_KEY, region=REGION, service="ecs", at=None, presign=False):
    """SigV4-sign a request with botocore: returns (url, headers) to send
    (presign: the query form, botocore's SigV4QueryAuth, which moves JSON
    body members into the query string and empties the body -- send
    without a body then).  at: a naive UTC datetime to sign at instead of
    now."""
    req = botocore.awsrequest.AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    auth = (botocore.auth.SigV4QueryAuth if presign else botocore.auth.SigV4Auth)(key, service, region)
    if at is None:
        auth.add_auth(req)
    else:
        frozen = type("_At", (_FrozenDatetime,), {"at": at})
        with unittest.mock.patch.object(botocore.auth.datetime, "datetime", frozen):
            auth.add_auth(req)
    return req.url, dict(req.headers.items())


def service_of(target_prefix):
    """The SigV4 service name for an X-Amz-Target prefix."""
    return "logs" if (target_prefix or "").startswith(LOGS_TARGET) else "ecs"


def post(endpoint, body, headers, signed=True, key=ROOT_KEY, region=REGION, service="ecs", at=None,
         presign=False, path="/", timeout=30):
    """POST body (bytes) with headers to endpoint+path, signed as sign()
    does unless signed is False (then exactly the given headers go, plus
    what urllib itself adds: Host, Content-Length, User-Agent...).
    Returns (status, response headers, body bytes)."""
    url = endpoint + path
    if signed:
        url, headers = sign("POST", url, headers, body, key=key, region=region, service=service, at=at,
                            presign=presign)
        if presign:
            body = b""
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raw_call(endpoint, action, body, target_prefix=ECS_TARGET, headers=None, signed=True, key=ROOT_KEY,
             region=REGION, service=None, at=None, presign=False, only_headers=False, response_headers=False):
    """POST a raw body (bytes or str or JSON-able object) as an action,
    SigV4-signed with key (default: the session's root key) for region and
    service (default "logs" for the Logs target, else "ecs"), at the time
    at (default now), in the presigned query form with presign.

    headers: extra headers (signed too when signing); only_headers: send
    those alone, without the Content-Type/X-Amz-Target made from action;
    signed=False: send no signature at all.  Returns (status, parsed JSON
    or text), plus the response headers with response_headers."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    h = {}
    if not only_headers:
        h["Content-Type"] = "application/x-amz-json-1.1"
        if action:
            h["X-Amz-Target"] = "%s.%s" % (target_prefix, action)
    h.update(headers or {})
    status, rh, text = post(endpoint, body, h, signed=signed, key=key, region=region,
                            service=service or service_of(target_prefix), at=at, presign=presign)
    try:
        out = json.loads(text)
    except ValueError:
        out = text.decode(errors="replace")
    return (status, out, rh) if response_headers else (status, out)


def create_token(endpoint, cluster, expires_in=None, key=ROOT_KEY):
    """A new registration token for cluster (BerthAgent.CreateRegistrationToken
    signed with key): (token, its description)."""
    body = {"cluster": cluster}
    if expires_in is not None:
        body["expiresInSeconds"] = expires_in
    status, out = raw_call(endpoint, "CreateRegistrationToken", body, target_prefix=AGENT_TARGET, key=key)
    assert status == 200, out
    return out["token"], out["registrationToken"]


def register_with_token(endpoint, cluster, token, **body):
    """BerthAgent.RegisterContainerInstance, unsigned, with a registration
    token (as `berth agent --token` does): (status, answer)."""
    req = {"cluster": cluster, "registrationToken": token,
           "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 1024},
                              {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048}]}
    req.update(body)
    return raw_call(endpoint, "RegisterContainerInstance", req, target_prefix=AGENT_TARGET, signed=False)


def instance_key(answer):
    """The instance credentials of a registration answer, as botocore Credentials."""
    c = answer["credentials"]
    return Credentials(c["accessKeyId"], c["secretAccessKey"])


class BerthAgent:
    """One `berth agent` process (real, or hollow with hollow=N)."""

    def __init__(self, server_endpoint, cluster, data_dir, log_path, hollow=0, extra_args=(), key=ROOT_KEY,
                 extra_env=None, token=None):
        """key: the credentials it gets as AWS_ACCESS_KEY_ID/
        AWS_SECRET_ACCESS_KEY (None: none); extra_env: more environment
        (e.g. AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE, HOME); token: a
        registration token to join with (--token; pass key=None to give it
        nothing else)."""
        self.key = key
        self.extra_env = dict(extra_env or {})
        self.args = [BERTH_BIN, "agent", "--server", server_endpoint, "--cluster", cluster,
                     "--data", str(data_dir)] + (["--hollow", str(hollow)] if hollow else []) + list(extra_args)
        if token:
            self.args += ["--token", token]
        self.data_dir = str(data_dir)
        self.log_path = str(log_path)
        self.proc = None

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        log = open(self.log_path, "ab")
        self.log_start = log.tell()
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=log, env=dict(client_env(key=self.key), **self.extra_env))
        log.close()
        return self

    def started(self):
        """Whether this process got as far as its first "agent:" line,
        logged once it handles SIGTERM (a SIGTERM before that, during exec
        and sanitizer start-up, kills it with the default action)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_start)
                return b"agent: " in f.read()
        except OSError:
            return False

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self, check=True):
        if not self.proc or self.proc.poll() is not None:
            return
        wait_for(lambda: self.started() or self.proc.poll() is not None, timeout=60, what="the agent to start")
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("berth agent did not stop on SIGTERM; log:\n" + self.log())
        if check and rc != 0:
            raise AssertionError("berth agent exited %d; log:\n%s" % (rc, self.log()))

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def task_id(arn):
    """The id at the end of a task ARN."""
    return arn.rsplit("/", 1)[1]


def err_code(excinfo):
    """The ECS error code of a pytest.raises(ClientError) excinfo."""
    return excinfo.value.response["Error"]["Code"]


def err_msg(excinfo):
    """The ECS error message of a pytest.raises(ClientError) excinfo."""
    return excinfo.value.response["Error"]["Message"]


def free_port():
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_dns_port():
    """A port free for both UDP and TCP on 127.0.0.1 (a DNS server listens on both)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port")


def unmount_under(path):
    """Lazily unmount every mount at or below path, deepest first: what a
    stopped agent left mounted (container roots it had not yet cleaned up)
    would otherwise outlive the directory's removal.  `umount -R path`
    does nothing when path itself is not a mount point."""
    root = os.path.realpath(path)
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            # The mount point, with octal escapes for spaces and the like.
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
            if point == root or point.startswith(root + "/"):
                points.append(point)
    for point in sorted(set(points), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL)


def wait_for(fn, timeout=20, interval=0.1, what="condition", explain=None):
    """Poll fn() until it returns a truthy value; return it, or fail, with
    what explain() says about the state then (a bare timeout under a loaded
    CI tells the next person nothing)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what + ("\n" + explain() if explain else ""))


def wait_for_berth_up(proc, log_path, timeout=180):
    """Wait for `berth up`'s welcome in log_path; fail at once if proc exits,
    and with the log's tail either way (a slow start under a loaded CI is
    otherwise a bare timeout)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = pathlib.Path(log_path).read_text(errors="replace")
        if "berth is up" in text:
            return text
        if proc.poll() is not None:
            raise AssertionError("berth up exited (%s) before it was up:\n%s" % (proc.returncode, text[-4000:]))
        time.sleep(0.1)
    raise AssertionError("berth up not up after %ds:\n%s" %
                         (timeout, pathlib.Path(log_path).read_text(errors="replace")[-4000:]))


def aws_logs(endpoint, env, *args):
    """Run `aws logs ARGS` (CLI v2) against endpoint; return its parsed JSON output."""
    p = subprocess.run([AWS_V2, "logs", *args, "--endpoint-url", endpoint, "--output", "json"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, "aws logs %s failed:\n%s\n%s" % (" ".join(args), p.stdout, p.stderr)
    return json.loads(p.stdout) if p.stdout.strip() else {}


def read_until(proc, needle, timeout):
    """Read proc's stdout (raw fd, so select() sees every byte) until the text
    holds needle; return the text read so far."""
    fd = proc.stdout.fileno()
    deadline = time.time() + timeout
    while time.time() < deadline:
        if needle in proc.seen:
            return proc.seen
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            proc.seen += chunk.decode(errors="replace")
        elif proc.poll() is not None:
            break
    raise AssertionError("did not see %r; got %r" % (needle, proc.seen))


PROMTOOL = "/usr/local/lib/berth/promtool"


def scrape_metrics(server, token=True):
    """GET /metrics from a BerthServer: (status, text).  token: send the
    bearer token from DATA/metrics.token (True), a given string, or none."""
    headers = {}
    if token is True:
        with open(os.path.join(server.data_dir, "metrics.token")) as f:
            token = f.read().strip()
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(server.endpoint + "/metrics", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric_samples(text, name):
    """{frozenset of (label, value): value} for the samples of `name`."""
    out = {}
    for line in text.splitlines():
        m = re.match(r'^%s(?:\{(.*)\})? (\S+)' % re.escape(name), line)
        if m:
            labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1) or ""))
            out[labels] = float(m.group(2))
    return out
