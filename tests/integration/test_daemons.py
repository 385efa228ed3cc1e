"""ECS daemons (CreateDaemon, UpdateDaemon, DeleteDaemon, DescribeDaemon,
ListDaemons, Describe/ListDaemonDeployments, DescribeDaemonRevisions) on
berth's own capacity providers: agents started with --capacity-provider.
Mostly raw JSON calls: Debian's boto3 and AWS CLI predate the Daemon API
(test_boto3_and_aws_cli gives both the model through their data path).  The
multi-instance tests use hollow agents (several instances per process,
tasks simulated); test_daemon_on_a_real_agent runs and rolls a real
container on a real agent.  A deployment fails and rolls back to the last
revision that deployed when one of its CloudWatch alarms goes to ALARM or
its circuit breaker counts enough daemon tasks that failed to start."""
import berth_proc
import pytest

PREFIX = "arn:aws:ecs:us-east-1:000000000000:"
CLUSTER = "dmn"
ASG = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1234:autoScalingGroupName/%s"
HOLLOW = ["--hollow-cpu", "4096", "--hollow-memory", "4096"]


def call(server, action, body):
    return berth_proc.raw_call(server.endpoint, action, body)


def ok(server, action, body):
    status, out = call(server, action, body)
    assert status == 200, (action, out)
    return out


def error(server, action, body):
    status, out = call(server, action, body)
    assert status == 400, (action, out)
    return out["__type"], out["message"]


def register(server, family, command):
    body = {"family": family, "containerDefinitions": [{"name": "agent", "image": "busybox", "memory": 32,
                                                        "command": ["sh", "-c", command]}]}
    return ok(server, "RegisterDaemonTaskDefinition", body)["daemonTaskDefinitionArn"]


@pytest.fixture(scope="module")
def env(server, tmp_path_factory):
    """Cluster dmn with providers dpool (two hollow instances) and idle
    (none); spare exists but is not the cluster's."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName=CLUSTER)
    for name in ("dpool", "idle", "spare"):
        ecs.create_capacity_provider(name=name, autoScalingGroupProvider={"autoScalingGroupArn": ASG % name})
    ecs.put_cluster_capacity_providers(cluster=CLUSTER, capacityProviders=["dpool", "idle"],
                                       defaultCapacityProviderStrategy=[])
    d = tmp_path_factory.mktemp("daemon-agents")
    agents = [berth_proc.BerthAgent(server.endpoint, CLUSTER, d / "a", d / "a.log", hollow=2,
                                    extra_args=HOLLOW + ["--capacity-provider", "dpool"]).start()]
    berth_proc.wait_for(lambda: len(ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"]) >= 2,
                        what="two hollow instances")
    yield {"ecs": ecs, "dir": d, "agents": agents, "server": server}
    for a in agents:
        a.stop()


def daemon_tasks(ecs, name, status="RUNNING"):
    """The daemon's tasks desired RUNNING, described."""
    arns = ecs.list_tasks(cluster=CLUSTER, desiredStatus="RUNNING", maxResults=100)["taskArns"]
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []
    return [t for t in tasks if t.get("group") == "daemon:" + name]


def running_on_each(ecs, name, taskdef, count):
    """count RUNNING tasks of taskdef, one per instance, and no other."""
    tasks = daemon_tasks(ecs, name)
    if len(tasks) != count or any(t["lastStatus"] != "RUNNING" or t["taskDefinitionArn"] != taskdef for t in tasks):
        return None
    instances = {t["containerInstanceArn"] for t in tasks}
    return tasks if len(instances) == count else None


