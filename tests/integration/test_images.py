"""berth image: pulls from a real docker-registry through the real berth CLI
(ASan build), checked the way a user would: the files an overlay mount of
the unpacked layers shows, the store's contents, the registry's access log."""
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import berth_proc  # noqa: E402
import registry as regmod  # noqa: E402
import testimages  # noqa: E402

BERTH = berth_proc.BERTH_BIN


def berth(data, *args, check=True, env=None, timeout=120):
    e = dict(os.environ, **berth_proc.SAN_ENV)
    e.update(env or {})
    p = subprocess.run([BERTH, "image", "--data", str(data)] + list(args), capture_output=True, text=True,
                       env=e, timeout=timeout)
    # A sanitizer report is never acceptable, even from a failing pull.
    assert p.returncode not in (86, 87), p.stderr
    if check:
        assert p.returncode == 0, "berth image %s failed:\n%s" % (" ".join(args), p.stderr)
    return p


def digest_of(out):
    for line in out.splitlines():
        if line.startswith("Digest: "):
            return line.split()[1]
    raise AssertionError("no digest in output:\n" + out)


def inspect(data, ref):
    return json.loads(berth(data, "inspect", ref).stdout)


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    r = regmod.Registry(tmp_path_factory.mktemp("registry")).start()
    refs, _ = testimages.push_all(r.hostport)
    r.refs = refs
    yield r
    r.stop()


@pytest.fixture
def data(tmp_path):
    return tmp_path / "agent"


class Overlay:
    """A read-write overlay mount of lower dirs, as the runtime will make."""

    def __init__(self, lowers):
        self.dir = tempfile.mkdtemp(prefix="berth-ovl-")
        self.root = os.path.join(self.dir, "root")
        for d in ("root", "upper", "work"):
            os.mkdir(os.path.join(self.dir, d))
        opts = "lowerdir=%s,upperdir=%s/upper,workdir=%s/work" % (":".join(lowers), self.dir, self.dir)
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, self.root], check=True)

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def close(self):
        subprocess.run(["umount", self.root], check=True)
        subprocess.run(["rm", "-rf", self.dir], check=True)


