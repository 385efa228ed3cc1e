"""Container restart policies (restartPolicy) with a real agent and real
containers: a container that exits with a code it does not ignore, after
running at least its restartAttemptPeriod, is restarted in place: the task
stays RUNNING, even for an essential container, and the container sees its
RestartCount in the task metadata endpoint.  An ignored exit code, or an
exit sooner than the period, is an ordinary exit (an essential container's
stops the task).  Restarts leave no second mount nor conmon behind, and the
count goes on across an agent restart.  Container Insights shows
RestartCount, UnHealthyContainerHealthStatus and TaskSetCount.

berth agent --time-scale 60 makes the 60 s minimum period one second;
berth server --time-scale 60 and --metrics-interval 1 make Container
Insights' periods and samples one second."""
import datetime
import os
import re

import pytest

import berth_proc
import stack as stackmod

CLUSTER = "restarts"
NS = "ECS/ContainerInsights"

# Prints the RestartCount the metadata endpoint shows it, runs two seconds
# (twice its scaled period), then exits with `code`.
FLAKY = ('until m=$(wget -q -O - $ECS_CONTAINER_METADATA_URI_V4); do sleep 0.2; done; '
         'echo "run $(echo "$m" | grep -o \'"RestartCount":[0-9]*\')"; sleep 2; exit %d')


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("restarts"), cluster=CLUSTER, server_args=["--time-scale", "60"],
                       agent_args=["--time-scale", "60", "--metrics-interval", "1"])
    s.ecs.update_cluster_settings(cluster=CLUSTER, settings=[{"name": "containerInsights", "value": "enhanced"}])
    yield s
    s.close()


@pytest.fixture(scope="module")
def cw(stack):
    return berth_proc.client(stack.server.endpoint, service="cloudwatch")


def register(stack, family, containers):
    """RegisterTaskDefinition as JSON on the wire: this machine's botocore
    predates restartPolicy and would refuse it client-side."""
    for c in containers:
        c.setdefault("image", stack.image)
        c.setdefault("memory", 64)
    status, out = berth_proc.raw_call(stack.server.endpoint, "RegisterTaskDefinition",
                                      {"family": family, "containerDefinitions": containers})
    assert status == 200, out
    return out["taskDefinition"]


def output(stack, arn, name):
    """The container's stdout over all its runs: what the agent kept of the
    earlier ones, then the current one's."""
    tid = arn.rsplit("/", 1)[1]
    idx = [c["name"] for c in stack.describe(arn)["containers"]].index(name)
    lines = []
    for path in (os.path.join(stack.agent_dir, "logs", tid, name + ".log"),
                 os.path.join(stack.agent_dir, "containers", "%s-%d" % (tid, idx), "ctr.log")):
        if os.path.exists(path):
            with open(path) as f:
                lines += [(p[0], p[3]) for p in (line.rstrip("\n").split(" ", 3) for line in f)
                          if len(p) == 4 and p[1] == "stdout"]
    # A run just kept may still be in ctr.log for a moment: each line once.
    return [text for _, text in sorted(set(lines))]


def counts(stack, arn, name):
    """The RestartCount each run of the container printed, in order."""
    return [int(m.group(1)) for m in (re.match(r'run "RestartCount":(\d+)', line)
                                      for line in output(stack, arn, name)) if m]


def ctr_dir(stack, arn, idx):
    return os.path.join(stack.agent_dir, "containers", "%s-%d" % (arn.rsplit("/", 1)[1], idx))


def mounts_under(path):
    with open("/proc/mounts") as f:
        return [line for line in f if line.split()[1].startswith(path + "/")]


def conmons_for(runtime_id):
    found = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"conmon" and runtime_id.encode() in argv:
            found += 1
    return found


