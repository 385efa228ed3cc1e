"""Task sets (the EXTERNAL deployment controller) against a real berth
server and a hollow agent, through boto3 and the AWS CLI: each task set is
kept at its scale percent of the service's desiredCount (rounded up), shows
its stability, and deleting it drains its tasks; a service with the ECS
controller beside it is left alone.  Errors as ECS gives them."""
import json
import subprocess

import pytest

import berth_proc

CLUSTER = "sets"


def taskdef():
    return {"family": "web", "containerDefinitions": [
        {"name": "app", "image": "busybox", "memory": 64, "cpu": 64, "essential": True}]}


@pytest.fixture(scope="module")
def env(server, tmp_path_factory):
    ecs = berth_proc.client(server.endpoint)
    d = tmp_path_factory.mktemp("agent")
    ecs.create_cluster(clusterName=CLUSTER)
    agent = berth_proc.BerthAgent(server.endpoint, CLUSTER, d / "agent", d / "agent.log", hollow=1,
                                  extra_args=["--hollow-cpu", "4096", "--hollow-memory", "4096"]).start()
    berth_proc.wait_for(lambda: ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"],
                        what="the instance")
    ecs.register_task_definition(**taskdef())
    ecs.register_task_definition(**taskdef())
    yield server, ecs
    agent.stop()


def external(ecs, name, desired):
    return ecs.create_service(cluster=CLUSTER, serviceName=name, desiredCount=desired,
                              deploymentController={"type": "EXTERNAL"})["service"]


def task_sets(ecs, name, ids=None):
    kw = {"taskSets": ids} if ids is not None else {}
    return ecs.describe_task_sets(cluster=CLUSTER, service=name, **kw)


def wait_set(ecs, name, set_id, running):
    def ready():
        sets = task_sets(ecs, name, [set_id])["taskSets"]
        s = sets[0] if sets else None
        ok = s and s["runningCount"] == running and s["stabilityStatus"] == "STEADY_STATE"
        return s if ok else None
    return berth_proc.wait_for(ready, timeout=60, interval=0.2,
                               what="task set %s with %d running tasks" % (set_id, running))


def running_tasks(ecs, started_by):
    arns = ecs.list_tasks(cluster=CLUSTER, startedBy=started_by, desiredStatus="RUNNING")["taskArns"]
    return ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []


def test_task_sets_scale_switch_and_drain(env):
    _, ecs = env
    ecs.create_service(cluster=CLUSTER, serviceName="plain", taskDefinition="web:1", desiredCount=2)
    svc = external(ecs, "web", 4)
    assert svc["deploymentController"] == {"type": "EXTERNAL"}
    assert svc["taskSets"] == [] and svc["deployments"] == []
    assert "taskDefinition" not in svc

    blue = ecs.create_task_set(cluster=CLUSTER, service="web", taskDefinition="web:1", externalId="blue",
                               scale={"value": 100, "unit": "PERCENT"})["taskSet"]
    assert blue["status"] == "ACTIVE" and blue["computedDesiredCount"] == 4
    assert blue["externalId"] == "blue" and blue["launchType"] == "EC2"
    assert blue["taskSetArn"].endswith(":task-set/%s/web/%s" % (CLUSTER, blue["id"]))
    assert blue["scale"] == {"value": 100.0, "unit": "PERCENT"}
    wait_set(ecs, "web", blue["id"], 4)
    primary = ecs.update_service_primary_task_set(cluster=CLUSTER, service="web",
                                                  primaryTaskSet=blue["taskSetArn"])["taskSet"]
    assert primary["status"] == "PRIMARY"

    green = ecs.create_task_set(cluster=CLUSTER, service="web", taskDefinition="web:2",
                                scale={"value": 50, "unit": "PERCENT"})["taskSet"]
    assert green["computedDesiredCount"] == 2 and green["stabilityStatus"] == "STABILIZING"
    wait_set(ecs, "web", green["id"], 2)
    tasks = running_tasks(ecs, green["id"])
    assert len(tasks) == 2 and all(t["taskDefinitionArn"].endswith("web:2") for t in tasks)
    assert all(t["group"] == "service:web" for t in tasks)
    svc = ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]
    assert svc["runningCount"] == 6 and svc["taskDefinition"].endswith("web:1")
    assert {s["id"]: s["status"] for s in svc["taskSets"]} == {blue["id"]: "PRIMARY", green["id"]: "ACTIVE"}

    # 3 x 50% = 1.5: ECS rounds up to 2.
    ecs.update_service(cluster=CLUSTER, service="web", desiredCount=3)
    wait_set(ecs, "web", blue["id"], 3)
    assert wait_set(ecs, "web", green["id"], 2)["computedDesiredCount"] == 2

    # The switch: green becomes primary at full scale, blue goes to 0 and away.
    ecs.update_task_set(cluster=CLUSTER, service="web", taskSet=green["id"], scale={"value": 100, "unit": "PERCENT"})
    ecs.update_service_primary_task_set(cluster=CLUSTER, service="web", primaryTaskSet=green["id"])
    with pytest.raises(ecs.exceptions.InvalidParameterException) as e:
        ecs.delete_task_set(cluster=CLUSTER, service="web", taskSet=blue["id"])
    assert "scaled above 0" in berth_proc.err_msg(e)
    out = ecs.update_task_set(cluster=CLUSTER, service="web", taskSet=blue["id"],
                              scale={"value": 0, "unit": "PERCENT"})["taskSet"]
    assert out["status"] == "ACTIVE" and out["computedDesiredCount"] == 0
    wait_set(ecs, "web", blue["id"], 0)
    assert ecs.delete_task_set(cluster=CLUSTER, service="web", taskSet=blue["id"])["taskSet"]["status"] == "DRAINING"
    berth_proc.wait_for(lambda: [s["id"] for s in task_sets(ecs, "web")["taskSets"]] == [green["id"]],
                        timeout=60, what="the drained task set to go")
    assert running_tasks(ecs, blue["id"]) == []
    svc = ecs.describe_services(cluster=CLUSTER, services=["web"])["services"][0]
    assert svc["taskDefinition"].endswith("web:2") and svc["runningCount"] == 3

    # The ECS-controlled service beside it kept its own count throughout.
    plain = ecs.describe_services(cluster=CLUSTER, services=["plain"])["services"][0]
    assert plain["runningCount"] == 2 and "taskSets" not in plain and len(plain["deployments"]) == 1


