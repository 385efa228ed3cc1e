"""RunTask placement through the API: strategies, constraints, failures,
concurrency.  Instances are registered through the API with chosen
resources and attributes, as tools and tests do."""
import collections
import threading

import botocore.exceptions
import pytest

import berth_proc


def register(ecs, cluster, cpu=1024, memory=2048, az="az-a", attrs=()):
    attributes = [{"name": "ecs.availability-zone", "value": az}]
    attributes += [{"name": k, "value": v} for k, v in attrs]
    return ecs.register_container_instance(
        cluster=cluster, attributes=attributes,
        totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": cpu},
                        {"name": "MEMORY", "type": "INTEGER", "integerValue": memory}],
    )["containerInstance"]["containerInstanceArn"]


def taskdef(ecs, family, cpu=256, memory=256, port=None, constraints=None):
    c = {"name": "app", "image": "busybox", "cpu": cpu, "memory": memory}
    if port:
        c["portMappings"] = [{"containerPort": port, "hostPort": port}]
    kw = {"family": family, "containerDefinitions": [c]}
    if constraints:
        kw["placementConstraints"] = constraints
    return ecs.register_task_definition(**kw)["taskDefinition"]["taskDefinitionArn"]


@pytest.fixture
def ecs(fresh_server):
    return berth_proc.client(fresh_server.endpoint)


def placed_on(tasks):
    return collections.Counter(t["containerInstanceArn"] for t in tasks)


def remaining(ecs, cluster, arn):
    ci = ecs.describe_container_instances(cluster=cluster, containerInstances=[arn])["containerInstances"][0]
    return {r["name"]: r.get("integerValue") for r in ci["remainingResources"]}


def test_binpack_fills_one_instance_first(ecs):
    ecs.create_cluster(clusterName="bp")
    a, b = register(ecs, "bp"), register(ecs, "bp", memory=4096)
    taskdef(ecs, "bp", memory=512)
    out = ecs.run_task(cluster="bp", taskDefinition="bp", count=4,
                       placementStrategy=[{"type": "binpack", "field": "memory"}])
    assert out["failures"] == []
    # 4 x 512 MiB fill the 2048 MiB instance exactly before the other is touched.
    assert placed_on(out["tasks"]) == {a: 4}
    assert remaining(ecs, "bp", a)["MEMORY"] == 0
    out = ecs.run_task(cluster="bp", taskDefinition="bp", count=1,
                       placementStrategy=[{"type": "binpack", "field": "memory"}])
    assert placed_on(out["tasks"]) == {b: 1}


def test_spread_across_availability_zones(ecs):
    ecs.create_cluster(clusterName="sp")
    insts = {az: [register(ecs, "sp", az=az) for _ in range(2)] for az in ("az-a", "az-b", "az-c")}
    taskdef(ecs, "sp", cpu=10, memory=10)
    out = ecs.run_task(cluster="sp", taskDefinition="sp", count=9,
                       placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"},
                                          {"type": "spread", "field": "instanceId"}])
    assert len(out["tasks"]) == 9
    per_az = collections.Counter(t["availabilityZone"] for t in out["tasks"])
    assert per_az == {"az-a": 3, "az-b": 3, "az-c": 3}
    per_inst = placed_on(out["tasks"])
    assert sorted(per_inst.values()) == [1, 1, 1, 2, 2, 2]


def test_distinct_instance(ecs):
    ecs.create_cluster(clusterName="di")
    arns = {register(ecs, "di") for _ in range(3)}
    taskdef(ecs, "di", cpu=1, memory=8)
    out = ecs.run_task(cluster="di", taskDefinition="di", count=4,
                       placementConstraints=[{"type": "distinctInstance"}])
    assert len(out["tasks"]) == 3 and set(placed_on(out["tasks"])) == arns
    # the fourth task: one failure per instance it was refused on, with ECS's reason
    assert sorted(f["arn"] for f in out["failures"]) == sorted(arns)
    assert all(f["reason"] == "DistinctInstance placement constraint unsatisfied." for f in out["failures"])


