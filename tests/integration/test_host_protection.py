"""Host protection on a real agent: every container is confined as Docker
confines it (seccomp, no-new-privileges, Docker's capabilities), and what
would hand the host to a caller of RunTask (privileged containers, extra
capabilities, devices, host namespaces, host paths) is refused unless the
agent was started with --allow-privileged / --allow-host-path."""
import base64
import glob
import http.server
import json
import os
import subprocess
import threading
import urllib.request

import pytest

import berth_proc
import stack as stackmod

DOCKER_DEFAULT_CAPS = 0x00000000a80425fb
PRIVILEGED_ATTR = "com.amazonaws.ecs.capability.privileged-container"
STATUS = ["sh", "-c", "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status; "
          "busybox unshare -U true 2>/dev/null; echo unshare=$?"]


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("strict"), cluster="strict")
    yield s
    s.close()


@pytest.fixture(scope="module")
def allowing(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("allowing"), cluster="allowing",
                       agent_args=["--allow-privileged", "--allow-host-path", "/"])
    yield s
    s.close()


def status_of(stack, arn, name="app"):
    t = stack.wait_status(arn, "STOPPED")
    assert stack.container(t, name).get("exitCode") == 0, t
    lines = stack.stdout(arn, name)
    return {l.split(":", 1)[0]: l.split(":", 1)[1].strip() for l in lines if ":" in l}, lines


def refused(stack, family, containers, **kw):
    """Run a task the agent must refuse; its stopped task."""
    stack.register(family, containers, **kw)
    arn = stack.run(family)
    t = stack.wait_status(arn, "STOPPED")
    assert t["stopCode"] == "TaskFailedToStart", t
    assert t["stoppedReason"].startswith("CannotStartContainerError: "), t["stoppedReason"]
    for c in t["containers"]:
        assert c.get("reason") == t["stoppedReason"] and "exitCode" not in c, c
    return t


def instance_attrs(stack):
    arn = stack.ecs.list_container_instances(cluster=stack.cluster)["containerInstanceArns"][0]
    ci = stack.ecs.describe_container_instances(cluster=stack.cluster, containerInstances=[arn])
    return {a["name"] for a in ci["containerInstances"][0]["attributes"]}


def test_every_container_is_confined_as_docker_confines_it(strict):
    strict.register("conf", [{"name": "app", "command": STATUS}])
    st, lines = status_of(strict, strict.run("conf"))
    assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1", lines
    assert int(st["CapEff"], 16) == DOCKER_DEFAULT_CAPS, lines
    assert "unshare=1" in lines, lines  # user namespaces are refused by the profile


def test_privileged_is_refused_at_placement_naming_the_attribute(strict):
    assert PRIVILEGED_ATTR not in instance_attrs(strict)
    strict.register("priv", [{"name": "app", "privileged": True, "command": ["true"]}])
    out = strict.ecs.run_task(cluster=strict.cluster, taskDefinition="priv")
    assert out["tasks"] == []
    [f] = out["failures"]
    assert f["reason"] == "ATTRIBUTE: missing " + PRIVILEGED_ATTR, f
    assert PRIVILEGED_ATTR in f["detail"] and f["arn"].startswith("arn:aws:ecs:"), f


def test_service_event_names_the_missing_attribute(strict):
    strict.register("privsvc", [{"name": "app", "privileged": True, "command": ["sleep", "60"]}])
    strict.ecs.create_service(cluster=strict.cluster, serviceName="privsvc", taskDefinition="privsvc",
                              desiredCount=1)
    try:
        msg = berth_proc.wait_for(lambda: [e["message"] for e in strict.ecs.describe_services(
            cluster=strict.cluster, services=["privsvc"])["services"][0]["events"]
            if "unable to place" in e["message"]], timeout=30, what="the unplaced event")
        assert "is missing an attribute required by your task (%s)" % PRIVILEGED_ATTR in msg[0], msg
    finally:
        strict.ecs.delete_service(cluster=strict.cluster, service="privsvc", force=True)


def test_pid_and_ipc_modes_are_refused_at_placement(strict):
    """berth's agent does not share pid or ipc namespaces, so it does not
    report ECS's attribute for them: placement says so."""
    strict.register("hostpid", [{"name": "app", "command": ["true"]}], pidMode="host", ipcMode="host")
    out = strict.ecs.run_task(cluster=strict.cluster, taskDefinition="hostpid")
    assert out["tasks"] == [] and [f["reason"] for f in out["failures"]] == [
        "ATTRIBUTE: missing ecs.capability.pid-ipc-namespace-sharing"], out["failures"]