def test_daemon_runs_rolls_and_stops(env):
    ecs, server = env["ecs"], env["server"]
    v1 = register(server, "dmn-web", "sleep 3600")
    v2 = register(server, "dmn-web", "sleep 3601")
    out = ok(server, "CreateDaemon", {"daemonName": "web", "clusterArn": PREFIX + "cluster/" + CLUSTER,
                                      "daemonTaskDefinitionArn": v1,
                                      "capacityProviderArns": [PREFIX + "capacity-provider/dpool"],
                                      "tags": [{"key": "team", "value": "obs"}]})
    arn = out["daemonArn"]
    assert arn == PREFIX + "daemon/dmn/web" and out["status"] == "ACTIVE"
    assert out["deploymentArn"].startswith(PREFIX + "daemon-deployment/dmn/web/")
    first_dep = out["deploymentArn"]
    tasks = berth_proc.wait_for(lambda: running_on_each(ecs, "web", v1, 2), timeout=60, what="a task per instance")
    assert {t["capacityProviderName"] for t in tasks} == {"dpool"}
    assert all(t["startedBy"].startswith("ecs-daemon/") for t in tasks)

    def described():
        return ok(server, "DescribeDaemon", {"daemonArn": arn})["daemon"]
    d = berth_proc.wait_for(lambda: (lambda d: d if d["currentRevisions"] and
                                     d["currentRevisions"][0]["totalRunningCount"] == 2 else None)(described()),
                            what="DescribeDaemon's counts")
    assert d["clusterArn"] == PREFIX + "cluster/dmn" and d["status"] == "ACTIVE" and d["deploymentArn"] == first_dep
    assert d["currentRevisions"][0]["capacityProviders"] == [
        {"arn": PREFIX + "capacity-provider/dpool", "runningCount": 2}]
    rev1 = d["currentRevisions"][0]["arn"]
    assert rev1.startswith(PREFIX + "daemon-revision/dmn/web/")
    dep = berth_proc.wait_for(lambda: (lambda x: x if x["status"] == "SUCCESSFUL" else None)(
        ok(server, "DescribeDaemonDeployments", {"daemonDeploymentArns": [first_dep]})["daemonDeployments"][0]),
        what="the first deployment to succeed")
    assert dep["targetDaemonRevision"]["arn"] == rev1 and dep["targetDaemonRevision"]["totalRunningInstanceCount"] == 2
    assert dep["alarms"]["status"] == "DISABLED" and dep["deploymentConfiguration"]["drainPercent"] == 25.0
    assert ok(server, "ListTagsForResource", {"resourceArn": arn})["tags"] == [{"key": "team", "value": "obs"}]

    # A third instance joins the provider: it gets the daemon's task.
    d3 = env["dir"]
    env["agents"].append(berth_proc.BerthAgent(server.endpoint, CLUSTER, d3 / "b", d3 / "b.log", hollow=1,
                                               extra_args=HOLLOW + ["--capacity-provider", "dpool"]).start())
    berth_proc.wait_for(lambda: running_on_each(ecs, "web", v1, 3), timeout=60, what="the new instance's task")

    # UpdateDaemon rolls every instance to the new revision.
    up = ok(server, "UpdateDaemon", {"daemonArn": arn, "daemonTaskDefinitionArn": v2,
                                     "capacityProviderArns": ["dpool"],
                                     "deploymentConfiguration": {"drainPercent": 34.0, "bakeTimeInMinutes": 0}})
    assert up["status"] == "ACTIVE" and up["deploymentArn"] != first_dep and "updatedAt" in up
    new = berth_proc.wait_for(lambda: running_on_each(ecs, "web", v2, 3), timeout=90, what="every task on v2")
    old_ids = {t["taskArn"] for t in tasks}
    assert not old_ids & {t["taskArn"] for t in new}
    stopped = ecs.describe_tasks(cluster=CLUSTER, tasks=list(old_ids))["tasks"]
    assert all(t["desiredStatus"] == "STOPPED" for t in stopped)
    dep2 = berth_proc.wait_for(lambda: (lambda x: x if x["status"] == "SUCCESSFUL" else None)(
        ok(server, "DescribeDaemonDeployments", {"daemonDeploymentArns": [up["deploymentArn"]]})[
            "daemonDeployments"][0]), what="the rolling deployment to succeed")
    assert dep2["deploymentConfiguration"] == {"drainPercent": 34.0, "bakeTimeInMinutes": 0}
    assert [s["arn"] for s in dep2["sourceDaemonRevisions"]] == [rev1]
    rev2 = dep2["targetDaemonRevision"]["arn"]
    assert dep2["targetDaemonRevision"]["totalRunningInstanceCount"] == 3 and "finishedAt" in dep2

    listed = ok(server, "ListDaemonDeployments", {"daemonArn": arn})["daemonDeployments"]
    assert [x["daemonDeploymentArn"] for x in listed] == [up["deploymentArn"], first_dep]
    assert listed[0]["targetDaemonRevisionArn"] == rev2 and listed[0]["daemonArn"] == arn
    page = ok(server, "ListDaemonDeployments", {"daemonArn": arn, "maxResults": 1})
    assert [x["daemonDeploymentArn"] for x in page["daemonDeployments"]] == [up["deploymentArn"]]
    page2 = ok(server, "ListDaemonDeployments", {"daemonArn": arn, "maxResults": 1, "nextToken": page["nextToken"]})
    assert [x["daemonDeploymentArn"] for x in page2["daemonDeployments"]] == [first_dep]
    assert "nextToken" not in page2
    assert ok(server, "ListDaemonDeployments", {"daemonArn": arn, "status": ["STOPPED"]})["daemonDeployments"] == []

    revs = ok(server, "DescribeDaemonRevisions", {"daemonRevisionArns": [rev1, rev2, rev1 + "0"]})
    assert [r["daemonTaskDefinitionArn"] for r in revs["daemonRevisions"]] == [v1, v2]
    assert revs["daemonRevisions"][0]["containerImages"] == [{"containerName": "agent", "image": "busybox"}]
    assert revs["daemonRevisions"][0]["daemonArn"] == arn and revs["daemonRevisions"][0]["propagateTags"] == "NONE"
    assert revs["failures"] == [{"arn": rev1 + "0", "reason": "MISSING"}]

    # DeleteDaemon stops its tasks; its deployments and revisions stay.
    gone = ok(server, "DeleteDaemon", {"daemonArn": arn})
    assert gone["status"] == "DELETE_IN_PROGRESS" and gone["daemonArn"] == arn
    berth_proc.wait_for(lambda: not daemon_tasks(ecs, "web"), timeout=60, what="the daemon's tasks to stop")
    berth_proc.wait_for(lambda: call(server, "DescribeDaemon", {"daemonArn": arn})[0] == 400, what="the daemon gone")
    assert error(server, "DescribeDaemon", {"daemonArn": arn})[0] == "DaemonNotFoundException"
    assert error(server, "UpdateDaemon", {"daemonArn": arn, "daemonTaskDefinitionArn": v2,
                                          "capacityProviderArns": ["dpool"]})[0] == "DaemonNotFoundException"
    assert len(ok(server, "DescribeDaemonRevisions", {"daemonRevisionArns": [rev1, rev2]})["daemonRevisions"]) == 2


