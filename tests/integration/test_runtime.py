"""The container runtime through `berth ctr`: real containers under conmon
with runc and crun, on a busybox root filesystem built here.

Every test uses its own data directory and its own top-level cgroup
(--cgroup-parent), and a finaliser removes whatever a failing test left:
containers (via `berth ctr rm`, then by force), mounts and cgroups."""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid

import pytest

import berth_proc

BUSYBOX = "/bin/busybox"
APPLETS = ["sh", "sleep", "echo", "cat", "id", "ls", "nc", "httpd", "tail", "dd", "touch", "true", "false", "grep",
           "unshare", "mount"]
RUNTIMES = ["runc", "crun"]
CGROOT = "/sys/fs/cgroup"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="containers need root"),
    pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="busybox-static is not installed"),
]


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    root = tmp_path_factory.mktemp("rootfs")
    os.makedirs(root / "bin")
    os.makedirs(root / "etc")
    os.makedirs(root / "tmp")
    os.chmod(root / "tmp", 0o1777)
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    for a in APPLETS:
        os.symlink("busybox", root / "bin" / a)
    (root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\napp:x:1000:\nwheel:x:10:app\n")
    return str(root)


def cgroup_dirs(parent):
    """Every directory of our cgroup parent in every hierarchy."""
    found = []
    for h in os.listdir(CGROOT):
        p = os.path.join(CGROOT, h, parent)
        if os.path.isdir(p):
            for dirpath, _dirs, _files in os.walk(p):
                found.append(dirpath)
    return found


def rmdir_cgroups(parent):
    for d in sorted(cgroup_dirs(parent), key=len, reverse=True):
        try:
            os.rmdir(d)
        except OSError:
            pass


def alive(pid, wait=5.0):
    """Whether pid still runs after up to `wait` seconds; a zombie waiting
    for pid 1 to reap it counts as gone."""
    deadline = time.time() + wait
    while True:
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if state in ("Z", "X"):
            return False
        if time.time() >= deadline:
            return True
        time.sleep(0.05)


def procs_mentioning(text):
    """pids whose command line mentions text (conmon, containers, runtimes)."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(p))
        except OSError:
            pass
    return pids


class Ctr:
    """`berth ctr` against one data directory and cgroup parent."""

    def __init__(self, data, parent, rootfs):
        self.data = data
        self.parent = parent
        self.rootfs = rootfs

    def cmd(self, sub, *args):
        return [berth_proc.BERTH_BIN, "ctr", sub, "--data", self.data, "--cgroup-parent", self.parent] + list(args)

    def call(self, sub, *args, timeout=60, check=False):
        env = dict(os.environ, **berth_proc.SAN_ENV)
        r = subprocess.run(self.cmd(sub, *args), capture_output=True, timeout=timeout, env=env)
        out = r.stdout.decode(errors="replace")
        err = r.stderr.decode(errors="replace")
        if check and r.returncode != 0:
            raise AssertionError("berth ctr %s %s -> %d\nstdout: %s\nstderr: %s" % (sub, args, r.returncode, out, err))
        return r.returncode, out, err

    def run(self, name, cmd, *opts, runtime="runc", detach=False, timeout=60):
        args = ["--rootfs", self.rootfs, "--name", name, "--runtime", runtime] + list(opts)
        if detach:
            args.append("--detach")
        return self.call("run", *(args + ["--"] + list(cmd)), timeout=timeout)

    def inspect(self, name):
        _, out, _ = self.call("inspect", name, check=True)
        return json.loads(out)

    def ps(self):
        _, out, _ = self.call("ps", "--json", check=True)
        return {c["id"]: c for c in json.loads(out)}

    def logs(self, name):
        """[(stream, text)] from the raw k8s-file log."""
        _, out, _ = self.call("logs", "--raw", name, check=True)
        lines = []
        partial = {"stdout": "", "stderr": ""}
        for line in out.splitlines():
            m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d\d:\d\d) (stdout|stderr) ([FP]) (.*)$", line)
            assert m, "bad log line %r" % line
            stream, tag, text = m.group(2), m.group(3), m.group(4)
            if tag == "P":  # a write without a newline: joined with what follows
                partial[stream] += text
                continue
            lines.append((stream, partial[stream] + text))
            partial[stream] = ""
        return lines

    def wait_log(self, name, text, timeout=20):
        """Wait until the container printed text on stdout (a shell reports
        its trap is installed, so a signal cannot arrive before it)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            exists = os.path.exists(os.path.join(self.data, "containers", name, "ctr.log"))
            if exists and ("stdout", text) in self.logs(name):
                return
            time.sleep(0.05)
        raise AssertionError("%s never printed %r" % (name, text))

    def wait_state(self, name, states, timeout=20):
        deadline = time.time() + timeout
        st = None
        while time.time() < deadline:
            rc, out, _ = self.call("inspect", name)  # may not exist yet
            st = json.loads(out) if rc == 0 else None
            if st and st["state"] in states:
                return st
            time.sleep(0.05)
        raise AssertionError("%s never reached %s: %s" % (name, states, st))

    def leftovers(self, name):
        """What a removed container must not leave behind."""
        left = []
        with open("/proc/mounts") as f:
            left += [l for l in f if self.data in l]
        left += cgroup_dirs(os.path.join(self.parent, name))
        for rt in RUNTIMES:
            root = os.path.join(self.data, "runtime", rt)
            if os.path.isdir(root) and shutil.which(rt):
                r = subprocess.run([rt, "--root", root, "list", "-q"], capture_output=True)
                left += [l for l in r.stdout.decode().split() if l == name]
        left += procs_mentioning(os.path.join(self.data, "containers", name))
        if os.path.exists(os.path.join(self.data, "containers", name)):
            left.append("state dir")
        return left

    def cleanup(self):
        cdir = os.path.join(self.data, "containers")
        for name in os.listdir(cdir) if os.path.isdir(cdir) else []:
            self.call("rm", name)
        # Whatever rm could not remove: processes, mounts, runtime state.
        for pid in procs_mentioning(self.data):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        with open("/proc/mounts") as f:
            for line in f:
                mnt = line.split()[1]
                if mnt.startswith(self.data):
                    subprocess.run(["umount", "-l", mnt])
        for rt in RUNTIMES:
            root = os.path.join(self.data, "runtime", rt)
            if os.path.isdir(root) and shutil.which(rt):
                r = subprocess.run([rt, "--root", root, "list", "-q"], capture_output=True)
                for cid in r.stdout.decode().split():
                    subprocess.run([rt, "--root", root, "delete", "--force", cid], capture_output=True)
        rmdir_cgroups(self.parent)


@pytest.fixture
def ctr(tmp_path, rootfs):
    c = Ctr(str(tmp_path / "data"), "berth-test-" + uuid.uuid4().hex[:8], rootfs)
    yield c
    c.cleanup()
    assert cgroup_dirs(c.parent) == [], "cgroups left behind"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_logs_keep_streams_apart_and_exit_codes(ctr, runtime):
    rc, out, err = ctr.run("exit3", ["sh", "-c", "echo out1; echo err1 >&2; echo out2; exit 3"], runtime=runtime)
    assert rc == 3, err
    logs = ctr.logs("exit3")
    assert ("stdout", "out1") in logs and ("stdout", "out2") in logs
    assert ("stderr", "err1") in logs
    assert ("stdout", "err1") not in logs
    st = ctr.inspect("exit3")
    assert st["state"] == "exited" and st["exitCode"] == 3 and not st["oomKilled"]
    rc, _, err = ctr.run("exit0", ["true"], runtime=runtime)
    assert rc == 0, err
    assert ctr.inspect("exit0")["exitCode"] == 0


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_stop_signal_trap_is_honoured(ctr, runtime):
    loop = "echo ready; while true; do sleep 0.1; done"
    ctr.run("term", ["sh", "-c", "trap 'echo got-term; exit 0' TERM; " + loop], runtime=runtime, detach=True)
    ctr.run("usr1", ["sh", "-c", "trap 'echo got-usr1; exit 0' USR1; " + loop], "--stop-signal", "SIGUSR1",
            runtime=runtime, detach=True)
    for name, word in (("term", "got-term"), ("usr1", "got-usr1")):
        ctr.wait_log(name, "ready")
        rc, out, err = ctr.call("stop", "--timeout", "20", name)
        assert rc == 0, err
        assert out.strip() == "0"
        assert ("stdout", word) in ctr.logs(name)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_sigkill_after_stop_timeout(ctr, runtime):
    ctr.run("stubborn", ["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"], runtime=runtime,
            detach=True)
    ctr.wait_log("stubborn", "ready")
    t0 = time.time()
    rc, out, err = ctr.call("stop", "--timeout", "1", "stubborn")
    took = time.time() - t0
    assert rc == 0, err
    assert out.strip() == "137"
    assert 0.9 <= took < 10
    assert ctr.inspect("stubborn")["exitCode"] == 137


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_oom_kill_is_detected(ctr, runtime):
    rc, _, err = ctr.run("hog", ["sh", "-c", "exec tail /dev/zero"], "--memory", "16", runtime=runtime)
    assert rc == 137, err
    st = ctr.inspect("hog")
    assert st["exitCode"] == 137 and st["oomKilled"] is True
    assert not os.path.exists("oom"), "conmon wrote into our working directory"


def read_cg(*parts):
    with open(os.path.join(CGROOT, *parts)) as f:
        return f.read().strip()


@pytest.mark.skipif(not os.path.isdir(os.path.join(CGROOT, "memory")), reason="cgroup v1 layout")
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_limits_are_in_the_cgroups(ctr, runtime):
    rc, _, err = ctr.run("lim", ["sleep", "100"], "--memory", "64", "--memory-reservation", "32", "--cpu", "512",
                         "--task-memory", "128", "--task-cpu", "1024", runtime=runtime, detach=True)
    assert rc == 0, err
    task = os.path.join(ctr.parent, "lim")
    leaf = os.path.join(task, "lim")
    assert read_cg("memory", leaf, "memory.limit_in_bytes") == str(64 << 20)
    assert read_cg("memory", leaf, "memory.soft_limit_in_bytes") == str(32 << 20)
    assert read_cg("cpu", leaf, "cpu.shares") == "512"
    assert read_cg("memory", task, "memory.limit_in_bytes") == str(128 << 20)
    assert read_cg("cpu", task, "cpu.cfs_quota_us") == "100000"
    assert read_cg("cpu", task, "cpu.cfs_period_us") == "100000"
    pid = ctr.inspect("lim")["pid"]
    with open("/proc/%d/cgroup" % pid) as f:
        assert ":memory:/%s\n" % leaf in f.read()
    # and from inside, through the container's own cgroup mount
    rc, out, err = ctr.call("exec", "lim", "--", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    assert rc == 0, err
    assert out.strip() == str(64 << 20)


def test_cpu_units_below_two_become_two_shares(ctr):
    ctr.run("small", ["sleep", "100"], "--cpu", "0", detach=True)
    leaf = os.path.join(ctr.parent, "small", "small")
    if os.path.isdir(os.path.join(CGROOT, "cpu")):
        assert read_cg("cpu", leaf, "cpu.shares") == "2"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_readonly_root_filesystem(ctr, runtime):
    rc, out, err = ctr.run("ro", ["sh", "-c", "echo x > /file && echo wrote"], "--readonly", runtime=runtime)
    assert rc != 0
    logs = ctr.logs("ro")
    assert ("stdout", "wrote") not in logs
    assert any(s == "stderr" and "Read-only file system" in t for s, t in logs), logs
    rc, _, _ = ctr.run("rw", ["sh", "-c", "echo x > /file"], runtime=runtime)
    assert rc == 0


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_user_by_name_and_by_uid_gid(ctr, runtime):
    cases = [
        ("byname", "app", "uid=1000(app) gid=1000(app) groups=10(wheel)"),
        ("byids", "1000:1000", "uid=1000(app) gid=1000(app)"),
        ("numeric", "1234:5678", "uid=1234 gid=5678"),
        ("default", None, "uid=0(root) gid=0(root)"),
    ]
    for name, user, expect in cases:
        opts = ["--user", user] if user else []
        rc, _, err = ctr.run(name, ["id"], *opts, runtime=runtime)
        assert rc == 0, err
        out = [t for s, t in ctr.logs(name) if s == "stdout"]
        assert out and out[0].startswith(expect), (user, out)
    rc, _, err = ctr.run("nosuch", ["id"], "--user", "nobody-here", runtime=runtime)
    assert rc != 0 and "nobody-here" in err
    assert not os.path.exists(os.path.join(ctr.data, "containers", "nosuch"))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_exec_in_running_container(ctr, runtime):
    ctr.run("ex", ["sleep", "100"], "--user", "app", "--env", "GREETING=hi", runtime=runtime, detach=True)
    ctr.wait_state("ex", ["running"])
    rc, out, err = ctr.call("exec", "ex", "--", "sh", "-c", "echo in-exec $GREETING; id -u; exit 7")
    assert rc == 7, err
    assert out.split() == ["in-exec", "hi", "1000"]
    t0 = time.time()
    rc, _, _ = ctr.call("exec", "--timeout", "1", "ex", "--", "sleep", "30")
    assert rc == 124 and time.time() - t0 < 10
    assert ctr.inspect("ex")["state"] == "running"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_init_process(ctr, runtime):
    rc, _, err = ctr.run("init", ["sh", "-c", "cat /proc/1/cmdline; echo; exit 4"], "--init", runtime=runtime)
    assert rc == 4, err
    out = [t for s, t in ctr.logs("init") if s == "stdout"]
    assert "berth-init" in out[0]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_container_survives_berth_and_exit_is_adopted(ctr, runtime):
    """kill -9 the berth process that started a container: the container
    keeps running under conmon, a new berth sees it, and an exit that
    happens while no berth runs is reported afterwards."""
    env = dict(os.environ, **berth_proc.SAN_ENV)
    cmd = ctr.cmd("run", "--rootfs", ctr.rootfs, "--name", "orphan", "--runtime", runtime, "--",
                  "sh", "-c", "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done")
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        st = ctr.wait_state("orphan", ["running"])
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    pid = st["pid"]
    assert pid > 0
    ctr.wait_log("orphan", "ready")
    os.kill(pid, 0)  # still there without its berth
    listed = ctr.ps()
    assert listed["orphan"]["state"] == "running" and listed["orphan"]["pid"] == pid
    # Exit while no berth process runs.
    os.kill(pid, signal.SIGUSR1)
    deadline = time.time() + 10
    while time.time() < deadline and os.path.exists("/proc/%d" % pid):
        time.sleep(0.05)
    exit_file = os.path.join(ctr.data, "containers", "orphan", "exit")
    while time.time() < deadline and not os.path.exists(exit_file):
        time.sleep(0.05)
    listed = ctr.ps()
    assert listed["orphan"]["state"] == "exited"
    assert listed["orphan"]["exitCode"] == 42
    rc, out, err = ctr.call("wait", "orphan")
    assert rc == 0 and out.strip() == "42"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_rm_leaves_nothing_behind(ctr, runtime):
    ctr.run("gone", ["sleep", "100"], "--memory", "32", runtime=runtime, detach=True)
    st = ctr.wait_state("gone", ["running"])
    assert ctr.leftovers("gone")  # sanity: the checks see a live container
    rc, _, err = ctr.call("rm", "gone")  # running: rm kills it first
    assert rc == 0, err
    assert ctr.leftovers("gone") == []
    assert not alive(st["pid"])
    assert "gone" not in ctr.ps()
    rc, _, _ = ctr.call("rm", "gone")
    assert rc != 0


def test_stopped_container_rm_and_name_reuse(ctr):
    ctr.run("again", ["true"])
    assert ctr.call("rm", "again")[0] == 0
    rc, _, err = ctr.run("again", ["sh", "-c", "exit 9"])
    assert rc == 9, err
    rc, _, err = ctr.run("again", ["true"])
    assert rc != 0 and "exists" in err


def test_many_layers_beyond_a_page_of_mount_options(ctr, tmp_path):
    """Lower paths that do not fit in mount(2)'s one page of options go
    through the new mount API one layer at a time."""
    layers = []
    for i in range(60):
        d = tmp_path / ("layer-%03d-" % i + "x" * 80)
        os.makedirs(d)
        (d / ("f%03d" % i)).write_text(str(i))
        layers.append(str(d))
    assert len(":".join(layers)) > 4096
    opts = []
    for d in layers:  # top first; the busybox root is the bottom layer
        opts += ["--rootfs", d]
    rc, _, err = ctr.call("run", *(opts + ["--rootfs", ctr.rootfs, "--name", "deep", "--",
                                          "sh", "-c", "cat /f000 /f059; echo; ls / | grep -c '^f'"]))
    assert rc == 0, err
    out = [t for s, t in ctr.logs("deep") if s == "stdout"]
    assert out == ["059", "60"], out
    assert ctr.call("rm", "deep")[0] == 0
    assert ctr.leftovers("deep") == []


def test_partial_create_is_removable(ctr):
    """A container directory without our record (a create killed half way)
    is still removed by rm."""
    d = os.path.join(ctr.data, "containers", "half")
    os.makedirs(os.path.join(d, "rootfs"))
    assert ctr.call("rm", "half")[0] == 0
    assert not os.path.exists(d)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_init_forwards_the_stop_signal(ctr, runtime):
    """With --init, a plain `sleep` is not pid 1, so SIGTERM kills it at once
    instead of waiting for the SIGKILL after the timeout."""
    ctr.run("initstop", ["sleep", "100"], "--init", runtime=runtime, detach=True)
    ctr.wait_state("initstop", ["running"])
    t0 = time.time()
    rc, out, err = ctr.call("stop", "--timeout", "20", "initstop")
    assert rc == 0, err
    assert out.strip() == str(128 + signal.SIGTERM)
    assert time.time() - t0 < 10


def test_etc_files_hostname_and_env(ctr):
    rc, _, err = ctr.run("etc", ["sh", "-c", "cat /etc/hostname; grep -c web-1 /etc/hosts; echo $FOO $HOME $HOSTNAME; pwd"],
                         "--hostname", "web-1", "--env", "FOO=bar")
    assert rc == 0, err
    out = [t for s, t in ctr.logs("etc") if s == "stdout"]
    assert out == ["web-1", "1", "bar /root web-1", "/"], out


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_missing_command_fails_cleanly(ctr, runtime):
    rc, _, err = ctr.run("nocmd", ["/no/such/program"], runtime=runtime)
    assert rc != 0
    assert "no/such/program" in err or "No such file" in err, err
    assert ctr.leftovers("nocmd") == []
    assert os.listdir(os.path.join(ctr.data, "sock")) == []


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_ulimits_volumes_tmpfs_caps(ctr, runtime, tmp_path):
    vol = tmp_path / "vol"
    os.makedirs(vol)
    (vol / "hello").write_text("from-host\n")
    script = ("ulimit -n; ulimit -Hn; cat /data/hello; (echo x > /data/new) 2>/dev/null || echo ro-volume; "
              "echo y > /scratch/f && grep ' /scratch ' /proc/mounts | grep -c size=8192k; "
              "grep CapBnd /proc/self/status; pwd")
    rc, _, err = ctr.run("opts", ["sh", "-c", script], "--ulimit", "nofile=512:1024", "--volume",
                         "%s:/data:ro" % vol, "--tmpfs", "/scratch:8", "--cap-drop", "ALL", "--cap-add", "KILL",
                         "--workdir", "/tmp", runtime=runtime)
    assert rc == 0, err
    out = [t for s, t in ctr.logs("opts") if s == "stdout"]
    assert out[:5] == ["512", "1024", "from-host", "ro-volume", "1"], out
    assert out[5].split() == ["CapBnd:", "%016x" % (1 << 5)]  # CAP_KILL only
    assert out[6] == "/tmp"
    assert not (vol / "new").exists()


DOCKER_DEFAULT_CAPS = 0x00000000a80425fb


def status_fields(lines):
    return {l.split(":", 1)[0]: l.split(":", 1)[1].strip() for l in lines if ":" in l}


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_default_confinement_is_dockers(ctr, runtime):
    """Docker's defaults: its seccomp profile, no-new-privileges, its
    capability set (none inheritable), and user namespaces and mounts
    refused by the profile."""
    script = ("grep -E '^(Seccomp|NoNewPrivs|Cap[A-Za-z]+):' /proc/self/status; "
              "unshare -U true 2>/dev/null; echo unshare=$?; mount -t tmpfs x /tmp 2>/dev/null; echo mount=$?; "
              "cat /proc/keys >/dev/null 2>&1; echo keys=$?")
    rc, _, err = ctr.run("conf", ["sh", "-c", script], runtime=runtime)
    assert rc == 0, err
    out = [t for s, t in ctr.logs("conf") if s == "stdout"]
    st = status_fields(out)
    assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1", st
    for field in ("CapEff", "CapPrm", "CapBnd"):
        assert int(st[field], 16) == DOCKER_DEFAULT_CAPS, (field, st)
    assert int(st["CapInh"], 16) == 0 and int(st["CapAmb"], 16) == 0, st
    assert "unshare=1" in out and "mount=1" in out, out
    assert "keys=0" in out, out  # masked, so readable and empty, as in Docker


def test_sys_admin_opens_what_docker_opens_and_privileged_lifts_all(ctr):
    script = "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status; unshare -U true; echo unshare=$?"
    rc, _, err = ctr.run("sysadmin", ["sh", "-c", script], "--cap-add", "SYS_ADMIN")
    assert rc == 0, err
    out = [t for s, t in ctr.logs("sysadmin") if s == "stdout"]
    st = status_fields(out)
    assert st["Seccomp"] == "2" and int(st["CapEff"], 16) == DOCKER_DEFAULT_CAPS | (1 << 21), st
    assert "unshare=0" in out, out
    rc, _, err = ctr.run("priv", ["sh", "-c", script], "--privileged")
    assert rc == 0, err
    out = [t for s, t in ctr.logs("priv") if s == "stdout"]
    st = status_fields(out)
    with open("/proc/self/status") as f:
        ours = status_fields(f.read().splitlines())
    assert st["Seccomp"] == "0" and st["NoNewPrivs"] == "0", st
    assert st["CapEff"] == ours["CapBnd"], (st, ours)  # everything the host has to give
    assert "unshare=0" in out, out


def test_host_network(ctr):
    # The host's own network namespace, not a copy of its interfaces (the
    # list of those changes under tests running beside: CI once saw a veth
    # come and go between the two reads).
    rc, _, err = ctr.run("hostnet", ["busybox", "readlink", "/proc/self/ns/net"], "--net", "host")
    assert rc == 0, err
    lines = [t for s, t in ctr.logs("hostnet") if s == "stdout"]
    assert lines == [os.readlink("/proc/self/ns/net")]
    rc, _, err = ctr.run("ownnet", ["cat", "/proc/net/dev"])
    lines = [t for s, t in ctr.logs("ownnet") if s == "stdout"][2:]
    assert [l.split(":")[0].strip() for l in lines] == ["lo"]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_lost_monitor_is_reported_and_rm_still_cleans_up(ctr, runtime):
    """conmon killed under a running container: the state is "lost" (no exit
    code can be known) and rm still leaves nothing behind."""
    ctr.run("lost", ["sleep", "100"], runtime=runtime, detach=True)
    st = ctr.wait_state("lost", ["running"])
    with open(os.path.join(ctr.data, "containers", "lost", "conmon.pid")) as f:
        conmon = int(f.read())
    os.kill(conmon, signal.SIGKILL)
    assert not alive(conmon, wait=10)
    got = ctr.inspect("lost")
    assert got["state"] == "lost" and got["exitCode"] is None
    os.kill(st["pid"], 0)  # the container itself still runs
    rc, _, err = ctr.call("rm", "lost")
    assert rc == 0, err
    assert ctr.leftovers("lost") == []
    assert not alive(st["pid"])


def test_foreground_run_forwards_signals(ctr):
    env = dict(os.environ, **berth_proc.SAN_ENV)
    cmd = ctr.cmd("run", "--rootfs", ctr.rootfs, "--name", "fg", "--",
                  "sh", "-c", "trap 'echo got-int; exit 5' INT; echo ready; while true; do sleep 0.1; done")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        ctr.wait_log("fg", "ready")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 5, err
    assert b"got-int" in out


def test_runtime_shim_turns_conmon_create_into_run_detached(tmp_path):
    """conmon runs `RUNTIME --root R create --bundle B ID`; the shim makes that
    one `run --detach` (created and started by one runtime process), leaving
    every other argument as it was."""
    shim = os.path.join(os.path.dirname(berth_proc.BERTH_BIN), "berth-runtime-shim")
    fake = tmp_path / "fake-runtime"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$(dirname "$0")/args"\n')
    fake.chmod(0o755)
    conmon_args = ["--root", "/r/create", "create", "--bundle", "/b", "--pid-file", "/b/pid", "ctr1"]
    env = dict(os.environ, **berth_proc.SAN_ENV)
    subprocess.run([shim, "--run-detached", str(fake)] + conmon_args, check=True, env=env)
    assert (tmp_path / "args").read_text().split("\n")[:-1] == [
        "--root", "/r/create", "run", "--detach", "--bundle", "/b", "--pid-file", "/b/pid", "ctr1"]
    subprocess.run([shim, str(fake)] + conmon_args, check=True, env=env)
    assert (tmp_path / "args").read_text().split("\n")[:-1] == conmon_args
    r = subprocess.run([shim, "--run-detached", str(fake), "--root", "/r", "state", "x"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "without a create command" in r.stderr


def test_runtime_shim_seals_the_runtime_binary_read_only(tmp_path):
    """With --seal-binary the runtime runs with its own binary read-only under
    it (so a container cannot write it through /proc/PID/exe) and is told so,
    in a mount namespace of its own: the host's file stays writable."""
    shim = os.path.join(os.path.dirname(berth_proc.BERTH_BIN), "berth-runtime-shim")
    fake = tmp_path / "fake-runtime"
    fake.write_text('#!/bin/sh\nd=$(dirname "$0")\n'
                    'if echo >> "$0" 2>/dev/null; then echo writable; else echo sealed; fi > "$d/seal"\n'
                    'echo "$_LIBCONTAINER_CLONED_BINARY" > "$d/env"\n')
    fake.chmod(0o755)
    env = dict(os.environ, **berth_proc.SAN_ENV)
    env.pop("_LIBCONTAINER_CLONED_BINARY", None)
    subprocess.run([shim, "--seal-binary", str(fake), "state", "x"], check=True, env=env)
    assert (tmp_path / "seal").read_text().strip() == "sealed"
    assert (tmp_path / "env").read_text().strip() == "1"
    subprocess.run([shim, str(fake), "state", "x"], check=True, env=env)
    assert (tmp_path / "seal").read_text().strip() == "writable"
    assert (tmp_path / "env").read_text().strip() == ""