def test_privileged_that_reaches_the_agent_is_stopped(strict):
    """An attribute put on the instance by hand gets it past placement; the
    agent still refuses, saying which switch allows it."""
    arn = strict.ecs.list_container_instances(cluster=strict.cluster)["containerInstanceArns"][0]
    strict.ecs.put_attributes(cluster=strict.cluster, attributes=[
        {"name": PRIVILEGED_ATTR, "targetType": "container-instance", "targetId": arn}])
    try:
        t = refused(strict, "priv2", [{"name": "app", "privileged": True, "command": ["true"]}])
    finally:
        strict.ecs.delete_attributes(cluster=strict.cluster, attributes=[
            {"name": PRIVILEGED_ATTR, "targetType": "container-instance", "targetId": arn}])
    assert t["stoppedReason"] == ("CannotStartContainerError: container app: privileged containers are disabled "
                                  "on this instance (start the agent with --allow-privileged)"), t["stoppedReason"]


@pytest.mark.parametrize("family,containers,kw,says", [
    ("sysadmin", [{"name": "app", "command": ["true"],
                   "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN"]}}}], {},
     "container app: capability SYS_ADMIN is beyond Docker's default set"),
    ("devices", [{"name": "app", "command": ["true"],
                  "linuxParameters": {"devices": [{"hostPath": "/dev/kmsg"}]}}], {},
     "container app: host devices (/dev/kmsg) are disabled on this instance"),
    ("hostnet", [{"name": "app", "command": ["true"]}], {"networkMode": "host"},
     "networkMode host shares the host's namespace"),
])
def test_host_escapes_are_refused_by_default(strict, family, containers, kw, says):
    t = refused(strict, family, containers, **kw)
    assert says in t["stoppedReason"] and t["stoppedReason"].endswith("(start the agent with --allow-privileged)"), t


def test_host_paths_are_refused_by_default(strict, tmp_path):
    t = refused(strict, "rootfs", [{"name": "app", "command": ["ls", "/host"],
                                    "mountPoints": [{"sourceVolume": "root", "containerPath": "/host"}]}],
                volumes=[{"name": "root", "host": {"sourcePath": "/"}}])
    assert t["stoppedReason"] == ("CannotStartContainerError: volume root: host path / is outside the host paths "
                                  "this instance allows (start the agent with --allow-host-path PREFIX)"), t
    t = refused(strict, "envfile", [{"name": "app", "command": ["env"],
                                     "environmentFiles": [{"value": "/etc/shadow", "type": "s3"}]}])
    assert "container app: environmentFiles reads host file /etc/shadow" in t["stoppedReason"], t
    # task-managed volumes need no switch
    strict.register("scratch", [{"name": "app", "command": ["sh", "-c", "echo ok > /v/f && cat /v/f"],
                                 "mountPoints": [{"sourceVolume": "s", "containerPath": "/v"}]}],
                    volumes=[{"name": "s"}])
    arn = strict.run("scratch")
    strict.wait_status(arn, "STOPPED")
    assert strict.stdout(arn, "app") == ["ok"]


def test_switches_allow_privileged_capabilities_devices_and_host_paths(allowing):
    assert PRIVILEGED_ATTR in instance_attrs(allowing)
    allowing.register("priv", [{"name": "app", "privileged": True, "command": STATUS}])
    st, lines = status_of(allowing, allowing.run("priv"))
    with open("/proc/self/status") as f:
        ours = {l.split(":", 1)[0]: l.split(":", 1)[1].strip() for l in f if ":" in l}
    assert st["Seccomp"] == "0" and st["CapEff"] == ours["CapBnd"] and "unshare=0" in lines, lines

    allowing.register("sysadmin", [{"name": "app", "command": STATUS,
                                    "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN"]}}}])
    st, lines = status_of(allowing, allowing.run("sysadmin"))
    assert st["Seccomp"] == "2" and int(st["CapEff"], 16) == DOCKER_DEFAULT_CAPS | (1 << 21), lines
    assert "unshare=0" in lines, lines  # as Docker: SYS_ADMIN opens unshare

    allowing.register("devroot", [{"name": "app",
                                   "command": ["sh", "-c", "cat /host/etc/hostname; echo x > /dev/mynull && echo dev"],
                                   "mountPoints": [{"sourceVolume": "root", "containerPath": "/host",
                                                    "readOnly": True}],
                                   "linuxParameters": {"devices": [{"hostPath": "/dev/null",
                                                                    "containerPath": "/dev/mynull"}]}}],
                      volumes=[{"name": "root", "host": {"sourcePath": "/"}}])
    arn = allowing.run("devroot")
    allowing.wait_status(arn, "STOPPED")
    with open("/etc/hostname") as f:
        assert allowing.stdout(arn, "app") == [f.read().strip(), "dev"]


