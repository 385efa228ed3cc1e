#!/usr/bin/python3
"""What a real agent sends the server for metrics: bytes per second of its
ReportMetrics calls (alone, or batched in SubmitReports) with N running
tasks of one busybox container each, over a fixed window, scaled to 100
containers.  The agent talks to the server through a counting relay on
loopback, which frames each HTTP request (headers + Content-Length body)
and attributes it by X-Amz-Target; a SubmitReports batch counts in the
share of its reports that are ReportMetrics.  Beside it, the same requests
with their bodies gzip-compressed (what compressing the reports would
leave), measured from the same bytes.

    /usr/bin/python3 bench/metrics_shipping.py [--tasks 100] [--interval 20] [--window 60]

Reports figures; asserts nothing about speed."""
import argparse
import contextlib
import gzip
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import berth_proc  # noqa: E402
import stack as stackmod  # noqa: E402

TARGET_PREFIX = "BerthAgent_20261122."
HEADER_MAX = 64 * 1024


class Relay:
    """127.0.0.1:<port> -> the server; counts the agent's metric bytes."""

    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.lock = threading.Lock()
        self.wire = 0.0  # bytes of metric reports, as sent
        self.gzipped = 0.0  # the same with gzip'd bodies
        self.reports = 0
        self.counting = False
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self.accept, daemon=True).start()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def accept(self):
        while not self.closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            u = socket.create_connection(self.upstream)
            threading.Thread(target=self.requests, args=(c, u), daemon=True).start()
            threading.Thread(target=self.pipe, args=(u, c), daemon=True).start()

    @staticmethod
    def pipe(src, dst):
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                dst.sendall(b)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def requests(self, c, u):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    b = c.recv(65536)
                    if not b or len(buf) > HEADER_MAX:
                        raise OSError("closed")
                    buf += b
                head, buf = buf.split(b"\r\n\r\n", 1)
                u.sendall(head + b"\r\n\r\n")
                length, target = 0, ""
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    k, _, v = line.partition(":")
                    if k.strip().lower() == "content-length":
                        length = int(v.strip())
                    elif k.strip().lower() == "x-amz-target":
                        target = v.strip()
                while len(buf) < length:
                    b = c.recv(65536)
                    if not b:
                        raise OSError("closed")
                    buf += b
                body, buf = buf[:length], buf[length:]
                u.sendall(body)
                self.count(target, len(head) + 4, body)
        except OSError:
            pass
        for s in (c, u):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def count(self, target, head_len, body):
        if not target.startswith(TARGET_PREFIX):
            return
        action = target[len(TARGET_PREFIX):]
        share, n = 0.0, 0
        if action == "ReportMetrics":
            share, n = 1.0, 1
        elif action == "SubmitReports":
            reports = json.loads(body).get("reports", [])
            sizes = [(r.get("target", "").endswith(".ReportMetrics"), len(json.dumps(r.get("body"))))
                     for r in reports]
            total = sum(s for _, s in sizes) or 1
            share = sum(s for m, s in sizes if m) / total
            n = sum(1 for m, _ in sizes if m)
        if not share:
            return
        with self.lock:
            if self.counting:
                self.wire += share * (head_len + len(body))
                self.gzipped += share * (head_len + len(gzip.compress(body)))
                self.reports += n

    def close(self):
        self.closed = True
        self.sock.close()


class RelayedStack(stackmod.Stack):
    """The integration tests' Stack, its agent talking through a Relay."""

    def start_agent(self):
        if not getattr(self, "relay", None):
            self.relay = Relay(int(self.server.endpoint.rsplit(":", 1)[1]))
        self.agent = berth_proc.BerthAgent(self.relay.endpoint, self.cluster, self.agent_dir,
                                           os.path.join(self.tmp, "agent.log"), extra_args=self.agent_args,
                                           key=None, token=self.token).start()
        berth_proc.wait_for(lambda: self.ecs.list_container_instances(cluster=self.cluster)["containerInstanceArns"],
                            what="the agent to register")
        return self.agent


def statuses(st, arns):
    out = []
    for i in range(0, len(arns), 100):
        out += [t["lastStatus"] for t in st.ecs.describe_tasks(cluster=st.cluster, tasks=arns[i:i + 100])["tasks"]]
    return out


def run_tasks(st, n):
    st.register("idle", [{"name": "app", "command": ["sleep", "3600"], "memory": 8, "stopTimeout": 1}])
    arns = []
    while len(arns) < n:
        out = st.ecs.run_task(cluster=st.cluster, taskDefinition="idle", count=min(10, n - len(arns)))
        assert not out["failures"], out["failures"]
        arns += [t["taskArn"] for t in out["tasks"]]
    berth_proc.wait_for(lambda: all(s == "RUNNING" for s in statuses(st, arns)), timeout=600, interval=2,
                        what="%d tasks RUNNING" % n)
    return arns


def measure(tasks, interval, window):
    """{figure name: value}, bytes/s per 100 containers."""
    tmp = tempfile.mkdtemp(prefix="berth-bench-shipping-")
    st = None
    try:
        st = RelayedStack(tmp, cluster="shipping", agent_args=["--metrics-interval", str(interval)])
        arns = run_tasks(st, tasks)
        # Two intervals for every task's first sample (it only sets the marks).
        time.sleep(2 * interval + 1)
        with st.relay.lock:
            st.relay.counting = True
        time.sleep(window)
        with st.relay.lock:
            st.relay.counting = False
            wire, gz, reports = st.relay.wire, st.relay.gzipped, st.relay.reports
        scale = 100.0 / tasks / window
        for a in arns:
            st.ecs.stop_task(cluster=st.cluster, task=a)
        berth_proc.wait_for(lambda: all(s == "STOPPED" for s in statuses(st, arns)), timeout=300, interval=2,
                            what="every task STOPPED")
        return {"bytes/s per 100 containers": wire * scale, "gzip'd bodies": gz * scale,
                "reports in the window": reports, "tasks": tasks, "interval s": interval, "window s": window}
    finally:
        if st:
            st.close()
            st.relay.close()
        berth_proc.unmount_under(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(berth_proc.ROOT, "build", "berth"))
    ap.add_argument("--tasks", type=int, default=100)
    ap.add_argument("--interval", type=int, default=20, help="the agent's --metrics-interval (its default: 20)")
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--json", help="also write the figures to this file (bench/run.py reads it)")
    args = ap.parse_args()
    berth_proc.BERTH_BIN = args.bin
    figs = measure(args.tasks, args.interval, args.window)
    print("metric shipping, %d tasks, --metrics-interval %d, %d s: %.0f bytes/s per 100 containers "
          "(gzip'd bodies: %.0f), %d reports"
          % (args.tasks, args.interval, args.window, figs["bytes/s per 100 containers"], figs["gzip'd bodies"],
             figs["reports in the window"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figs, f, indent=1)


if __name__ == "__main__":
    main()
