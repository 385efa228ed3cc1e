"""`berth up`'s clean stop: Ctrl-C (or SIGTERM) stops the tasks it runs and
removes every namespace, mount, cgroup, the bridge and the nftables tables;
--keep-tasks leaves them for the next berth up to adopt; `berth down`
cleans up after a berth up that was killed, and --purge deletes the data."""
import json
import os
import signal
import subprocess

import berth_proc
import registry
import testimages

QUICK = 2  # stopTimeout: busybox httpd ignores nothing, but be quick anyway


def up_env():
    return berth_proc.client_env(berth_proc.server_env())


def nft_tables():
    out = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True)
    return {l.split()[-1] for l in out.stdout.splitlines() if "berth_" in l}


def own_table(data):
    """The agent's nftables table under `berth up --data data`: berth_ and a
    FNV-1a hash of the agent's data directory (nftrules_table_name). Other
    agents of tests running in parallel have tables of their own."""
    h = 2166136261
    for b in (data + "/agent").encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return "berth_%08x" % h


def host_leftovers(data, task_ids):
    """What a stopped berth up must not leave behind on the host."""
    found = []
    with open("/proc/mounts") as f:
        found += [l.split()[1] for l in f if data in l]
    netns = os.path.join(data, "agent", "netns")
    if os.path.isdir(netns):
        found += os.listdir(netns)
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    found += [l for l in out.splitlines() if any(t in l for t in task_ids)]
    if os.path.exists("/sys/class/net/berth0"):
        found.append("bridge berth0")
    for root in ("/sys/fs/cgroup/berth", "/sys/fs/cgroup/memory/berth", "/sys/fs/cgroup/pids/berth"):
        if os.path.isdir(root):
            found += [os.path.join(root, x) for x in os.listdir(root) if x in task_ids]
    return found


class Up:
    """A `berth up` on a data dir, with a registry of its own (the test images)."""

    def __init__(self, tmp, reg, *extra):
        self.tmp, self.data = tmp, str(tmp / "data")
        self.port = registry.free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.log_path = tmp / ("up-%d.log" % self.port)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([berth_proc.BERTH_BIN, "up", "--data", self.data, "--listen",
                                      "127.0.0.1:%d" % self.port, "--registry", "off"] + list(extra),
                                     stdout=self.log, stderr=self.log, env=up_env())
        self.ecs = berth_proc.client(self.endpoint)
        self.image = reg.hostport + "/busybox:1"
        berth_proc.wait_for_berth_up(self.proc, self.log_path)

    def text(self):
        return self.log_path.read_text(errors="replace")

    def stop(self, sig=signal.SIGINT):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=90)
        self.log.close()
        return rc

    def service(self, name, count):
        self.ecs.register_task_definition(family=name, containerDefinitions=[{
            "name": "web", "image": self.image, "memory": 32, "stopTimeout": QUICK,
            "command": ["httpd", "-f", "-p", "80", "-h", "/var/www"], "portMappings": [{"containerPort": 80}]}])
        self.ecs.create_service(cluster="default", serviceName=name, taskDefinition=name, desiredCount=count)
        return berth_proc.wait_for(lambda: self.running(name, count), timeout=90, what="the service's tasks")

    def running(self, name, count):
        arns = self.ecs.list_tasks(cluster="default", serviceName=name, desiredStatus="RUNNING")["taskArns"]
        if len(arns) != count:
            return None
        tasks = self.ecs.describe_tasks(cluster="default", tasks=arns)["tasks"]
        return arns if all(t["lastStatus"] == "RUNNING" for t in tasks) else None


def ids(arns):
    return {a.rsplit("/", 1)[1] for a in arns}


def container_processes(task_ids):
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if "conmon" in l and any(t in l for t in task_ids)]


def test_ctrl_c_stops_tasks_and_removes_what_berth_made(tmp_path):
    reg = registry.Registry(str(tmp_path / "registry")).start()
    try:
        testimages.push_all(reg.hostport)
        up = Up(tmp_path, reg)
        try:
            arns = up.service("web", 2)
            assert own_table(up.data) in nft_tables()  # the agent's table exists while it runs
            assert os.path.exists("/sys/class/net/berth0")
        finally:
            rc = up.stop()
        assert rc == 0, up.text()[-5000:]
        assert "stopping, with every task" in up.text()
        assert host_leftovers(up.data, ids(arns)) == []
        assert own_table(up.data) not in nft_tables()
        assert container_processes(ids(arns)) == []
        # the next start says what it resumes (and stops what the service
        # placed meanwhile when it stops)
        up2 = Up(tmp_path, reg)
        assert "up: resuming the state in %s: 1 cluster, 1 service" % up2.data in up2.text()
        assert up2.stop() == 0
    finally:
        reg.stop()


def test_keep_tasks_leaves_them_running_and_the_next_up_adopts_them(tmp_path):
    reg = registry.Registry(str(tmp_path / "registry")).start()
    try:
        testimages.push_all(reg.hostport)
        up = Up(tmp_path, reg, "--keep-tasks")
        arns = up.service("kept", 1)
        assert up.stop(signal.SIGTERM) == 0, up.text()[-5000:]
        assert len(container_processes(ids(arns))) == 1  # still running
        up2 = Up(tmp_path, reg, "--log-format", "json")
        try:
            # adopted: the same task runs on, not a replacement
            berth_proc.wait_for(lambda: up2.running("kept", 1) == arns, timeout=60, what="the adopted task")
            logged = [json.loads(l) for l in up2.text().splitlines() if l.startswith("{")]
            assert any(e["level"] == "info" and "1 task not stopped" in e["msg"] for e in logged), logged
            # API requests are debug lines; the default level is info
            assert not any(e["msg"].startswith("api: ") and " 200 " in e["msg"] for e in logged)
        finally:
            assert up2.stop() == 0, up2.text()[-5000:]
        assert host_leftovers(up2.data, ids(arns)) == []
        assert container_processes(ids(arns)) == []
    finally:
        reg.stop()


def test_berth_down_after_kill9_cleans_up_and_purges(tmp_path):
    reg = registry.Registry(str(tmp_path / "registry")).start()
    try:
        testimages.push_all(reg.hostport)
        up = Up(tmp_path, reg)
        arns = up.service("crash", 2)
        assert own_table(up.data) in nft_tables()
        up.proc.kill()
        up.proc.wait()
        up.log.close()
        assert len(container_processes(ids(arns))) == 2
        down = [berth_proc.BERTH_BIN, "down", "--data", up.data]
        out = subprocess.run(down, env=up_env(), capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "is stopped and cleaned up" in out.stdout
        assert host_leftovers(up.data, ids(arns)) == []
        assert container_processes(ids(arns)) == []
        assert own_table(up.data) not in nft_tables()
        # the server saw them stop
        up2 = Up(tmp_path, reg)
        tasks = up2.ecs.describe_tasks(cluster="default", tasks=arns)["tasks"]
        assert {t["lastStatus"] for t in tasks} == {"STOPPED"}, json.dumps(tasks, default=str)[:2000]
        # berth down on a running berth up stops it as Ctrl-C would
        out = subprocess.run(down, env=up_env(), capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        assert up2.proc.wait(timeout=10) == 0
        up2.log.close()
        # --purge wants a terminal or --yes
        out = subprocess.run(down + ["--purge"], env=up_env(), capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
        assert out.returncode == 2 and "--yes" in out.stderr
        assert os.path.isdir(up.data)
        out = subprocess.run(down + ["--purge", "--yes"], env=up_env(), capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        assert not os.path.exists(up.data)
    finally:
        reg.stop()
