"""ECS services against hollow agents: the API (create, describe, list,
update, delete), the service scheduler (desired count, replacement,
draining, DAEMON), rolling deployments within minimumHealthyPercent and
maximumPercent, container health, and the deployment circuit breaker."""
import json
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
    env = berth_proc.aws_cli_env(os.environ.get("HOME", "/"))
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


def test_crash_is_replaced_and_scaling(env):
    env.agent(2)
    env.wait_instances(2)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=2)
    env.wait_steady("web")
    victim = env.tasks("web")[0]["taskArn"]
    env.crash(victim)
    def replaced():
        arns = {t["taskArn"] for t in env.tasks("web") if t["lastStatus"] == "RUNNING"}
        return len(arns) == 2 and victim not in arns
    berth_proc.wait_for(replaced, timeout=20, what="a replacement task")
    gone = env.ecs.describe_tasks(cluster=CLUSTER, tasks=[victim])["tasks"][0]
    assert gone["lastStatus"] == "STOPPED" and gone["stopCode"] == "EssentialContainerExited"
    svc = env.wait_steady("web")
    assert svc["deployments"][0]["failedTasks"] == 0  # failures after COMPLETED do not count

    # Scale up, then down.
    env.ecs.update_service(cluster=CLUSTER, service="web", desiredCount=5)
    svc = env.wait_steady("web")
    assert svc["runningCount"] == 5 and len(env.tasks("web")) == 5
    env.ecs.update_service(cluster=CLUSTER, service="web", desiredCount=1)
    berth_proc.wait_for(lambda: len(env.tasks("web")) == 1, what="scale in to 1")
    svc = env.wait_steady("web")
    assert svc["runningCount"] == 1
    assert any(m.startswith("(service web) has stopped 4 running tasks: (task ") for m in messages(svc))
    stopped = env.tasks("web", status="STOPPED")
    scaled_in = [t for t in stopped if t.get("stopCode") == "ServiceSchedulerInitiated"]
    assert len(scaled_in) == 4
    assert scaled_in[0]["stoppedReason"].startswith("Scaling activity initiated by (deployment ecs-svc/")


def sample_counts(env, name, stop, samples):
    """(live, running) as DescribeServices counts them, sampled until stop.
    One DescribeServices is one consistent read; ListTasks followed by
    DescribeTasks is not (a task started between the two calls is missed
    while one stopped meanwhile is seen stopped), which made the floor look
    broken when it was not."""
    while not stop.is_set():
        svc = env.ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]
        samples.append((svc["runningCount"] + svc["pendingCount"], svc["runningCount"]))
        time.sleep(0.02)


def check_timeline(tasks, t0, floor, ceiling):
    """From the tasks' own timestamps: at every instant after t0, live
    (created, not yet STOPPED) tasks stay within the ceiling and running ones
    (started, not yet asked to stop) at or above the floor."""
    def ts(t, key):
        return t[key].timestamp() if key in t else float("inf")
    marks = sorted({ts(t, k) for t in tasks for k in ("createdAt", "startedAt", "stoppingAt", "stoppedAt")
                    if k in t and ts(t, k) >= t0 - 0.001})
    assert marks
    for m in marks:
        live = sum(1 for t in tasks if ts(t, "createdAt") <= m < ts(t, "stoppedAt"))
        running = sum(1 for t in tasks if ts(t, "startedAt") <= m < min(ts(t, "stoppingAt"), ts(t, "stoppedAt")))
        assert live <= ceiling, (m, live, ceiling)
        assert running >= floor, (m, running, floor)


