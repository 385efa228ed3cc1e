#!/usr/bin/env python3
"""Per-task network setup time in the agent: namespaces, veth, addresses,
routes (netlink) and, for bridge tasks with port mappings, the one
`nft -f -` batch.  Runs N tasks of each kind on a real stack and reads the
agent's "network ready in N us" lines (measured inside the agent, from
planning to the last netlink ack / nft exit).  Beside them, interleaved,
the same bridge setup done as `ip` and `nft` command invocations in
scratch network namespaces (IpReference).  bench/run.py runs measure() as
part of `make bench`.

Usage: bench/net_setup.py [BERTH_BIN] [N]   (root)
Prints median, min and max milliseconds per kind."""
import ctypes
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

# TERM ends each container at once: stopping is not what is measured.
SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
BRIDGE_PORT = "bridge, 1 container, 1 dynamic port"
KINDS = {
    BRIDGE_PORT: dict(containers=[{"name": "a", "command": SLEEP, "portMappings": [{"containerPort": 80}]}]),
    "bridge, 2 containers, no ports": dict(containers=[
        {"name": "a", "command": SLEEP}, {"name": "b", "command": SLEEP}]),
    "awsvpc, 2 containers": dict(networkMode="awsvpc", run={"networkConfiguration": {
        "awsvpcConfiguration": {"subnets": ["subnet-1"]}}}, containers=[
        {"name": "a", "command": SLEEP}, {"name": "b", "command": SLEEP}]),
    "none, 1 container": dict(networkMode="none", containers=[{"name": "a", "command": SLEEP}]),
}
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