def test_bad_input(env):
    server = env["server"]
    v1 = register(server, "dmn-bad", "sleep 3600")
    base = {"daemonName": "bad", "clusterArn": CLUSTER, "daemonTaskDefinitionArn": v1,
            "capacityProviderArns": ["idle"]}

    def create_error(**kw):
        return error(server, "CreateDaemon", dict(base, **kw))
    assert create_error(clusterArn="nope") == ("ClusterNotFoundException", "Cluster not found.")
    assert create_error(capacityProviderArns=["ghost"]) == (
        "InvalidParameterException", "The specified capacity provider ghost does not exist.")
    assert create_error(capacityProviderArns=["spare"])[0] == "InvalidParameterException"
    assert create_error(capacityProviderArns=["FARGATE"])[0] == "InvalidParameterException"
    assert create_error(capacityProviderArns=[])[0] == "InvalidParameterException"
    assert create_error(daemonTaskDefinitionArn="dmn-none:1")[0] == "InvalidParameterException"
    assert create_error(daemonName="has space")[0] == "InvalidParameterException"
    # What berth does not honour is refused, not ignored.
    assert create_error(enableECSManagedTags=True)[0] == "InvalidParameterException"
    # deploymentConfiguration.alarms: names to watch when enabled, of CloudWatch's length.
    for alarms in ({"enable": True}, {"enable": True, "alarmNames": []}, {"alarmNames": [""]},
                   {"alarmNames": ["x" * 256]}, {"alarmNames": ["a%d" % i for i in range(11)]}):
        assert create_error(deploymentConfiguration={"alarms": alarms})[0] == "InvalidParameterException", alarms
    for alarms in ({"enable": "yes"}, {"alarmNames": "a"}, {"alarmNames": [5]}, "a", ["a"]):
        assert create_error(deploymentConfiguration={"alarms": alarms})[0] in (
            "InvalidParameterException", "SerializationException"), alarms
    assert error(server, "UpdateDaemon", {"daemonArn": PREFIX + "daemon/dmn/none", "daemonTaskDefinitionArn": v1,
                                          "capacityProviderArns": ["idle"],
                                          "deploymentConfiguration": {"alarms": {"enable": 1}}})[0] in (
        "InvalidParameterException", "SerializationException")
    # The model's own checks: types, required members, enums, ranges.
    for kw in ({"daemonName": 5}, {"capacityProviderArns": "idle"}, {"propagateTags": "SERVICE"},
               {"deploymentConfiguration": {"drainPercent": 150.0}}):
        assert create_error(**kw)[0] in ("InvalidParameterException", "SerializationException"), kw
    assert error(server, "CreateDaemon", {"daemonName": "x"})[0] in (
        "InvalidParameterException", "SerializationException")
    assert error(server, "DescribeDaemon", {"daemonArn": PREFIX + "daemon/dmn/none"})[0] == "DaemonNotFoundException"
    assert error(server, "DescribeDaemon", {"daemonArn": PREFIX + "daemon/nope/x"})[0] == "ClusterNotFoundException"
    assert error(server, "DescribeDaemon", {"daemonArn": "x"})[0] == "InvalidParameterException"
    assert error(server, "DeleteDaemon", {"daemonArn": PREFIX + "daemon/dmn/none"})[0] == "DaemonNotFoundException"
    # A duplicate name; the same clientToken is the same request.
    made = ok(server, "CreateDaemon", dict(base, clientToken="tok-1"))
    assert ok(server, "CreateDaemon", dict(base, clientToken="tok-1"))["daemonArn"] == made["daemonArn"]
    # Members the model does not have are ignored (as ECS does), not echoed.
    up = ok(server, "UpdateDaemon", {"daemonArn": made["daemonArn"], "daemonTaskDefinitionArn": v1,
                                     "capacityProviderArns": ["idle"], "deploymentConfiguration": {
                                         "alarms": {"alarmNames": ["a"], "enable": False, "rollback": True}}})
    dep = ok(server, "DescribeDaemonDeployments", {"daemonDeploymentArns": [up["deploymentArn"]]})[
        "daemonDeployments"][0]
    assert dep["deploymentConfiguration"]["alarms"] == {"alarmNames": ["a"], "enable": False}
    assert dep["alarms"] == {"status": "DISABLED", "alarmNames": ["a"]}
    assert create_error()[0] == "InvalidParameterException"
    ok(server, "DeleteDaemon", {"daemonArn": made["daemonArn"]})
    assert error(server, "DeleteDaemon", {"daemonArn": made["daemonArn"]})[0] in (
        "DaemonNotActiveException", "DaemonNotFoundException")


