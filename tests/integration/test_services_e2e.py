"""A service on a real agent running real containers: steady state with a
container health check, a rolling update, a crashing revision that the
circuit breaker rolls back, and a forced delete that stops the containers."""
import time

import pytest

import berth_proc
import stack as stackmod


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("svc-e2e"))
    yield s
    s.close()


def service(stack, name):
    return stack.ecs.describe_services(cluster=stack.cluster, services=[name])["services"][0]


def tasks(stack, name, status="RUNNING"):
    arns = stack.ecs.list_tasks(cluster=stack.cluster, serviceName=name, desiredStatus=status)["taskArns"]
    return stack.ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"] if arns else []


def wait_steady(stack, name, timeout=90):
    def steady():
        s = service(stack, name)
        return s if (len(s["deployments"]) == 1 and s["runningCount"] == s["desiredCount"]
                     and s["deployments"][0]["rolloutState"] == "COMPLETED") else None
    return berth_proc.wait_for(steady, timeout=timeout, interval=0.5, what="%s steady" % name)


def test_service_with_real_containers(stack):
    health = {"command": ["CMD-SHELL", "true"], "interval": 5, "timeout": 2, "retries": 1}
    stack.register("svc", [{"name": "app", "command": ["sleep", "3600"], "healthCheck": health, "stopTimeout": 2}])
    stack.register("svc", [{"name": "app", "command": ["sleep", "3600"], "healthCheck": health, "stopTimeout": 2,
                            "environment": [{"name": "REV", "value": "2"}]}])
    stack.register("svc", [{"name": "app", "command": ["sh", "-c", "exit 3"]}])
    stack.ecs.create_service(cluster=stack.cluster, serviceName="web", taskDefinition="svc:1", desiredCount=2,
                             deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True,
                                                                                   "rollback": True}})
    svc = wait_steady(stack, "web")
    assert all(t["healthStatus"] == "HEALTHY" for t in tasks(stack, "web"))

    t0 = time.time()
    stack.ecs.update_service(cluster=stack.cluster, service="web", taskDefinition="svc:2")
    svc = wait_steady(stack, "web")
    print("real containers, 2 tasks with a health check: update-service to steady %.1fs" % (time.time() - t0))
    assert all(t["taskDefinitionArn"].endswith("svc:2") for t in tasks(stack, "web"))
    good = svc["deployments"][0]["id"]

    # svc:3 exits at once: the breaker trips and rolls back to svc:2.
    t0 = time.time()
    stack.ecs.update_service(cluster=stack.cluster, service="web", taskDefinition="svc:3")
    berth_proc.wait_for(lambda: any("rolling back to deployment %s." % good in e["message"]
                                    for e in service(stack, "web")["events"]),
                        timeout=120, what="the breaker to roll back")
    svc = wait_steady(stack, "web", timeout=120)
    print("crashing revision to rolled back and steady: %.1fs" % (time.time() - t0))
    assert svc["taskDefinition"].endswith("svc:2")
    crashed = [t for t in tasks(stack, "web", "STOPPED") if t["taskDefinitionArn"].endswith("svc:3")]
    assert len(crashed) >= 3 and all(stack.container(t, "app").get("exitCode") == 3 for t in crashed)

    stack.ecs.delete_service(cluster=stack.cluster, service="web", force=True)
    berth_proc.wait_for(lambda: service(stack, "web")["status"] == "INACTIVE", timeout=60, what="INACTIVE")
    assert tasks(stack, "web") == []
