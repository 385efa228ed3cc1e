"""Container Insights: with the cluster's containerInsights setting
enabled, berth publishes ECS/ContainerInsights for a real service (task and
service counts by ClusterName + ServiceName, cluster counts by ClusterName,
CPU and memory used by the tasks from the agent's cgroup samples), read
with boto3 and the AWS CLI v2 (query protocol); a cluster whose setting is
disabled gets none.  berth server --time-scale 60 makes a minute's period
one second, so the counts appear at once."""
import datetime
import json
import subprocess

import pytest

import berth_proc
import stack as stackmod

NS = "ECS/ContainerInsights"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("insights"), cluster="insights", server_args=["--time-scale", "60"],
                       agent_args=["--metrics-interval", "1"])
    s.register("sleeper", [{"name": "app", "command": ["sleep", "3600"], "stopTimeout": 1}], cpu="256",
               memory="128")
    yield s
    s.close()


@pytest.fixture(scope="module")
def cw(stack):
    return berth_proc.client(stack.server.endpoint, service="cloudwatch")


def dims(cluster, service=None):
    d = [{"Name": "ClusterName", "Value": cluster}]
    return d + [{"Name": "ServiceName", "Value": service}] if service else d


def latest(cw, name, d, statistic="Maximum"):
    """The newest datapoint of the last two minutes (one-second periods)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    out = cw.get_metric_statistics(Namespace=NS, MetricName=name, Dimensions=d, Statistics=[statistic],
                                   StartTime=now - datetime.timedelta(minutes=2),
                                   EndTime=now + datetime.timedelta(minutes=1), Period=1)
    points = sorted(out["Datapoints"], key=lambda p: p["Timestamp"])
    return points[-1][statistic] if points else None


def test_counts_and_usage_when_enabled(stack, cw, tmp_path):
    stack.ecs.update_cluster_settings(cluster=stack.cluster,
                                      settings=[{"name": "containerInsights", "value": "enabled"}])
    stack.ecs.create_service(cluster=stack.cluster, serviceName="web", taskDefinition="sleeper", desiredCount=2)
    berth_proc.wait_for(lambda: stack.ecs.describe_services(cluster=stack.cluster, services=["web"])[
        "services"][0]["runningCount"] == 2, timeout=60, what="two running tasks")
    svc = dims(stack.cluster, "web")
    want = {"RunningTaskCount": 2, "DesiredTaskCount": 2, "PendingTaskCount": 0, "DeploymentCount": 1,
            "TaskSetCount": 0}
    berth_proc.wait_for(lambda: all(latest(cw, k, svc) == v for k, v in want.items()), timeout=30,
                        what="the service's counts")
    cluster = dims(stack.cluster)
    berth_proc.wait_for(lambda: latest(cw, "TaskCount", cluster) == 2 and latest(cw, "ServiceCount", cluster) == 1
                        and latest(cw, "ContainerInstanceCount", cluster) == 1, timeout=30,
                        what="the cluster's counts")
    # Usage from the agent's samples: memory in MiB, reserved as the task says.
    berth_proc.wait_for(lambda: latest(cw, "MemoryUtilized", svc) is not None, timeout=30, what="MemoryUtilized")
    assert 0 < latest(cw, "MemoryUtilized", svc) <= 128
    assert latest(cw, "MemoryReserved", svc) == 128 and latest(cw, "CpuReserved", svc) == 256
    assert latest(cw, "CpuUtilized", cluster) >= 0
    names = {(m["MetricName"], tuple(sorted(d["Name"] for d in m["Dimensions"])))
             for m in cw.list_metrics(Namespace=NS)["Metrics"]}
    assert names >= {("RunningTaskCount", ("ClusterName", "ServiceName")), ("TaskCount", ("ClusterName",)),
                     ("CpuUtilized", ("ClusterName",)), ("MemoryUtilized", ("ClusterName", "ServiceName")),
                     ("CpuUtilized", ("ClusterName", "TaskDefinitionFamily"))}
    # "enabled", not "enhanced": no TaskId sets, task percentages nor container figures.
    assert not [n for n, d in names if "TaskId" in d or n.startswith("Task") and n not in ("TaskCount", "TaskSetCount")
                or n.startswith("Container") and n != "ContainerInstanceCount"]

    # Scaling the service shows in the next period's counts.
    stack.ecs.update_service(cluster=stack.cluster, service="web", desiredCount=1)
    berth_proc.wait_for(lambda: latest(cw, "DesiredTaskCount", svc) == 1 and latest(cw, "RunningTaskCount", svc) == 1,
                        timeout=60, what="the counts after scale-in")

    # The AWS CLI v2 reads the same series (query protocol).
    now = datetime.datetime.now(datetime.timezone.utc)
    p = subprocess.run([berth_proc.AWS_V2, "cloudwatch", "get-metric-statistics", "--namespace", NS,
                        "--metric-name", "DesiredTaskCount", "--dimensions", "Name=ClusterName,Value=insights",
                        "Name=ServiceName,Value=web", "--statistics", "Minimum", "--period", "60",
                        "--start-time", (now - datetime.timedelta(minutes=5)).isoformat(),
                        "--end-time", (now + datetime.timedelta(minutes=1)).isoformat(),
                        "--endpoint-url", stack.server.endpoint, "--output", "json"],
                       env=berth_proc.aws_cli_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert min(d["Minimum"] for d in json.loads(p.stdout)["Datapoints"]) == 1
    stack.ecs.update_service(cluster=stack.cluster, service="web", desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service="web")


def test_none_when_disabled(stack, cw):
    stack.ecs.create_cluster(clusterName="dark")
    stack.ecs.create_service(cluster="dark", serviceName="idle", taskDefinition="sleeper", desiredCount=1)
    # A cluster turned off again stops publishing too.
    stack.ecs.update_cluster_settings(cluster=stack.cluster,
                                      settings=[{"name": "containerInsights", "value": "disabled"}])
    stack.ecs.create_service(cluster=stack.cluster, serviceName="quiet", taskDefinition="sleeper", desiredCount=0)
    # A cluster created enabled: once its count shows, a counting pass has
    # run since the others were set up.
    stack.ecs.create_cluster(clusterName="lit", settings=[{"name": "containerInsights", "value": "enhanced"}])
    stack.ecs.create_service(cluster="lit", serviceName="idle", taskDefinition="sleeper", desiredCount=0)
    berth_proc.wait_for(lambda: latest(cw, "ServiceCount", dims("lit")) == 1, timeout=30, what="lit's count")
    berth_proc.wait_for(lambda: latest(cw, "DesiredTaskCount", dims("lit", "idle")) == 0, timeout=30,
                        what="lit's service count")
    listed = cw.list_metrics(Namespace=NS)["Metrics"]
    assert not [m for m in listed if {"Name": "ClusterName", "Value": "dark"} in m["Dimensions"]]
    assert not [m for m in listed if {"Name": "ServiceName", "Value": "quiet"} in m["Dimensions"]]
    stack.ecs.delete_service(cluster="dark", service="idle", force=True)
    stack.ecs.delete_service(cluster=stack.cluster, service="quiet")
    stack.ecs.delete_service(cluster="lit", service="idle")