def test_list_daemons_pages(env):
    server = env["server"]
    v1 = register(server, "dmn-list", "sleep 3600")
    arns = [ok(server, "CreateDaemon", {"daemonName": "l%d" % i, "clusterArn": CLUSTER, "daemonTaskDefinitionArn": v1,
                                        "capacityProviderArns": ["idle"]})["daemonArn"] for i in range(3)]
    first = ok(server, "ListDaemons", {"clusterArn": CLUSTER, "capacityProviderArns": ["idle"], "maxResults": 2})
    assert len(first["daemonSummariesList"]) == 2 and first["nextToken"]
    rest = ok(server, "ListDaemons", {"clusterArn": CLUSTER, "capacityProviderArns": ["idle"],
                                      "nextToken": first["nextToken"]})
    listed = [d["daemonArn"] for d in first["daemonSummariesList"] + rest["daemonSummariesList"]]
    assert [a for a in listed if a in arns] == arns and "nextToken" not in rest
    assert all(d["status"] == "ACTIVE" for d in first["daemonSummariesList"])
    assert ok(server, "ListDaemons", {"capacityProviderArns": [PREFIX + "capacity-provider/spare"]})[
        "daemonSummariesList"] == []
    assert error(server, "ListDaemons", {"clusterArn": "nope"})[0] == "ClusterNotFoundException"
    assert error(server, "ListDaemons", {"nextToken": "garbage"})[0] == "InvalidParameterException"
    for a in arns:
        ok(server, "DeleteDaemon", {"daemonArn": a})


