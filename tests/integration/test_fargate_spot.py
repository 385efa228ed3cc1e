"""FARGATE_SPOT: the built-in provider on `berth agent --fargate` capacity,
and `berth instance reclaim`, the operator's Spot interruption: the
instance's FARGATE_SPOT tasks get SIGTERM, are killed when the warning runs
out even though their stopTimeout is longer, stop with ECS's stop code and
reason, and their service replaces them; FARGATE tasks there are left
alone."""
import json
import subprocess

import pytest

import berth_proc
import stack as stackmod

NET = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
# Takes SIGTERM (the Spot warning) and exits 0 some seconds later: a
# warning shorter than that ends it with SIGKILL (exit 137) although its
# stopTimeout is longer; a user's StopTask lets it exit 0.
STUBBORN = "trap 'echo got-term; sleep 10; exit 0' TERM; echo up; while true; do sleep 1; done"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("spot"), cluster="spot", agent_args=["--fargate"])
    try:
        yield s
    finally:
        s.close()


def reclaim(stack, *args):
    p = subprocess.run([berth_proc.BERTH_BIN, "instance", "reclaim", *args, "--endpoint", stack.server.endpoint,
                        "--json"], env=berth_proc.client_env(), capture_output=True, text=True, timeout=60)
    return p.returncode, json.loads(p.stdout) if p.returncode == 0 else None, p.stderr


def service_tasks(stack, name):
    return stack.ecs.list_tasks(cluster=stack.cluster, serviceName=name)["taskArns"]


def test_spot_interruption_replaces_service_tasks(stack):
    ecs = stack.ecs
    ecs.register_task_definition(
        family="spot", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": stack.image, "essential": True, "stopTimeout": 110,
                               "command": ["sh", "-c", STUBBORN]}])
    ecs.put_cluster_capacity_providers(
        cluster=stack.cluster, capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}])
    [spot] = ecs.describe_capacity_providers(capacityProviders=["FARGATE_SPOT"])["capacityProviders"]
    assert spot["name"] == "FARGATE_SPOT" and spot["status"] == "ACTIVE"
    # A plain FARGATE task on the same agent, which a reclaim leaves alone.
    out = ecs.run_task(cluster=stack.cluster, taskDefinition="spot", networkConfiguration=NET,
                       capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
    assert out["failures"] == []
    ondemand = out["tasks"][0]["taskArn"]
    assert out["tasks"][0]["capacityProviderName"] == "FARGATE"
    # A service on the cluster's default strategy: FARGATE_SPOT.
    s = ecs.create_service(cluster=stack.cluster, serviceName="spot-svc", taskDefinition="spot", desiredCount=1,
                           networkConfiguration=NET)["service"]
    assert s["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE_SPOT"
    first = berth_proc.wait_for(lambda: service_tasks(stack, "spot-svc"), what="the service's task")[0]
    t = stack.wait_status(first, "RUNNING")
    assert t["capacityProviderName"] == "FARGATE_SPOT" and t["launchType"] == "FARGATE"
    stack.wait_status(ondemand, "RUNNING")
    berth_proc.wait_for(lambda: "up" in stack.stdout(first, "app"), what="the container's output")
    instance = ecs.list_container_instances(cluster=stack.cluster)["containerInstanceArns"][0]

    rc, out, err = reclaim(stack, instance.rsplit("/", 1)[1], "--cluster", stack.cluster, "--warning", "3s")
    assert rc == 0, err
    assert [t["taskArn"] for t in out["tasks"]] == [first] and out["warningSeconds"] == 3
    assert out["containerInstanceArn"] == instance

    t = stack.wait_status(first, "STOPPED", timeout=60)
    assert t["stopCode"] == "SpotInterruption" and t["stoppedReason"] == "Your Spot Task was interrupted."
    # SIGTERM first (the warning), then SIGKILL when it ran out.
    assert "got-term" in stack.stdout(first, "app")
    assert stack.container(t, "app")["exitCode"] == 137
    # The service replaces it on FARGATE_SPOT; the FARGATE task still runs.
    again = berth_proc.wait_for(lambda: [a for a in service_tasks(stack, "spot-svc") if a != first],
                                what="a replacement task")[0]
    t = stack.wait_status(again, "RUNNING")
    assert t["capacityProviderName"] == "FARGATE_SPOT"
    assert stack.describe(ondemand)["lastStatus"] == "RUNNING"

    ecs.update_service(cluster=stack.cluster, service="spot-svc", desiredCount=0)
    ecs.delete_service(cluster=stack.cluster, service="spot-svc")
    ecs.stop_task(cluster=stack.cluster, task=ondemand)
    for arn in (again, ondemand):
        t = stack.wait_status(arn, "STOPPED", timeout=90)
        assert t["stopCode"] != "SpotInterruption"
    # Without a warning cut short, the container ended on its own terms.
    assert stack.container(stack.describe(ondemand), "app")["exitCode"] == 0
    stackmod.assert_no_leftovers(stack.agent_dir, [first, again, ondemand])


def test_reclaim_refusals(stack):
    instance = stack.ecs.list_container_instances(cluster=stack.cluster)["containerInstanceArns"][0]
    for body, msg in (({"cluster": stack.cluster}, "containerInstance is required."),
                      ({"cluster": stack.cluster, "containerInstance": instance, "warningSeconds": 0},
                       "warningSeconds must be between 1 and 120."),
                      ({"cluster": stack.cluster, "containerInstance": instance, "warningSeconds": 121},
                       "warningSeconds must be between 1 and 120.")):
        status, out = berth_proc.raw_call(stack.server.endpoint, "ReclaimInstance", body,
                                          target_prefix=berth_proc.AGENT_TARGET)
        assert status == 400 and out["__type"] == "InvalidParameterException" and out["message"] == msg, out
    status, out = berth_proc.raw_call(stack.server.endpoint, "ReclaimInstance",
                                      {"cluster": stack.cluster, "containerInstance": "0" * 32},
                                      target_prefix=berth_proc.AGENT_TARGET)
    assert status == 400, out
    # An unsigned caller is not an operator.
    status, out = berth_proc.raw_call(stack.server.endpoint, "ReclaimInstance",
                                      {"cluster": stack.cluster, "containerInstance": instance},
                                      target_prefix=berth_proc.AGENT_TARGET, signed=False)
    assert status in (400, 403) and out["__type"] in ("MissingAuthenticationTokenException",
                                                      "AccessDeniedException", "IncompleteSignatureException"), out
    rc, _, err = reclaim(stack, "x", "--warning", "5m")
    assert rc != 0 and "--warning wants a duration from 1s to 2m" in err
