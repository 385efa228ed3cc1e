"""Container instances registered through the API, as tools and tests do."""
import botocore.exceptions
import pytest

import berth_proc


from berth_proc import err_code


def register(ecs, cluster, cpu=2048, memory=4096, attrs=(), az="us-east-1a"):
    attributes = [{"name": "ecs.availability-zone", "value": az}, {"name": "ecs.os-type", "value": "linux"}]
    attributes += [{"name": k, "value": v} for k, v in attrs]
    return ecs.register_container_instance(
        cluster=cluster,
        totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": cpu},
                        {"name": "MEMORY", "type": "INTEGER", "integerValue": memory}],
        attributes=attributes,
        versionInfo={"agentVersion": "1.0.0", "agentHash": "berth", "dockerVersion": "none"},
    )["containerInstance"]


def resources(ci, key):
    out = {}
    for r in ci[key]:
        out[r["name"]] = r.get("stringSetValue") if r["type"] == "STRINGSET" else r["integerValue"]
    return out


def test_register_describe_list(ecs):
    ecs.create_cluster(clusterName="ci")
    ci = register(ecs, "ci", attrs=[("stack", "blue")])
    arn = ci["containerInstanceArn"]
    assert arn.startswith("arn:aws:ecs:us-east-1:000000000000:container-instance/ci/")
    assert ci["status"] == "ACTIVE" and ci["agentConnected"] is True
    assert ci["ec2InstanceId"].startswith("i-")
    reg = resources(ci, "registeredResources")
    assert reg["CPU"] == 2048 and reg["MEMORY"] == 4096
    assert sorted(reg["PORTS"]) == sorted(["22", "2375", "2376", "51678", "51679"])
    assert resources(ci, "remainingResources")["CPU"] == 2048
    attrs = {a["name"]: a.get("value") for a in ci["attributes"]}
    assert attrs["stack"] == "blue" and attrs["ecs.availability-zone"] == "us-east-1a"
    assert ci["versionInfo"]["agentVersion"] == "1.0.0"
    listed = ecs.list_container_instances(cluster="ci")["containerInstanceArns"]
    assert listed == [arn]
    d = ecs.describe_container_instances(cluster="ci", containerInstances=[arn, arn.rsplit("/", 1)[1], "0" * 32])
    assert len(d["containerInstances"]) == 2
    assert d["failures"][0]["reason"] == "MISSING"
    c = ecs.describe_clusters(clusters=["ci"])["clusters"][0]
    assert c["registeredContainerInstancesCount"] == 1


def test_reregister_keeps_identity(ecs):
    ecs.create_cluster(clusterName="rereg")
    ci = register(ecs, "rereg")
    again = ecs.register_container_instance(
        cluster="rereg", containerInstanceArn=ci["containerInstanceArn"],
        totalResources=[{"name": "CPU", "type": "INTEGER", "integerValue": 1024},
                        {"name": "MEMORY", "type": "INTEGER", "integerValue": 512}])["containerInstance"]
    assert again["containerInstanceArn"] == ci["containerInstanceArn"]
    assert again["ec2InstanceId"] == ci["ec2InstanceId"]
    assert resources(again, "registeredResources")["CPU"] == 1024
    assert again["version"] > ci["version"]


