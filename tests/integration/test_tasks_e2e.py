"""Tasks on a real agent with real containers: lifecycle, exit and stop
codes, signals, limits, users, dependsOn, health checks, volumes, and an
agent killed with SIGKILL while its tasks run."""
import os
import re
import signal
import time

import pytest

import berth_proc
import stack as stackmod


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # Host volumes and environmentFiles below live under pytest's temp dir.
    s = stackmod.Stack(tmp_path_factory.mktemp("e2e"),
                       agent_args=["--allow-host-path", str(tmp_path_factory.getbasetemp())])
    yield s
    s.close()


def test_busybox_runs_and_output_appears(stack):
    stack.register("hello", [{"name": "app", "command": ["sh", "-c", "echo out-line; echo err-line >&2"]}])
    arn = stack.run("hello")
    t = stack.wait_status(arn, "STOPPED")
    c = stack.container(t, "app")
    assert c["exitCode"] == 0 and c["lastStatus"] == "STOPPED"
    assert c["imageDigest"].startswith("sha256:") and c["runtimeId"]
    assert t["stopCode"] == "EssentialContainerExited"
    assert t["stoppedReason"] == "Essential container in task exited"
    for k in ("pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "executionStoppedAt", "stoppedAt"):
        assert k in t, k
    assert t["pullStartedAt"] <= t["pullStoppedAt"] <= t["startedAt"] <= t["stoppedAt"]
    log = stack.log(arn, "app")
    assert ["stdout", "out-line"] in [[p[1], p[3]] for p in log]
    assert ["stderr", "err-line"] in [[p[1], p[3]] for p in log]
    # conmon's k8s-file lines: RFC 3339 timestamp, stream, F(ull)/P(artial), text
    for p in log:
        assert len(p) == 4 and p[2] in ("F", "P"), p
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", p[0]), p


def test_exit_codes_essential_and_not(stack):
    stack.register("codes", [
        {"name": "main", "command": ["sh", "-c", "sleep 3; exit 7"]},
        {"name": "helper", "essential": False, "command": ["sh", "-c", "exit 4"]},
    ])
    arn = stack.run("codes")
    # The non-essential container exits at once; the task keeps running.
    berth_proc.wait_for(lambda: stack.container(stack.describe(arn), "helper").get("exitCode") == 4,
                        what="helper to exit")
    t = stack.describe(arn)
    assert t["lastStatus"] == "RUNNING" and stack.container(t, "main")["lastStatus"] == "RUNNING"
    t = stack.wait_status(arn, "STOPPED")
    assert stack.container(t, "main")["exitCode"] == 7
    assert t["stopCode"] == "EssentialContainerExited"


def test_stop_task_sigterm_trap_honoured(stack):
    stack.register("trap", [{"name": "app", "command": [
        "sh", "-c", "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done"]}])
    arn = stack.run("trap")
    stack.wait_status(arn, "RUNNING")
    berth_proc.wait_for(lambda: "ready" in stack.stdout(arn, "app"), what="the container to be ready")
    stack.ecs.stop_task(cluster=stack.cluster, task=arn, reason="by the test")
    t = stack.wait_status(arn, "STOPPED")
    assert stack.container(t, "app")["exitCode"] == 0
    assert "got-term" in stack.stdout(arn, "app")
    assert t["stopCode"] == "UserInitiated" and t["stoppedReason"] == "by the test"


def test_sigkill_after_stop_timeout(stack):
    stack.register("stubborn", [{"name": "app", "stopTimeout": 2, "command": [
        "sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"]}])
    arn = stack.run("stubborn")
    stack.wait_status(arn, "RUNNING")
    berth_proc.wait_for(lambda: "ready" in stack.stdout(arn, "app"), what="ready")
    t0 = time.time()
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    t = stack.wait_status(arn, "STOPPED")
    assert stack.container(t, "app")["exitCode"] == 137
    assert time.time() - t0 >= 1.5


def test_oom_kill_reported(stack):
    stack.register("oom", [{"name": "app", "memory": 16, "command": [
        "sh", "-c", "echo start; x=a; while true; do x=$x$x; done"]}])
    arn = stack.run("oom")
    t = stack.wait_status(arn, "STOPPED")
    c = stack.container(t, "app")
    assert c["exitCode"] == 137
    assert c["reason"] == "OutOfMemoryError: Container killed due to memory usage"


def test_limits_visible_in_cgroup(stack):
    stack.register("limits", [{"name": "app", "memory": 48, "memoryReservation": 32, "cpu": 256,
                               "command": ["sleep", "60"]}], cpu="512", memory="128")
    arn = stack.run("limits")
    stack.wait_status(arn, "RUNNING")
    tid = arn.rsplit("/", 1)[1]
    base = "/sys/fs/cgroup/memory/berth/%s" % tid
    ctr = [d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d))][0]
    read = lambda p: open(p).read().strip()  # noqa: E731
    assert int(read(os.path.join(base, ctr, "memory.limit_in_bytes"))) == 48 * 1024 * 1024
    assert int(read(os.path.join(base, ctr, "memory.soft_limit_in_bytes"))) == 32 * 1024 * 1024
    assert int(read(os.path.join(base, "memory.limit_in_bytes"))) == 128 * 1024 * 1024
    assert int(read("/sys/fs/cgroup/cpu/berth/%s/%s/cpu.shares" % (tid, ctr))) == 256
    assert int(read("/sys/fs/cgroup/cpu/berth/%s/cpu.cfs_quota_us" % tid)) == 50000
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    stack.wait_status(arn, "STOPPED")


