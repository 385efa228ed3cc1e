"""ECS services against hollow agents: the API (create, describe, list,
update, delete), the service scheduler (desired count, replacement,
draining, DAEMON), rolling deployments within minimumHealthyPercent and
maximumPercent, container health, and the deployment circuit breaker."""
import os
import subprocess
import threading
import time

import pytest

import berth_proc

CLUSTER = "svc"


def taskdef(family="web", health=False, memory=128):
    c = {"name": "app", "image": "busybox", "memory": memory, "cpu": 128, "essential": True}
    if health:
        c["healthCheck"] = {"command": ["CMD-SHELL", "true"], "interval": 5, "retries": 1}
    return {"family": family, "containerDefinitions": [c]}


class Env:
    def __init__(self, server, tmp_path):
        self.server = server
        self.tmp = tmp_path
        self.ecs = berth_proc.client(server.endpoint)
        self.agents = []
        self.ecs.create_cluster(clusterName=CLUSTER)

    def agent(self, n=1, az=None, extra=()):
        i = len(self.agents)
        args = ["--hollow-cpu", "4096", "--hollow-memory", "4096"] + list(extra)
        if az:
            args += ["--availability-zone", az]
        a = berth_proc.BerthAgent(self.server.endpoint, CLUSTER, self.tmp / ("agent%d" % i),
                                  self.tmp / ("agent%d.log" % i), hollow=n, extra_args=args).start()
        self.agents.append(a)
        return a

    def wait_instances(self, n):
        return berth_proc.wait_for(
            lambda: (lambda l: l if len(l) >= n else None)(
                self.ecs.list_container_instances(cluster=CLUSTER, status="ACTIVE")["containerInstanceArns"]),
            what="%d instances" % n)

    def service(self, name):
        out = self.ecs.describe_services(cluster=CLUSTER, services=[name])
        return out["services"][0]

    def tasks(self, name, status="RUNNING"):
        arns = self.ecs.list_tasks(cluster=CLUSTER, serviceName=name, desiredStatus=status)["taskArns"]
        if not arns:
            return []
        return self.ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]

    def wait_steady(self, name, timeout=40):
        def steady():
            s = self.service(name)
            ok = (len(s["deployments"]) == 1 and s["runningCount"] == s["desiredCount"]
                  and s["deployments"][0]["rolloutState"] == "COMPLETED")
            return s if ok else None
        return berth_proc.wait_for(steady, timeout=timeout, interval=0.2, what="service %s steady" % name)

    def call(self, action, body):
        status, out = berth_proc.raw_call(self.server.endpoint, action, body)
        assert status == 200, out
        return out

    def crash(self, task_arn):
        self.call("SubmitTaskStateChange", {
            "cluster": CLUSTER, "task": task_arn, "status": "STOPPED",
            "reason": "Essential container in task exited",
            "containers": [{"containerName": "app", "status": "STOPPED", "exitCode": 1}]})

    def health(self, task_arn, status):
        s, out = berth_proc.raw_call(self.server.endpoint, "ReportHealth", {
            "cluster": CLUSTER, "task": task_arn, "healthStatus": status,
            "containers": [{"containerName": "app", "healthStatus": status}]},
            target_prefix="BerthAgent_20261122")
        assert s == 200, out

    def close(self):
        for a in self.agents:
            a.stop()


@pytest.fixture
def env(fresh_server, tmp_path):
    e = Env(fresh_server, tmp_path)
    yield e
    e.close()


def messages(svc):
    return [e["message"] for e in svc["events"]]


def aws_cli(endpoint, *args, timeout=120):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/dev/null")
    return subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "ecs"] + list(args), env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_steady_state_and_cli_waiter(env):
    env.agent(2)
    env.wait_instances(2)
    td = env.ecs.register_task_definition(**taskdef())["taskDefinition"]
    out = env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=3)
    svc = out["service"]
    assert svc["serviceArn"] == "arn:aws:ecs:us-east-1:000000000000:service/%s/web" % CLUSTER
    assert svc["status"] == "ACTIVE" and svc["desiredCount"] == 3 and svc["launchType"] == "EC2"
    assert svc["schedulingStrategy"] == "REPLICA"
    assert svc["deploymentConfiguration"]["maximumPercent"] == 200
    assert svc["deploymentConfiguration"]["minimumHealthyPercent"] == 100
    assert svc["deploymentController"] == {"type": "ECS"}
    dep = svc["deployments"][0]
    assert dep["status"] == "PRIMARY" and dep["rolloutState"] == "IN_PROGRESS"
    assert dep["id"].startswith("ecs-svc/") and len(dep["id"]) == len("ecs-svc/") + 19
    assert dep["taskDefinition"] == td["taskDefinitionArn"]

    r = aws_cli(env.server.endpoint, "wait", "services-stable", "--cluster", CLUSTER, "--services", "web")
    assert r.returncode == 0, r.stderr
    svc = env.wait_steady("web")
    assert svc["runningCount"] == 3 and svc["pendingCount"] == 0
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED"
    msgs = messages(svc)
    assert msgs[0] == "(service web) has reached a steady state."
    assert any(m.startswith("(service web) has started 3 tasks: (task ") for m in msgs)
    tasks = env.tasks("web")
    assert len(tasks) == 3
    for t in tasks:
        assert t["startedBy"] == dep["id"] and t["group"] == "service:web"
    # Spread over instances by default.
    assert len({t["containerInstanceArn"] for t in tasks}) == 2
    c = env.ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]
    assert c["activeServicesCount"] == 1 and c["runningTasksCount"] == 3