def test_exit_is_restarted_in_place_and_counted(stack):
    register(stack, "flaky", [{"name": "app", "command": ["sh", "-c", FLAKY % 3], "stopTimeout": 1,
                               "restartPolicy": {"enabled": True, "ignoredExitCodes": [0],
                                                 "restartAttemptPeriod": 60}}])
    status, out = berth_proc.raw_call(stack.server.endpoint, "DescribeTaskDefinition", {"taskDefinition": "flaky"})
    assert status == 200 and out["taskDefinition"]["containerDefinitions"][0]["restartPolicy"] == {
        "enabled": True, "ignoredExitCodes": [0], "restartAttemptPeriod": 60}
    arn = stack.run("flaky")
    stack.wait_status(arn, "RUNNING")
    berth_proc.wait_for(lambda: len(counts(stack, arn, "app")) >= 3, timeout=60, what="three runs of the container")
    # Each run saw one more restart; the essential container's exits did not stop the task.
    seen = counts(stack, arn, "app")
    assert seen[:3] == [0, 1, 2], seen
    task = stack.describe(arn)
    assert task["lastStatus"] == "RUNNING" and task["desiredStatus"] == "RUNNING"
    assert stack.container(task, "app")["lastStatus"] == "RUNNING"
    # One root mount and one conmon, however often it restarted.
    d = ctr_dir(stack, arn, 0)
    assert len(mounts_under(d)) <= 1
    assert conmons_for(os.path.basename(d)) <= 1
    stack.ecs.stop_task(cluster=CLUSTER, task=arn, reason="done")
    stopped = stack.wait_status(arn, "STOPPED")
    assert stopped["stoppedReason"] == "done"
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])


def test_ignored_exit_code_and_early_exit_stop_the_task(stack):
    # Exit 0 is ignored: an essential container's exit stops the task as without a policy.
    register(stack, "done", [{"name": "app", "command": ["sh", "-c", FLAKY % 0],
                             "restartPolicy": {"enabled": True, "ignoredExitCodes": [0]}}])
    # Exit 1 at once: it did not run its period (60 s, one second scaled), so it is not restarted.
    register(stack, "early", [{"name": "app", "command": ["sh", "-c", "exit 1"],
                              "restartPolicy": {"enabled": True, "restartAttemptPeriod": 60}}])
    for family, code in (("done", 0), ("early", 1)):
        arn = stack.run(family)
        task = stack.wait_status(arn, "STOPPED")
        assert task["stoppedReason"] == "Essential container in task exited", (family, task["stoppedReason"])
        assert stack.container(task, "app")["exitCode"] == code
        assert counts(stack, arn, "app") in ([], [0])  # one run at most, never restarted
        stackmod.assert_no_leftovers(stack.agent_dir, [arn])


def test_non_essential_container_restarts_beside_an_essential_one(stack, cw):
    register(stack, "pair", [
        {"name": "main", "command": ["sleep", "3600"], "stopTimeout": 1,
         "healthCheck": {"command": ["CMD-SHELL", "exit 1"], "interval": 5, "retries": 1}},
        {"name": "side", "essential": False, "command": ["sh", "-c", FLAKY % 7], "stopTimeout": 1,
         "restartPolicy": {"enabled": True, "restartAttemptPeriod": 60}}])
    arn = stack.run("pair")
    stack.wait_status(arn, "RUNNING")
    berth_proc.wait_for(lambda: len(counts(stack, arn, "side")) >= 2, timeout=60, what="two runs of side")
    assert counts(stack, arn, "side")[:2] == [0, 1]
    task_id = arn.rsplit("/", 1)[1]
    # Container Insights: the restarts by task definition family and by container.
    fam = [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "TaskDefinitionFamily", "Value": "pair"}]
    side = [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ContainerName", "Value": "side"},
            {"Name": "TaskDefinitionFamily", "Value": "pair"}, {"Name": "TaskId", "Value": task_id}]
    berth_proc.wait_for(lambda: largest(cw, "RestartCount", fam) >= 1, timeout=30, what="RestartCount by family")
    berth_proc.wait_for(lambda: largest(cw, "RestartCount", side) >= 1, timeout=30, what="RestartCount by container")
    # main's check fails: UNHEALTHY, 1; side has no check, so no figure.
    main = [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ContainerName", "Value": "main"},
            {"Name": "TaskDefinitionFamily", "Value": "pair"}, {"Name": "TaskId", "Value": task_id}]
    berth_proc.wait_for(lambda: largest(cw, "UnHealthyContainerHealthStatus", main) == 1, timeout=60,
                        what="main to count as unhealthy")
    assert largest(cw, "UnHealthyContainerHealthStatus", side) is None
    assert largest(cw, "RestartCount", main) is None  # no restart policy, no RestartCount
    assert stack.describe(arn)["lastStatus"] == "RUNNING"
    stack.ecs.stop_task(cluster=CLUSTER, task=arn)
    stack.wait_status(arn, "STOPPED")
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])