def test_member_of_custom_attribute_and_taskdef_constraint(ecs):
    ecs.create_cluster(clusterName="mo")
    gpu = register(ecs, "mo", attrs=[("gpu", "true")])
    register(ecs, "mo", attrs=[("gpu", "false")])
    taskdef(ecs, "mo", cpu=1, memory=8)
    out = ecs.run_task(cluster="mo", taskDefinition="mo", count=3,
                       placementConstraints=[{"type": "memberOf", "expression": "attribute:gpu == true"}])
    assert placed_on(out["tasks"]) == {gpu: 3}
    # A constraint in the task definition applies too.
    taskdef(ecs, "mo2", cpu=1, memory=8,
            constraints=[{"type": "memberOf", "expression": "attribute:gpu != true"}])
    out = ecs.run_task(cluster="mo", taskDefinition="mo2", count=2)
    assert gpu not in placed_on(out["tasks"]) and len(out["tasks"]) == 2
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.run_task(cluster="mo", taskDefinition="mo", placementConstraints=[
            {"type": "memberOf", "expression": "attribute:gpu =="}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "position" in e.value.response["Error"]["Message"]


def test_resource_exhaustion_reasons(ecs):
    ecs.create_cluster(clusterName="ex")
    a = register(ecs, "ex", cpu=512, memory=4096)
    taskdef(ecs, "excpu", cpu=1024, memory=16)
    out = ecs.run_task(cluster="ex", taskDefinition="excpu")
    assert out["tasks"] == [] and out["failures"] == [{"arn": a, "reason": "RESOURCE:CPU"}]
    taskdef(ecs, "exmem", cpu=1, memory=8192)
    out = ecs.run_task(cluster="ex", taskDefinition="exmem")
    assert out["failures"] == [{"arn": a, "reason": "RESOURCE:MEMORY"}]
    taskdef(ecs, "export", cpu=1, memory=16, port=8080)
    assert len(ecs.run_task(cluster="ex", taskDefinition="export")["tasks"]) == 1
    out = ecs.run_task(cluster="ex", taskDefinition="export")
    assert out["failures"] == [{"arn": a, "reason": "RESOURCE:PORTS"}]
    taskdef(ecs, "exssh", cpu=1, memory=16, port=22)
    out = ecs.run_task(cluster="ex", taskDefinition="exssh")
    assert out["failures"] == [{"arn": a, "reason": "RESOURCE:PORTS"}]


def test_no_instances_and_draining(ecs):
    ecs.create_cluster(clusterName="empty")
    taskdef(ecs, "empty", cpu=1, memory=8)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.run_task(cluster="empty", taskDefinition="empty")
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "No Container Instances" in e.value.response["Error"]["Message"]
    a = register(ecs, "empty")
    b = register(ecs, "empty")
    ecs.update_container_instances_state(cluster="empty", containerInstances=[a], status="DRAINING")
    out = ecs.run_task(cluster="empty", taskDefinition="empty", count=5)
    assert placed_on(out["tasks"]) == {b: 5}


def test_request_validation(ecs):
    ecs.create_cluster(clusterName="val")
    register(ecs, "val")
    taskdef(ecs, "val", cpu=1, memory=8)
    for kw in [{"count": 11}, {"count": 0},
               {"placementStrategy": [{"type": "binpack", "field": "disk"}]},
               {"placementStrategy": [{"type": "spread", "field": "instanceId"}] * 6},
               {"launchType": "FARGATE"}]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            berth_proc.client(ecs.meta.endpoint_url, validate=False).run_task(
                cluster="val", taskDefinition="val", **kw)
        assert e.value.response["Error"]["Code"] == "InvalidParameterException", kw
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.run_task(cluster="val", taskDefinition="nosuchfamily")
    assert e.value.response["Error"]["Code"] == "ClientException"


def test_run_task_options(ecs):
    ecs.create_cluster(clusterName="opt")
    register(ecs, "opt")
    arn = taskdef(ecs, "opt", cpu=1, memory=8)
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "web"}])
    out = ecs.run_task(cluster="opt", taskDefinition="opt:1", startedBy="ci", group="batch",
                       enableECSManagedTags=True, propagateTags="TASK_DEFINITION",
                       tags=[{"key": "run", "value": "1"}],
                       overrides={"containerOverrides": [{"name": "app", "command": ["echo", "hi"],
                                                          "environment": [{"name": "A", "value": "1"}]}]})
    t = out["tasks"][0]
    assert t["group"] == "batch" and t["startedBy"] == "ci"
    assert t["overrides"]["containerOverrides"][0]["command"] == ["echo", "hi"]
    d = ecs.describe_tasks(cluster="opt", tasks=[t["taskArn"]], include=["TAGS"])["tasks"][0]
    assert {(x["key"], x["value"]) for x in d["tags"]} == {
        ("run", "1"), ("team", "web"), ("aws:ecs:clusterName", "opt")}
    # clientToken: the same request twice is one task.
    # (Debian's boto3 predates clientToken, so this goes raw.)
    body = {"cluster": "opt", "taskDefinition": "opt", "clientToken": "tok-1"}
    s1, first = berth_proc.raw_call(ecs.meta.endpoint_url, "RunTask", body)
    s2, again = berth_proc.raw_call(ecs.meta.endpoint_url, "RunTask", body)
    assert s1 == s2 == 200 and len(first["tasks"]) == 1
    assert [x["taskArn"] for x in first["tasks"]] == [x["taskArn"] for x in again["tasks"]]
    assert ecs.run_task(cluster="opt", taskDefinition="opt")["tasks"][0]["group"] == "family:opt"


def test_concurrent_run_task_never_overcommits(ecs, fresh_server):
    ecs.create_cluster(clusterName="cc")
    arns = [register(ecs, "cc", cpu=1024, memory=1024) for _ in range(3)]
    taskdef(ecs, "cc", cpu=128, memory=128)
    results, errors = [], []

    def worker():
        c = berth_proc.client(fresh_server.endpoint)
        try:
            results.append(c.run_task(cluster="cc", taskDefinition="cc", count=2))
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    placed = sum(len(r["tasks"]) for r in results)
    # 3 instances x 8 slots of 128 MiB = 24; 40 asked for.
    assert placed == 24
    for a in arns:
        rem = remaining(ecs, "cc", a)
        assert rem["MEMORY"] == 0 and rem["CPU"] == 0
    running = ecs.list_tasks(cluster="cc")["taskArns"]
    assert len(running) == 24


def test_list_tasks_pagination(ecs):
    ecs.create_cluster(clusterName="pg")
    register(ecs, "pg", cpu=4096, memory=4096)
    taskdef(ecs, "pg", cpu=1, memory=8)
    arns = []
    for _ in range(3):
        arns += [t["taskArn"] for t in ecs.run_task(cluster="pg", taskDefinition="pg", count=10)["tasks"]]
    got = []
    for page in ecs.get_paginator("list_tasks").paginate(cluster="pg", PaginationConfig={"PageSize": 7}):
        got += page["taskArns"]
    assert sorted(got) == sorted(arns)
