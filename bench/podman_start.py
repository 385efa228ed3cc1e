#!/usr/bin/python3
"""podman as a reference for task start: `podman run -d` of a busybox image
until `podman inspect` says running, for runc and crun, with no network,
podman's default bridge network, and a published port.

    /usr/bin/python3 bench/podman_start.py [-n 20] [--modes none,bridge,port]

bench/run.py's task_start runs it beside berth.  podman 4.3 (Debian) needs
the ulimits below (its defaults exceed this machine's hard limits), the
cgroupfs manager and the file events backend (no systemd here).  crun gets
the cgroup2 mask berth's shim applies on hybrid hosts: every podman command
runs in one helper process that has entered a private mount namespace with
the mask (runtime_start.mask_cgroup2), so the containers' mounts, made there,
stay where podman finds them again.  podman keeps its storage, run state and
network configuration in a temporary directory; what it adds to the host
(its bridge cni-podman0 and CNI's iptables chains) is removed at the end when
it was not there before."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import runtime_start  # noqa: E402

IMAGE = "localhost/berth-bench-busybox:latest"
ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=20000:20000"]
BRIDGE = "cni-podman0"
HOST_PORT = 18931
MODES = ("none", "bridge", "port")


def available():
    return shutil.which("podman") is not None


def _global_args(tmp, rt):
    return ["podman", "--root", os.path.join(tmp, "storage"), "--runroot", os.path.join(tmp, "run"),
            "--tmpdir", os.path.join(tmp, "tmp"), "--network-config-dir", os.path.join(tmp, "cni"),
            "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", rt]


def _network_args(mode):
    if mode == "none":
        return ["--network", "none"]
    if mode == "port":
        return ["-p", "%d:80" % HOST_PORT]
    return []


def _import_image(tmp):
    root = os.path.join(tmp, "rootfs")
    runtime_start.make_rootfs(root)
    tar = os.path.join(tmp, "rootfs.tar")
    with tarfile.open(tar, "w") as t:
        t.add(root, arcname=".")
    subprocess.run(_global_args(tmp, "runc") + ["import", "-q", tar, IMAGE], check=True, stdout=subprocess.DEVNULL)


def _start_once(tmp, rt, mode, i):
    """ms from `podman run -d` to inspect's "running"; the container is removed."""
    g = _global_args(tmp, rt)
    name = "bench-%s-%s-%d" % (rt, mode, i)
    t0 = time.perf_counter()
    subprocess.run(g + ["run", "-d", "--name", name] + ULIMITS + _network_args(mode) + [IMAGE, "sleep", "1000"],
                   check=True, stdout=subprocess.DEVNULL)
    while subprocess.run(g + ["inspect", "-f", "{{.State.Status}}", name], check=True, capture_output=True,
                         text=True).stdout.strip() != "running":
        pass
    t = (time.perf_counter() - t0) * 1000
    subprocess.run(g + ["rm", "-f", "-t", "0", name], check=True, stdout=subprocess.DEVNULL)
    _wait_for_cleanups()
    return t


def _wait_for_cleanups(limit=5.0):
    """podman's conmon runs `podman container cleanup` once the container
    has exited, in the background: let those end (for at most limit
    seconds), so that the starts measured next (berth's, the bare
    runtime's) do not share the host with them."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and subprocess.run(["pgrep", "-x", "podman"],
                                                         stdout=subprocess.DEVNULL).returncode == 0:
        time.sleep(0.01)


def serve(tmp):
    """The helper: in its own masked mount namespace, answer "RT MODE I" lines
    with the ms of one start each, until stdin ends."""
    if runtime_start.HYBRID:
        runtime_start.mask_cgroup2()
    _import_image(tmp)
    print("ready", flush=True)
    for line in sys.stdin:
        rt, mode, i = line.split()
        print("%.3f" % _start_once(tmp, rt, mode, int(i)), flush=True)


class Podman:
    """The helper process, for interleaving podman starts with berth's."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="berth-bench-podman-")
        self.bridge_before = os.path.exists("/sys/class/net/" + BRIDGE)
        self.tables_before = self._nft_tables()
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", self.tmp],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("podman helper did not start")

    @staticmethod
    def _nft_tables():
        out = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
        return set(out.split("\n")) - {""}

    def start(self, rt, mode, i):
        self.proc.stdin.write("%s %s %d\n" % (rt, mode, i))
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("podman helper died")
        return float(line)

    def close(self):
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=120)
        g = _global_args(self.tmp, "runc")
        subprocess.run(g + ["rm", "-a", "-f", "-t", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(g + ["system", "reset", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not self.bridge_before and os.path.exists("/sys/class/net/" + BRIDGE):
            subprocess.run(["ip", "link", "del", BRIDGE], stderr=subprocess.DEVNULL)
        for t in self._nft_tables() - self.tables_before:
            subprocess.run(["nft", "delete"] + t.split(), stderr=subprocess.DEVNULL)
        subprocess.run(["umount", "-R", "-l", self.tmp], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--modes", default=",".join(MODES))
    args = ap.parse_args()
    p = Podman()
    try:
        res = {}
        for i in range(args.n):
            for rt in ("runc", "crun"):
                for mode in args.modes.split(","):
                    res.setdefault((rt, mode), []).append(p.start(rt, mode, i))
        print(json.dumps({"%s %s" % k: statistics.median(v) for k, v in res.items()}, indent=1))
    finally:
        p.close()


if __name__ == "__main__":
    main()
