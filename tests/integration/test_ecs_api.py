"""The ECS API's exactness against ECS's documented behaviour, with boto3
and hollow agents: empty lists, failures, tags, defaults echoed;
service deployments and revisions; capacity providers."""
import json
import os
import subprocess

import botocore.exceptions
from botocore.credentials import Credentials
import pytest

import berth_proc
from berth_proc import err_code, err_msg

CLUSTER = "api"
PREFIX = "arn:aws:ecs:us-east-1:000000000000:"


def taskdef(family="web", **extra):
    c = {"name": "app", "image": "busybox", "memory": 128, "cpu": 128, "essential": True}
    return dict({"family": family, "containerDefinitions": [c]}, **extra)


@pytest.fixture(scope="module")
def env(server, tmp_path_factory):
    """The module's server with one hollow agent of two instances in CLUSTER."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(**taskdef())
    d = tmp_path_factory.mktemp("agents")
    agent = berth_proc.BerthAgent(server.endpoint, CLUSTER, d / "a", d / "a.log", hollow=2,
                                  extra_args=["--hollow-cpu", "4096", "--hollow-memory", "4096"]).start()
    berth_proc.wait_for(lambda: len(ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"]) >= 2,
                        what="two hollow instances")
    yield ecs
    agent.stop()


def call(ecs, action, body, want=200):
    """A raw JSON call (Debian's boto3 predates the newer operations)."""
    status, out = berth_proc.raw_call(ecs.meta.endpoint_url, action, body)
    assert status == want, out
    return out


def raises(fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    return err_code(e), err_msg(e)


# -- exactness ---------------------------------------------------------------

def test_empty_lists_are_refused_in_ecs_words(env):
    assert raises(env.describe_tasks, cluster=CLUSTER, tasks=[]) == (
        "InvalidParameterException", "Tasks cannot be empty.")
    assert raises(env.describe_services, cluster=CLUSTER, services=[]) == (
        "InvalidParameterException", "Services cannot be empty.")
    assert raises(env.describe_container_instances, cluster=CLUSTER, containerInstances=[]) == (
        "ClientException", "Container Instances cannot be empty.")
    assert raises(env.start_task, cluster=CLUSTER, taskDefinition="web", containerInstances=[]) == (
        "ClientException", "Container Instances cannot be empty.")
    # StartTask checks the cluster before anything else.
    assert raises(env.start_task, cluster="ghost", taskDefinition="web", containerInstances=["x"]) == (
        "ClusterNotFoundException", "Cluster not found.")
    # ... and does not make a missing default cluster (its instances could not be in one).
    assert env.describe_clusters(clusters=["default"])["failures"][0]["reason"] == "MISSING"
    assert raises(env.start_task, taskDefinition="web", containerInstances=["x"]) == (
        "ClusterNotFoundException", "Cluster not found.")
    assert env.describe_clusters(clusters=["default"])["failures"][0]["reason"] == "MISSING"


def test_missing_references_are_named_as_ecs_names_them(env):
    # A bare name or id comes back without its cluster; an ARN as given.
    given = PREFIX + "service/%s/gone" % CLUSTER
    out = env.describe_services(cluster=CLUSTER, services=["nope", given])
    assert out["services"] == []
    assert out["failures"] == [{"arn": PREFIX + "service/nope", "reason": "MISSING"},
                               {"arn": given, "reason": "MISSING"}]
    tid = "0" * 32
    out = env.describe_tasks(cluster=CLUSTER, tasks=[tid])
    assert out["failures"] == [{"arn": PREFIX + "task/" + tid, "reason": "MISSING"}]
    out = env.describe_container_instances(cluster=CLUSTER, containerInstances=[tid])
    assert out["failures"] == [{"arn": PREFIX + "container-instance/" + tid, "reason": "MISSING"}]


def test_tags_absent_when_none_and_returned_on_create(env):
    c = env.describe_clusters(clusters=[CLUSTER], include=["TAGS"])["clusters"][0]
    assert "tags" not in c
    env.create_cluster(clusterName="tagged-api", tags=[{"key": "k", "value": "v"}])
    c = env.describe_clusters(clusters=["tagged-api"], include=["TAGS"])["clusters"][0]
    assert c["tags"] == [{"key": "k", "value": "v"}]

    s = env.create_service(cluster=CLUSTER, serviceName="tagged", taskDefinition="web", desiredCount=0,
                           tags=[{"key": "team", "value": "core"}])["service"]
    assert s["tags"] == [{"key": "team", "value": "core"}]
    plain = env.create_service(cluster=CLUSTER, serviceName="untagged", taskDefinition="web",
                               desiredCount=0)["service"]
    assert "tags" not in plain
    d = env.describe_services(cluster=CLUSTER, services=["untagged"], include=["TAGS"])["services"][0]
    assert "tags" not in d

    t = env.run_task(cluster=CLUSTER, taskDefinition="web", tags=[{"key": "run", "value": "1"}])["tasks"][0]
    assert t["tags"] == [{"key": "run", "value": "1"}]
    t2 = env.run_task(cluster=CLUSTER, taskDefinition="web")["tasks"][0]
    assert "tags" not in t2
    d = env.describe_tasks(cluster=CLUSTER, tasks=[t2["taskArn"]], include=["TAGS"])["tasks"][0]
    assert "tags" not in d
    for task in (t, t2):
        env.stop_task(cluster=CLUSTER, task=task["taskArn"])
    for name in ("tagged", "untagged"):
        env.delete_service(cluster=CLUSTER, service=name)


def test_taskdef_defaults_echoed(env):
    td = env.register_task_definition(
        **taskdef("efs-api", volumes=[{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1234"}}]))
    assert td["taskDefinition"]["networkMode"] == "bridge"
    assert td["taskDefinition"]["volumes"] == [
        {"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1234", "rootDirectory": "/"}}]
    assert "tags" not in td
    got = env.describe_task_definition(taskDefinition="efs-api")["taskDefinition"]
    assert got["networkMode"] == "bridge" and got["volumes"][0]["efsVolumeConfiguration"]["rootDirectory"] == "/"


def test_delete_task_definitions_in_ecs_words(env):
    env.register_task_definition(**taskdef("del-api"))
    out = call(env, "DeleteTaskDefinitions", {"taskDefinitions": ["del-api:1", "del-api:7", "del-api"]})
    assert out["taskDefinitions"] == []
    assert out["failures"] == [
        {"arn": "del-api:1", "reason": "The specified task definition is still in ACTIVE status. "
                                       "Please deregister the target and try again."},
        {"arn": "del-api:7", "reason": "The specified task definition does not exist. "
                                       "Specify a valid account, family, revision and try again."},
        {"arn": "del-api", "reason": "The specified task definition identifier is invalid. "
                                     "Specify a valid name or ARN and try again."},
    ]
    assert call(env, "DeleteTaskDefinitions", {"taskDefinitions": []}, 400) == {
        "__type": "InvalidParameterException",
        "message": "size of TaskDefinition references list must be greater than 0"}


# -- service deployments and revisions ------------------------------------

DEP_CLUSTER = "deps"


@pytest.fixture(scope="module")
def deps(server, tmp_path_factory):
    """A cluster whose two hollow instances crash every task of dep-web:2."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName=DEP_CLUSTER)
    ecs.register_task_definition(**taskdef("dep-web"))
    ecs.register_task_definition(**taskdef("dep-web"))
    d = tmp_path_factory.mktemp("dep-agents")
    agent = berth_proc.BerthAgent(server.endpoint, DEP_CLUSTER, d / "a", d / "a.log", hollow=2,
                                  extra_args=["--hollow-cpu", "4096", "--hollow-memory", "4096",
                                              "--hollow-fail-family", "dep-web:2"]).start()
    berth_proc.wait_for(lambda: len(ecs.list_container_instances(cluster=DEP_CLUSTER)["containerInstanceArns"]) >= 2,
                        what="two hollow instances")
    yield ecs
    agent.stop()


def svc(ecs, name):
    return ecs.describe_services(cluster=DEP_CLUSTER, services=[name])["services"][0]


def wait_rollout(ecs, name, state, timeout=60):
    def done():
        s = svc(ecs, name)
        p = s["deployments"][0]
        return s if p["rolloutState"] == state and len(s["deployments"]) == 1 else None
    return berth_proc.wait_for(done, timeout=timeout, what="%s's deployment %s" % (name, state))


def deployments(ecs, name, **extra):
    return call(ecs, "ListServiceDeployments", dict({"cluster": DEP_CLUSTER, "service": name}, **extra))


def describe_deployments(ecs, arns):
    return call(ecs, "DescribeServiceDeployments", {"serviceDeploymentArns": arns})


def test_every_deployment_kept_through_a_rollback(deps):
    ecs = deps
    ecs.create_service(cluster=DEP_CLUSTER, serviceName="kept", taskDefinition="dep-web:1", desiredCount=2,
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    wait_rollout(ecs, "kept", "COMPLETED")
    [first] = deployments(ecs, "kept")["serviceDeployments"]
    service_arn = PREFIX + "service/%s/kept" % DEP_CLUSTER
    assert first["status"] == "SUCCESSFUL" and first["serviceArn"] == service_arn
    assert first["serviceDeploymentArn"].startswith(PREFIX + "service-deployment/%s/kept/" % DEP_CLUSTER)
    assert first["targetServiceRevisionArn"].startswith(PREFIX + "service-revision/%s/kept/" % DEP_CLUSTER)
    assert first["clusterArn"] == PREFIX + "cluster/" + DEP_CLUSTER and "finishedAt" in first

    # dep-web:2 crashes: the breaker trips and rolls back to dep-web:1.
    ecs.update_service(cluster=DEP_CLUSTER, service="kept", taskDefinition="dep-web:2")
    berth_proc.wait_for(lambda: deployments(ecs, "kept", status=["ROLLBACK_SUCCESSFUL"])["serviceDeployments"],
                        timeout=90, what="the rollback to complete")
    listed = deployments(ecs, "kept")["serviceDeployments"]
    # The failed deployment did not vanish: newest first, with its status.
    assert [d["status"] for d in listed] == ["ROLLBACK_SUCCESSFUL", "SUCCESSFUL"]
    assert listed[1] == first
    [failed] = describe_deployments(ecs, [listed[0]["serviceDeploymentArn"]])["serviceDeployments"]
    assert failed["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert failed["deploymentCircuitBreaker"]["failureCount"] >= failed["deploymentCircuitBreaker"]["threshold"] == 3
    assert failed["rollback"]["serviceRevisionArn"] == first["targetServiceRevisionArn"]
    assert failed["rollback"]["reason"].startswith("ECS deployment circuit breaker: rolling back to deploymentId")
    assert [s["arn"] for s in failed["sourceServiceRevisions"]] == [first["targetServiceRevisionArn"]]
    assert failed["targetServiceRevision"]["requestedTaskCount"] == 2
    assert failed["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}

    revs = call(ecs, "DescribeServiceRevisions", {"serviceRevisionArns": [
        first["targetServiceRevisionArn"], failed["targetServiceRevision"]["arn"], first["serviceDeploymentArn"]]})
    assert [r["taskDefinition"] for r in revs["serviceRevisions"]] == [
        PREFIX + "task-definition/dep-web:1", PREFIX + "task-definition/dep-web:2"]
    assert all(r["serviceArn"] == service_arn and r["launchType"] == "EC2" for r in revs["serviceRevisions"])
    # A deployment's ARN names no revision.
    assert revs["failures"] == [{"arn": first["serviceDeploymentArn"], "reason": "MISSING"}]

    # Filters and pages.
    assert [d["status"] for d in deployments(ecs, "kept", status=["SUCCESSFUL"])["serviceDeployments"]] == [
        "SUCCESSFUL"]
    page = deployments(ecs, "kept", maxResults=1)
    assert len(page["serviceDeployments"]) == 1 and page["nextToken"]
    rest = deployments(ecs, "kept", maxResults=1, nextToken=page["nextToken"])
    assert rest["serviceDeployments"] == [first] and "nextToken" not in rest
    assert deployments(ecs, "kept", createdAt={"before": 1})["serviceDeployments"] == []

    # A finished deployment cannot be stopped.
    out = call(ecs, "StopServiceDeployment", {"serviceDeploymentArn": first["serviceDeploymentArn"]}, 400)
    assert out["__type"] == "ConflictException"
    ecs.update_service(cluster=DEP_CLUSTER, service="kept", desiredCount=0)
    ecs.delete_service(cluster=DEP_CLUSTER, service="kept")


def test_stop_service_deployment_rolls_back(deps):
    ecs = deps
    ecs.create_service(cluster=DEP_CLUSTER, serviceName="stopme", taskDefinition="dep-web:1", desiredCount=1)
    wait_rollout(ecs, "stopme", "COMPLETED")
    # No breaker: the crashing revision stays IN_PROGRESS, backing off.
    ecs.update_service(cluster=DEP_CLUSTER, service="stopme", taskDefinition="dep-web:2")
    current = deployments(ecs, "stopme")["serviceDeployments"][0]
    assert current["status"] == "IN_PROGRESS" and "finishedAt" not in current
    arn = current["serviceDeploymentArn"]

    out = call(ecs, "StopServiceDeployment", {"serviceDeploymentArn": arn, "stopType": "ABORT"}, 400)
    assert out["__type"] == "UnsupportedFeatureException"
    out = call(ecs, "StopServiceDeployment", {"serviceDeploymentArn": arn + "x"}, 400)
    assert out["__type"] == "ServiceDeploymentNotFoundException"

    assert call(ecs, "StopServiceDeployment", {"serviceDeploymentArn": arn, "stopType": "ROLLBACK"}) == {
        "serviceDeploymentArn": arn}
    [d] = describe_deployments(ecs, [arn])["serviceDeployments"]
    assert d["status"] in ("ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL")
    assert d["rollback"]["serviceRevisionArn"] == deployments(ecs, "stopme")["serviceDeployments"][1][
        "targetServiceRevisionArn"]
    s = wait_rollout(ecs, "stopme", "COMPLETED")
    assert s["taskDefinition"] == PREFIX + "task-definition/dep-web:1"
    berth_proc.wait_for(lambda: describe_deployments(ecs, [arn])["serviceDeployments"][0]["status"] ==
                        "ROLLBACK_SUCCESSFUL", what="ROLLBACK_SUCCESSFUL")
    # Stopping it again is a conflict.
    assert call(ecs, "StopServiceDeployment", {"serviceDeploymentArn": arn}, 400)["__type"] == "ConflictException"
    ecs.update_service(cluster=DEP_CLUSTER, service="stopme", desiredCount=0)
    ecs.delete_service(cluster=DEP_CLUSTER, service="stopme")


def test_service_deployments_bad_input(deps):
    ecs = deps
    for action, member in (("DescribeServiceDeployments", "serviceDeploymentArns"),
                           ("DescribeServiceRevisions", "serviceRevisionArns")):
        out = call(ecs, action, {member: []}, 400)
        assert out["__type"] == "InvalidParameterException"
        out = call(ecs, action, {member: ["arn:%d" % i for i in range(21)]}, 400)
        assert out["__type"] == "InvalidParameterException"
        out = call(ecs, action, {member: ["nope"]})
        assert out["failures"] == [{"arn": "nope", "reason": "MISSING"}]
    out = call(ecs, "ListServiceDeployments", {"cluster": DEP_CLUSTER, "service": "ghost"}, 400)
    assert out["__type"] == "ServiceNotFoundException"
    out = call(ecs, "ListServiceDeployments", {"cluster": "ghost", "service": "x"}, 400)
    assert out["__type"] == "ClusterNotFoundException"
    out = call(ecs, "ListServiceDeployments", {"cluster": DEP_CLUSTER, "service": "x", "status": ["BOGUS"]}, 400)
    assert out["__type"] == "InvalidParameterException"


# -- capacity providers ----------------------------------------------------

CP_CLUSTER = "pools"
ASG = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1234:autoScalingGroupName/%s"


@pytest.fixture(scope="module")
def pools(server, tmp_path_factory):
    """A cluster with two pools of hollow instances: 'small' (2) and 'big' (2)."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName=CP_CLUSTER)
    ecs.register_task_definition(**taskdef("cp-web"))
    d = tmp_path_factory.mktemp("pool-agents")
    agents = [berth_proc.BerthAgent(server.endpoint, CP_CLUSTER, d / name, d / (name + ".log"), hollow=2,
                                    extra_args=["--hollow-cpu", "4096", "--hollow-memory", "4096",
                                                "--capacity-provider", name]).start()
              for name in ("small", "big")]
    berth_proc.wait_for(lambda: len(ecs.list_container_instances(cluster=CP_CLUSTER)["containerInstanceArns"]) >= 4,
                        what="four hollow instances")
    yield ecs
    for a in agents:
        a.stop()


def pool_of(ecs, instance_arn):
    ci = ecs.describe_container_instances(cluster=CP_CLUSTER, containerInstances=[instance_arn])["containerInstances"][0]
    attrs = {a["name"]: a.get("value") for a in ci["attributes"]}
    assert ci["capacityProviderName"] == attrs["berth.capacity-provider"]
    return ci["capacityProviderName"]


def test_capacity_provider_lifecycle(pools):
    ecs = pools
    made = ecs.create_capacity_provider(
        name="small", tags=[{"key": "pool", "value": "s"}],
        autoScalingGroupProvider={"autoScalingGroupArn": ASG % "small",
                                  "managedScaling": {"status": "ENABLED", "targetCapacity": 80}})["capacityProvider"]
    assert made["capacityProviderArn"] == PREFIX + "capacity-provider/small"
    assert made["status"] == "ACTIVE" and made["updateStatus"] == "CREATE_COMPLETE"
    # ECS's documented defaults fill what the request left out.
    assert made["autoScalingGroupProvider"]["managedScaling"] == {
        "status": "ENABLED", "targetCapacity": 80, "minimumScalingStepSize": 1, "maximumScalingStepSize": 10000,
        "instanceWarmupPeriod": 300}
    assert made["autoScalingGroupProvider"]["managedTerminationProtection"] == "DISABLED"
    assert made["tags"] == [{"key": "pool", "value": "s"}]
    ecs.create_capacity_provider(name="big", autoScalingGroupProvider={"autoScalingGroupArn": ASG % "big"})
    ecs.create_capacity_provider(name="spare", autoScalingGroupProvider={"autoScalingGroupArn": ASG % "spare"})
    for bad in ("ecs-pool", "fargate", "aws1", "has space"):
        code, _ = raises(ecs.create_capacity_provider, name=bad,
                         autoScalingGroupProvider={"autoScalingGroupArn": ASG % "x"})
        assert code == "InvalidParameterException", bad
    assert raises(ecs.create_capacity_provider, name="big",
                  autoScalingGroupProvider={"autoScalingGroupArn": ASG % "big"})[0] == "ClientException"

    up = ecs.update_capacity_provider(name="big", autoScalingGroupProvider={
        "managedTerminationProtection": "ENABLED"})["capacityProvider"]
    # (Debian's botocore predates managedDraining and drops it.)
    asg = {k: v for k, v in up["autoScalingGroupProvider"].items() if k != "managedDraining"}
    assert asg == {"autoScalingGroupArn": ASG % "big", "managedTerminationProtection": "ENABLED"}
    assert up["updateStatus"] == "UPDATE_COMPLETE"
    up = ecs.update_capacity_provider(name="big", autoScalingGroupProvider={
        "managedScaling": {"status": "ENABLED", "instanceWarmupPeriod": 0}})["capacityProvider"]
    assert up["autoScalingGroupProvider"]["managedScaling"] == {
        "status": "ENABLED", "instanceWarmupPeriod": 0, "targetCapacity": 100, "minimumScalingStepSize": 1,
        "maximumScalingStepSize": 10000}

    out = ecs.describe_capacity_providers(capacityProviders=["small", PREFIX + "capacity-provider/big", "ghost"])
    assert [p["name"] for p in out["capacityProviders"]] == ["small", "big"]
    assert "tags" not in out["capacityProviders"][0]
    assert out["failures"] == [{"arn": PREFIX + "capacity-provider/ghost", "reason": "MISSING"}]
    tagged = ecs.describe_capacity_providers(capacityProviders=["small"], include=["TAGS"])["capacityProviders"]
    assert tagged[0]["tags"] == [{"key": "pool", "value": "s"}]
    # Capacity providers take TagResource and its kin, as ECS's do.
    big_arn = PREFIX + "capacity-provider/big"
    ecs.tag_resource(resourceArn=big_arn, tags=[{"key": "team", "value": "b"}, {"key": "tier", "value": "1"}])
    ecs.untag_resource(resourceArn=big_arn, tagKeys=["tier"])
    assert ecs.list_tags_for_resource(resourceArn=big_arn)["tags"] == [{"key": "team", "value": "b"}]
    assert raises(ecs.tag_resource, resourceArn=PREFIX + "capacity-provider/ghost",
                  tags=[{"key": "k", "value": "v"}]) == ("ResourceNotFoundException",
                                                         "The specified resource is not found.")
    assert raises(ecs.tag_resource, resourceArn=PREFIX + "capacity-provider/FARGATE",
                  tags=[{"key": "k", "value": "v"}])[0] == "ResourceNotFoundException"
    page = ecs.describe_capacity_providers(maxResults=2)
    rest = ecs.describe_capacity_providers(maxResults=2, nextToken=page["nextToken"])
    assert [p["name"] for p in page["capacityProviders"] + rest["capacityProviders"]] == ["big", "small", "spare"]
    assert "nextToken" not in rest

    # Unknown providers are refused; known ones associated.
    code, msg = raises(ecs.put_cluster_capacity_providers, cluster=CP_CLUSTER, capacityProviders=["ghost"],
                       defaultCapacityProviderStrategy=[])
    assert code == "InvalidParameterException" and "ghost" in msg
    code, _ = raises(ecs.put_cluster_capacity_providers, cluster=CP_CLUSTER, capacityProviders=["small"],
                     defaultCapacityProviderStrategy=[{"capacityProvider": "big", "weight": 1}])
    assert code == "InvalidParameterException"
    c = ecs.put_cluster_capacity_providers(cluster=CP_CLUSTER, capacityProviders=["small", "big"],
                                           defaultCapacityProviderStrategy=[
                                               {"capacityProvider": "small", "weight": 1, "base": 1}])["cluster"]
    assert c["capacityProviders"] == ["small", "big"]
    # In use: not deleted.
    assert raises(ecs.delete_capacity_provider, capacityProvider="small")[0] == "InvalidParameterException"
    ecs.tag_resource(resourceArn=PREFIX + "capacity-provider/spare", tags=[{"key": "old", "value": "1"}])
    gone = ecs.delete_capacity_provider(capacityProvider="spare")["capacityProvider"]
    assert gone["status"] == "INACTIVE" and gone["updateStatus"] == "DELETE_COMPLETE"
    assert ecs.describe_capacity_providers(capacityProviders=["spare"])["failures"][0]["reason"] == "MISSING"
    # A provider made again under a deleted one's name starts without its tags.
    again = ecs.create_capacity_provider(name="spare", autoScalingGroupProvider={"autoScalingGroupArn": ASG % "spare"})
    assert "tags" not in again["capacityProvider"]
    assert ecs.list_tags_for_resource(resourceArn=PREFIX + "capacity-provider/spare")["tags"] == []
    ecs.delete_capacity_provider(capacityProvider="spare")


def test_strategy_splits_run_task_over_pools(pools):
    ecs = pools
    # (The providers and the cluster's association come from the test above.)
    out = ecs.run_task(cluster=CP_CLUSTER, taskDefinition="cp-web", count=8, capacityProviderStrategy=[
        {"capacityProvider": "small", "base": 2, "weight": 1},
        {"capacityProvider": "big", "weight": 2}])
    assert out["failures"] == []
    by_provider = {}
    for t in out["tasks"]:
        assert t["capacityProviderName"] == pool_of(ecs, t["containerInstanceArn"])
        by_provider[t["capacityProviderName"]] = by_provider.get(t["capacityProviderName"], 0) + 1
    # base 2 on small, then the other 6 at 1:2.
    assert by_provider == {"small": 4, "big": 4}
    # Without launchType nor strategy, the cluster's default (all to small).
    t = ecs.run_task(cluster=CP_CLUSTER, taskDefinition="cp-web", count=2)["tasks"]
    assert [x["capacityProviderName"] for x in t] == ["small", "small"]
    # launchType EC2 alone places anywhere, with no provider named.
    t = ecs.run_task(cluster=CP_CLUSTER, taskDefinition="cp-web", launchType="EC2")["tasks"][0]
    assert "capacityProviderName" not in t
    for task in out["tasks"]:
        ecs.stop_task(cluster=CP_CLUSTER, task=task["taskArn"])

    bad = [
        ([{"capacityProvider": "spare", "weight": 1}], "not associated with the cluster"),
        ([{"capacityProvider": "small", "base": 1, "weight": 1}, {"capacityProvider": "big", "base": 1, "weight": 1}],
         "Only one capacity provider in a strategy can have a base defined."),
        ([{"capacityProvider": "small", "weight": 0}],
         "At least one capacity provider in a strategy must have a weight greater than zero."),
    ]
    for strategy, msg in bad:
        code, got = raises(ecs.run_task, cluster=CP_CLUSTER, taskDefinition="cp-web", capacityProviderStrategy=strategy)
        assert code == "InvalidParameterException" and msg in got, (strategy, got)
    code, got = raises(ecs.run_task, cluster=CP_CLUSTER, taskDefinition="cp-web", launchType="EC2",
                       capacityProviderStrategy=[{"capacityProvider": "small", "weight": 1}])
    assert got == "Specifying both a launch type and capacity provider strategy is not supported."
    code, got = raises(ecs.create_service, cluster=CP_CLUSTER, serviceName="cp", taskDefinition="cp-web",
                       schedulingStrategy="DAEMON",
                       capacityProviderStrategy=[{"capacityProvider": "small", "weight": 1}])
    assert got == "The daemon scheduling strategy does not support capacity providers."


def provider_counts(ecs, service):
    arns = ecs.list_tasks(cluster=CP_CLUSTER, serviceName=service)["taskArns"]
    counts = {}
    for t in ecs.describe_tasks(cluster=CP_CLUSTER, tasks=arns)["tasks"] if arns else []:
        if t["desiredStatus"] == "RUNNING":
            counts[t["capacityProviderName"]] = counts.get(t["capacityProviderName"], 0) + 1
    return counts


def test_service_strategy_kept_by_the_scheduler(pools):
    ecs = pools
    strategy = [{"capacityProvider": "small", "base": 1, "weight": 1}, {"capacityProvider": "big", "weight": 1}]
    s = ecs.create_service(cluster=CP_CLUSTER, serviceName="split", taskDefinition="cp-web", desiredCount=6,
                           capacityProviderStrategy=strategy)["service"]
    want = [{"capacityProvider": "small", "base": 1, "weight": 1}, {"capacityProvider": "big", "base": 0, "weight": 1}]
    assert s["capacityProviderStrategy"] == want and "launchType" not in s
    assert s["deployments"][0]["capacityProviderStrategy"] == want
    # base 1 on small, the other 5 at 1:1 (the first provider takes the odd one).
    berth_proc.wait_for(lambda: provider_counts(ecs, "split") == {"small": 4, "big": 2},
                        what="6 tasks split 4:2 (%s)" % provider_counts(ecs, "split"))
    # Replacements go back where the split wants them.
    arns = ecs.list_tasks(cluster=CP_CLUSTER, serviceName="split")["taskArns"]
    big = [t["taskArn"] for t in ecs.describe_tasks(cluster=CP_CLUSTER, tasks=arns)["tasks"]
           if t["capacityProviderName"] == "big"]
    for arn in big:
        ecs.stop_task(cluster=CP_CLUSTER, task=arn)
    berth_proc.wait_for(lambda: provider_counts(ecs, "split") == {"small": 4, "big": 2},
                        what="the split restored (%s)" % provider_counts(ecs, "split"))
    # A new strategy is a new deployment: everything moves to big.
    ecs.update_service(cluster=CP_CLUSTER, service="split",
                       capacityProviderStrategy=[{"capacityProvider": "big", "weight": 1}])
    berth_proc.wait_for(lambda: provider_counts(ecs, "split") == {"big": 6}, timeout=60,
                        what="all on big (%s)" % provider_counts(ecs, "split"))
    deps = call(ecs, "ListServiceDeployments", {"cluster": CP_CLUSTER, "service": "split"})["serviceDeployments"]
    revs = call(ecs, "DescribeServiceRevisions", {"serviceRevisionArns": [
        d["targetServiceRevisionArn"] for d in deps]})["serviceRevisions"]
    assert [r["capacityProviderStrategy"][0]["capacityProvider"] for r in revs] == ["big", "small"]
    assert all("launchType" not in r for r in revs)
    ecs.update_service(cluster=CP_CLUSTER, service="split", desiredCount=0)
    ecs.delete_service(cluster=CP_CLUSTER, service="split")
    # Neither launchType nor a strategy: the cluster's default (small, from the lifecycle test).
    s = ecs.create_service(cluster=CP_CLUSTER, serviceName="by-default", taskDefinition="cp-web",
                           desiredCount=2)["service"]
    assert s["capacityProviderStrategy"] == [{"capacityProvider": "small", "base": 1, "weight": 1}]
    assert "launchType" not in s
    berth_proc.wait_for(lambda: provider_counts(ecs, "by-default") == {"small": 2},
                        what="both on small (%s)" % provider_counts(ecs, "by-default"))
    # launchType EC2 given: no strategy, and no provider on its tasks.
    s = ecs.create_service(cluster=CP_CLUSTER, serviceName="ec2-only", taskDefinition="cp-web", desiredCount=1,
                           launchType="EC2")["service"]
    assert s["launchType"] == "EC2" and "capacityProviderStrategy" not in s
    for name in ("by-default", "ec2-only"):
        ecs.update_service(cluster=CP_CLUSTER, service=name, desiredCount=0)
        ecs.delete_service(cluster=CP_CLUSTER, service=name)


# -- account settings ------------------------------------------------------

ROOT = "arn:aws:iam::000000000000:root"


def settings(ecs, **kw):
    return {s["name"]: s for s in ecs.list_account_settings(**kw)["settings"]}


def test_account_settings_effective_rules(server, ecs):
    iam = berth_proc.client(server.endpoint, service="iam")
    iam.create_user(UserName="settings-user")
    iam.put_user_policy(UserName="settings-user", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="settings-user")["AccessKey"]
    user = berth_proc.client(server.endpoint, key=Credentials(k["AccessKeyId"], k["SecretAccessKey"]))
    user_arn = "arn:aws:iam::000000000000:user/settings-user"

    # Nothing set: ECS's defaults, effective only.
    assert ecs.list_account_settings()["settings"] == []
    eff = settings(user, effectiveSettings=True)
    assert eff["containerInsights"] == {"name": "containerInsights", "value": "disabled", "principalArn": user_arn}
    # (Debian's botocore predates `type`: read it raw.)
    raw = call(ecs, "ListAccountSettings", {"effectiveSettings": True, "name": "containerInsights"})
    assert raw["settings"] == [{"name": "containerInsights", "value": "disabled", "principalArn": ROOT,
                                "type": "aws_managed"}]
    assert eff["taskLongArnFormat"]["value"] == "enabled"

    # The account default (root) applies to the user until the user sets its own.
    d = ecs.put_account_setting_default(name="containerInsights", value="enabled")["setting"]
    assert d == {"name": "containerInsights", "value": "enabled", "principalArn": ROOT}
    assert call(ecs, "ListAccountSettings", {"name": "containerInsights"})["settings"][0]["type"] == "user"
    assert settings(user, effectiveSettings=True)["containerInsights"]["principalArn"] == ROOT
    assert user.create_cluster(clusterName="insights-default")["cluster"]["settings"] == [
        {"name": "containerInsights", "value": "enabled"}]
    own = user.put_account_setting(name="containerInsights", value="enhanced")["setting"]
    assert own == {"name": "containerInsights", "value": "enhanced", "principalArn": user_arn}
    assert settings(user, effectiveSettings=True)["containerInsights"]["value"] == "enhanced"
    assert settings(user) == {"containerInsights": own}
    assert settings(ecs, principalArn=user_arn, name="containerInsights") == {"containerInsights": own}
    assert user.create_cluster(clusterName="insights-own")["cluster"]["settings"][0]["value"] == "enhanced"
    # The root still gets the account default.
    assert ecs.create_cluster(clusterName="insights-root")["cluster"]["settings"][0]["value"] == "enabled"
    assert settings(user, effectiveSettings=True, value="enhanced").keys() == {"containerInsights"}

    gone = user.delete_account_setting(name="containerInsights")["setting"]
    assert gone["value"] == "enhanced" and gone["principalArn"] == user_arn
    assert settings(user, effectiveSettings=True)["containerInsights"]["value"] == "enabled"
    assert raises(user.delete_account_setting, name="containerInsights")[0] == "InvalidParameterException"
    ecs.delete_account_setting(name="containerInsights", principalArn=ROOT)

    page = ecs.list_account_settings(effectiveSettings=True, maxResults=3)
    rest = ecs.list_account_settings(effectiveSettings=True, maxResults=3, nextToken=page["nextToken"])
    assert len(page["settings"]) == 3 and len(rest["settings"]) == 1 and "nextToken" not in rest

    # What berth cannot honour is refused, not recorded.
    code, msg = raises(ecs.put_account_setting, name="serviceLongArnFormat", value="disabled")
    assert code == "InvalidParameterException" and "long ARN format" in msg
    assert ecs.put_account_setting(name="serviceLongArnFormat", value="enabled")["setting"]["value"] == "enabled"
    assert raises(ecs.put_account_setting, name="awsvpcTrunking", value="enabled")[0] == "UnsupportedFeatureException"
    assert raises(ecs.put_account_setting, name="containerInsights", value="on")[0] == "InvalidParameterException"
    assert raises(ecs.put_account_setting, name="containerInsights", value="enabled",
                  principalArn="arn:aws:iam::999999999999:user/x")[0] == "InvalidParameterException"


# -- every operation ---------------------------------------------------------

# What berth still refuses: exactly these (an operation implemented since
# leaves the set; the test fails until it does).
REFUSED = set()


def test_every_model_operation_is_served_or_refused_clearly(server, ecs):
    model = json.load(open(os.path.join(berth_proc.ROOT, "src", "server", "ecs", "model.json")))
    served, refused = [], set()
    for op in sorted(model["operations"]):
        status, out = berth_proc.raw_call(server.endpoint, op, {})
        assert status in (200, 400), (op, status, out)
        msg = out.get("message", "") if isinstance(out, dict) else ""
        if "berth does not implement" in msg:
            assert op in REFUSED, op
            refused.add(op)
            # ... operation X: why (the compatibility table's note).
            assert out["__type"] == "UnsupportedFeatureException" and ("operation %s: " % op) in msg, out
        else:
            served.append(op)
    assert refused == REFUSED, REFUSED - refused
    assert len(served) >= 50, served
    assert server.alive()


def test_update_container_agent_is_a_no_op(env):
    arn = env.list_container_instances(cluster=CLUSTER)["containerInstanceArns"][0]
    before = env.describe_container_instances(cluster=CLUSTER, containerInstances=[arn])["containerInstances"][0]
    ci = env.update_container_agent(cluster=CLUSTER, containerInstance=arn)["containerInstance"]
    assert ci["containerInstanceArn"] == arn and ci["versionInfo"] == before["versionInfo"]
    assert ci["status"] == "ACTIVE"
    assert raises(env.update_container_agent, cluster=CLUSTER, containerInstance="0" * 32)[0] == (
        "InvalidParameterException")


# -- Fargate ----------------------------------------------------------------

FG_CLUSTER = "fg"
NET = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}


@pytest.fixture(scope="module")
def fargate(server, tmp_path_factory):
    """One hollow --fargate instance and one ordinary instance."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName=FG_CLUSTER)
    ecs.register_task_definition(family="fg-app", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                                 cpu="256", memory="512",
                                 containerDefinitions=[{"name": "app", "image": "busybox", "essential": True}])
    ecs.register_task_definition(**taskdef("fg-ec2"))
    d = tmp_path_factory.mktemp("fg-agents")
    agents = [berth_proc.BerthAgent(server.endpoint, FG_CLUSTER, d / name, d / (name + ".log"), hollow=1,
                                    extra_args=["--hollow-cpu", "4096", "--hollow-memory", "4096"] + extra).start()
              for name, extra in (("fargate", ["--fargate"]), ("ec2", []))]
    arns = berth_proc.wait_for(
        lambda: (lambda a: a if len(a) >= 2 else None)(
            ecs.list_container_instances(cluster=FG_CLUSTER)["containerInstanceArns"]), what="two instances")
    cis = ecs.describe_container_instances(cluster=FG_CLUSTER, containerInstances=arns)["containerInstances"]
    fg = [c["containerInstanceArn"] for c in cis
          if {"name": "berth.fargate", "value": "true"} in c["attributes"]]
    assert len(fg) == 1
    yield ecs, fg[0]
    for a in agents:
        a.stop()


def test_fargate_tasks_run_on_fargate_agents_in_fargate_shape(fargate):
    ecs, fg_instance = fargate
    out = ecs.run_task(cluster=FG_CLUSTER, taskDefinition="fg-app", launchType="FARGATE", count=2,
                       networkConfiguration=NET, platformVersion="LATEST")
    assert out["failures"] == [] and len(out["tasks"]) == 2
    for t in out["tasks"]:
        assert t["launchType"] == "FARGATE" and t["platformVersion"] == "1.4.0"
        assert t["platformFamily"] == "Linux" and t["ephemeralStorage"] == {"sizeInGiB": 20}
        assert "containerInstanceArn" not in t
    d = ecs.describe_tasks(cluster=FG_CLUSTER, tasks=[t["taskArn"] for t in out["tasks"]])["tasks"]
    assert all("containerInstanceArn" not in t and t["platformVersion"] == "1.4.0" for t in d)
    on_fg = ecs.list_tasks(cluster=FG_CLUSTER, containerInstance=fg_instance)["taskArns"]
    assert sorted(on_fg) == sorted(t["taskArn"] for t in out["tasks"])
    # EC2 tasks never land on Fargate capacity.
    ec2 = ecs.run_task(cluster=FG_CLUSTER, taskDefinition="fg-ec2", count=4)["tasks"]
    assert len(ec2) == 4 and all(t["containerInstanceArn"] != fg_instance for t in ec2)

    def stats():
        c = ecs.describe_clusters(clusters=[FG_CLUSTER], include=["STATISTICS"])["clusters"][0]
        s = {x["name"]: int(x["value"]) for x in c["statistics"]}
        return s if s["runningFargateTasksCount"] == 2 and s["runningEC2TasksCount"] == 4 else None
    berth_proc.wait_for(stats, what="the cluster's statistics to count 2 Fargate and 4 EC2 tasks")
    for t in out["tasks"] + ec2:
        ecs.stop_task(cluster=FG_CLUSTER, task=t["taskArn"])


def test_fargate_validation(fargate):
    ecs, _ = fargate
    code, msg = raises(ecs.run_task, cluster=FG_CLUSTER, taskDefinition="fg-ec2", launchType="FARGATE")
    assert (code, msg) == ("InvalidParameterException", "Task definition does not support launch_type FARGATE.")
    assert raises(ecs.run_task, cluster=FG_CLUSTER, taskDefinition="fg-app", launchType="FARGATE",
                  networkConfiguration=NET, platformVersion="1.3.0")[0] == "PlatformUnknownException"
    assert raises(ecs.run_task, cluster=FG_CLUSTER, taskDefinition="fg-ec2", launchType="EC2",
                  platformVersion="LATEST")[0] == "InvalidParameterException"
    assert raises(ecs.run_task, cluster=FG_CLUSTER, taskDefinition="fg-app",
                  launchType="FARGATE")[0] == "InvalidParameterException"  # awsvpc needs a network configuration
    # A Fargate definition refuses what Fargate refuses.
    for bad in ({"pidMode": "host"}, {"ipcMode": "task"},
                {"containerDefinitions": [{"name": "a", "image": "busybox", "privileged": True}]},
                {"cpu": "256", "memory": "4096"}):
        kw = dict({"family": "fg-bad", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
                   "cpu": "256", "memory": "512", "containerDefinitions": [{"name": "a", "image": "busybox"}]},
                  **bad)
        assert raises(ecs.register_task_definition, **kw)[0] == "ClientException", bad
    kw = {"family": "fg-bad", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256",
          "memory": "512", "pidMode": "host", "containerDefinitions": [{"name": "a", "image": "busybox"}]}
    assert raises(ecs.register_task_definition, **kw)[1] == (
        "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.")


def test_fargate_service(fargate, tmp_path):
    ecs, fg_instance = fargate
    s = ecs.create_service(cluster=FG_CLUSTER, serviceName="fg-svc", taskDefinition="fg-app", desiredCount=2,
                           launchType="FARGATE", networkConfiguration=NET)["service"]
    assert s["launchType"] == "FARGATE" and s["platformVersion"] == "LATEST" and s["platformFamily"] == "Linux"
    berth_proc.wait_for(lambda: len(ecs.list_tasks(cluster=FG_CLUSTER, serviceName="fg-svc")["taskArns"]) == 2,
                        what="two service tasks")
    arns = ecs.list_tasks(cluster=FG_CLUSTER, serviceName="fg-svc")["taskArns"]
    assert sorted(arns) == sorted(ecs.list_tasks(cluster=FG_CLUSTER, containerInstance=fg_instance)["taskArns"])
    tasks = ecs.describe_tasks(cluster=FG_CLUSTER, tasks=arns)["tasks"]
    assert all(t["launchType"] == "FARGATE" and t["platformVersion"] == "1.4.0" for t in tasks)
    assert raises(ecs.update_service, cluster=FG_CLUSTER, service="fg-svc", taskDefinition="fg-ec2") == (
        "InvalidParameterException", "Task definition does not support launch_type FARGATE.")
    ecs.update_service(cluster=FG_CLUSTER, service="fg-svc", desiredCount=0)
    ecs.delete_service(cluster=FG_CLUSTER, service="fg-svc")
    # A Fargate agent never gets host access.
    agent = berth_proc.BerthAgent("http://127.0.0.1:1", FG_CLUSTER, tmp_path / "x", tmp_path / "x.log",
                                  extra_args=["--fargate", "--allow-privileged"]).start()
    assert agent.proc.wait(timeout=20) == 2


def test_fargate_capacity_provider(fargate):
    ecs, fg_instance = fargate
    [fg] = ecs.describe_capacity_providers(capacityProviders=["FARGATE"])["capacityProviders"]
    assert fg["name"] == "FARGATE" and fg["status"] == "ACTIVE"
    # FARGATE_SPOT is built in too (test_fargate_spot.py interrupts it).
    [spot] = ecs.describe_capacity_providers(capacityProviders=["FARGATE_SPOT"])["capacityProviders"]
    assert spot["name"] == "FARGATE_SPOT" and spot["status"] == "ACTIVE"
    assert raises(ecs.put_cluster_capacity_providers, cluster=FG_CLUSTER, capacityProviders=["no-such-pool"],
                  defaultCapacityProviderStrategy=[])[0] == "InvalidParameterException"
    assert raises(ecs.delete_capacity_provider, capacityProvider="FARGATE")[0] == "InvalidParameterException"
    ecs.put_cluster_capacity_providers(cluster=FG_CLUSTER, capacityProviders=["FARGATE"],
                                       defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
    # No launchType: the cluster's default strategy, FARGATE, makes Fargate tasks.
    out = ecs.run_task(cluster=FG_CLUSTER, taskDefinition="fg-app", networkConfiguration=NET, count=2)
    assert out["failures"] == [] and len(out["tasks"]) == 2
    for t in out["tasks"]:
        assert t["capacityProviderName"] == "FARGATE" and t["launchType"] == "FARGATE"
        assert t["platformVersion"] == "1.4.0" and "containerInstanceArn" not in t
    assert sorted(ecs.list_tasks(cluster=FG_CLUSTER, containerInstance=fg_instance)["taskArns"]) == sorted(
        t["taskArn"] for t in out["tasks"])
    for t in out["tasks"]:
        ecs.stop_task(cluster=FG_CLUSTER, task=t["taskArn"])
    # A service on the FARGATE provider.
    s = ecs.create_service(cluster=FG_CLUSTER, serviceName="fg-cp", taskDefinition="fg-app", desiredCount=1,
                           networkConfiguration=NET)["service"]
    assert s["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE" and "launchType" not in s
    berth_proc.wait_for(lambda: ecs.list_tasks(cluster=FG_CLUSTER, serviceName="fg-cp")["taskArns"],
                        what="the service's task")
    arn = ecs.list_tasks(cluster=FG_CLUSTER, serviceName="fg-cp")["taskArns"][0]
    t = ecs.describe_tasks(cluster=FG_CLUSTER, tasks=[arn])["tasks"][0]
    assert t["launchType"] == "FARGATE" and t["capacityProviderName"] == "FARGATE"
    assert arn in ecs.list_tasks(cluster=FG_CLUSTER, containerInstance=fg_instance)["taskArns"]
    # On the FARGATE provider, a new definition must suit Fargate too ...
    assert raises(ecs.update_service, cluster=FG_CLUSTER, service="fg-cp", taskDefinition="fg-ec2") == (
        "InvalidParameterException", "Task definition does not support launch_type FARGATE.")
    ecs.update_service(cluster=FG_CLUSTER, service="fg-cp", desiredCount=0)
    ecs.delete_service(cluster=FG_CLUSTER, service="fg-cp")
    # ... and so must the current one when a new strategy moves a service there.
    s = ecs.create_service(cluster=FG_CLUSTER, serviceName="fg-move", taskDefinition="fg-ec2", desiredCount=0,
                           launchType="EC2")["service"]
    assert s["launchType"] == "EC2" and "platformVersion" not in s
    assert raises(ecs.update_service, cluster=FG_CLUSTER, service="fg-move",
                  capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}]) == (
        "InvalidParameterException", "Task definition does not support launch_type FARGATE.")
    s = ecs.update_service(cluster=FG_CLUSTER, service="fg-move", taskDefinition="fg-app", networkConfiguration=NET,
                           capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])["service"]
    assert s["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE" and "launchType" not in s
    assert s["platformVersion"] == "LATEST"
    ecs.delete_service(cluster=FG_CLUSTER, service="fg-move")
    # A bridge definition cannot run there, and providers do not mix.
    assert raises(ecs.run_task, cluster=FG_CLUSTER, taskDefinition="fg-ec2")[1] == (
        "Task definition does not support launch_type FARGATE.")


def test_aws_cli_capacity_providers_and_account_settings(server, aws_env):
    def aws(*args):
        p = subprocess.run([berth_proc.AWS_V2, "ecs", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                           env=aws_env, capture_output=True, text=True, timeout=60)
        return p.returncode, json.loads(p.stdout) if p.stdout.strip() else {}, p.stderr

    rc, out, err = aws("create-capacity-provider", "--name", "cli-pool", "--auto-scaling-group-provider",
                       "autoScalingGroupArn=%s,managedTerminationProtection=DISABLED" % (ASG % "cli"))
    assert rc == 0, err
    assert out["capacityProvider"]["capacityProviderArn"] == PREFIX + "capacity-provider/cli-pool"
    rc, out, err = aws("describe-capacity-providers", "--capacity-providers", "cli-pool", "nope")
    assert rc == 0 and [p["name"] for p in out["capacityProviders"]] == ["cli-pool"], err
    assert out["failures"] == [{"arn": PREFIX + "capacity-provider/nope", "reason": "MISSING"}]
    rc, out, err = aws("delete-capacity-provider", "--capacity-provider", "cli-pool")
    assert rc == 0 and out["capacityProvider"]["status"] == "INACTIVE", err

    rc, out, err = aws("put-account-setting-default", "--name", "containerInsights", "--value", "enhanced")
    assert rc == 0 and out["setting"]["principalArn"] == ROOT, err
    rc, out, err = aws("list-account-settings", "--effective-settings", "--name", "containerInsights")
    assert rc == 0 and out["settings"][0]["value"] == "enhanced", err
    rc, _, err = aws("put-account-setting", "--name", "awsvpcTrunking", "--value", "enabled")
    assert rc != 0 and "UnsupportedFeatureException" in err
    rc, _, err = aws("delete-account-setting", "--name", "containerInsights", "--principal-arn", ROOT)
    assert rc == 0, err
