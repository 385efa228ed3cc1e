"""Container Insights network and storage figures from real containers: a
bridge-mode service task whose client container downloads a known number
of bytes over HTTP from its web container and writes a known number to
disk (O_DIRECT, so that the container itself issues the writes and cgroup
v1's blkio counts them: buffered pages the kernel's flusher writes back
first, as it does on a busy host, count for the root cgroup) shows NetworkRxBytes,
NetworkTxBytes (bytes/second per agent interval: their sum over the
one-second samples is the bytes moved) and StorageWriteBytes (cumulative)
at least that large, by ClusterName + ServiceName and, with "enhanced",
by TaskId and by ContainerName.  A task in network mode none has no veth,
so no network figures.  A task whose writer container puts 20 MiB in its
root filesystem and whose spinner container busy-loops shows
EphemeralStorageUtilized of at least those bytes against its
ephemeralStorage size (EphemeralStorageReserved,
TaskEphemeralStorageUtilization), a TaskCpuUtilization well above zero,
and per container ContainerCpu*/ContainerMemory* that tell the spinner
from the writer.  berth server --time-scale 60 and --metrics-interval 1
make the periods and samples one second."""
import datetime

import pytest

import berth_proc
import stack as stackmod

NS = "ECS/ContainerInsights"
CLUSTER = "insio"
MIB = 1024 * 1024
DOWNLOAD = 4 * MIB
WRITE = 4 * MIB


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("insio"), cluster=CLUSTER, server_args=["--time-scale", "60"],
                       agent_args=["--metrics-interval", "1"])
    s.ecs.update_cluster_settings(cluster=CLUSTER, settings=[{"name": "containerInsights", "value": "enhanced"}])
    yield s
    s.close()


@pytest.fixture(scope="module")
def cw(stack):
    return berth_proc.client(stack.server.endpoint, service="cloudwatch")


def dims(**kw):
    return [{"Name": k, "Value": v} for k, v in kw.items()]


def stat(cw, name, d, statistic):
    """The datapoints' `statistic` over the last ten minutes, one-minute periods."""
    now = datetime.datetime.now(datetime.timezone.utc)
    out = cw.get_metric_statistics(Namespace=NS, MetricName=name, Dimensions=d, Statistics=[statistic],
                                   StartTime=now - datetime.timedelta(minutes=10),
                                   EndTime=now + datetime.timedelta(minutes=1), Period=60)
    return [p[statistic] for p in out["Datapoints"]]


def moved(cw, name, d):
    """Bytes moved: the sum of the one-second rate samples."""
    return sum(stat(cw, name, d, "Sum"))


# A rate sample is bytes over the time since the last one; on a loaded host
# that is a little over a second, so the samples' sum comes out slightly
# under the bytes moved (CI saw 476 bytes short of 4 MiB).
COUNTED = 0.98 * DOWNLOAD


def largest(cw, name, d):
    return max(stat(cw, name, d, "Maximum"), default=0)