@pytest.mark.parametrize("minimum,maximum", [(100, 200), (50, 100), (67, 134)])
def test_rolling_update_respects_bounds(env, minimum, maximum):
    env.agent(3)
    env.wait_instances(3)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web:1", desiredCount=3,
                           deploymentConfiguration={"minimumHealthyPercent": minimum, "maximumPercent": maximum})
    env.wait_steady("web")
    samples = []
    stop = threading.Event()
    th = threading.Thread(target=sample_counts, args=(env, "web", stop, samples))
    th.start()
    try:
        t0 = time.time()
        out = env.ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2")["service"]
        assert len(out["deployments"]) == 2
        assert out["deployments"][0]["status"] == "PRIMARY" and out["deployments"][1]["status"] == "ACTIVE"
        svc = env.wait_steady("web")
        elapsed = time.time() - t0
    finally:
        stop.set()
        th.join()
    floor = -(-3 * minimum // 100)
    ceiling = 3 * maximum // 100
    assert samples
    assert all(live <= ceiling for live, _ in samples), (ceiling, samples)
    assert all(running >= floor for _, running in samples), (floor, samples)
    check_timeline(env.tasks("web") + env.tasks("web", status="STOPPED"), t0, floor, ceiling)
    assert all(t["taskDefinitionArn"].endswith(":2") for t in env.tasks("web"))
    assert svc["taskDefinition"].endswith("web:2") and svc["deployments"][0]["taskDefinition"].endswith("web:2")
    print("update-service to steady state (min %d, max %d): %.2fs" % (minimum, maximum, elapsed))


def test_update_to_steady_timing(env):
    env.agent(3)
    env.wait_instances(3)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=3)
    env.wait_steady("web")
    times = []
    for _ in range(3):
        t0 = time.time()
        env.ecs.update_service(cluster=CLUSTER, service="web", forceNewDeployment=True)
        env.wait_steady("web")
        times.append(time.time() - t0)
    print("update-service (forceNewDeployment, 3 tasks) to steady: %s" % ", ".join("%.2fs" % t for t in times))
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build",
                           "services_timing.txt"), "w") as f:
        f.write(" ".join("%.3f" % t for t in times) + "\n")


class Agentish(threading.Thread):
    """Plays the agent for one task definition revision: whenever a task of
    it is RUNNING, report it crashed (or UNHEALTHY)."""

    def __init__(self, env, name, revision_suffix, action):
        super().__init__(daemon=True)
        self.env, self.name, self.suffix, self.action = env, name, revision_suffix, action
        self.done = set()
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            try:
                for t in self.env.tasks(self.name):
                    if (t["taskDefinitionArn"].endswith(self.suffix) and t["lastStatus"] == "RUNNING"
                            and t["taskArn"] not in self.done):
                        self.done.add(t["taskArn"])
                        self.action(t["taskArn"])
            except Exception:  # noqa: BLE001 - the server may be mid-restart; keep playing
                pass
            time.sleep(0.05)

    def stop(self):
        self.stop_event.set()
        self.join()


def test_circuit_breaker_rolls_back(env):
    # The hollow agents "crash" every task of web:2 at once (exit code 1).
    env.agent(2, extra=["--hollow-fail-family", "web:2"])
    env.wait_instances(2)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web:1", desiredCount=3,
                           deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    first = env.wait_steady("web")["deployments"][0]["id"]
    failed = env.ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2")
    failed_id = failed["service"]["deployments"][0]["id"]
    samples = []
    stop = threading.Event()
    th = threading.Thread(target=sample_counts, args=(env, "web", stop, samples))
    th.start()
    try:
        def rolled_back():
            s = env.service("web")
            return s if any("rolling back to deployment %s." % first in m for m in messages(s)) else None
        berth_proc.wait_for(rolled_back, timeout=60, what="the breaker to roll back")
        svc = env.wait_steady("web", timeout=60)
    finally:
        stop.set()
        th.join()
    # web:1 kept serving all along.
    assert all(running >= 3 for _, running in samples), samples
    assert svc["taskDefinition"].endswith("web:1")
    p = svc["deployments"][0]
    assert p["taskDefinition"].endswith("web:1") and p["id"] not in (first, failed_id)
    assert p["rolloutState"] == "COMPLETED" and p["rolloutStateReason"] == "ECS deployment %s completed." % p["id"]
    msgs = messages(svc)
    assert "(service web) deployment %s deployment failed: tasks failed to start." % failed_id in msgs
    assert "(service web) rolling back to deployment %s." % first in msgs
    assert msgs[0] == "(service web) has reached a steady state."
    crashed = [t for t in env.tasks("web", status="STOPPED") if t["taskDefinitionArn"].endswith("web:2")]
    assert len(crashed) >= 3  # the threshold for 3 tasks: max(3, ceil(0.5 * 3))
    assert all(t["stopCode"] == "TaskFailedToStart" for t in crashed)
    assert all(t["taskDefinitionArn"].endswith("web:1") for t in env.tasks("web"))