def test_drain_and_deregister(ecs):
    ecs.create_cluster(clusterName="drain")
    ci = register(ecs, "drain")
    out = ecs.update_container_instances_state(cluster="drain", containerInstances=[ci["containerInstanceArn"]],
                                               status="DRAINING")
    assert out["containerInstances"][0]["status"] == "DRAINING"
    assert ecs.list_container_instances(cluster="drain", status="DRAINING")["containerInstanceArns"] == [
        ci["containerInstanceArn"]]
    assert not ecs.list_container_instances(cluster="drain", status="ACTIVE")["containerInstanceArns"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.update_container_instances_state(cluster="drain", containerInstances=[ci["containerInstanceArn"]],
                                             status="REGISTERING")
    assert err_code(e) == "InvalidParameterException"
    d = ecs.describe_container_instances(cluster="drain", containerInstances=[ci["containerInstanceArn"]])
    assert d["containerInstances"][0]["status"] == "DRAINING"  # the refused update changed nothing
    gone = ecs.deregister_container_instance(cluster="drain", containerInstance=ci["containerInstanceArn"])
    assert gone["containerInstance"]["status"] == "INACTIVE"
    assert ecs.list_container_instances(cluster="drain")["containerInstanceArns"] == []
    # A cluster with no registered instances can be deleted.
    assert ecs.delete_cluster(cluster="drain")["cluster"]["status"] == "INACTIVE"


def test_cluster_with_instances_cannot_be_deleted(ecs):
    ecs.create_cluster(clusterName="busy")
    register(ecs, "busy")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.delete_cluster(cluster="busy")
    assert err_code(e) == "ClusterContainsContainerInstancesException"


def test_attributes(ecs):
    ecs.create_cluster(clusterName="attrs")
    a = register(ecs, "attrs")["containerInstanceArn"]
    b = register(ecs, "attrs")["containerInstanceArn"]
    ecs.put_attributes(cluster="attrs", attributes=[
        {"name": "gpu", "value": "yes", "targetType": "container-instance", "targetId": a},
        {"name": "gpu", "value": "no", "targetId": b.rsplit("/", 1)[1]}])
    got = ecs.list_attributes(cluster="attrs", targetType="container-instance", attributeName="gpu")["attributes"]
    assert sorted((x["targetId"], x["value"]) for x in got) == sorted([(a, "yes"), (b, "no")])
    only = ecs.list_attributes(cluster="attrs", targetType="container-instance", attributeName="gpu",
                               attributeValue="yes")["attributes"]
    assert [x["targetId"] for x in only] == [a]
    ecs.delete_attributes(cluster="attrs", attributes=[{"name": "gpu", "targetId": a}])
    got = ecs.list_attributes(cluster="attrs", targetType="container-instance", attributeName="gpu")["attributes"]
    assert [x["targetId"] for x in got] == [b]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.put_attributes(cluster="attrs", attributes=[{"name": "x", "value": "1", "targetId": "f" * 32}])
    assert err_code(e) == "TargetNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.put_attributes(cluster="attrs", attributes=[{"name": "bad name!", "value": "1", "targetId": a}])
    assert err_code(e) == "InvalidParameterException"
    # ten custom attributes fit; the eleventh is over the limit
    ecs.put_attributes(cluster="attrs", attributes=[
        {"name": "c%d" % i, "value": "v", "targetId": a} for i in range(10)])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.put_attributes(cluster="attrs", attributes=[{"name": "c-extra", "value": "v", "targetId": a}])
    assert err_code(e) == "AttributeLimitExceededException"


def test_list_pagination(fresh_server):
    ecs = berth_proc.client(fresh_server.endpoint)
    ecs.create_cluster(clusterName="many")
    arns = sorted(register(ecs, "many")["containerInstanceArn"] for _ in range(12))
    got = []
    for page in ecs.get_paginator("list_container_instances").paginate(
            cluster="many", PaginationConfig={"PageSize": 5}):
        got += page["containerInstanceArns"]
    assert got == arns


def test_agent_timeout_marks_disconnected(tmp_path):
    srv = berth_proc.BerthServer(tmp_path / "d", tmp_path / "log", extra_args=["--agent-timeout", "1"])
    (tmp_path / "d").mkdir()
    srv.start()
    try:
        ecs = berth_proc.client(srv.endpoint)
        ecs.create_cluster(clusterName="quiet")
        arn = register(ecs, "quiet")["containerInstanceArn"]
        import time
        deadline = time.time() + 10
        while time.time() < deadline:
            ci = ecs.describe_container_instances(cluster="quiet", containerInstances=[arn])["containerInstances"][0]
            if not ci["agentConnected"]:
                break
            time.sleep(0.2)
        assert ci["agentConnected"] is False
        # A poll from the agent reconnects it.
        status, body = berth_proc.raw_call(srv.endpoint, "PollTasks",
                                           {"cluster": "quiet", "containerInstance": arn, "since": 0},
                                           target_prefix="BerthAgent_20261122")
        assert status == 200 and body["tasks"] == []
        ci = ecs.describe_container_instances(cluster="quiet", containerInstances=[arn])["containerInstances"][0]
        assert ci["agentConnected"] is True
    finally:
        srv.stop()


def test_poll_tasks_long_polls(ecs, server):
    import time
    ecs.create_cluster(clusterName="poll")
    arn = register(ecs, "poll")["containerInstanceArn"]
    t0 = time.time()
    status, body = berth_proc.raw_call(server.endpoint, "PollTasks",
                                       {"cluster": "poll", "containerInstance": arn, "since": 0, "waitSeconds": 1},
                                       target_prefix="BerthAgent_20261122")
    assert status == 200 and body["tasks"] == [] and body["since"] == 0
    assert time.time() - t0 >= 0.9
    status, body = berth_proc.raw_call(server.endpoint, "PollTasks", {"cluster": "poll", "since": "x"},
                                       target_prefix="BerthAgent_20261122")
    assert status == 400 and body["__type"] == "InvalidParameterException"


def test_list_filter_query_language(fresh_server):
    ecs = berth_proc.client(fresh_server.endpoint)
    ecs.create_cluster(clusterName="flt")
    small = register(ecs, "flt", az="us-east-1a",
                     attrs=[("ecs.instance-type", "t2.small"), ("team", "web")])["containerInstanceArn"]
    big = register(ecs, "flt", az="us-east-1b", attrs=[("ecs.instance-type", "m5.large")])["containerInstanceArn"]
    other = register(ecs, "flt", az="us-east-1c", attrs=[("ecs.instance-type", "t2.micro")])["containerInstanceArn"]

    def listed(expr, **kw):
        return set(ecs.list_container_instances(cluster="flt", filter=expr, **kw)["containerInstanceArns"])

    assert listed("attribute:ecs.instance-type == t2.small") == {small}
    assert listed("attribute:ecs.instance-type =~ t2.*") == {small, other}
    assert listed("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]") == {small, big}
    assert listed("attribute:team exists") == {small}
    assert listed("not (attribute:team exists) and attribute:ecs.instance-type != m5.large") == {other}
    assert listed("runningTasksCount == 0") == {small, big, other}
    assert listed("agentConnected == true") == {small, big, other}
    # A filtered listing pages too.
    page = ecs.list_container_instances(cluster="flt", filter="attribute:ecs.os-type == linux or "
                                        "attribute:ecs.availability-zone exists", maxResults=2)
    assert len(page["containerInstanceArns"]) == 2 and page["nextToken"]
    rest = ecs.list_container_instances(cluster="flt", filter="attribute:ecs.availability-zone exists",
                                        nextToken=page["nextToken"])
    assert len(rest["containerInstanceArns"]) == 1
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_container_instances(cluster="flt", filter="attribute:x ==")
    assert err_code(e) == "InvalidParameterException" and "position" in e.value.response["Error"]["Message"]


def test_register_resource_without_name(fresh_server):
    """Resource.name is optional in the model: a resource without one is a
    400, not a crash while looking for CPU and MEMORY."""
    ecs = berth_proc.client(fresh_server.endpoint)
    ecs.create_cluster(clusterName="noname")
    for res in ([{"type": "INTEGER", "integerValue": 5}],
                [{"name": "CPU", "type": "INTEGER", "integerValue": 1024}, {"type": "INTEGER"}]):
        status, body = berth_proc.raw_call(fresh_server.endpoint, "RegisterContainerInstance",
                                           {"cluster": "noname", "totalResources": res})
        assert status == 400 and body["__type"] == "InvalidParameterException", body
    assert ecs.list_container_instances(cluster="noname")["containerInstanceArns"] == []
    assert register(ecs, "noname")["status"] == "ACTIVE"
