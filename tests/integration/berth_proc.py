"""Starting and stopping real berth processes for integration tests.

Every test talks to a real `berth server` on a free loopback port with its
own temporary data directory.  The binary comes from $BERTH_BIN (make test
points it at the ASan+UBSan build), so a sanitizer report fails the test
that caused it: a server that exits non-zero on SIGTERM fails teardown.
"""
import json
import os
import select
import signal
import subprocess
import time
import urllib.request

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BERTH_BIN = os.environ.get("BERTH_BIN", os.path.join(ROOT, "build", "berth"))
AWS_V2 = "/usr/bin/aws"  # the AWS CLI v2, for tests that drive it
ECS_TARGET = "AmazonEC2ContainerServiceV20141113"

# LeakSanitizer runs at exit; sanitizer failures must change the exit code.
SAN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=86",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=87",
}


class BerthServer:
    """One `berth server` process; restartable on the same data dir."""

    def __init__(self, data_dir, log_path, extra_args=()):
        self.data_dir = str(data_dir)
        self.log_path = str(log_path)
        self.extra_args = list(extra_args)
        self.proc = None
        self.endpoint = None
        self.port = 0

    def start(self, timeout=20):
        endpoint_file = os.path.join(self.data_dir, "endpoint")
        if os.path.exists(endpoint_file):
            os.unlink(endpoint_file)
        env = dict(os.environ, **SAN_ENV)
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


def client(endpoint, service="ecs", region="us-east-1", validate=True):
    """A boto3 client for a berth endpoint, with dummy credentials.

    validate=False turns off botocore's own parameter checks, so a test can
    send what a buggy or hostile client would and see the server's answer."""
    cfg = Config(retries={"max_attempts": 1}, parameter_validation=validate,
                 connect_timeout=5, read_timeout=60)
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id="AKIDBERTHTEST", aws_secret_access_key="secret",
                        config=cfg)


def raw_call(endpoint, action, body, target_prefix=ECS_TARGET, headers=None):
    """POST a raw body (bytes or str or JSON-able object) as an action.
    Returns (status, parsed JSON or text)."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    h = {"Content-Type": "application/x-amz-json-1.1",
         "X-Amz-Target": "%s.%s" % (target_prefix, action) if action else ""}
    if not action:
        del h["X-Amz-Target"]
    h.update(headers or {})
    req = urllib.request.Request(endpoint + "/", data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text.decode(errors="replace")


class BerthAgent:
    """One `berth agent` process (real, or hollow with hollow=N)."""

    def __init__(self, server_endpoint, cluster, data_dir, log_path, hollow=0, extra_args=()):
        self.args = [BERTH_BIN, "agent", "--server", server_endpoint, "--cluster", cluster,
                     "--data", str(data_dir)] + (["--hollow", str(hollow)] if hollow else []) + list(extra_args)
        self.data_dir = str(data_dir)
        self.log_path = str(log_path)
        self.proc = None

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=log, env=dict(os.environ, **SAN_ENV))
        log.close()
        return self

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self, check=True):
        if not self.proc or self.proc.poll() is not None:
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


def wait_for(fn, timeout=20, interval=0.1, what="condition"):
    """Poll fn() until it returns a truthy value; return it, or fail."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


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