def test_circuit_breaker_without_rollback_fails(env):
    env.agent(2, extra=["--hollow-fail-family", "web:2"])
    env.wait_instances(2)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web:1", desiredCount=2,
                           deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}})
    env.wait_steady("web")
    env.ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2")

    def failed():
        s = env.service("web")
        return s if s["deployments"][0]["rolloutState"] == "FAILED" else None
    svc = berth_proc.wait_for(failed, timeout=60, what="the deployment to fail")
    p = svc["deployments"][0]
    # Threshold max(3, ceil(0.5 * 2)) = 3; failures arrive in batches of up to 2.
    assert 3 <= p["failedTasks"] <= 4
    assert p["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    # The old revision keeps serving; nothing new is launched.
    time.sleep(2)
    tasks = env.tasks("web")
    assert len(tasks) == 2 and all(t["taskDefinitionArn"].endswith("web:1") for t in tasks)
    assert env.service("web")["deployments"][0]["failedTasks"] == p["failedTasks"]


def test_crash_loop_backs_off(env):
    env.agent(1, extra=["--hollow-fail-family", "web"])
    env.wait_instances(1)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=1)
    time.sleep(6)
    launched = len(env.tasks("web", status="STOPPED")) + len(env.tasks("web"))
    # Launch throttling (1 s, 2 s, 4 s...): a handful of launches, not a hot loop.
    assert 2 <= launched <= 5, launched
    svc = env.service("web")
    assert svc["runningCount"] == 0 and svc["deployments"][0]["rolloutState"] == "IN_PROGRESS"