def add_pool(env, name, hollow, extra=()):
    """A capacity provider `name` of the cluster with a hollow agent of
    `hollow` instances (extra: more agent arguments)."""
    ecs = env["ecs"]
    before = len(ecs.list_container_instances(cluster=CLUSTER, maxResults=100)["containerInstanceArns"])
    ecs.create_capacity_provider(name=name, autoScalingGroupProvider={"autoScalingGroupArn": ASG % name})
    have = ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["capacityProviders"]
    ecs.put_cluster_capacity_providers(cluster=CLUSTER, capacityProviders=have + [name],
                                       defaultCapacityProviderStrategy=[])
    d = env["dir"]
    env["agents"].append(berth_proc.BerthAgent(env["server"].endpoint, CLUSTER, d / name, d / (name + ".log"),
                                               hollow=hollow,
                                               extra_args=HOLLOW + ["--capacity-provider", name] + list(extra)).start())
    berth_proc.wait_for(lambda: len(ecs.list_container_instances(cluster=CLUSTER, maxResults=100)[
        "containerInstanceArns"]) >= before + hollow, what="the %s instances" % name)


def deployment(server, arn):
    return ok(server, "DescribeDaemonDeployments", {"daemonDeploymentArns": [arn]})["daemonDeployments"][0]


def wait_deployment(server, arn, status, timeout=60):
    return berth_proc.wait_for(lambda: (lambda d: d if d["status"] == status else None)(deployment(server, arn)),
                               timeout=timeout, what="deployment %s" % status)


def test_alarm_rolls_a_deployment_back(env):
    ecs, server = env["ecs"], env["server"]
    cw = berth_proc.client(server.endpoint, service="cloudwatch")
    add_pool(env, "apool", 2)
    # No data and TreatMissingData ignore: the alarm keeps the state SetAlarmState gives it.
    cw.put_metric_alarm(AlarmName="dmn-errors", Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="ignore")
    v1, v2 = register(server, "dmn-al", "sleep 3600"), register(server, "dmn-al", "sleep 3601")
    made = ok(server, "CreateDaemon", {"daemonName": "al", "clusterArn": CLUSTER, "daemonTaskDefinitionArn": v1,
                                       "capacityProviderArns": ["apool"]})
    first = wait_deployment(server, made["deploymentArn"], "SUCCESSFUL")
    rev1 = first["targetDaemonRevision"]["arn"]
    assert first["circuitBreaker"] == {"status": "MONITORING_COMPLETE", "failureCount": 0, "threshold": 3}
    assert first["alarms"] == {"status": "DISABLED", "alarmNames": []} and "rollback" not in first
    berth_proc.wait_for(lambda: running_on_each(ecs, "al", v1, 2), timeout=60, what="v1 on each instance")

    # All instances in one step, then a bake time the alarm interrupts.
    alarms = {"alarmNames": ["dmn-errors"], "enable": True}
    up = ok(server, "UpdateDaemon", {"daemonArn": made["daemonArn"], "daemonTaskDefinitionArn": v2,
                                     "capacityProviderArns": ["apool"], "deploymentConfiguration": {
                                         "drainPercent": 100.0, "bakeTimeInMinutes": 60, "alarms": alarms}})
    berth_proc.wait_for(lambda: running_on_each(ecs, "al", v2, 2), timeout=60, what="v2 on each instance")
    dep = deployment(server, up["deploymentArn"])
    assert dep["status"] == "IN_PROGRESS" and dep["deploymentConfiguration"]["alarms"] == alarms
    assert dep["alarms"] == {"status": "MONITORING", "alarmNames": ["dmn-errors"]}
    assert dep["circuitBreaker"]["status"] == "MONITORING"
    cw.set_alarm_state(AlarmName="dmn-errors", StateValue="ALARM", StateReason="errors went up")
    try:
        dep = wait_deployment(server, up["deploymentArn"], "ROLLBACK_SUCCESSFUL")
    finally:
        cw.set_alarm_state(AlarmName="dmn-errors", StateValue="OK", StateReason="test over")
    reason = "ECS deployment alarms: CloudWatch alarm dmn-errors is in ALARM state."
    assert dep["alarms"] == {"status": "TRIGGERED", "alarmNames": ["dmn-errors"],
                             "triggeredAlarmNames": ["dmn-errors"]}
    assert dep["circuitBreaker"]["status"] == "MONITORING_COMPLETE"
    rb = dep["rollback"]
    assert rb["reason"] == reason and rb["rollbackTargetDaemonRevisionArn"] == rev1 and rb["startedAt"]
    assert rb["rollbackCapacityProviders"] == [PREFIX + "capacity-provider/apool"]
    assert dep["statusReason"].startswith(reason) and "finishedAt" in dep
    assert dep["targetDaemonRevision"]["arn"] != rev1
    berth_proc.wait_for(lambda: running_on_each(ecs, "al", v1, 2), timeout=60, what="v1 back on each instance")
    listed = ok(server, "ListDaemonDeployments", {"daemonArn": made["daemonArn"], "status": ["ROLLBACK_SUCCESSFUL"]})
    assert [d["daemonDeploymentArn"] for d in listed["daemonDeployments"]] == [up["deploymentArn"]]
    d = berth_proc.wait_for(lambda: (lambda x: x if [r["arn"] for r in x["currentRevisions"]] == [rev1] else None)(
        ok(server, "DescribeDaemon", {"daemonArn": made["daemonArn"]})["daemon"]), what="only rev1 running")
    assert d["currentRevisions"][0]["totalRunningCount"] == 2
    ok(server, "DeleteDaemon", {"daemonArn": made["daemonArn"]})
    berth_proc.wait_for(lambda: not daemon_tasks(ecs, "al"), timeout=60, what="the daemon's tasks to stop")