def test_task_set_errors(env):
    server, ecs = env
    ecs.create_service(cluster=CLUSTER, serviceName="ecs-controlled", taskDefinition="web:1", desiredCount=0)
    with pytest.raises(ecs.exceptions.InvalidParameterException) as e:
        ecs.create_task_set(cluster=CLUSTER, service="ecs-controlled", taskDefinition="web:1")
    assert berth_proc.err_msg(e) == ("Amazon ECS only supports task set management on services configured to use "
                                     "external deployment controllers.")
    with pytest.raises(ecs.exceptions.InvalidParameterException) as e:
        ecs.create_service(cluster=CLUSTER, serviceName="cd", taskDefinition="web:1", desiredCount=1,
                           deploymentController={"type": "CODE_DEPLOY"})
    assert "no CodeDeploy API" in berth_proc.err_msg(e)
    with pytest.raises(ecs.exceptions.InvalidParameterException) as e:
        ecs.create_service(cluster=CLUSTER, serviceName="ext-td", taskDefinition="web:1", desiredCount=1,
                           deploymentController={"type": "EXTERNAL"})
    assert "taskDefinition cannot be specified" in berth_proc.err_msg(e)

    external(ecs, "ext", 2)
    with pytest.raises(ecs.exceptions.InvalidParameterException) as e:
        ecs.update_service(cluster=CLUSTER, service="ext", taskDefinition="web:2")
    assert "Use UpdateTaskSet" in berth_proc.err_msg(e)
    # Debian's botocore 1.29 has no UpdateService deploymentController: raw.
    status, out = berth_proc.raw_call(server.endpoint, "UpdateService", {
        "cluster": CLUSTER, "service": "ecs-controlled", "deploymentController": {"type": "EXTERNAL"}})
    assert status == 400 and out["__type"] == "InvalidParameterException"
    assert "cannot change a service's deployment controller" in out["message"]
    with pytest.raises(ecs.exceptions.TaskSetNotFoundException):
        ecs.update_task_set(cluster=CLUSTER, service="ext", taskSet="ecs-svc/1234567890123456789",
                            scale={"value": 10, "unit": "PERCENT"})
    with pytest.raises(ecs.exceptions.InvalidParameterException) as e:
        ecs.create_task_set(cluster=CLUSTER, service="ext", taskDefinition="web:1",
                            scale={"value": 150, "unit": "PERCENT"})
    assert "between 0 and 100" in berth_proc.err_msg(e)
    with pytest.raises(ecs.exceptions.InvalidParameterException) as e:
        ecs.create_task_set(cluster=CLUSTER, service="ext", taskDefinition="web:1", loadBalancers=[
            {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/1",
             "containerName": "app", "containerPort": 80}])
    assert "is not supported by berth" in berth_proc.err_msg(e)
    with pytest.raises(ecs.exceptions.ServiceNotFoundException):
        ecs.describe_task_sets(cluster=CLUSTER, service="nope")
    out = task_sets(ecs, "ext", ["ecs-svc/1234567890123456789"])
    assert out["taskSets"] == []
    assert out["failures"] == [{"arn": "ecs-svc/1234567890123456789", "reason": "MISSING"}]
    # Nothing of the refused requests was kept.
    assert task_sets(ecs, "ext")["taskSets"] == []


def aws(endpoint, env_vars, *args):
    out = subprocess.run([berth_proc.AWS_V2, "--endpoint-url", endpoint, "ecs"] + list(args), env=env_vars,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else {}


def test_task_sets_with_the_aws_cli(env, aws_env):
    server, ecs = env
    aws(server.endpoint, aws_env, "create-service", "--cluster", CLUSTER, "--service-name", "cli", "--desired-count",
        "3", "--deployment-controller", "type=EXTERNAL")
    made = aws(server.endpoint, aws_env, "create-task-set", "--cluster", CLUSTER, "--service", "cli",
               "--task-definition", "web:1", "--scale", "value=34,unit=PERCENT", "--tags", "key=team,value=a")
    set_id = made["taskSet"]["id"]
    assert made["taskSet"]["computedDesiredCount"] == 2  # 3 x 34% = 1.02, rounded up
    wait_set(ecs, "cli", set_id, 2)
    out = aws(server.endpoint, aws_env, "describe-task-sets", "--cluster", CLUSTER, "--service", "cli",
              "--include", "TAGS")
    assert [s["id"] for s in out["taskSets"]] == [set_id]
    assert out["taskSets"][0]["tags"] == [{"key": "team", "value": "a"}]
    assert out["taskSets"][0]["stabilityStatus"] == "STEADY_STATE"
    gone = aws(server.endpoint, aws_env, "delete-task-set", "--cluster", CLUSTER, "--service", "cli", "--task-set",
               set_id, "--force")
    assert gone["taskSet"]["status"] == "DRAINING"
    berth_proc.wait_for(lambda: task_sets(ecs, "cli")["taskSets"] == [], timeout=60, what="the task set to drain")
    assert running_tasks(ecs, set_id) == []