def test_health_checks_gate_and_fail_deployment(env):
    env.agent(2)
    env.wait_instances(2)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.register_task_definition(**taskdef(health=True))  # web:2, HEALTHY
    env.ecs.register_task_definition(**taskdef(health=True))  # web:3, UNHEALTHY
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web:1", desiredCount=2,
                           deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    env.wait_steady("web")
    # web:2: the new tasks run but are not healthy yet, so the old ones stay.
    env.ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2")
    berth_proc.wait_for(lambda: sum(1 for t in env.tasks("web") if t["lastStatus"] == "RUNNING") == 4,
                        what="new tasks running next to the old")
    time.sleep(1.5)
    svc = env.service("web")
    assert len(svc["deployments"]) == 2 and svc["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert len(env.tasks("web")) == 4
    for t in env.tasks("web"):
        if t["taskDefinitionArn"].endswith(":2"):
            env.health(t["taskArn"], "HEALTHY")
    svc = env.wait_steady("web")
    assert svc["taskDefinition"].endswith("web:2")
    good = svc["deployments"][0]["id"]

    # web:3 turns UNHEALTHY: replaced, counted, the breaker trips and rolls back.
    healer = Agentish(env, "web", ":2", lambda arn: env.health(arn, "HEALTHY"))
    sicker = Agentish(env, "web", ":3", lambda arn: env.health(arn, "UNHEALTHY"))
    healer.start()
    sicker.start()
    try:
        env.ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:3")
        berth_proc.wait_for(lambda: any("rolling back to deployment %s." % good in m
                                        for m in messages(env.service("web"))),
                            timeout=60, what="rollback after health check failures")
        svc = env.wait_steady("web", timeout=60)
    finally:
        sicker.stop()
        healer.stop()
    msgs = messages(svc)
    assert any(m.startswith("(service web) (task ") and m.endswith(") failed container health checks.")
               for m in msgs)
    assert svc["taskDefinition"].endswith("web:2")
    unhealthy = [t for t in env.tasks("web", status="STOPPED") if t["taskDefinitionArn"].endswith(":3")
                 and t["stoppedReason"] == "Task failed container health checks"]
    assert len(unhealthy) >= 3  # the breaker's threshold for 2 tasks
    assert all(t["stopCode"] == "ServiceSchedulerInitiated" for t in unhealthy)


def test_daemon_service(env):
    env.agent(2)
    insts = env.wait_instances(2)
    env.ecs.register_task_definition(**taskdef(family="logger"))
    svc = env.ecs.create_service(cluster=CLUSTER, serviceName="logs", taskDefinition="logger",
                                 schedulingStrategy="DAEMON")["service"]
    assert svc["schedulingStrategy"] == "DAEMON"
    assert svc["deploymentConfiguration"]["maximumPercent"] == 100
    assert svc["deploymentConfiguration"]["minimumHealthyPercent"] == 0
    svc = env.wait_steady("logs")
    assert svc["desiredCount"] == 2
    tasks = env.tasks("logs")
    assert sorted(t["containerInstanceArn"] for t in tasks) == sorted(insts)

    # A third instance joins and gets one.
    env.agent(1)
    insts = env.wait_instances(3)
    berth_proc.wait_for(lambda: env.service("logs")["runningCount"] == 3, what="a daemon task on the new instance")
    svc = env.wait_steady("logs")
    assert svc["desiredCount"] == 3
    assert sorted(t["containerInstanceArn"] for t in env.tasks("logs")) == sorted(insts)

    # A draining instance loses its daemon task, and the count follows.
    env.ecs.update_container_instances_state(cluster=CLUSTER, containerInstances=[insts[0]], status="DRAINING")
    berth_proc.wait_for(lambda: env.service("logs")["desiredCount"] == 2 and len(env.tasks("logs")) == 2,
                        what="the daemon to leave the draining instance")
    assert insts[0] not in {t["containerInstanceArn"] for t in env.tasks("logs")}

    # A new revision replaces each task in place.
    env.ecs.register_task_definition(**taskdef(family="logger"))
    env.ecs.update_service(cluster=CLUSTER, service="logs", taskDefinition="logger:2")
    berth_proc.wait_for(lambda: all(t["taskDefinitionArn"].endswith("logger:2") for t in env.tasks("logs"))
                        and len(env.tasks("logs")) == 2, what="daemon rollout")
    env.wait_steady("logs")
    assert env.ecs.list_services(cluster=CLUSTER, schedulingStrategy="DAEMON")["serviceArns"] == [svc["serviceArn"]]
    assert env.ecs.list_services(cluster=CLUSTER, schedulingStrategy="REPLICA")["serviceArns"] == []


def test_daemon_constraints(env):
    env.agent(1, extra=["--attribute", "role=edge"])
    env.agent(1)
    env.wait_instances(2)
    env.ecs.register_task_definition(**taskdef(family="edge"))
    env.ecs.create_service(cluster=CLUSTER, serviceName="edge", taskDefinition="edge", schedulingStrategy="DAEMON",
                           placementConstraints=[{"type": "memberOf", "expression": "attribute:role == edge"}])
    svc = env.wait_steady("edge")
    assert svc["desiredCount"] == 1 and len(env.tasks("edge")) == 1


def test_draining_moves_tasks(env):
    env.agent(1, az="us-east-1a")
    env.agent(1, az="us-east-1b")
    insts = env.wait_instances(2)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=4)
    env.wait_steady("web")
    on = [t["containerInstanceArn"] for t in env.tasks("web")]
    assert on.count(insts[0]) == 2 and on.count(insts[1]) == 2  # spread over zones
    t0 = time.time()
    env.ecs.update_container_instances_state(cluster=CLUSTER, containerInstances=[insts[0]], status="DRAINING")
    berth_proc.wait_for(lambda: all(t["containerInstanceArn"] == insts[1] for t in env.tasks("web"))
                        and len(env.tasks("web")) == 4, what="tasks to move off the draining instance")
    svc = env.wait_steady("web")
    assert svc["runningCount"] == 4
    moved = [t for t in env.tasks("web", status="STOPPED") if t["stopCode"] == "ServiceSchedulerInitiated"]
    assert len(moved) == 2
    assert all(t["stoppedReason"] == "Task stopped because its container instance is draining" for t in moved)
    # Replacements ran before the drained tasks were stopped: never below 4
    # running, never above maximumPercent (8).
    check_timeline(env.tasks("web") + env.tasks("web", status="STOPPED"), t0, 4, 8)
    ci = env.ecs.describe_container_instances(cluster=CLUSTER, containerInstances=[insts[0]])["containerInstances"][0]
    assert ci["runningTasksCount"] == 0 and ci["pendingTasksCount"] == 0