def test_circuit_breaker_rolls_a_failing_revision_back(env):
    ecs, server = env["ecs"], env["server"]
    # This pool's agent fails every task of dmn-crash:2 at once (never RUNNING).
    add_pool(env, "cpool", 2, ["--hollow-fail-family", "dmn-crash:2"])
    v1, v2 = register(server, "dmn-crash", "sleep 3600"), register(server, "dmn-crash", "exit 1")
    assert v2.endswith("dmn-crash:2")
    made = ok(server, "CreateDaemon", {"daemonName": "crash", "clusterArn": CLUSTER, "daemonTaskDefinitionArn": v1,
                                       "capacityProviderArns": ["cpool"]})
    rev1 = wait_deployment(server, made["deploymentArn"], "SUCCESSFUL")["targetDaemonRevision"]["arn"]
    berth_proc.wait_for(lambda: running_on_each(ecs, "crash", v1, 2), timeout=60, what="v1 on each instance")
    up = ok(server, "UpdateDaemon", {"daemonArn": made["daemonArn"], "daemonTaskDefinitionArn": v2,
                                     "capacityProviderArns": ["cpool"]})
    dep = wait_deployment(server, up["deploymentArn"], "ROLLBACK_SUCCESSFUL", timeout=120)
    cb = dep["circuitBreaker"]
    assert cb["status"] == "TRIGGERED" and cb["threshold"] == 3 and cb["failureCount"] >= 3, cb
    rb = dep["rollback"]
    assert rb["reason"] == "ECS deployment circuit breaker: daemon tasks failed to start."
    assert rb["rollbackTargetDaemonRevisionArn"] == rev1
    assert dep["alarms"]["status"] == "DISABLED"
    tasks = berth_proc.wait_for(lambda: running_on_each(ecs, "crash", v1, 2), timeout=60, what="v1 on each instance")
    # One step at a time (drainPercent 25): the instance not yet replaced kept its task.
    # Back-off: no v2 task beyond the failures the breaker counted.
    pages = ecs.get_paginator("list_tasks").paginate(cluster=CLUSTER, desiredStatus="STOPPED")
    arns = [a for page in pages for a in page["taskArns"]]
    stopped = [t for i in range(0, len(arns), 100)
               for t in ecs.describe_tasks(cluster=CLUSTER, tasks=arns[i:i + 100])["tasks"]]
    failed = [t for t in stopped if t["taskDefinitionArn"] == v2]
    assert len(failed) == cb["failureCount"] and all(t["stopCode"] == "TaskFailedToStart" for t in failed)
    assert len({t["taskArn"] for t in tasks}) == 2

    # A daemon whose first revision fails has nothing to roll back to: STOPPED.
    bad = ok(server, "CreateDaemon", {"daemonName": "crash0", "clusterArn": CLUSTER, "daemonTaskDefinitionArn": v2,
                                      "capacityProviderArns": ["cpool"]})
    dep = wait_deployment(server, bad["deploymentArn"], "STOPPED", timeout=120)
    assert dep["circuitBreaker"]["status"] == "TRIGGERED" and "rollback" not in dep and "stoppedAt" in dep
    assert dep["statusReason"].startswith("ECS deployment circuit breaker: daemon tasks failed to start.")
    for arn in (made["daemonArn"], bad["daemonArn"]):
        ok(server, "DeleteDaemon", {"daemonArn": arn})
    berth_proc.wait_for(lambda: not daemon_tasks(ecs, "crash") and not daemon_tasks(ecs, "crash0"), timeout=60,
                        what="the daemons' tasks to stop")


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    import stack as stackmod
    s = stackmod.Stack(tmp_path_factory.mktemp("daemon-real"), cluster="dreal",
                       agent_args=["--capacity-provider", "rpool"])
    try:
        s.ecs.create_capacity_provider(name="rpool", autoScalingGroupProvider={"autoScalingGroupArn": ASG % "rpool"})
        s.ecs.put_cluster_capacity_providers(cluster="dreal", capacityProviders=["rpool"],
                                             defaultCapacityProviderStrategy=[])
        yield s
    finally:
        s.close()