def test_readonly_root_and_user(stack):
    stack.register("ro", [{"name": "app", "readonlyRootFilesystem": True, "user": "app", "command": [
        "sh", "-c", "id -u; id -g; if touch /rootfile 2>/dev/null; then echo wrote; else echo readonly; fi"]}])
    arn = stack.run("ro")
    stack.wait_status(arn, "STOPPED")
    assert stack.stdout(arn, "app") == ["1000", "1000", "readonly"]
    stack.register("uid", [{"name": "app", "user": "4242:55", "command": ["sh", "-c", "id -u; id -g"]}])
    arn = stack.run("uid")
    stack.wait_status(arn, "STOPPED")
    assert stack.stdout(arn, "app") == ["4242", "55"]


def test_depends_on_ordering(stack):
    stack.register("deps", [
        {"name": "init", "essential": False, "command": ["sh", "-c", "echo init > /shared/order; sleep 1"],
         "mountPoints": [{"sourceVolume": "s", "containerPath": "/shared"}]},
        {"name": "db", "essential": False,
         "command": ["sh", "-c", "echo db >> /shared/order; touch /tmp/ready; sleep 30"],
         "healthCheck": {"command": ["CMD-SHELL", "test -e /tmp/ready"], "interval": 5, "retries": 2},
         "mountPoints": [{"sourceVolume": "s", "containerPath": "/shared"}]},
        {"name": "app", "command": ["sh", "-c", "echo app >> /shared/order; cat /shared/order"],
         "dependsOn": [{"containerName": "init", "condition": "SUCCESS"},
                       {"containerName": "db", "condition": "HEALTHY"}],
         "mountPoints": [{"sourceVolume": "s", "containerPath": "/shared"}]},
    ], volumes=[{"name": "s"}])
    arn = stack.run("deps")
    t = stack.wait_status(arn, "STOPPED", timeout=90)
    assert stack.stdout(arn, "app") == ["init", "db", "app"]
    assert stack.container(t, "app")["exitCode"] == 0
    # db is stopped with the task (it was still running).
    assert stack.container(t, "db")["lastStatus"] == "STOPPED"


def test_depends_on_success_failure_stops_task(stack):
    stack.register("depfail", [
        {"name": "init", "essential": False, "command": ["sh", "-c", "exit 1"]},
        {"name": "app", "command": ["sleep", "30"],
         "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}]},
    ])
    arn = stack.run("depfail")
    t = stack.wait_status(arn, "STOPPED")
    assert "dependency" in t["stoppedReason"]
    assert "exitCode" not in stack.container(t, "app")


def test_health_check_transitions(stack):
    stack.register("health", [{"name": "app", "command": [
        "sh", "-c", "touch /tmp/ok; sleep 8; rm /tmp/ok; sleep 60"],
        "healthCheck": {"command": ["CMD-SHELL", "test -e /tmp/ok"], "interval": 5, "timeout": 2, "retries": 1}}])
    arn = stack.run("health")
    berth_proc.wait_for(lambda: stack.describe(arn)["healthStatus"] == "HEALTHY", timeout=30, what="HEALTHY")
    assert stack.container(stack.describe(arn), "app")["healthStatus"] == "HEALTHY"
    berth_proc.wait_for(lambda: stack.describe(arn)["healthStatus"] == "UNHEALTHY", timeout=30, what="UNHEALTHY")
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    stack.wait_status(arn, "STOPPED")


def test_volumes_shared_between_containers(stack, tmp_path):
    host_dir = tmp_path / "hostvol"
    stack.register("vols", [
        {"name": "writer", "essential": False,
         "command": ["sh", "-c", "echo from-writer > /data/msg; echo host > /hostdir/file"],
         "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/data"},
                         {"sourceVolume": "host", "containerPath": "/hostdir"}]},
        {"name": "reader", "command": ["sh", "-c", "sleep 1; cat /data/msg; touch /data/x || echo ro"],
         "volumesFrom": [{"sourceContainer": "writer", "readOnly": True}],
         "dependsOn": [{"containerName": "writer", "condition": "COMPLETE"}]},
    ], volumes=[{"name": "scratch"}, {"name": "host", "host": {"sourcePath": str(host_dir)}}])
    arn = stack.run("vols")
    stack.wait_status(arn, "STOPPED")
    assert stack.stdout(arn, "reader") == ["from-writer", "ro"]
    assert (host_dir / "file").read_text() == "host\n"