def test_delete_service(env):
    env.agent(1)
    env.wait_instances(1)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=2)
    env.wait_steady("web")
    with pytest.raises(env.ecs.exceptions.InvalidParameterException) as e:
        env.ecs.delete_service(cluster=CLUSTER, service="web")
    assert "scaled above 0" in str(e.value)
    # Scaled to 0, it can go without force.
    env.ecs.update_service(cluster=CLUSTER, service="web", desiredCount=0)
    berth_proc.wait_for(lambda: env.tasks("web") == [], what="scale to zero")
    out = env.ecs.delete_service(cluster=CLUSTER, service="web")["service"]
    assert out["status"] == "DRAINING"
    berth_proc.wait_for(lambda: env.service("web")["status"] == "INACTIVE", what="INACTIVE")
    assert env.ecs.list_services(cluster=CLUSTER)["serviceArns"] == []
    with pytest.raises(env.ecs.exceptions.ServiceNotActiveException):
        env.ecs.update_service(cluster=CLUSTER, service="web", desiredCount=1)

    # The name is free again; force deletes a running service and stops its tasks.
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=2)
    env.wait_steady("web")
    c = env.ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]
    assert c["activeServicesCount"] == 1
    out = env.ecs.delete_service(cluster=CLUSTER, service="web", force=True)["service"]
    assert out["status"] == "DRAINING" and out["desiredCount"] == 0
    berth_proc.wait_for(lambda: env.service("web")["status"] == "INACTIVE", what="INACTIVE after force")
    assert env.tasks("web") == []
    c = env.ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]
    assert c["activeServicesCount"] == 0 and c["runningTasksCount"] == 0