def test_host_path_allow_list_is_by_prefix_and_sees_through_symlinks(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prefix")
    allowed = tmp / "allowed"
    os.makedirs(allowed / "data")
    (allowed / "data" / "msg").write_text("inside\n")
    os.symlink("/etc", allowed / "escape")
    s = stackmod.Stack(tmp / "stack", cluster="prefix", agent_args=["--allow-host-path", str(allowed)])
    try:
        s.register("inside", [{"name": "app", "command": ["cat", "/d/msg"],
                               "mountPoints": [{"sourceVolume": "v", "containerPath": "/d"}]}],
                   volumes=[{"name": "v", "host": {"sourcePath": str(allowed / "data")}}])
        arn = s.run("inside")
        s.wait_status(arn, "STOPPED")
        assert s.stdout(arn, "app") == ["inside"]
        for family, path in (("sibling", str(allowed) + "-not"), ("dotdot", str(allowed / ".." / "x")),
                             ("symlink", str(allowed / "escape"))):
            t = refused(s, family, [{"name": "app", "command": ["true"],
                                     "mountPoints": [{"sourceVolume": "v", "containerPath": "/d"}]}],
                        volumes=[{"name": "v", "host": {"sourcePath": path}}])
            assert "host path %s is outside" % path in t["stoppedReason"], (family, t["stoppedReason"])
        assert not os.path.exists(str(allowed) + "-not")
    finally:
        s.close()


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"host service\n")

    def log_message(self, *args):
        pass


def host_addresses(stack):
    """This host's global IPv4 addresses, but those of test bridges."""
    out = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"], capture_output=True,
                         text=True).stdout
    addrs = []
    for line in out.splitlines():
        dev, addr = line.split()[1], line.split()[3].split("/")[0]
        if not dev.startswith(("bt", "tb")) and dev != stack.bridge:
            addrs.append(addr)
    return addrs


@pytest.mark.parametrize("mode", ["bridge", "awsvpc"])
def test_tasks_cannot_reach_the_host(strict, mode):
    """A service listening on all of the host's addresses is out of reach
    of bridge and awsvpc tasks: through their gateway, through the host's
    other addresses (published ports still work: test_network's hairpin)."""
    srv = http.server.ThreadingHTTPServer(("0.0.0.0", 0), _Hello)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        port = srv.server_address[1]
        assert urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5).read() == b"host service\n"
        subnet = strict.agent_args[strict.agent_args.index("--task-subnet") + 1]
        targets = [subnet.rsplit(".", 1)[0] + ".1"] + host_addresses(strict)
        script = "for a in %s; do timeout 5 wget -q -O /dev/null http://$a:%d/; echo $a=$?; done" % (
            " ".join(targets), port)
        strict.register("reach-" + mode, [{"name": "app", "command": ["sh", "-c", script]}], networkMode=mode)
        kw = {}
        if mode == "awsvpc":
            kw["networkConfiguration"] = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
        arn = strict.run("reach-" + mode, **kw)
        strict.wait_status(arn, "STOPPED")
        got = strict.stdout(arn, "app")
        assert len(got) == len(targets) and all(not l.endswith("=0") for l in got), got
    finally:
        srv.shutdown()
        srv.server_close()


def test_crun_confines_every_start_and_a_label_cannot_lift_it(tmp_path):
    """Under crun the agent hands crun's own compiled profile back to later
    starts (seccomp_cache.h): the second and third containers are as
    confined as the first.  A docker label named like crun's annotations
    (here ready BPF that allows everything) is metadata, never passed to
    the runtime."""
    s = stackmod.Stack(tmp_path, cluster="cruncache", agent_args=["--runtime", "crun"])
    allow_all = "BgAAAAAA/38="  # one instruction: SECCOMP_RET_ALLOW
    try:
        s.register("conf", [{"name": "app", "command": STATUS,
                             "dockerLabels": {"run.oci.seccomp_bpf_data": allow_all, "team": "core"}}])
        for _ in range(3):
            st, lines = status_of(s, s.run("conf"))
            assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1", lines
            assert "unshare=1" in lines, lines
        td = s.ecs.describe_task_definition(taskDefinition="conf")["taskDefinition"]
        assert td["containerDefinitions"][0]["dockerLabels"]["run.oci.seccomp_bpf_data"] == allow_all
        # A running one's bundle carries the BPF crun compiled, not the label's.
        s.register("idle", [{"name": "app", "command": ["sleep", "60"],
                             "dockerLabels": {"run.oci.seccomp_bpf_data": allow_all}}])
        arn = s.run("idle")
        s.wait_status(arn, "RUNNING")
        [cfg_path] = glob.glob(os.path.join(s.agent_dir, "containers", "*", "config.json"))
        with open(cfg_path) as f:
            bpf = base64.b64decode(json.load(f)["annotations"]["run.oci.seccomp_bpf_data"])
        assert len(bpf) > 100 and len(bpf) % 8 == 0 and bpf != base64.b64decode(allow_all), len(bpf)
        s.ecs.stop_task(cluster=s.cluster, task=arn)
        s.wait_status(arn, "STOPPED")
    finally:
        s.close()