def test_overlong_volume_path_refused(stack, tmp_path):
    """A host path longer than the agent takes fails the task with the
    reason, rather than being cut short into some other directory."""
    long_path = str(tmp_path / ("d" * 200)) * 25  # ~5,000+ bytes
    stack.register("longvol", [{"name": "app", "command": ["true"],
                                "mountPoints": [{"sourceVolume": "v", "containerPath": "/v"}]}],
                   volumes=[{"name": "v", "host": {"sourcePath": long_path}}])
    arn = stack.run("longvol")
    t = stack.wait_status(arn, "STOPPED")
    assert t["stopCode"] == "TaskFailedToStart", t
    assert "volume v: path longer than 4095 bytes" in t["stoppedReason"], t["stoppedReason"]
    assert not os.path.exists(long_path[:4000])


def test_environment_files_and_overrides(stack, tmp_path):
    envfile = tmp_path / "app.env"
    envfile.write_text("# comment\nFROM_FILE=file\nBOTH=from-file\n\nSPACED=a b\n")
    stack.register("envs", [{"name": "app", "command": ["sh", "-c", "echo $FROM_FILE/$BOTH/$SPACED/$OVR"],
                             "environment": [{"name": "BOTH", "value": "explicit"}, {"name": "OVR", "value": "def"}],
                             "environmentFiles": [{"value": str(envfile), "type": "s3"}]}])
    arn = stack.run("envs", overrides={"containerOverrides": [
        {"name": "app", "environment": [{"name": "OVR", "value": "overridden"}]}]})
    stack.wait_status(arn, "STOPPED")
    assert stack.stdout(arn, "app") == ["file/explicit/a b/overridden"]


def test_reports_survive_a_server_outage(tmp_path):
    s = stackmod.Stack(tmp_path, cluster="outage")
    try:
        s.register("brief", [{"name": "app", "command": ["sh", "-c", "sleep 2; exit 2"]}])
        arn = s.run("brief")
        s.wait_status(arn, "RUNNING")
        s.server.stop()
        time.sleep(4)  # the container exits while nobody listens
        s.server.start()
        t = s.wait_status(arn, "STOPPED", timeout=30)
        assert s.container(t, "app")["exitCode"] == 2
        assert t["stopCode"] == "EssentialContainerExited"
    finally:
        s.close()


def test_linux_parameters_ulimits_hostname(stack):
    stack.register("linuxp", [{
        "name": "app", "hostname": "berth-box", "dockerLabels": {"team": "core"},
        "ulimits": [{"name": "nofile", "softLimit": 1234, "hardLimit": 2345}],
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["CHOWN"]},
                            "tmpfs": [{"containerPath": "/scratch", "size": 8}]},
        "command": ["sh", "-c", "hostname; ulimit -n; cat /proc/1/comm; "
                                "grep -c ' /scratch tmpfs' /proc/mounts; "
                                "touch /tmp/f && (chown 1000 /tmp/f 2>/dev/null && echo chowned || echo no-chown)"]}])
    arn = stack.run("linuxp")
    t = stack.wait_status(arn, "STOPPED")
    assert stack.container(t, "app")["exitCode"] == 0
    host, nofile, init, tmpfs, chown = stack.stdout(arn, "app")
    assert host == "berth-box" and nofile == "1234"
    assert init in ("berth-init", "catatonit", "tini")  # an init is pid 1, not the shell
    assert tmpfs == "1" and chown == "no-chown"


def test_pull_failure(stack):
    stack.register("nopull", [{"name": "app", "image": stack.registry.hostport + "/nothing:here"}])
    arn = stack.run("nopull")
    t = stack.wait_status(arn, "STOPPED")
    assert t["stopCode"] == "TaskFailedToStart"
    assert t["stoppedReason"].startswith("CannotPullContainerError:")
    assert "nothing" in t["stoppedReason"]