def test_describe_list_and_validation(env):
    env.ecs.register_task_definition(**taskdef())
    for i in range(5):
        env.ecs.create_service(cluster=CLUSTER, serviceName="s%d" % i, taskDefinition="web", desiredCount=0,
                               tags=[{"key": "n", "value": str(i)}], propagateTags="SERVICE")
    out = env.ecs.describe_services(cluster=CLUSTER, services=["s1", "nope",
                                                                "arn:aws:ecs:us-east-1:000000000000:service/%s/s2" % CLUSTER],
                                    include=["TAGS"])
    assert [s["serviceName"] for s in out["services"]] == ["s1", "s2"]
    assert out["services"][0]["tags"] == [{"key": "n", "value": "1"}]
    assert out["services"][0]["propagateTags"] == "SERVICE"
    assert out["failures"] == [{"arn": "arn:aws:ecs:us-east-1:000000000000:service/nope",
                                "reason": "MISSING"}]
    assert "tags" not in env.ecs.describe_services(cluster=CLUSTER, services=["s1"])["services"][0]

    with pytest.raises(env.ecs.exceptions.ClusterContainsServicesException):
        env.ecs.delete_cluster(cluster=CLUSTER)

    # Pagination.
    page = env.ecs.list_services(cluster=CLUSTER, maxResults=2)
    seen = list(page["serviceArns"])
    while "nextToken" in page:
        page = env.ecs.list_services(cluster=CLUSTER, maxResults=2, nextToken=page["nextToken"])
        seen += page["serviceArns"]
    assert [a.rsplit("/", 1)[1] for a in seen] == ["s0", "s1", "s2", "s3", "s4"]
    paginator = env.ecs.get_paginator("list_services")
    assert sum(len(p["serviceArns"]) for p in paginator.paginate(cluster=CLUSTER,
                                                               PaginationConfig={"PageSize": 3})) == 5
    assert env.ecs.list_services(cluster=CLUSTER, launchType="EXTERNAL")["serviceArns"] == []
    assert len(env.ecs.list_services(cluster=CLUSTER, launchType="EC2")["serviceArns"]) == 5

    # Idempotency: the same token returns the service, anything else is refused.
    a = env.ecs.create_service(cluster=CLUSTER, serviceName="tok", taskDefinition="web", desiredCount=0,
                               clientToken="abc")["service"]
    b = env.ecs.create_service(cluster=CLUSTER, serviceName="tok", taskDefinition="web", desiredCount=0,
                               clientToken="abc")["service"]
    assert a["serviceArn"] == b["serviceArn"] and a["deployments"][0]["id"] == b["deployments"][0]["id"]
    with pytest.raises(env.ecs.exceptions.InvalidParameterException) as e:
        env.ecs.create_service(cluster=CLUSTER, serviceName="tok", taskDefinition="web", desiredCount=0)
    assert "Creation of service was not idempotent." in str(e.value)

    with pytest.raises(env.ecs.exceptions.ServiceNotFoundException):
        env.ecs.update_service(cluster=CLUSTER, service="nope", desiredCount=1)
    with pytest.raises(env.ecs.exceptions.ClientException):
        env.ecs.create_service(cluster=CLUSTER, serviceName="x", taskDefinition="missing", desiredCount=1)
    with pytest.raises(env.ecs.exceptions.InvalidParameterException):
        env.ecs.create_service(cluster=CLUSTER, serviceName="bad name", taskDefinition="web", desiredCount=1)
    with pytest.raises(env.ecs.exceptions.InvalidParameterException):
        env.ecs.create_service(cluster=CLUSTER, serviceName="x", taskDefinition="web", desiredCount=1,
                               deploymentConfiguration={"minimumHealthyPercent": 150})
    with pytest.raises(env.ecs.exceptions.InvalidParameterException):
        env.ecs.create_service(cluster=CLUSTER, serviceName="x", taskDefinition="web", desiredCount=1,
                               placementStrategy=[{"type": "binpack", "field": "nonsense"}])
    with pytest.raises(env.ecs.exceptions.ClusterNotFoundException):
        env.ecs.describe_services(cluster="nocluster", services=["s1"])

    # Tagging a service by its ARN.
    arn = out["services"][0]["serviceArn"]
    env.ecs.tag_resource(resourceArn=arn, tags=[{"key": "extra", "value": "1"}])
    keys = {t["key"] for t in env.ecs.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert keys == {"n", "extra"}


def test_managed_and_propagated_tags(env):
    env.agent(1)
    env.wait_instances(1)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=1,
                           enableECSManagedTags=True, propagateTags="SERVICE",
                           tags=[{"key": "team", "value": "a"}])
    env.wait_steady("web")
    arn = env.tasks("web")[0]["taskArn"]
    tags = {t["key"]: t["value"] for t in env.ecs.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"team": "a", "aws:ecs:serviceName": "web", "aws:ecs:clusterName": CLUSTER}


def test_unplaceable_event(env):
    env.agent(1)
    env.wait_instances(1)
    env.ecs.register_task_definition(**taskdef(family="big", memory=100000))
    env.ecs.create_service(cluster=CLUSTER, serviceName="big", taskDefinition="big", desiredCount=1)

    def event():
        m = messages(env.service("big"))
        return m if m else None
    msgs = berth_proc.wait_for(event, what="an event")
    assert msgs[0].startswith("(service big) was unable to place a task because no container instance met all "
                              "of its requirements. The closest matching (container-instance ")
    assert "has insufficient memory available." in msgs[0]
    time.sleep(2.5)
    assert len(messages(env.service("big"))) == 1  # not repeated every round


def test_events_capped_at_100(env):
    env.agent(1)
    env.wait_instances(1)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=1)
    env.wait_steady("web")
    for i in range(55):
        env.ecs.update_service(cluster=CLUSTER, service="web", desiredCount=2 if i % 2 == 0 else 1)
        env.wait_steady("web")
    svc = env.service("web")
    assert len(svc["events"]) == 100
    times = [e["createdAt"] for e in svc["events"]]
    assert times == sorted(times, reverse=True)