def test_count_goes_on_across_an_agent_restart(stack):
    register(stack, "flaky", [{"name": "app", "command": ["sh", "-c", FLAKY % 3], "stopTimeout": 1,
                               "restartPolicy": {"enabled": True, "restartAttemptPeriod": 60}}])
    arn = stack.run("flaky")
    stack.wait_status(arn, "RUNNING")
    berth_proc.wait_for(lambda: len(counts(stack, arn, "app")) >= 2, timeout=60, what="two runs")
    stack.agent.stop()  # SIGTERM: the containers keep running, as an ECS agent restart leaves them
    before = len(counts(stack, arn, "app"))
    # The container exits while no agent watches (it runs two seconds).
    berth_proc.wait_for(lambda: os.path.exists(os.path.join(ctr_dir(stack, arn, 0), "exit")), timeout=30,
                        what="the container to exit with the agent down")
    assert len(counts(stack, arn, "app")) == before  # nobody restarted it
    stack.start_agent()
    berth_proc.wait_for(lambda: len(counts(stack, arn, "app")) >= before + 2, timeout=60,
                        what="runs after the agent restart")
    seen = counts(stack, arn, "app")
    assert seen == list(range(len(seen))), seen  # counted on from where it was, never from 0 again
    assert stack.describe(arn)["lastStatus"] == "RUNNING"
    stack.ecs.stop_task(cluster=CLUSTER, task=arn)
    stack.wait_status(arn, "STOPPED")
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])


def test_task_set_count(stack, cw):
    stack.register("web", [{"name": "app", "command": ["sleep", "3600"], "stopTimeout": 1}])
    stack.ecs.create_service(cluster=CLUSTER, serviceName="ext", desiredCount=0,
                             deploymentController={"type": "EXTERNAL"})
    svc = [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ServiceName", "Value": "ext"}]
    berth_proc.wait_for(lambda: latest(cw, "TaskSetCount", svc) == 0, timeout=30, what="TaskSetCount 0")
    stack.ecs.create_task_set(cluster=CLUSTER, service="ext", taskDefinition="web",
                              scale={"value": 0, "unit": "PERCENT"})
    berth_proc.wait_for(lambda: latest(cw, "TaskSetCount", svc) == 1, timeout=30, what="TaskSetCount 1")
    stack.ecs.delete_service(cluster=CLUSTER, service="ext", force=True)


def test_restart_policy_bounds_as_register_task_definition_checks_them(stack):
    for policy, msg in (({"enabled": True, "restartAttemptPeriod": 59}, "between 60 and 1800"),
                        ({"enabled": True, "restartAttemptPeriod": 1801}, "between 60 and 1800"),
                        ({"enabled": True, "ignoredExitCodes": list(range(51))}, "at most 50")):
        status, out = berth_proc.raw_call(stack.server.endpoint, "RegisterTaskDefinition", {
            "family": "bad", "containerDefinitions": [{"name": "app", "image": stack.image, "memory": 64,
                                                       "restartPolicy": policy}]})
        assert status == 400 and out["__type"] == "ClientException" and msg in out["message"], out


def stats(cw, name, d):
    now = datetime.datetime.now(datetime.timezone.utc)
    out = cw.get_metric_statistics(Namespace=NS, MetricName=name, Dimensions=d, Statistics=["Maximum"],
                                   StartTime=now - datetime.timedelta(minutes=5),
                                   EndTime=now + datetime.timedelta(minutes=1), Period=1)
    return sorted(out["Datapoints"], key=lambda p: p["Timestamp"])


def largest(cw, name, d):
    points = stats(cw, name, d)
    return max(p["Maximum"] for p in points) if points else None


def latest(cw, name, d):
    points = stats(cw, name, d)
    return points[-1]["Maximum"] if points else None