class IpReference:
    """BRIDGE_PORT's setup as commands: in a scratch "host" namespace with a
    bridge and an nft table like the agent's, each sample creates a task
    namespace, a veth pair into it on the bridge, lo and eth0 up, an
    address, a default route (7 `ip` invocations) and adds one port-map
    element (1 `nft` invocation).  Only those are timed; each sample's
    namespace is deleted after it, and the scratch namespace on close()."""

    SUBNET, GATEWAY, TABLE = "10.99.0.%d", "10.99.0.1", "berthbench"
    IP_INVOCATIONS = 7

    def __init__(self):
        self.host = "berthbench-h%d" % os.getpid()
        self.n = 0
        self._ip("netns", "add", self.host)
        try:
            self._ip("-n", self.host, "link", "add", "br0", "type", "bridge")
            self._ip("-n", self.host, "addr", "add", self.GATEWAY + "/24", "dev", "br0")
            self._ip("-n", self.host, "link", "set", "br0", "up")
            self._nft("table ip %s {\n map tcp_ports { type inet_service : ipv4_addr . inet_service; }\n"
                      " chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
                      "  fib daddr type local meta l4proto tcp dnat ip to tcp dport map @tcp_ports\n }\n}\n"
                      % self.TABLE)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _ip(*args):
        subprocess.run(("ip",) + args, check=True, stdout=subprocess.DEVNULL)

    def _nft(self, text):
        """`nft -f -` run inside the scratch namespace (setns in the child,
        so the figure pays for one exec, as the agent's does)."""
        fd = os.open("/run/netns/" + self.host, os.O_RDONLY | os.O_CLOEXEC)
        try:
            subprocess.run(["nft", "-f", "-"], input=text.encode(), check=True,
                           preexec_fn=lambda: libc.setns(fd, CLONE_NEWNET) == 0 or os._exit(99), pass_fds=(fd,))
        finally:
            os.close(fd)

    def sample(self):
        """Seconds for one task's setup."""
        self.n += 1
        task, veth, addr = "%s-t%d" % (self.host, self.n), "vb%d" % self.n, self.SUBNET % (2 + self.n % 250)
        t0 = time.perf_counter()
        self._ip("netns", "add", task)
        try:
            self._ip("-n", self.host, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", task)
            self._ip("-n", self.host, "link", "set", veth, "master", "br0", "up")
            self._ip("-n", task, "link", "set", "lo", "up")
            self._ip("-n", task, "addr", "add", addr + "/24", "dev", "eth0")
            self._ip("-n", task, "link", "set", "eth0", "up")
            self._ip("-n", task, "route", "add", "default", "via", self.GATEWAY)
            self._nft("add element ip %s tcp_ports { %d : %s . 80 }\n" % (self.TABLE, 30000 + self.n, addr))
            return time.perf_counter() - t0
        finally:
            self._ip("netns", "del", task)  # its eth0 goes, and the veth peer with it

    def close(self):
        subprocess.run(["ip", "netns", "del", self.host], stderr=subprocess.DEVNULL)


def register(s):
    """Each kind's task definition on stack s; returns {kind: family}."""
    fams = {}
    for i, (kind, spec) in enumerate(KINDS.items()):
        fams[kind] = "nb%d" % i
        kw = {"networkMode": spec["networkMode"]} if "networkMode" in spec else {}
        s.register(fams[kind], [dict(c) for c in spec["containers"]], **kw)
    return fams


def run_one(s, kind, family):
    """One task of the kind to RUNNING and back to STOPPED; its task id."""
    arn = s.run(family, **KINDS[kind].get("run", {}))
    s.wait_status(arn, "RUNNING")
    s.ecs.stop_task(cluster=s.cluster, task=arn)
    s.wait_status(arn, "STOPPED")
    return arn.rsplit("/", 1)[1]


def agent_setup_ms(s, ids):
    """The agent's "network ready" time of each task id, in ms."""
    with open(s.agent.log_path, errors="replace") as f:
        log = f.read()
    us = {m.group(1): int(m.group(2)) for m in re.finditer(r"task (\w+): \w+ network ready in (\d+) us", log)}
    return [us[i] / 1000 for i in ids if i in us]


def measure(s, n):
    """n tasks of each kind on stack s, one at a time beside one running
    port-mapped task, and n IpReference samples, interleaved; returns
    {kind: [ms]} and the reference's [ms]."""
    fams = register(s)
    for kind, fam in fams.items():  # warm-up: the agent creates its bridge once
        run_one(s, kind, fam)
    # A host with a port-mapped task already running, as the reference's
    # nft table is: otherwise each measured task would be the only one with
    # a mapping, and the agent writes its whole table for the first one.
    holder = s.run(fams[BRIDGE_PORT])
    ids = {kind: [] for kind in KINDS}
    ref = []
    ip_ref = IpReference()
    try:
        s.wait_status(holder, "RUNNING")
        for _ in range(n):
            for kind, fam in fams.items():
                ids[kind].append(run_one(s, kind, fam))
            ref.append(ip_ref.sample() * 1000)
    finally:
        ip_ref.close()
        s.ecs.stop_task(cluster=s.cluster, task=holder)
        s.wait_status(holder, "STOPPED")
    return {kind: agent_setup_ms(s, xs) for kind, xs in ids.items()}, ref


def main():
    os.environ.setdefault("BERTH_BIN", os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                                                       else os.path.join(HERE, "..", "build", "berth")))
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    import stack as stackmod  # after BERTH_BIN is set
    with tempfile.TemporaryDirectory(prefix="berth-net-bench-") as tmp:
        s = stackmod.Stack(tmp, cluster="netbench")
        try:
            kinds, ref = measure(s, n)
            for kind, ms in list(kinds.items()) + [("reference: %s as ip/nft commands" % BRIDGE_PORT, ref)]:
                print("%-60s n=%d median %.1f ms (min %.1f, max %.1f)" % (
                    kind, len(ms), statistics.median(ms), min(ms), max(ms)))
        finally:
            for a in s.ecs.list_tasks(cluster=s.cluster)["taskArns"]:
                s.ecs.stop_task(cluster=s.cluster, task=a)
            s.close()


if __name__ == "__main__":
    main()
