"""The agent protocol end to end with a hollow agent: registration, the
long-poll, SubmitTaskStateChange, StopTask, the CLI waiters, resources."""
import threading
import time

import pytest

import berth_proc

TASKDEF = {
    "family": "proto",
    "containerDefinitions": [
        {"name": "app", "image": "busybox", "memory": 256, "cpu": 512, "essential": True,
         "portMappings": [{"containerPort": 80, "hostPort": 8080}]},
        {"name": "side", "image": "busybox", "memoryReservation": 64, "essential": False},
    ],
}


@pytest.fixture
def hollow(fresh_server, tmp_path):
    ecs = berth_proc.client(fresh_server.endpoint)
    ecs.create_cluster(clusterName="proto")
    ecs.register_task_definition(**TASKDEF)
    agent = berth_proc.BerthAgent(fresh_server.endpoint, "proto", tmp_path / "agent", tmp_path / "agent.log",
                                  hollow=1, extra_args=["--hollow-cpu", "2048", "--hollow-memory", "1024"]).start()
    arns = berth_proc.wait_for(lambda: ecs.list_container_instances(cluster="proto")["containerInstanceArns"],
                               what="the hollow instance to register")
    yield ecs, agent, arns[0]
    agent.stop()


def remaining(ecs, arn):
    ci = ecs.describe_container_instances(cluster="proto", containerInstances=[arn])["containerInstances"][0]
    res = {r["name"]: r for r in ci["remainingResources"]}
    return res["CPU"]["integerValue"], res["MEMORY"]["integerValue"], res["PORTS"]["stringSetValue"], ci