CLIENT = ("sleep 3; for i in $(seq 100); do wget -q -O /dev/null http://www/blob && break; sleep 0.2; done; "
          "echo fetched; dd if=/dev/zero of=/written bs=1048576 count=%d oflag=direct conv=fsync 2>/dev/null; echo written; "
          "exec sleep 3600" % (WRITE // MIB))
WEB = "mkdir -p /www && dd if=/dev/zero of=/www/blob bs=1048576 count=%d 2>/dev/null && exec httpd -f -p 80 -h /www" % (
    DOWNLOAD // MIB)


def test_network_and_storage_bytes(stack, cw):
    stack.register("io", [
        {"name": "web", "command": ["sh", "-c", WEB], "stopTimeout": 1},
        {"name": "client", "links": ["web:www"], "command": ["sh", "-c", CLIENT], "stopTimeout": 1},
    ], networkMode="bridge")
    stack.ecs.create_service(cluster=CLUSTER, serviceName="io", taskDefinition="io", desiredCount=1)
    arn = berth_proc.wait_for(lambda: stack.ecs.list_tasks(cluster=CLUSTER, serviceName="io")["taskArns"],
                              timeout=60, what="the service's task")[0]
    stack.wait_status(arn, "RUNNING")
    berth_proc.wait_for(lambda: "written" in stack.stdout(arn, "client"), timeout=90,
                        what="the download and the write")
    task_id = arn.rsplit("/", 1)[1]
    svc = dims(ClusterName=CLUSTER, ServiceName="io")
    by_task = dims(ClusterName=CLUSTER, ServiceName="io", TaskId=task_id)
    client = dims(ClusterName=CLUSTER, ContainerName="client", ServiceName="io", TaskId=task_id)
    web = dims(ClusterName=CLUSTER, ContainerName="web", ServiceName="io", TaskId=task_id)
    # The task received the download (the client's receive) and sent it (the web's send).
    berth_proc.wait_for(lambda: moved(cw, "NetworkRxBytes", svc) >= COUNTED, timeout=30,
                        what="NetworkRxBytes by service to reach the download")
    assert moved(cw, "NetworkTxBytes", svc) >= COUNTED
    assert moved(cw, "NetworkRxBytes", by_task) >= COUNTED
    assert moved(cw, "ContainerNetworkRxBytes", client) >= COUNTED
    assert moved(cw, "ContainerNetworkTxBytes", web) >= COUNTED
    # The client sent requests, not the file; the web received requests only.
    assert moved(cw, "ContainerNetworkTxBytes", client) < DOWNLOAD / 4
    assert moved(cw, "ContainerNetworkRxBytes", web) < DOWNLOAD / 4
    # Storage is cumulative: its largest sample is what was written so far.
    # (On cgroup v1 the kernel counts nothing until the device has a throttle
    # rule: the agent sets one; before it did, this failed unless another
    # test had set one first.)
    seen = []

    def storage_written():
        seen[:] = [largest(cw, "StorageWriteBytes", svc), largest(cw, "ContainerStorageWriteBytes", client)]
        return seen[0] >= WRITE

    try:
        berth_proc.wait_for(storage_written, timeout=60, what="StorageWriteBytes to reach the write")
    except AssertionError as e:
        raise AssertionError("%s; largest by service, by the client container: %s of %d" % (e, seen, WRITE)) from None
    assert largest(cw, "ContainerStorageWriteBytes", client) >= WRITE
    assert largest(cw, "StorageWriteBytes", dims(ClusterName=CLUSTER, TaskDefinitionFamily="io",
                                                 TaskId=task_id)) >= WRITE
    units = {m["MetricName"] for m in cw.list_metrics(Namespace=NS, Dimensions=[{"Name": "TaskId",
                                                                                 "Value": task_id}])["Metrics"]}
    assert units >= {"NetworkRxBytes", "NetworkTxBytes", "StorageReadBytes", "StorageWriteBytes", "CpuUtilized",
                     "ContainerNetworkRxBytes", "ContainerStorageWriteBytes"}
    stack.ecs.update_service(cluster=CLUSTER, service="io", desiredCount=0)
    stack.ecs.delete_service(cluster=CLUSTER, service="io")
    stack.wait_status(arn, "STOPPED")


def test_no_network_figures_without_a_veth(stack, cw):
    stack.register("quiet", [{"name": "app", "command": ["sleep", "3600"], "stopTimeout": 1}], networkMode="none")
    arn = stack.run("quiet")
    stack.wait_status(arn, "RUNNING")
    task_id = arn.rsplit("/", 1)[1]
    d = dims(ClusterName=CLUSTER, TaskDefinitionFamily="quiet", TaskId=task_id)
    berth_proc.wait_for(lambda: stat(cw, "CpuUtilized", d, "SampleCount"), timeout=30, what="the task's samples")
    berth_proc.wait_for(lambda: stat(cw, "StorageReadBytes", d, "SampleCount"), timeout=30, what="storage samples")
    berth_proc.wait_for(lambda: stat(cw, "EphemeralStorageUtilized", d, "SampleCount"), timeout=30,
                        what="ephemeral storage samples")
    listed = {m["MetricName"] for m in cw.list_metrics(Namespace=NS, Dimensions=[{"Name": "TaskId",
                                                                                  "Value": task_id}])["Metrics"]}
    assert "NetworkRxBytes" not in listed and "ContainerNetworkRxBytes" not in listed
    # No ephemeralStorage size in its task definition: what it uses, against nothing.
    assert "EphemeralStorageReserved" not in listed and "TaskEphemeralStorageUtilization" not in listed
    stack.ecs.stop_task(cluster=CLUSTER, task=arn)
    stack.wait_status(arn, "STOPPED")


GIB = 1024 * MIB
EPHEMERAL = 20 * MIB
WRITER = ("dd if=/dev/urandom of=/blob bs=1048576 count=%d 2>/dev/null && echo written; exec sleep 3600"
          % (EPHEMERAL // MIB))
SPINNER = "while :; do :; done"


def test_ephemeral_storage_cpu_and_containers(stack, cw):
    stack.register("usage", [
        {"name": "writer", "command": ["sh", "-c", WRITER], "cpu": 256, "memory": 128, "stopTimeout": 1},
        {"name": "spinner", "command": ["sh", "-c", SPINNER], "cpu": 512, "memory": 64, "stopTimeout": 1},
    ], networkMode="none", ephemeralStorage={"sizeInGiB": 21})
    arn = stack.run("usage")
    stack.wait_status(arn, "RUNNING")
    berth_proc.wait_for(lambda: "written" in stack.stdout(arn, "writer"), timeout=60, what="the 20 MiB write")
    task_id = arn.rsplit("/", 1)[1]
    by_task = dims(ClusterName=CLUSTER, TaskDefinitionFamily="usage", TaskId=task_id)
    by_family = dims(ClusterName=CLUSTER, TaskDefinitionFamily="usage")
    # What the writable layers take on disk, in gigabytes of 10^9 bytes, as Fargate reports it.
    berth_proc.wait_for(lambda: largest(cw, "EphemeralStorageUtilized", by_task) >= EPHEMERAL / 1e9, timeout=30,
                        what="EphemeralStorageUtilized to reach the 20 MiB written")
    assert largest(cw, "EphemeralStorageUtilized", by_family) >= EPHEMERAL / 1e9
    # ... well below what the whole image would take: only what the containers wrote counts.
    assert largest(cw, "EphemeralStorageUtilized", by_task) < 4 * EPHEMERAL / 1e9
    assert largest(cw, "EphemeralStorageReserved", by_task) == pytest.approx(21 * GIB / 1e9)
    pct = largest(cw, "TaskEphemeralStorageUtilization", by_task)
    assert 100.0 * EPHEMERAL / (21 * GIB) <= pct < 1
    # The spinner keeps a CPU busy: the task uses a good part of its 768 units.
    berth_proc.wait_for(lambda: largest(cw, "TaskCpuUtilization", by_task) > 25, timeout=30,
                        what="TaskCpuUtilization above 25%")
    assert largest(cw, "TaskCpuUtilization", by_family) > 25
    mem_pct = largest(cw, "TaskMemoryUtilization", by_task)
    assert 0 < mem_pct < 100
    # Per container, by the dimension sets of enhanced observability.
    spinner = dims(ClusterName=CLUSTER, ContainerName="spinner", TaskDefinitionFamily="usage", TaskId=task_id)
    writer = dims(ClusterName=CLUSTER, ContainerName="writer", TaskDefinitionFamily="usage", TaskId=task_id)
    berth_proc.wait_for(lambda: largest(cw, "ContainerCpuUtilized", spinner) > 256, timeout=30,
                        what="the spinner's ContainerCpuUtilized above a quarter CPU")
    assert set(stat(cw, "ContainerCpuReserved", spinner, "Maximum")) == {512.0}
    assert largest(cw, "ContainerCpuReserved", writer) == 256
    assert largest(cw, "ContainerCpuUtilization", spinner) > 50
    # The writer sleeps once written: its CPU since is far below the spinner's.
    assert min(stat(cw, "ContainerCpuUtilized", writer, "Minimum")) < largest(cw, "ContainerCpuUtilized", spinner) / 4
    assert largest(cw, "ContainerMemoryReserved", writer) == 128
    assert largest(cw, "ContainerMemoryReserved", spinner) == 64
    assert 0 < largest(cw, "ContainerMemoryUtilized", spinner) < 64
    assert 0 < largest(cw, "ContainerMemoryUtilization", writer) < 100
    for d in (dims(ClusterName=CLUSTER, ContainerName="spinner", TaskDefinitionFamily="usage"),
              dims(ClusterName=CLUSTER)):
        assert largest(cw, "ContainerCpuUtilized", d) > 256
    stack.ecs.stop_task(cluster=CLUSTER, task=arn)
    stack.wait_status(arn, "STOPPED")
