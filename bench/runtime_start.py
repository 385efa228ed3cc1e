#!/usr/bin/env python3
"""Time to a running container: `berth ctr run --detach` (overlay root,
bundle, conmon, runtime create+start) against bare `runtime create` +
`runtime start` of an equivalent bundle, for runc and crun.

Usage: bench/runtime_start.py [BERTH_BIN] [N]   (root; busybox-static)
Prints median and p90 milliseconds per configuration."""
import ctypes
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BERTH = os.path.join(os.path.dirname(__file__), "..", "build", "berth")
N = 20
HYBRID = os.path.ismount("/sys/fs/cgroup/unified")
libc = ctypes.CDLL(None, use_errno=True)


def mask_cgroup2():
    """What berth does for crun on a hybrid host, done here in the child so
    the bare figure pays no extra exec either."""
    CLONE_NEWNS, MS_REC, MS_SLAVE, MS_BIND = 0x20000, 16384, 1 << 19, 4096
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    libc.mount(None, b"/", None, MS_REC | MS_SLAVE, None)
    if libc.mount(b"/dev/null", b"/sys/fs/cgroup/unified/cgroup.controllers", None, MS_BIND, None) != 0:
        raise OSError(ctypes.get_errno(), "mount")


def make_rootfs(d):
    for sub in ("bin", "etc", "tmp", "proc", "sys", "dev"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    shutil.copy("/bin/busybox", os.path.join(d, "bin", "busybox"))
    for a in ("sh", "sleep"):
        os.symlink("busybox", os.path.join(d, "bin", a))
    with open(os.path.join(d, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(d, "etc", "group"), "w") as f:
        f.write("root:x:0:\n")


def bare(rt, bundle, root, i):
    cid = "bare%d" % i
    pre = mask_cgroup2 if rt == "crun" and HYBRID else None
    t0 = time.perf_counter()
    subprocess.run([rt, "--root", root, "create", "--bundle", bundle, cid], check=True, preexec_fn=pre,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([rt, "--root", root, "start", cid], check=True, preexec_fn=pre)
    t = time.perf_counter() - t0
    subprocess.run([rt, "--root", root, "delete", "--force", cid], check=True, preexec_fn=pre)
    return t


def berth(rt, data, rootfs, i):
    name = "b%s%d" % (rt, i)
    t0 = time.perf_counter()
    subprocess.run([BERTH, "ctr", "run", "--data", data, "--rootfs", rootfs, "--name", name, "--runtime", rt,
                    "--detach", "--", "sleep", "100"], check=True, stdout=subprocess.DEVNULL)
    t = time.perf_counter() - t0
    subprocess.run([BERTH, "ctr", "rm", "--data", data, name], check=True)
    return t


def report(label, xs):
    xs = sorted(x * 1000 for x in xs)
    print("%-28s median %6.1f ms   p90 %6.1f ms   (n=%d)" % (label, statistics.median(xs), xs[int(len(xs) * 0.9) - 1], len(xs)))


def make_bundle(tmp):
    """A runc/crun bundle running `sleep 100` from a busybox root, as
    bench/run.py's task-start reference uses too."""
    rootfs = os.path.join(tmp, "rootfs")
    make_rootfs(rootfs)
    bundle = os.path.join(tmp, "bundle")
    os.makedirs(bundle)
    shutil.copytree(rootfs, os.path.join(bundle, "rootfs"), symlinks=True)
    subprocess.run(["runc", "spec", "--bundle", bundle], check=True)
    with open(os.path.join(bundle, "config.json")) as f:
        cfg = json.load(f)
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["sleep", "100"]
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(cfg, f)
    return rootfs, bundle


def main():
    global BERTH, N
    if len(sys.argv) > 1:
        BERTH = sys.argv[1]
    if len(sys.argv) > 2:
        N = int(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="berth-bench-")
    try:
        rootfs, bundle = make_bundle(tmp)
        # Interleaved, so that load from elsewhere on the host hits all four alike.
        res = {k: [] for k in ("bare runc", "berth runc", "bare crun", "berth crun")}
        for i in range(N):
            for rt in ("runc", "crun"):
                res["bare " + rt].append(bare(rt, bundle, os.path.join(tmp, rt), i))
                res["berth " + rt].append(berth(rt, os.path.join(tmp, "data"), rootfs, i))
        for rt in ("runc", "crun"):
            report("bare %s create+start" % rt, res["bare " + rt])
            report("berth ctr run --detach %s" % rt, res["berth " + rt])
    finally:
        subprocess.run(["umount", "-R", "-l", tmp], stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
