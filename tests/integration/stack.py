"""A whole berth on this machine for end-to-end tests: a real registry with
the test images, a real server, a real agent running real containers."""
import json
import os
import random
import subprocess
import time

import berth_proc
import registry
import testimages


def free_subnet():
    """A /24 in 10.213.0.0/16 that no route on this host uses yet, so that
    stacks running in parallel (other test runs) never share one."""
    routes = subprocess.run(["ip", "-o", "-4", "route", "show", "table", "all"], capture_output=True,
                            text=True).stdout
    for _ in range(200):
        n = random.randrange(1, 255)
        if "10.213.%d." % n not in routes:
            return "10.213.%d.0/24" % n
    raise AssertionError("no free test subnet")


def net_args():
    """--bridge/--task-subnet unique to one agent."""
    return ["--bridge", "bt%08x" % random.getrandbits(32), "--task-subnet", free_subnet()]


class Stack:
    def __init__(self, tmp, cluster="e2e", agent_args=(), server_args=()):
        self.tmp = str(tmp)
        self.cluster = cluster
        self.registry = registry.Registry(os.path.join(self.tmp, "registry")).start()
        testimages.push_all(self.registry.hostport)
        self.image = self.registry.hostport + "/busybox:1"
        os.makedirs(os.path.join(self.tmp, "server"), exist_ok=True)
        self.server = berth_proc.BerthServer(os.path.join(self.tmp, "server"),
                                             os.path.join(self.tmp, "server.log"),
                                             extra_args=list(server_args)).start()
        self.ecs = berth_proc.client(self.server.endpoint)
        self.ecs.create_cluster(clusterName=cluster)
        self.agent_dir = os.path.join(self.tmp, "agent")
        self.agent_args = list(agent_args)
        if "--bridge" not in self.agent_args:
            self.agent_args += net_args()
        self.bridge = self.agent_args[self.agent_args.index("--bridge") + 1]
        self.agent = None
        # The agent joins as a new host would: with a registration token and
        # no AWS credentials, then signs with its instance's own key.
        self.token, _ = berth_proc.create_token(self.server.endpoint, cluster)
        self.start_agent()

    def start_agent(self):
        self.agent = berth_proc.BerthAgent(self.server.endpoint, self.cluster, self.agent_dir,
                                           os.path.join(self.tmp, "agent.log"), extra_args=self.agent_args,
                                           key=None, token=self.token).start()
        berth_proc.wait_for(lambda: self.ecs.list_container_instances(cluster=self.cluster)["containerInstanceArns"],
                            what="the agent to register")
        return self.agent

    def close(self):
        try:
            if self.agent:
                self.stop_everything()
                self.agent.stop()
            self.server.stop()
        finally:
            self.registry.stop()

    def stop_everything(self, timeout=30):
        """Best effort, so that a test that failed half-way leaves no
        containers, mounts or namespaces behind: the agent's SIGTERM keeps
        tasks running (as an ECS agent restart does).  Services go first, or
        they would replace the tasks stopped."""
        import time
        try:
            for arn in self.ecs.list_services(cluster=self.cluster, maxResults=100)["serviceArns"]:
                try:  # one a test already deleted is still listed while it drains
                    self.ecs.delete_service(cluster=self.cluster, service=arn, force=True)
                except Exception as e:
                    print("stack teardown: %s" % e)
            arns = self.ecs.list_tasks(cluster=self.cluster, maxResults=100)["taskArns"]
            for arn in arns:
                self.ecs.stop_task(cluster=self.cluster, task=arn, reason="test teardown")
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and leftovers(self.agent_dir):
                time.sleep(0.2)
            left = leftovers(self.agent_dir)
            if left:
                tasks = self.ecs.list_tasks(cluster=self.cluster, desiredStatus="STOPPED", maxResults=100)["taskArns"]
                described = self.ecs.describe_tasks(cluster=self.cluster, tasks=tasks)["tasks"] if tasks else []
                print("stack teardown: left behind %s; tasks %s" % (left, [(t["taskArn"], t["lastStatus"], t.get(
                    "stoppedReason")) for t in described if t["lastStatus"] != "STOPPED"]))
        except Exception as e:  # the test's own failure matters more
            print("stack teardown: %s" % e)

    # --- helpers tests use -------------------------------------------------

    def register(self, family, containers, **kw):
        for c in containers:
            c.setdefault("image", self.image)
            c.setdefault("memory", 64)
        return self.ecs.register_task_definition(family=family, containerDefinitions=containers,
                                                 **kw)["taskDefinition"]["taskDefinitionArn"]

    def run(self, family, **kw):
        out = self.ecs.run_task(cluster=self.cluster, taskDefinition=family, **kw)
        assert out["failures"] == [], out["failures"]
        return out["tasks"][0]["taskArn"]

    def describe(self, arn):
        return self.ecs.describe_tasks(cluster=self.cluster, tasks=[arn])["tasks"][0]

    def wait_status(self, arn, status, timeout=60):
        return berth_proc.wait_for(lambda: (lambda t: t if t["lastStatus"] == status else None)(self.describe(arn)),
                                   timeout=timeout, what="task %s to be %s" % (arn, status))

    def container(self, task, name):
        return [c for c in task["containers"] if c["name"] == name][0]

    def log(self, arn, name):
        """A container's output lines (conmon's k8s-file format), while it runs or after."""
        tid = arn.rsplit("/", 1)[1]
        task = self.describe(arn)
        idx = [c["name"] for c in task["containers"]].index(name)
        for path in (os.path.join(self.agent_dir, "logs", tid, name + ".log"),
                     os.path.join(self.agent_dir, "containers", "%s-%d" % (tid, idx), "ctr.log")):
            if os.path.exists(path):
                with open(path) as f:
                    return [line.rstrip("\n").split(" ", 3) for line in f]
        return []

    def stdout(self, arn, name):
        return [parts[3] for parts in self.log(arn, name) if len(parts) == 4 and parts[1] == "stdout"]


def leftovers(agent_dir, task_arns=()):
    """What stopped tasks must not leave behind: mounts, container and task
    directories of this agent, and the cgroups of the given tasks (only
    those: other processes on the machine may use the same cgroup parent)."""
    found = []
    ids = {a.rsplit("/", 1)[1] for a in task_arns}
    with open("/proc/mounts") as f:
        found += [line for line in f if agent_dir in line]
    for d in ("containers", "tasks", "netns"):
        p = os.path.join(agent_dir, d)
        if os.path.isdir(p):
            found += [os.path.join(p, x) for x in os.listdir(p)]
    for ctl in ("memory", "cpu", "pids"):
        p = "/sys/fs/cgroup/%s/berth" % ctl
        if os.path.isdir(p):
            found += [os.path.join(p, x) for x in os.listdir(p) if x in ids]
    return found


def assert_no_leftovers(agent_dir, task_arns, timeout=20):
    """Wait until leftovers() is empty; fail with what is still there."""
    import berth_proc
    try:
        berth_proc.wait_for(lambda: not leftovers(agent_dir, task_arns), timeout=timeout, what="cleanup")
    except AssertionError:
        raise AssertionError("left behind: %s" % leftovers(agent_dir, task_arns))