def test_health_check_grace_period(env):
    env.agent(1)
    env.wait_instances(1)
    env.ecs.register_task_definition(**taskdef(health=True))
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=1,
                           healthCheckGracePeriodSeconds=3)
    task = berth_proc.wait_for(lambda: [t for t in env.tasks("web") if t["lastStatus"] == "RUNNING"],
                               what="a running task")[0]
    env.health(task["taskArn"], "UNHEALTHY")
    time.sleep(1.5)
    assert env.tasks("web")[0]["taskArn"] == task["taskArn"]  # within the grace period: kept
    berth_proc.wait_for(lambda: task["taskArn"] not in {t["taskArn"] for t in env.tasks("web")}, timeout=10,
                        what="the unhealthy task to be replaced after the grace period")
    svc = env.service("web")
    assert svc["healthCheckGracePeriodSeconds"] == 3
    assert "(service web) (task %s) failed container health checks." % task["taskArn"].rsplit("/", 1)[1] \
        in messages(svc)


def test_scheduler_survives_restart(env):
    env.agent(1)
    env.wait_instances(1)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=2)
    env.wait_steady("web")
    env.server.restart()
    victim = env.tasks("web")[0]["taskArn"]
    env.crash(victim)
    berth_proc.wait_for(lambda: victim not in {t["taskArn"] for t in env.tasks("web")}
                        and env.service("web")["runningCount"] == 2, timeout=30, what="a replacement after restart")
    svc = env.wait_steady("web")
    assert len(svc["deployments"]) == 1


def test_spread_and_balanced_scale_in(env):
    env.agent(1, az="us-east-1a")
    env.agent(2, az="us-east-1b")
    env.wait_instances(3)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=6)
    env.wait_steady("web")
    zones = [t["availabilityZone"] for t in env.tasks("web")]
    assert zones.count("us-east-1a") == 3 and zones.count("us-east-1b") == 3
    env.ecs.update_service(cluster=CLUSTER, service="web", desiredCount=2)
    berth_proc.wait_for(lambda: len(env.tasks("web")) == 2, what="scale in to 2")
    tasks = env.tasks("web")
    assert sorted(t["availabilityZone"] for t in tasks) == ["us-east-1a", "us-east-1b"]


def test_aws_cli_service_commands(env):
    env.agent(1)
    env.wait_instances(1)
    env.ecs.register_task_definition(**taskdef())
    r = aws_cli(env.server.endpoint, "create-service", "--cluster", CLUSTER, "--service-name", "cli",
                "--task-definition", "web", "--desired-count", "2",
                "--deployment-configuration",
                "maximumPercent=150,minimumHealthyPercent=50,deploymentCircuitBreaker={enable=true,rollback=true}")
    assert r.returncode == 0, r.stderr
    svc = json.loads(r.stdout)["service"]
    assert svc["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    r = aws_cli(env.server.endpoint, "wait", "services-stable", "--cluster", CLUSTER, "--services", "cli")
    assert r.returncode == 0, r.stderr
    r = aws_cli(env.server.endpoint, "update-service", "--cluster", CLUSTER, "--service", "cli",
                "--force-new-deployment")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["service"]["deployments"]) == 2
    r = aws_cli(env.server.endpoint, "wait", "services-stable", "--cluster", CLUSTER, "--services", "cli")
    assert r.returncode == 0, r.stderr
    r = aws_cli(env.server.endpoint, "list-services", "--cluster", CLUSTER)
    assert json.loads(r.stdout)["serviceArns"] == [svc["serviceArn"]]
    r = aws_cli(env.server.endpoint, "delete-service", "--cluster", CLUSTER, "--service", "cli", "--force")
    assert r.returncode == 0, r.stderr
    r = aws_cli(env.server.endpoint, "wait", "services-inactive", "--cluster", CLUSTER, "--services", "cli")
    assert r.returncode == 0, r.stderr


def test_update_checks_network_configuration(env):
    """UpdateService holds the definition and network configuration to the
    rules CreateService does: no awsvpc definition without awsvpcConfiguration,
    no awsvpcConfiguration for a bridge one."""
    env.ecs.register_task_definition(**taskdef())
    vpc = dict(taskdef(family="vpc"), networkMode="awsvpc")
    env.ecs.register_task_definition(**vpc)
    env.ecs.create_service(cluster=CLUSTER, serviceName="net", taskDefinition="web", desiredCount=0)
    with pytest.raises(env.ecs.exceptions.InvalidParameterException) as e:
        env.ecs.update_service(cluster=CLUSTER, service="net", taskDefinition="vpc")
    assert "Network Configuration must be provided" in str(e.value)
    with pytest.raises(env.ecs.exceptions.InvalidParameterException):
        env.ecs.update_service(cluster=CLUSTER, service="net", networkConfiguration={
            "awsvpcConfiguration": {"subnets": ["subnet-1"]}})
    s = env.service("net")
    assert s["taskDefinition"].endswith("/web:1") and "networkConfiguration" not in s
    assert len(s["deployments"]) == 1
    s = env.ecs.update_service(cluster=CLUSTER, service="net", taskDefinition="vpc", networkConfiguration={
        "awsvpcConfiguration": {"subnets": ["subnet-1"]}})["service"]
    assert s["taskDefinition"].endswith("/vpc:1")