def test_daemon_on_a_real_agent(real):
    server, ecs = real.server, real.ecs

    def reg(command):
        body = {"family": "dreal-log", "containerDefinitions": [{"name": "agent", "image": real.image, "memory": 32,
                                                                 "command": ["sh", "-c", command]}]}
        return ok(server, "RegisterDaemonTaskDefinition", body)["daemonTaskDefinitionArn"]
    v1, v2 = reg("echo v1; sleep 3600"), reg("echo v2; sleep 3600")

    def one_running(taskdef):
        arns = ecs.list_tasks(cluster="dreal", desiredStatus="RUNNING")["taskArns"]
        tasks = ecs.describe_tasks(cluster="dreal", tasks=arns)["tasks"] if arns else []
        tasks = [t for t in tasks if t.get("group") == "daemon:log"]
        return tasks[0] if len(tasks) == 1 and tasks[0]["lastStatus"] == "RUNNING" and (
            tasks[0]["taskDefinitionArn"] == taskdef) else None
    arn = ok(server, "CreateDaemon", {"daemonName": "log", "clusterArn": "dreal", "daemonTaskDefinitionArn": v1,
                                      "capacityProviderArns": ["rpool"]})["daemonArn"]
    first = berth_proc.wait_for(lambda: one_running(v1), timeout=90, what="the daemon's container")
    berth_proc.wait_for(lambda: "v1" in real.stdout(first["taskArn"], "agent"), what="its output")
    to_v2 = ok(server, "UpdateDaemon", {"daemonArn": arn, "daemonTaskDefinitionArn": v2,
                                        "capacityProviderArns": ["rpool"]})
    second = berth_proc.wait_for(lambda: one_running(v2), timeout=90, what="the new revision's container")
    berth_proc.wait_for(lambda: "v2" in real.stdout(second["taskArn"], "agent"), what="its output")
    real.wait_status(first["taskArn"], "STOPPED", timeout=60)
    berth_proc.wait_for(lambda: ok(server, "DescribeDaemonDeployments", {"daemonDeploymentArns": [
        to_v2["deploymentArn"]]})["daemonDeployments"][0]["status"] == "SUCCESSFUL", what="v2's deployment")
    # A revision whose container exits at once trips the circuit breaker: back to v2.
    v3 = reg("echo v3; exit 3")
    up = ok(server, "UpdateDaemon", {"daemonArn": arn, "daemonTaskDefinitionArn": v3, "capacityProviderArns": ["rpool"]})

    def rolled_back():
        d = ok(server, "DescribeDaemonDeployments", {"daemonDeploymentArns": [up["deploymentArn"]]})[
            "daemonDeployments"][0]
        return d if d["status"] == "ROLLBACK_SUCCESSFUL" else None
    dep = berth_proc.wait_for(rolled_back, timeout=180, what="the breaker to roll back")
    assert dep["circuitBreaker"]["status"] == "TRIGGERED" and dep["circuitBreaker"]["failureCount"] >= 3
    third = berth_proc.wait_for(lambda: one_running(v2), timeout=90, what="v2's container again")
    assert third["taskArn"] != second["taskArn"]
    ok(server, "DeleteDaemon", {"daemonArn": arn})
    real.wait_status(third["taskArn"], "STOPPED", timeout=60)