def test_start_run_stop(hollow):
    ecs, agent, inst = hollow
    out = ecs.start_task(cluster="proto", taskDefinition="proto", containerInstances=[inst], startedBy="me")
    assert out["failures"] == []
    task = out["tasks"][0]
    assert task["lastStatus"] == "PROVISIONING" and task["desiredStatus"] == "RUNNING"
    assert task["group"] == "family:proto" and task["startedBy"] == "me"
    assert [c["name"] for c in task["containers"]] == ["app", "side"]
    assert task["overrides"]["containerOverrides"] == [{"name": "app"}, {"name": "side"}]
    cpu, mem, ports, ci = remaining(ecs, inst)
    assert (cpu, mem) == (2048 - 512, 1024 - 256 - 64)
    assert "8080" in ports and ci["pendingTasksCount"] + ci["runningTasksCount"] == 1

    ecs.get_waiter("tasks_running").wait(cluster="proto", tasks=[task["taskArn"]],
                                         WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    t = ecs.describe_tasks(cluster="proto", tasks=[task["taskArn"]])["tasks"][0]
    assert t["lastStatus"] == "RUNNING" and "startedAt" in t
    assert all(c["lastStatus"] == "RUNNING" for c in t["containers"])
    assert ecs.describe_clusters(clusters=["proto"])["clusters"][0]["runningTasksCount"] == 1

    # The same static host port cannot be placed twice on one instance.
    again = ecs.start_task(cluster="proto", taskDefinition="proto", containerInstances=[inst])
    assert again["tasks"] == [] and again["failures"][0]["reason"] == "RESOURCE:PORTS"

    stopped = ecs.stop_task(cluster="proto", task=task["taskArn"], reason="done here")["task"]
    assert stopped["desiredStatus"] == "STOPPED"
    ecs.get_waiter("tasks_stopped").wait(cluster="proto", tasks=[task["taskArn"]],
                                         WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    t = ecs.describe_tasks(cluster="proto", tasks=[task["taskArn"]])["tasks"][0]
    assert t["stopCode"] == "UserInitiated" and t["stoppedReason"] == "done here"
    assert "stoppedAt" in t and "stoppingAt" in t
    assert all(c["exitCode"] == 0 for c in t["containers"])
    cpu, mem, ports, ci = remaining(ecs, inst)
    assert (cpu, mem) == (2048, 1024) and "8080" not in ports
    assert ci["runningTasksCount"] == 0 and ci["pendingTasksCount"] == 0
    assert ecs.list_tasks(cluster="proto")["taskArns"] == []
    assert ecs.list_tasks(cluster="proto", desiredStatus="STOPPED")["taskArns"] == [task["taskArn"]]


def test_resource_exhaustion(hollow):
    ecs, agent, inst = hollow
    out = ecs.start_task(cluster="proto", taskDefinition="proto", containerInstances=[inst],
                         overrides={"containerOverrides": [{"name": "app", "memory": 4096}]})
    assert out["failures"][0]["reason"] == "RESOURCE:MEMORY"
    out = ecs.start_task(cluster="proto", taskDefinition="proto", containerInstances=[inst],
                         overrides={"containerOverrides": [{"name": "app", "cpu": 4096}]})
    assert out["failures"][0]["reason"] == "RESOURCE:CPU"
    with pytest.raises(ecs.exceptions.InvalidParameterException) as e:
        ecs.start_task(cluster="proto", taskDefinition="proto", containerInstances=[inst],
                       overrides={"containerOverrides": [{"name": "nope", "cpu": 1}]})
    assert "nope" in str(e.value)


def test_list_filters_and_describe_failures(hollow):
    ecs, agent, inst = hollow
    a = ecs.start_task(cluster="proto", taskDefinition="proto", containerInstances=[inst],
                       startedBy="alpha")["tasks"][0]["taskArn"]
    assert ecs.list_tasks(cluster="proto", startedBy="alpha")["taskArns"] == [a]
    assert ecs.list_tasks(cluster="proto", startedBy="beta")["taskArns"] == []
    assert ecs.list_tasks(cluster="proto", family="proto")["taskArns"] == [a]
    assert ecs.list_tasks(cluster="proto", containerInstance=inst)["taskArns"] == [a]
    d = ecs.describe_tasks(cluster="proto", tasks=[a, a.rsplit("/", 1)[1], "f" * 32])
    assert len(d["tasks"]) == 2 and d["failures"][0]["reason"] == "MISSING"
    with pytest.raises(ecs.exceptions.ClusterContainsContainerInstancesException):
        ecs.delete_cluster(cluster="proto")


def test_agent_restart_keeps_identity(hollow, tmp_path):
    ecs, agent, inst = hollow
    agent.stop()
    again = berth_proc.BerthAgent(agent.args[3], "proto", agent.data_dir, tmp_path / "agent2.log", hollow=1).start()
    try:
        berth_proc.wait_for(lambda: "registered" in again.log(), what="re-registration")
        assert ecs.list_container_instances(cluster="proto")["containerInstanceArns"] == [inst]
    finally:
        again.stop()


def test_hollow_agents_bulk_poll(fresh_server, tmp_path):
    """Two hollow agents with many instances each long-poll once per agent
    (PollTasks {agentId}); every task on either is acknowledged, and all
    their instances stay connected."""
    ecs = berth_proc.client(fresh_server.endpoint)
    ecs.create_cluster(clusterName="bulk")
    ecs.register_task_definition(family="small", containerDefinitions=[
        {"name": "app", "image": "busybox", "memory": 64, "cpu": 64}])
    agents = [berth_proc.BerthAgent(fresh_server.endpoint, "bulk", tmp_path / ("agent%d" % k),
                                    tmp_path / ("agent%d.log" % k), hollow=150,
                                    extra_args=["--availability-zone", "az-%d" % k]).start() for k in range(2)]
    try:
        berth_proc.wait_for(lambda: ecs.describe_clusters(clusters=["bulk"])["clusters"][0]
                            ["registeredContainerInstancesCount"] == 300, timeout=60, what="300 instances")
        arns = []
        for _ in range(6):
            out = ecs.run_task(cluster="bulk", taskDefinition="small", count=10,
                               placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"},
                                                  {"type": "spread", "field": "instanceId"}])
            assert out["failures"] == []
            arns += [t["taskArn"] for t in out["tasks"]]
        hosts = {t["containerInstanceArn"] for k in range(0, 60, 20)
                 for t in ecs.describe_tasks(cluster="bulk", tasks=arns[k:k + 20])["tasks"]}
        assert len(hosts) == 60  # spread over both agents' instances

        def running():
            return sum(t["lastStatus"] == "RUNNING" for k in range(0, 60, 20)
                       for t in ecs.describe_tasks(cluster="bulk", tasks=arns[k:k + 20])["tasks"])
        berth_proc.wait_for(lambda: running() == 60, timeout=30, what="all 60 tasks RUNNING")
        for a in arns[:10]:
            ecs.stop_task(cluster="bulk", task=a)
        berth_proc.wait_for(lambda: ecs.describe_clusters(clusters=["bulk"])["clusters"][0]
                            ["runningTasksCount"] == 50, timeout=30, what="10 tasks stopped")
        insts = [a for page in ecs.get_paginator("list_container_instances").paginate(cluster="bulk")
                 for a in page["containerInstanceArns"]]
        assert len(insts) == 300
        cis = [ci for k in range(0, 300, 100) for ci in ecs.describe_container_instances(
            cluster="bulk", containerInstances=insts[k:k + 100])["containerInstances"]]
        assert all(ci["agentConnected"] for ci in cis)
        ids = {a["value"] for ci in cis for a in ci["attributes"] if a["name"] == "berth.agent-id"}
        assert len(ids) == 2
        # The bulk form answers for one agent's instances only.
        agent_id = sorted(ids)[0]
        mine = {ci["containerInstanceArn"] for ci in cis
                if {"name": "berth.agent-id", "value": agent_id} in ci["attributes"]}
        status, body = berth_proc.raw_call(fresh_server.endpoint, "PollTasks",
                                           {"cluster": "bulk", "agentId": agent_id, "since": 0},
                                           target_prefix="BerthAgent_20261122")
        assert status == 200 and 0 < len(body["tasks"]) < 60
        assert all(t["containerInstanceArn"] in mine for t in body["tasks"])
        status, body = berth_proc.raw_call(fresh_server.endpoint, "PollTasks",
                                           {"cluster": "bulk", "agentId": "", "since": 0},
                                           target_prefix="BerthAgent_20261122")
        assert status == 400
    finally:
        for a in agents:
            a.stop()


def test_malformed_agent_reports(hollow):
    """The BerthAgent actions get raw JSON (no model): missing members and
    wrong types are a 400 InvalidParameterException, never a crash, and
    the task keeps what it had."""
    ecs, agent, inst = hollow
    endpoint = ecs.meta.endpoint_url
    task = ecs.start_task(cluster="proto", taskDefinition="proto", containerInstances=[inst])["tasks"][0]
    arn = task["taskArn"]
    bad = [
        ("ReportHealth", {"cluster": "proto", "task": arn, "healthStatus": "BOGUS"}),
        ("ReportHealth", {"cluster": "proto", "task": arn, "healthStatus": 7}),
        ("ReportHealth", {"cluster": "proto", "task": arn, "containers": [{"healthStatus": "HEALTHY"}]}),
        ("ReportHealth", {"cluster": "proto", "task": arn,
                          "containers": [{"containerName": "app", "healthStatus": None}]}),
        ("ReportHealth", {"cluster": "proto", "task": 5}),
        ("ReportAttachments", {"cluster": "proto", "task": arn}),
        ("ReportAttachments", {"cluster": "proto", "task": arn, "attachments": [1]}),
        ("ReportAttachments", {"cluster": "proto", "task": arn, "attachments": [],
                               "containers": [{"containerName": 3, "networkInterfaces": []}]}),
        ("ReportAttachments", {"cluster": "proto", "task": arn, "attachments": [],
                               "containers": [{"containerName": "app", "networkInterfaces": "x"}]}),
        ("ReportAttachments", {"cluster": "proto", "task": arn, "attachments": [],
                               "containers": [{"containerName": "app", "networkInterfaces": [5]}]}),
        ("ReportAttachments", {"cluster": "proto", "task": arn, "attachments": [],
                               "containers": [{"containerName": "app",
                                               "networkInterfaces": [{"privateIpv4Address": 5}]}]}),
        ("ReportAttachments", {"cluster": "proto", "task": arn, "attachments": [
            {"id": "a", "type": "ElasticNetworkInterface", "details": ["x"]}]}),
        ("ReportAttachments", {"cluster": "proto", "task": arn, "attachments": [
            {"id": "a", "type": "ElasticNetworkInterface", "details": [{"name": "subnetId", "value": 7}]}]}),
        ("ReportAttachments", {"cluster": "proto", "task": arn, "attachments": [
            {"id": "a", "type": "ElasticNetworkInterface", "status": [], "details": []}]}),
        ("ReportMetrics", {"cluster": "proto", "task": arn, "cpuUnits": "lots"}),
        ("ReportMetrics", {"cluster": "proto", "task": arn, "memoryMiB": [1]}),
        ("ReportMetrics", {"cluster": "proto", "task": arn, "cpuUnits": 1, "at": "now"}),
        ("ReportMetrics", {"cluster": "proto", "task": 5, "cpuUnits": 1}),
        ("PollTasks", {"cluster": "proto"}),
        ("PollTasks", {"cluster": "proto", "containerInstance": inst, "since": "0"}),
        ("PollTasks", {"cluster": "proto", "agentId": 12}),
    ]
    for action, body in bad:
        status, out = berth_proc.raw_call(endpoint, action, body, target_prefix="BerthAgent_20261122")
        assert status == 400 and out["__type"] == "InvalidParameterException", (action, body, out)
    t = ecs.describe_tasks(cluster="proto", tasks=[arn])["tasks"][0]
    assert t["attachments"] == []
    assert t["healthStatus"] == "UNKNOWN"
    assert all(c["healthStatus"] == "UNKNOWN" for c in t["containers"])


def test_submit_reports_batch(hollow):
    """BerthAgent.SubmitReports carries an agent's queued reports in one
    transaction: applied in order, each validated as if it came alone, all
    or nothing, and only agent reports may ride in it."""
    ecs, agent, inst = hollow
    endpoint = ecs.meta.endpoint_url
    arn = ecs.start_task(cluster="proto", taskDefinition="proto", containerInstances=[inst])["tasks"][0]["taskArn"]
    berth_proc.wait_for(lambda: ecs.describe_tasks(cluster="proto", tasks=[arn])["tasks"][0]["lastStatus"]
                        == "RUNNING", what="the hollow agent's RUNNING report")

    def health(status):
        return {"target": "BerthAgent_20261122.ReportHealth",
                "body": {"cluster": "proto", "task": arn, "healthStatus": status,
                         "containers": [{"containerName": "app", "healthStatus": status}]}}

    def submit(reports):
        return berth_proc.raw_call(endpoint, "SubmitReports", {"reports": reports},
                                   target_prefix="BerthAgent_20261122")

    def task_health():
        return ecs.describe_tasks(cluster="proto", tasks=[arn])["tasks"][0]["healthStatus"]

    # In order: the last report wins.
    assert submit([health("UNHEALTHY"), health("HEALTHY")]) == (200, {"acknowledgment": "ACK"})
    assert task_health() == "HEALTHY"

    # All or nothing: a bad second report undoes the good first one, and
    # the error names the report.
    status, out = submit([health("UNHEALTHY"), health("BOGUS")])
    assert status == 400 and out["__type"] == "InvalidParameterException", out
    assert "reports[1]" in out["message"]
    assert task_health() == "HEALTHY"

    # Bodies are checked against the ECS model like a single call.
    status, out = submit([health("UNHEALTHY"),
                          {"target": "AmazonEC2ContainerServiceV20141113.SubmitTaskStateChange",
                           "body": {"cluster": "proto", "task": arn, "status": 5}}])
    assert status == 400 and "reports[1]" in out["message"], out
    assert task_health() == "HEALTHY"

    # Only agent reports: a batch cannot smuggle in other actions.
    status, out = submit([health("UNHEALTHY"),
                          {"target": "AmazonEC2ContainerServiceV20141113.DeleteCluster",
                           "body": {"cluster": "proto"}}])
    assert status == 400 and "not an agent report" in out["message"], out
    assert ecs.describe_clusters(clusters=["proto"])["clusters"][0]["status"] == "ACTIVE"
    assert task_health() == "HEALTHY"

    for bad in [{}, {"reports": []}, {"reports": "x"}, {"reports": [health("HEALTHY")] * 65},
                {"reports": [{"body": {}}]}, {"reports": [{"target": "BerthAgent_20261122.ReportHealth"}]},
                {"reports": [{"target": "BerthAgent_20261122.ReportHealth", "body": []}]},
                {"reports": [{"target": "Nope.Nothing", "body": {}}]}]:
        status, out = berth_proc.raw_call(endpoint, "SubmitReports", bad, target_prefix="BerthAgent_20261122")
        assert status == 400 and out["__type"] in ("InvalidParameterException", "UnknownOperationException"), \
            (bad, out)
    assert task_health() == "HEALTHY"


def test_refused_batches_are_sent_singly(fresh_server, tmp_path):
    """An agent whose SubmitReports batch is refused sends the same reports
    one by one: placed through a proxy that refuses every batch (as a
    server without SubmitReports would), ten tasks still reach RUNNING.
    The proxy signs what it forwards itself (the agent signed for the
    proxy's Host)."""
    import http.server
    import threading

    upstream = fresh_server.endpoint
    refused = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            target = self.headers.get("X-Amz-Target", "")
            if target.endswith(".SubmitReports"):
                refused.append(target)
                status, out = 400, b'{"__type":"UnknownOperationException","message":"no batches here"}'
            else:
                # The request as the agent signed it: its Host (the proxy's)
                # and signature headers go through unchanged.
                status, _, out = berth_proc.post(upstream, body, {
                    k: v for k, v in self.headers.items()
                    if k.lower() in ("content-type", "x-amz-target", "host", "x-amz-date", "authorization",
                                     "x-amz-security-token")}, signed=False, path=self.path, timeout=60)
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    ecs = berth_proc.client(upstream)
    ecs.create_cluster(clusterName="proto")
    ecs.register_task_definition(**{**TASKDEF, "containerDefinitions": [
        {"name": "app", "image": "busybox", "memory": 16, "cpu": 16}]})
    agent = berth_proc.BerthAgent("http://127.0.0.1:%d" % proxy.server_address[1], "proto", tmp_path / "agent",
                                  tmp_path / "agent.log", hollow=1).start()
    try:
        berth_proc.wait_for(lambda: ecs.list_container_instances(cluster="proto")["containerInstanceArns"],
                            what="the hollow instance to register")
        arns = [t["taskArn"] for t in ecs.run_task(cluster="proto", taskDefinition="proto", count=10)["tasks"]]
        assert len(arns) == 10
        berth_proc.wait_for(lambda: all(t["lastStatus"] == "RUNNING"
                                        for t in ecs.describe_tasks(cluster="proto", tasks=arns)["tasks"]),
                            what="all ten tasks RUNNING through single reports")
        assert refused, "the agent never tried a batch: nothing was tested"
    finally:
        agent.stop()
        proxy.shutdown()


def test_bulk_poll_keeps_instances_connected_through_a_long_poll(tmp_path):
    """An agent that keeps a long-poll open (waitSeconds below the agent
    timeout) stays connected, even when a poll that was not due to touch
    its instances holds it for the whole wait."""
    srv = berth_proc.BerthServer(tmp_path / "data", tmp_path / "server.log",
                                 extra_args=["--agent-timeout", "8"]).start()
    try:
        ecs = berth_proc.client(srv.endpoint)
        ecs.create_cluster(clusterName="lp")
        ci = ecs.register_container_instance(
            cluster="lp",
            totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": 1024},
                            {"name": "MEMORY", "type": "INTEGER", "integerValue": 1024}],
            attributes=[{"name": "berth.agent-id", "value": "lp-agent"}],
            versionInfo={"agentVersion": "1.0.0", "agentHash": "berth", "dockerVersion": "none"},
        )["containerInstance"]

        def poll(since, wait):
            status, body = berth_proc.raw_call(srv.endpoint, "PollTasks",
                                               {"cluster": "lp", "agentId": "lp-agent", "since": since,
                                                "waitSeconds": wait},
                                               target_prefix="BerthAgent_20261122")
            assert status == 200, body
            return body["since"]

        start = time.monotonic()
        since = poll(0, 0)  # touches the instance
        time.sleep(max(0.0, start + 1.8 - time.monotonic()))  # within a quarter of the timeout
        held = threading.Thread(target=poll, args=(since, 7))  # holds the agent until ~8.8 s
        held.start()
        time.sleep(max(0.0, start + 8.4 - time.monotonic()))
        now = ecs.describe_container_instances(cluster="lp", containerInstances=[ci["containerInstanceArn"]])
        held.join()
        assert now["containerInstances"][0]["agentConnected"] is True
    finally:
        srv.stop()
