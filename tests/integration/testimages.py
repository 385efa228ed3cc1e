"""Small test images built offline from Debian's busybox-static and pushed
to a registry: busybox:1, busybox:layers, busybox:multiarch, busybox:config.

    python3 tests/integration/testimages.py 127.0.0.1:5000

Reproducible (fixed mtimes, gzip without timestamps), so pushing twice is a
no-op and digests are stable.  Prints the references it pushed."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry import Tar, push_image, push_index  # noqa: E402

BUSYBOX = "/bin/busybox"
APPLETS = ["sh", "sleep", "echo", "cat", "nc", "httpd", "ls", "id", "wget", "env", "ps", "true", "false",
           "test", "mkdir", "rm", "cp", "mv", "touch", "grep", "sed", "head", "tail", "wc", "hostname",
           "kill", "date", "printenv", "pwd", "whoami", "uname", "ln", "chmod", "stat", "readlink", "find",
           "tee", "df", "du", "sync", "top", "which", "xargs", "yes", "seq", "timeout", "dd", "tr", "cut",
           "sort", "uniq", "expr", "basename", "dirname", "awk", "mount", "umount", "ping", "ip",
           "nslookup", "vi", "less", "more", "chown", "sha256sum", "md5sum", "free", "uptime", "nohup"]
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_cache = {}


def base_layer():
    """The busybox root file system as an uncompressed tar."""
    if "base" in _cache:
        return _cache["base"]
    with open(BUSYBOX, "rb") as f:
        busybox = f.read()
    have = set(subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split())
    t = Tar()
    for d in ["bin", "dev", "etc", "proc", "sys", "usr", "usr/bin", "var", "var/www", "run"]:
        t.dir(d)
    t.dir("root", 0o700)
    t.dir("home")
    t.dir("home/app", 0o755, 1000, 1000)
    t.dir("tmp", 0o1777)
    t.file("bin/busybox", busybox, 0o755)
    for a in APPLETS:
        if a in have:
            t.symlink("bin/" + a, "busybox")
    t.symlink("usr/bin/env", "/bin/busybox")
    t.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                         "app:x:1000:1000:app:/home/app:/bin/sh\n"
                         "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    t.file("etc/group", "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n")
    t.file("etc/hostname", "busybox\n")
    t.file("var/www/index.html", "hello from busybox\n")
    _cache["base"] = t.bytes()
    return _cache["base"]


def config(arch="amd64", **cfg):
    c = {"Env": [PATH_ENV], "Cmd": ["sh"]}
    c.update(cfg)
    return {"architecture": arch, "os": "linux", "created": "2023-11-14T22:13:20Z", "config": c}


def layers_image():
    """Three more layers over the base: plain tar, then zstd with whiteouts."""
    l2 = (Tar().dir("data").file("data/keep.txt", "keep\n").file("data/gone.txt", "gone\n")
          .dir("data/olddir").file("data/olddir/a", "a\n")
          .dir("opq", 0o750).file("opq/lower1.txt", "1\n").file("opq/lower2.txt", "2\n")
          .bytes())
    # No entries for data/, opq/ or tmp/ themselves: they are implicit and
    # must keep the lower layers' modes (tmp stays 1777).
    l3 = (Tar().file("data/.wh.gone.txt").file("data/.wh.olddir")
          .file("opq/.wh..wh..opq").file("opq/new.txt", "new\n")
          .file("tmp/from-layer3", "x\n").file("etc/.wh.hostname")
          .bytes())
    return [(base_layer(), "gzip"), (l2, None), (l3, "zstd")]


def push_all(hostport):
    t0 = time.time()
    refs = []
    base = [(base_layer(), "gzip")]
    push_image(hostport, "busybox", "1", base, config())
    refs.append("busybox:1")
    push_image(hostport, "busybox", "layers", layers_image(), config())
    refs.append("busybox:layers")
    amd = push_image(hostport, "busybox", "multiarch-amd64", base,
                     config(Labels={"org.berth.arch": "amd64"}))
    arm = push_image(hostport, "busybox", "multiarch-arm64", base,
                     config("arm64", Labels={"org.berth.arch": "arm64"}))
    push_index(hostport, "busybox", "multiarch", [
        (amd[0], amd[1], {"os": "linux", "architecture": "amd64"}),
        (arm[0], arm[1], {"os": "linux", "architecture": "arm64", "variant": "v8"}),
    ])
    refs.append("busybox:multiarch")
    push_image(hostport, "busybox", "config", base, config(
        Entrypoint=["/bin/sh", "-c"], Cmd=["echo hello from config"],
        Env=[PATH_ENV, "GREETING=hi", "MODE=image"], User="app", WorkingDir="/home/app",
        StopSignal="SIGINT", ExposedPorts={"8080/tcp": {}},
        Healthcheck={"Test": ["CMD-SHELL", "test -e /bin/sh"], "Interval": 5000000000,
                     "Timeout": 2000000000, "StartPeriod": 1000000000, "Retries": 3},
        Labels={"org.berth.test": "config"}), docker=True)
    refs.append("busybox:config")
    return ["%s/%s" % (hostport, r) for r in refs], time.time() - t0


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: testimages.py REGISTRY_HOSTPORT\n")
        return 2
    refs, secs = push_all(sys.argv[1])
    for r in refs:
        print(r)
    sys.stderr.write("pushed %d images in %.2fs\n" % (len(refs), secs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