def daemon_model(tmp):
    """An AWS_DATA_PATH directory whose ECS model is Debian botocore's plus
    the Daemon API's operations and shapes from berth's own copy of the
    model (src/server/ecs/model.json), and a ListDaemons paginator."""
    import json
    import os
    import botocore
    src = os.path.join(os.path.dirname(botocore.__file__), "data", "ecs", "2014-11-13")
    model = json.load(open(os.path.join(src, "service-2.json")))
    ours = json.load(open(os.path.join(berth_proc.ROOT, "src", "server", "ecs", "model.json")))
    for name, op in ours["operations"].items():
        if name not in model["operations"]:
            model["operations"][name] = {"name": name, "http": {"method": "POST", "requestUri": "/"},
                                         "input": {"shape": op["input"]}, "output": {"shape": op["output"]}}
    for name, shape in ours["shapes"].items():
        model["shapes"].setdefault(name, shape)
    out = os.path.join(str(tmp), "ecs", "2014-11-13")
    os.makedirs(out)
    json.dump(model, open(os.path.join(out, "service-2.json"), "w"))
    pages = json.load(open(os.path.join(src, "paginators-1.json")))
    pages["pagination"]["ListDaemons"] = {"input_token": "nextToken", "output_token": "nextToken",
                                          "limit_key": "maxResults", "result_key": "daemonSummariesList"}
    json.dump(pages, open(os.path.join(out, "paginators-1.json"), "w"))
    return str(tmp)


def test_boto3_and_aws_cli(env, tmp_path, aws_env):
    import json
    import os
    import subprocess
    server = env["server"]
    data = daemon_model(tmp_path / "model")
    import boto3
    import botocore.session
    bs = botocore.session.Session()
    bs.get_component("data_loader").search_paths.insert(0, data)
    key = berth_proc.ROOT_KEY
    ecs = boto3.session.Session(botocore_session=bs).client(
        "ecs", endpoint_url=server.endpoint, region_name=berth_proc.REGION, aws_access_key_id=key.access_key,
        aws_secret_access_key=key.secret_key)
    v1 = register(server, "dmn-sdk", "sleep 3600")
    arns = [ecs.create_daemon(daemonName="sdk%d" % i, clusterArn=CLUSTER, daemonTaskDefinitionArn=v1,
                              capacityProviderArns=["idle"])["daemonArn"] for i in range(3)]
    pages = list(ecs.get_paginator("list_daemons").paginate(clusterArn=CLUSTER, capacityProviderArns=["idle"],
                                                           PaginationConfig={"PageSize": 1}))
    listed = [d["daemonArn"] for p in pages for d in p["daemonSummariesList"]]
    assert [a for a in listed if a in arns] == arns and len(pages) >= 3
    d = ecs.describe_daemon(daemonArn=arns[0])["daemon"]
    assert d["status"] == "ACTIVE" and d["clusterArn"] == PREFIX + "cluster/dmn"
    with pytest.raises(ecs.exceptions.ClientError) as e:
        ecs.describe_daemon(daemonArn=PREFIX + "daemon/dmn/none")
    assert e.value.response["Error"]["Code"] == "DaemonNotFoundException"

    cli_env = dict(aws_env, AWS_DATA_PATH=data)

    def aws(*args):
        p = subprocess.run(["/usr/bin/aws", "ecs", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                           env=cli_env, capture_output=True, text=True, timeout=60)
        return p.returncode, json.loads(p.stdout) if p.stdout.strip() else {}, p.stderr
    rc, out, err = aws("describe-daemon", "--daemon-arn", arns[1])
    assert rc == 0 and out["daemon"]["daemonArn"] == arns[1], err
    rc, out, err = aws("list-daemons", "--cluster-arn", CLUSTER)
    assert rc == 0 and set(arns) <= {d["daemonArn"] for d in out["daemonSummariesList"]}, err
    rc, out, err = aws("create-daemon", "--daemon-name", "cli", "--cluster-arn", "nope",
                       "--daemon-task-definition-arn", v1, "--capacity-provider-arns", "idle")
    assert rc != 0 and "ClusterNotFoundException" in err
    for a in arns:
        rc, out, err = aws("delete-daemon", "--daemon-arn", a)
        assert rc == 0 and out["status"] == "DELETE_IN_PROGRESS", err