def test_failed_rollback_is_not_rolled_back_again(env):
    """When the rollback deployment fails too (here: the placement rules that
    came with the bad deployment put every task on an instance where all of
    the family crashes), it stays FAILED; the breaker does not roll back
    again and again."""
    env.agent(1, extra=["--attribute", "role=good"])
    env.agent(1, extra=["--attribute", "role=bad", "--hollow-fail-family", "web"])
    env.wait_instances(2)
    env.ecs.register_task_definition(**taskdef())
    env.ecs.register_task_definition(**taskdef())
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web:1", desiredCount=3,
                           placementConstraints=[{"type": "memberOf", "expression": "attribute:role == good"}],
                           deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    first = env.wait_steady("web")["deployments"][0]["id"]
    env.ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2",
                           placementConstraints=[{"type": "memberOf", "expression": "attribute:role == bad"}])

    def rollbacks(s):
        return sum("rolling back to deployment %s." % first in m for m in messages(s))

    def failed_rollback():
        s = env.service("web")
        p = s["deployments"][0]
        return s if p["taskDefinition"].endswith("web:1") and p["rolloutState"] == "FAILED" else None
    berth_proc.wait_for(failed_rollback, timeout=60, what="the rollback deployment to fail")
    time.sleep(4)
    svc = env.service("web")
    assert rollbacks(svc) == 1, messages(svc)
    p = svc["deployments"][0]
    assert p["status"] == "PRIMARY" and p["rolloutState"] == "FAILED" and p["taskDefinition"].endswith("web:1")
    # The first deployment's tasks keep serving.
    tasks = env.tasks("web")
    assert len(tasks) == 3 and all(t["startedBy"] == first for t in tasks)


def test_desired_count_quota(env, tmp_path):
    """desiredCount is bounded by the tasks-per-service quota (ECS: 5,000),
    on create and on update, with a clear InvalidParameterException; nothing
    is created or changed by a refused request."""
    env.ecs.register_task_definition(**taskdef())
    for huge in (2147483647, 5001):
        with pytest.raises(env.ecs.exceptions.InvalidParameterException) as e:
            env.ecs.create_service(cluster=CLUSTER, serviceName="big", taskDefinition="web", desiredCount=huge)
        assert "desiredCount %d exceeds the limit of 5000 tasks per service" % huge in str(e.value)
    assert env.ecs.list_services(cluster=CLUSTER)["serviceArns"] == []
    env.ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=1)
    with pytest.raises(env.ecs.exceptions.InvalidParameterException) as e:
        env.ecs.update_service(cluster=CLUSTER, service="web", desiredCount=5001)
    assert "exceeds the limit of 5000" in str(e.value)
    assert env.service("web")["desiredCount"] == 1


def test_desired_count_quota_is_configurable(tmp_path):
    (tmp_path / "server").mkdir()
    srv = berth_proc.BerthServer(tmp_path / "server", tmp_path / "server.log",
                                 extra_args=["--max-service-tasks", "2"]).start()
    try:
        ecs = berth_proc.client(srv.endpoint)
        ecs.create_cluster(clusterName=CLUSTER)
        ecs.register_task_definition(**taskdef())
        with pytest.raises(ecs.exceptions.InvalidParameterException) as e:
            ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web", desiredCount=3)
        assert "exceeds the limit of 2 tasks per service" in str(e.value)
        assert ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition="web",
                                  desiredCount=2)["service"]["desiredCount"] == 2
    finally:
        srv.stop()