def test_pull_by_tag_then_warm(reg, data):
    ref = reg.hostport + "/busybox:1"
    out = berth(data, "pull", ref)
    digest = digest_of(out.stdout)
    assert digest.startswith("sha256:")
    info = inspect(data, ref)
    assert info["record"]["digest"] == digest
    assert len(info["lower_dirs"]) == 1
    root = info["lower_dirs"][0]
    assert os.path.isfile(os.path.join(root, "bin/busybox"))
    assert os.readlink(os.path.join(root, "bin/sh")) == "busybox"
    st = os.lstat(os.path.join(root, "tmp"))
    assert stat.S_IMODE(st.st_mode) == 0o1777
    home = os.lstat(os.path.join(root, "home/app"))
    assert (home.st_uid, home.st_gid) == (1000, 1000)
    assert "app:x:1000:1000" in open(os.path.join(root, "etc/passwd")).read()
    # The unpacked root really runs: busybox applets through their symlinks.
    run = subprocess.run(["chroot", root, "/bin/sh", "-c", "echo ok; id -u app; ls /bin/nc /bin/httpd /bin/wget"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0 and run.stdout.startswith("ok\n1000\n"), run.stderr
    # Warm: nothing downloaded again.
    mark = len(reg.log())
    again = berth(data, "pull", ref)
    assert digest_of(again.stdout) == digest
    assert "already unpacked" in again.stderr
    assert reg.blob_gets(info["record"]["layers"][0]["digest"], since=mark) == 0


def test_pull_by_digest(reg, data):
    ref = reg.hostport + "/busybox:1"
    digest = digest_of(berth(data, "pull", ref).stdout)
    other = tempfile.mkdtemp(prefix="berth-digest-")
    by_digest = "%s/busybox@%s" % (reg.hostport, digest)
    out = berth(other, "pull", by_digest)
    assert digest_of(out.stdout) == digest
    assert inspect(other, by_digest)["record"]["reference"] == by_digest
    # Content addressing: a digest already stored needs no registry at all.
    mark = len(reg.log())
    offline = "127.0.0.1:1/busybox@%s" % digest
    assert digest_of(berth(other, "pull", offline).stdout) == digest
    assert inspect(other, offline)["lower_dirs"] == inspect(other, by_digest)["lower_dirs"]
    time.sleep(0.3)
    assert reg.log()[mark:] == ""
    # A digest the registry does not have.
    bad = "%s/busybox@sha256:%s" % (reg.hostport, "0" * 64)
    p = berth(other, "pull", bad, check=False)
    assert p.returncode == 1
    assert "not found" in p.stderr and "busybox@sha256:000" in p.stderr
    assert os.listdir(os.path.join(other, "images", "tmp")) == []
    subprocess.run(["rm", "-rf", other])


def test_unknown_tag_and_bad_reference(reg, data):
    p = berth(data, "pull", reg.hostport + "/busybox:nope", check=False)
    assert p.returncode == 1 and "not found" in p.stderr and "busybox:nope" in p.stderr
    p = berth(data, "pull", reg.hostport + "/BusyBox:1", check=False)
    assert p.returncode == 1 and "must be lowercase" in p.stderr
    # Nothing listens there: a network error naming the image.
    p = berth(data, "pull", "127.0.0.1:1/busybox:1", check=False)
    assert p.returncode == 1 and "network error" in p.stderr and "127.0.0.1:1/busybox:1" in p.stderr


def test_index_selects_platform(reg, data):
    ref = reg.hostport + "/busybox:multiarch"
    berth(data, "pull", ref)
    info = inspect(data, ref)
    assert info["record"]["architecture"] == "amd64"
    assert info["config"]["Labels"] == {"org.berth.arch": "amd64"}
    berth(data, "pull", "--platform", "linux/arm64", ref)
    info = inspect(data, ref)
    assert info["record"]["architecture"] == "arm64"
    assert info["record"]["platform"] == "linux/arm64"
    assert info["config"]["Labels"] == {"org.berth.arch": "arm64"}
    p = berth(data, "pull", "--platform", "linux/s390x", ref, check=False)
    assert p.returncode == 1 and "no matching manifest for linux/s390x" in p.stderr


def test_whiteouts_and_opaque_through_overlay(reg, data):
    ref = reg.hostport + "/busybox:layers"
    berth(data, "pull", ref)
    lowers = inspect(data, ref)["lower_dirs"]
    assert len(lowers) == 3  # top first
    ovl = Overlay(lowers)
    try:
        assert open(ovl.path("data/keep.txt")).read() == "keep\n"
        assert not os.path.exists(ovl.path("data/gone.txt"))
        assert not os.path.exists(ovl.path("data/olddir"))
        assert sorted(os.listdir(ovl.path("data"))) == ["keep.txt"]
        assert sorted(os.listdir(ovl.path("opq"))) == ["new.txt"]
        assert stat.S_IMODE(os.stat(ovl.path("opq")).st_mode) == 0o750
        assert not os.path.exists(ovl.path("etc/hostname"))
        assert os.path.exists(ovl.path("etc/passwd"))
        # tmp/ is only implied by layer 3: it keeps the base layer's 1777.
        assert stat.S_IMODE(os.stat(ovl.path("tmp")).st_mode) == 0o1777
        assert os.path.exists(ovl.path("tmp/from-layer3"))
        assert os.path.exists(ovl.path("bin/busybox"))
    finally:
        ovl.close()
    # On disk: whiteouts are 0/0 character devices, opaque is an xattr.
    top = lowers[0]
    st = os.lstat(os.path.join(top, "data/gone.txt"))
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert os.getxattr(os.path.join(top, "opq"), "trusted.overlay.opaque") == b"y"


def test_config_fields(reg, data):
    ref = reg.hostport + "/busybox:config"
    berth(data, "pull", ref)
    cfg = inspect(data, ref)["config"]
    assert cfg["Entrypoint"] == ["/bin/sh", "-c"]
    assert cfg["Cmd"] == ["echo hello from config"]
    assert "GREETING=hi" in cfg["Env"]
    assert cfg["User"] == "app" and cfg["WorkingDir"] == "/home/app" and cfg["StopSignal"] == "SIGINT"
    assert cfg["ExposedPorts"] == ["8080/tcp"]
    assert cfg["Healthcheck"]["Test"] == ["CMD-SHELL", "test -e /bin/sh"]
    assert cfg["Healthcheck"]["Retries"] == 3


def test_corrupted_blob_is_refused(reg, tmp_path, data):
    repo = "corrupt"
    layer = regmod.Tar().file("hello.txt", "hello\n" * 1000).bytes()
    digest, _ = regmod.push_image(reg.hostport, repo, "1", [(layer, "gzip")], testimages.config())
    ref = "%s/%s:1" % (reg.hostport, repo)
    layer_digest = json.loads(open(reg.blob_path(digest)).read())["layers"][0]["digest"]
    path = reg.blob_path(layer_digest)
    blob = bytearray(open(path, "rb").read())
    blob[len(blob) // 2] ^= 0xFF
    with open(path, "wb") as f:
        f.write(blob)
    p = berth(data, "pull", ref, check=False)
    assert p.returncode == 1
    assert "digest mismatch" in p.stderr and layer_digest in p.stderr, p.stderr
    store = os.path.join(str(data), "images")
    assert not os.path.exists(os.path.join(store, "blobs/sha256", layer_digest[7:]))
    assert os.listdir(os.path.join(store, "tmp")) == []
    assert os.listdir(os.path.join(store, "refs")) == []


def test_basic_auth(tmp_path, data):
    r = regmod.Registry(tmp_path / "authreg", htpasswd=("berth", "s3cret")).start()
    try:
        auth = ("berth", "s3cret")
        layer = regmod.Tar().file("x", "x\n").bytes()
        regmod.push_image(r.hostport, "private", "1", [(layer, "gzip")], testimages.config(), auth=auth)
        ref = r.hostport + "/private:1"
        p = berth(data, "pull", ref, check=False)
        assert p.returncode == 1 and "unauthorized" in p.stderr, p.stderr
        p = berth(data, "pull", "--username", "berth", "--password", "wrong", ref, check=False)
        assert p.returncode == 1 and "unauthorized" in p.stderr, p.stderr
        p = berth(data, "pull", ref, env={"BERTH_REGISTRY_USERNAME": "berth", "BERTH_REGISTRY_PASSWORD": "s3cret"})
        assert digest_of(p.stdout).startswith("sha256:")
    finally:
        r.stop()


def _big_image(reg, repo="big"):
    if getattr(reg, "big", None):
        return reg.big
    layer = regmod.Tar().file("random.bin", os.urandom(30 * 1024 * 1024)).bytes()
    regmod.push_image(reg.hostport, repo, "1", [(testimages.base_layer(), "gzip"), (layer, None)],
                      testimages.config())
    ref = "%s/%s:1" % (reg.hostport, repo)
    reg.big = (ref, regmod.sha256(layer))
    return reg.big


def test_concurrent_pulls_download_each_blob_once(reg, data):
    ref, layer_digest = _big_image(reg)
    mark = len(reg.log())
    e = dict(os.environ, **berth_proc.SAN_ENV)
    procs = [subprocess.Popen([BERTH, "image", "--data", str(data), "pull", ref], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=e) for _ in range(3)]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, errout) in zip(procs, outs):
        assert p.returncode == 0, errout
    digests = {digest_of(o) for o, _ in outs}
    assert len(digests) == 1
    assert reg.blob_gets(layer_digest, since=mark, at_least=1) == 1
    base_digest = inspect(data, ref)["record"]["layers"][0]["digest"]
    assert reg.blob_gets(base_digest, since=mark, at_least=1) == 1


def test_concurrent_pulls_in_threads_download_each_blob_once(reg, data):
    """One process, several threads (as the agent pulls a task's images):
    the big image under two names plus busybox:1 sharing its base layer."""
    ref, layer_digest = _big_image(reg)
    mark = len(reg.log())
    out = berth(data, "pull", ref, ref, reg.hostport + "/busybox:1")
    digests = [l.split()[1] for l in out.stdout.splitlines() if l.startswith("Digest: ")]
    assert len(digests) == 3 and digests[0] == digests[1]
    base_digest = inspect(data, ref)["record"]["layers"][0]["digest"]
    assert reg.blob_gets(layer_digest, since=mark, at_least=1) == 1
    assert reg.blob_gets(base_digest, since=mark, at_least=1) == 1


def test_killed_pull_resumes(reg, data):
    ref, layer_digest = _big_image(reg)
    store = os.path.join(str(data), "images")
    partial = os.path.join(store, "tmp", layer_digest[7:] + ".partial")
    e = dict(os.environ, **berth_proc.SAN_ENV)
    p = subprocess.Popen([BERTH, "image", "--data", str(data), "pull", ref], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=e)
    # Kill as soon as the big layer has started arriving.
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None:
        if os.path.exists(partial) and os.path.getsize(partial) > 0:
            break
        time.sleep(0.001)
    p.send_signal(signal.SIGKILL)
    p.wait()
    size = os.path.getsize(partial) if os.path.exists(partial) else None
    out = berth(data, "pull", ref)
    assert digest_of(out.stdout)
    # The kill landed mid-download, and the second pull picked up from there.
    assert size is not None and 0 < size < 30 * 1024 * 1024
    assert "resuming blob %s at %d" % (layer_digest, size) in out.stderr, out.stderr
    assert os.listdir(os.path.join(store, "tmp")) == []
    assert not [d for d in os.listdir(os.path.join(store, "layers")) if d.startswith(".tmp")]
    lowers = inspect(data, ref)["lower_dirs"]
    assert os.path.getsize(os.path.join(lowers[0], "random.bin")) == 30 * 1024 * 1024
    blob = os.path.join(store, "blobs/sha256", layer_digest[7:])
    assert regmod.sha256(open(blob, "rb").read()) == layer_digest


def test_killed_unpack_leaves_no_half_layer(reg, data):
    ref, layer_digest = _big_image(reg)
    store = os.path.join(str(data), "images")
    e = dict(os.environ, **berth_proc.SAN_ENV)
    # First get the blobs, then kill while unpacking the big layer.
    berth(data, "pull", ref)
    info = inspect(data, ref)
    top = info["lower_dirs"][0]
    subprocess.run(["rm", "-rf", top], check=True)
    p = subprocess.Popen([BERTH, "image", "--data", str(data), "pull", ref], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=e)
    tmp = os.path.join(store, "layers", ".tmp-" + os.path.basename(top))
    deadline = time.time() + 60
    while time.time() < deadline and p.poll() is None and not os.path.exists(tmp):
        time.sleep(0.001)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert not os.path.exists(top) or os.path.getsize(os.path.join(top, "random.bin")) == 30 * 1024 * 1024
    berth(data, "pull", ref)
    assert os.path.getsize(os.path.join(top, "random.bin")) == 30 * 1024 * 1024
    assert not os.path.exists(tmp)


def test_hostile_layer_stays_inside(reg, tmp_path, data):
    outside = tmp_path / "outside"
    outside.mkdir()
    t = regmod.Tar()
    t.file("ok.txt", "fine\n")
    t.file("../escape", "escaped\n")
    t.file("../../../../../../../../%s/dotdot" % str(outside).lstrip("/"), "escaped\n")
    t.file("/%s/absolute" % str(outside).lstrip("/"), "escaped\n")
    t.symlink("abslink", str(outside))
    t.file("abslink/through-abs", "escaped\n")
    t.symlink("rellink", "../../../../../../../../" + str(outside).lstrip("/"))
    t.file("rellink/through-rel", "escaped\n")
    t.dir("dir")
    t.symlink("dir/up", "..")
    t.file("dir/up/up-ok", "inside\n")  # through a symlink: refused even though it stays inside
    t.hardlink("hardlink", "abslink/../../etc/passwd")
    t.hardlink("hardlink-through", "abslink/victim")
    t.hardlink("hardlink-ok", "ok.txt")
    t.chardev("dev-null", 1, 3)
    t.file("dup.txt", "first\n")
    t.file("dup.txt", "second\n")
    t.file("last.txt", "still unpacked\n")
    (outside / "victim").write_text("host file\n")
    regmod.push_image(reg.hostport, "hostile", "1", [(t.bytes(), "gzip")], testimages.config())
    ref = reg.hostport + "/hostile:1"
    p = berth(data, "pull", ref)
    assert "skipping" in p.stderr
    assert os.listdir(outside) == ["victim"]
    assert os.stat(outside / "victim").st_nlink == 1
    assert not os.path.exists(os.path.join(str(data), "images", "escape"))
    assert not os.path.exists(os.path.join(str(data), "escape"))
    root = inspect(data, ref)["lower_dirs"][0]
    assert open(os.path.join(root, "ok.txt")).read() == "fine\n"
    assert open(os.path.join(root, "last.txt")).read() == "still unpacked\n"
    assert not os.path.exists(os.path.join(root, "dev-null"))
    assert not os.path.exists(os.path.join(root, "hardlink"))
    assert not os.path.exists(os.path.join(root, "hardlink-through"))
    assert os.stat(os.path.join(root, "hardlink-ok")).st_ino == os.stat(os.path.join(root, "ok.txt")).st_ino
    assert open(os.path.join(root, "dup.txt")).read() == "second\n"
    assert os.readlink(os.path.join(root, "abslink")) == str(outside)
    # Nothing was written next to the layer directory either.
    layers = os.path.dirname(root)
    assert sorted(os.listdir(layers)) == sorted(os.path.basename(d) for d in inspect(data, ref)["lower_dirs"])


def test_ls_rm_gc(reg, data):
    one, cfg = reg.hostport + "/busybox:1", reg.hostport + "/busybox:config"
    lay = reg.hostport + "/busybox:layers"
    for r in (one, cfg, lay):
        berth(data, "pull", r)
    ls = berth(data, "ls").stdout
    assert one in ls and cfg in ls and lay in ls
    store = os.path.join(str(data), "images")
    layers_before = set(os.listdir(os.path.join(store, "layers")))
    # rm keeps the base layer, which busybox:1 and :config still use.
    out = berth(data, "rm", lay)
    assert "Untagged" in out.stdout
    assert lay not in berth(data, "ls").stdout
    base = inspect(data, one)["lower_dirs"][0]
    assert os.path.isdir(base)
    assert len(os.listdir(os.path.join(store, "layers"))) == len(layers_before) - 2
    p = berth(data, "rm", lay, check=False)
    assert p.returncode == 1 and "no such image" in p.stderr
    # gc: nothing is old enough yet.
    out = berth(data, "gc", "--older-than", "1h").stdout
    assert out.startswith("removed 0 images")
    time.sleep(1.1)
    # In use (by reference) survives; the other, now older than 1s, goes.
    out = berth(data, "gc", "--older-than", "1s", "--keep", one).stdout
    assert out.startswith("removed 1 images"), out
    ls = berth(data, "ls").stdout
    assert one in ls and cfg not in ls
    assert os.path.isdir(base)
    berth(data, "gc")
    assert one not in berth(data, "ls").stdout
    assert os.listdir(os.path.join(store, "blobs/sha256")) == []
    assert os.listdir(os.path.join(store, "layers")) == []


def test_usage_errors(data):
    p = berth(data, "pull", check=False)
    assert p.returncode == 2
    p = berth(data, "gc", "--older-than", "soon", check=False)
    assert p.returncode == 2 and "duration" in p.stderr
    p = berth(data, "pull", "--platform", "linux", "x", check=False)
    assert p.returncode == 2


def test_bearer_token_auth(reg, data):
    proxy = regmod.TokenProxy(reg.hostport, credentials=("robot", "t0ken")).start()
    try:
        ref = proxy.hostport + "/busybox:1"
        p = berth(data, "pull", ref, check=False)
        assert p.returncode == 1 and "unauthorized" in p.stderr, p.stderr
        p = berth(data, "pull", "--username", "robot", "--password", "nope", ref, check=False)
        assert p.returncode == 1 and "unauthorized" in p.stderr, p.stderr
        out = berth(data, "pull", "--username", "robot", "--password", "t0ken", ref)
        assert digest_of(out.stdout).startswith("sha256:")
        last = proxy.token_requests[-1]
        assert last["service"] == ["berth-test"] and last["scope"] == ["repository:busybox:pull"]
        assert inspect(data, ref)["lower_dirs"]
    finally:
        proxy.stop()


def test_missing_blob_named_in_error(reg, data):
    layer = regmod.Tar().file("m.txt", "missing\n").bytes()
    digest, _ = regmod.push_image(reg.hostport, "missing", "1", [(layer, "gzip")], testimages.config())
    layer_digest = json.loads(open(reg.blob_path(digest)).read())["layers"][0]["digest"]
    os.unlink(reg.blob_path(layer_digest))
    p = berth(data, "pull", reg.hostport + "/missing:1", check=False)
    assert p.returncode == 1
    assert "missing:1: not found: blob %s (BLOB_UNKNOWN" % layer_digest in p.stderr, p.stderr
    assert os.listdir(os.path.join(str(data), "images", "refs")) == []


def test_https_by_default_unless_insecure(reg, data):
    # 2130706433 is 127.0.0.1 spelled as one number: the registry is
    # reachable, but the name is not a loopback one, so berth insists on TLS.
    host = "2130706433:%d" % reg.port
    ref = host + "/busybox:1"
    p = berth(data, "pull", ref, check=False)
    assert p.returncode == 1 and "network error" in p.stderr and "SSL" in p.stderr, p.stderr
    out = berth(data, "pull", "--insecure-registry", host, ref)
    assert digest_of(out.stdout).startswith("sha256:")


def test_pull_progress_on_a_terminal_and_plain(reg, data):
    """On a terminal: one line per reference, redrawn in place with layers
    and bytes; otherwise plain lines naming the reference."""
    import pty
    refs = [reg.hostport + "/busybox:1", reg.hostport + "/busybox:layers"]
    master, slave = pty.openpty()
    e = dict(os.environ, **berth_proc.SAN_ENV)
    p = subprocess.Popen([BERTH, "image", "--data", str(data), "pull"] + refs, stdout=subprocess.PIPE,
                         stderr=slave, env=e)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not b:
            break
        chunks.append(b)
    out, _ = p.communicate(timeout=120)
    os.close(master)
    assert p.returncode == 0
    tty = b"".join(chunks).decode()
    assert out.decode().count("Digest: sha256:") == 2
    # Redrawn in place: the cursor goes back up over the two lines.
    assert "\x1b[2A" in tty and "\x1b[K" in tty
    final = tty.rsplit("\x1b[2A", 1)[1]
    for ref in refs:
        line = [x for x in final.split("\n") if ref + ":" in x][0]
        n = int(line.split(": ", 1)[1].split("/")[0])
        assert line.rstrip("\r").endswith("  done\x1b[K") and " %d/%d layers, " % (n, n) in line, repr(line)
    # Plain (no terminal): lines that say which reference, nothing redrawn.
    plain = berth(tmp := data.parent / "plain", "pull", refs[0]).stderr
    assert "\x1b" not in plain
    assert "%s: resolved sha256:" % refs[0] in plain and "%s: " % refs[0] in plain.splitlines()[-1]
    assert tmp.exists()


def test_pull_failure_is_logged_with_its_reason(reg, data):
    p = berth(data, "pull", reg.hostport + "/busybox:nope", check=False)
    assert p.returncode == 1 and "busybox:nope" in p.stderr
