"""AWS/ECS metrics from real containers: an agent sampling every second
reports a busy-loop service task's cgroup use, and the server publishes
CPUUtilization / MemoryUtilization by cluster and by service and
CPUReservation / MemoryReservation by cluster, readable with
GetMetricStatistics, GetMetricData and ListMetrics as a user would."""
import datetime

import pytest

import berth_proc
import stack as stackmod


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("ecs-metrics"), cluster="metrics",
                       agent_args=["--metrics-interval", "1"])
    yield s
    s.close()


def stat(cw, name, dims, statistic="Average"):
    now = datetime.datetime.now(datetime.timezone.utc)
    out = cw.get_metric_statistics(Namespace="AWS/ECS", MetricName=name, Dimensions=dims,
                                   StartTime=now - datetime.timedelta(minutes=10),
                                   EndTime=now + datetime.timedelta(minutes=1), Period=60, Statistics=[statistic])
    return [d[statistic] for d in sorted(out["Datapoints"], key=lambda d: d["Timestamp"])]


def test_busy_service_cpu_utilisation(stack):
    cw = berth_proc.client(stack.server.endpoint, service="cloudwatch")
    stack.register("busy", [{"name": "spin", "command": ["sh", "-c", "trap exit TERM; while :; do :; done"],
                                "cpu": 256}],
                   cpu="256", memory="128")
    stack.ecs.create_service(cluster=stack.cluster, serviceName="spinner", taskDefinition="busy", desiredCount=1)
    cluster = [{"Name": "ClusterName", "Value": stack.cluster}]
    service = cluster + [{"Name": "ServiceName", "Value": "spinner"}]

    # The task may use its whole reservation (256 units: a quarter CPU), so
    # its utilisation nears 100%; a loaded machine still gives over 50%.
    def busy():
        samples = stat(cw, "CPUUtilization", service, "Maximum")
        return samples and max(samples) > 50
    berth_proc.wait_for(busy, timeout=240, interval=2, what="CPUUtilization > 50 for the service")

    assert max(stat(cw, "CPUUtilization", cluster, "Maximum")) > 50
    mem = stat(cw, "MemoryUtilization", service)
    assert mem and all(0 <= m <= 100 for m in mem)
    # One 256-unit, 128 MiB task on the agent's instance.
    inst = stack.ecs.describe_container_instances(
        cluster=stack.cluster,
        containerInstances=stack.ecs.list_container_instances(cluster=stack.cluster)["containerInstanceArns"])
    reg = {r["name"]: r["integerValue"] for r in inst["containerInstances"][0]["registeredResources"]
           if r["name"] in ("CPU", "MEMORY")}
    cpu_res = stat(cw, "CPUReservation", cluster, "Maximum")
    assert cpu_res and abs(max(cpu_res) - 100.0 * 256 / reg["CPU"]) < 1e-6
    mem_res = stat(cw, "MemoryReservation", cluster, "Maximum")
    assert mem_res and abs(max(mem_res) - 100.0 * 128 / reg["MEMORY"]) < 1e-6

    names = {(m["MetricName"], tuple(sorted(d["Name"] for d in m["Dimensions"])))
             for m in cw.list_metrics(Namespace="AWS/ECS")["Metrics"]}
    assert names >= {("CPUUtilization", ("ClusterName",)), ("CPUUtilization", ("ClusterName", "ServiceName")),
                     ("MemoryUtilization", ("ClusterName",)), ("MemoryUtilization", ("ClusterName", "ServiceName")),
                     ("CPUReservation", ("ClusterName",)), ("MemoryReservation", ("ClusterName",))}
    now = datetime.datetime.now(datetime.timezone.utc)
    out = cw.get_metric_data(MetricDataQueries=[{"Id": "cpu", "MetricStat": {
        "Metric": {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Dimensions": service},
        "Period": 60, "Stat": "Maximum"}}], StartTime=now - datetime.timedelta(minutes=10),
        EndTime=now + datetime.timedelta(minutes=1))
    assert max(out["MetricDataResults"][0]["Values"]) > 50
    # The same series on GET /metrics, as Prometheus scrapes them.
    status, text = berth_proc.scrape_metrics(stack.server)
    assert status == 200
    cpu = berth_proc.metric_samples(text, "aws_ecs_cpuutilization_average")
    key = frozenset({("region", berth_proc.REGION), ("cluster_name", stack.cluster), ("service_name", "spinner")})
    assert key in cpu and 0 <= cpu[key], sorted(cpu)
    stack.ecs.update_service(cluster=stack.cluster, service="spinner", desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service="spinner")
    berth_proc.wait_for(lambda: not stack.ecs.list_tasks(cluster=stack.cluster)["taskArns"], timeout=60,
                        what="the service's task to stop")