def test_no_leftovers_after_tasks_stop(stack):
    running = stack.ecs.list_tasks(cluster=stack.cluster)["taskArns"]
    for arn in running:
        stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    for arn in running:
        stack.wait_status(arn, "STOPPED")
    everything = stack.ecs.list_tasks(cluster=stack.cluster, desiredStatus="STOPPED")["taskArns"]
    assert len(everything) >= 10
    stackmod.assert_no_leftovers(stack.agent_dir, everything)


def test_agent_kill9_containers_survive_and_are_readopted(tmp_path):
    s = stackmod.Stack(tmp_path, cluster="k9")
    try:
        s.register("survivor", [{"name": "app", "command": [
            "sh", "-c", "trap 'exit 0' TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]}])
        s.register("shortlived", [{"name": "app", "command": ["sh", "-c", "sleep 3; exit 5"]}])
        a = s.run("survivor")
        b = s.run("shortlived")
        s.wait_status(a, "RUNNING")
        s.wait_status(b, "RUNNING")
        s.agent.kill9()
        # While the agent is gone: a keeps running, b exits.
        before = len(s.stdout(a, "app"))
        time.sleep(4)
        assert len(s.stdout(a, "app")) > before, "the container stopped with its agent"
        assert s.describe(b)["lastStatus"] == "RUNNING"  # nobody has told the server yet
        s.start_agent()
        t = s.wait_status(b, "STOPPED")
        assert s.container(t, "app")["exitCode"] == 5
        assert s.describe(a)["lastStatus"] == "RUNNING"
        s.ecs.stop_task(cluster=s.cluster, task=a)
        t = s.wait_status(a, "STOPPED")
        assert s.container(t, "app")["exitCode"] == 0
        stackmod.assert_no_leftovers(s.agent_dir, [a, b])
    finally:
        s.close()


def test_crun_runtime(tmp_path):
    s = stackmod.Stack(tmp_path, cluster="crun", agent_args=["--runtime", "crun"])
    try:
        s.register("viacrun", [{"name": "app", "memory": 32, "user": "app",
                                "command": ["sh", "-c", "id -u; cat /proc/self/cgroup | grep -c berth"]}])
        arn = s.run("viacrun")
        t = s.wait_status(arn, "STOPPED")
        assert s.container(t, "app")["exitCode"] == 0
        out = s.stdout(arn, "app")
        assert out[0] == "1000" and int(out[1]) >= 1
        stackmod.assert_no_leftovers(s.agent_dir, [arn])
    finally:
        s.close()


def _agent_holds(pid):
    """The agent's open descriptors and thread-stack mappings (8 MiB + a
    guard page each): what each task ever run used to leave behind."""
    with open("/proc/%d/maps" % pid) as f:
        stacks = sum(1 for line in f
                     if (lambda a, b: int(b, 16) - int(a, 16))(*line.split()[0].split("-")) == 8 << 20)
    return len(os.listdir("/proc/%d/fd" % pid)), stacks


def test_tasks_that_ended_leave_nothing_in_the_agent(tmp_path):
    """A finished task's runner goes once the server has the task STOPPED:
    its thread is joined, its eventfd closed.  Kept for the agent's life,
    they were a descriptor and a stack mapping per task ever run (an agent
    ran out of descriptors after about a thousand tasks)."""
    s = stackmod.Stack(tmp_path, cluster="reap")
    try:
        s.register("brief", [{"name": "app", "command": ["true"]}])
        pid = s.agent.proc.pid
        s.wait_status(s.run("brief"), "STOPPED")
        base_fds, base_stacks = _agent_holds(pid)
        for _ in range(4):
            arns = [t["taskArn"] for t in s.ecs.run_task(cluster=s.cluster, taskDefinition="brief",
                                                         count=10)["tasks"]]
            for a in arns:
                s.wait_status(a, "STOPPED")
        # The last ones go at the next answer the agent gets: one more task.
        s.wait_status(s.run("brief"), "STOPPED")
        fds, stacks = berth_proc.wait_for(
            lambda: (lambda h: h if h[0] <= base_fds + 12 and h[1] <= base_stacks + 12 else None)(_agent_holds(pid)),
            timeout=30, what="the agent to let go of the 41 tasks that ended (%r before)" % ((base_fds, base_stacks),))
        assert fds <= base_fds + 12 and stacks <= base_stacks + 12
    finally:
        s.close()
