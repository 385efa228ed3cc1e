"""Task scale-in protection on a real server and agent: UpdateTaskProtection
and GetTaskProtection (boto3 and the AWS CLI v2) with ECS's failures and
errors; protected tasks survive scale-in by UpdateService and by
Application Auto Scaling, and stop once unprotected; a task protects itself
from inside through $ECS_AGENT_URI/task-protection/v1/state (GET and PUT,
as ECS's agent answers them)."""
import datetime
import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

import berth_proc
import stack as stackmod


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("protection"), agent_args=stackmod.net_args())
    s.register("sleeper", [{"name": "app", "command": ["sleep", "3600"], "stopTimeout": 1}])
    yield s
    s.close()


def service(stack, name):
    return stack.ecs.describe_services(cluster=stack.cluster, services=[name])["services"][0]


def running(stack, name, want, timeout=60):
    """The service's RUNNING task ARNs once there are exactly `want`."""
    def check():
        arns = stack.ecs.list_tasks(cluster=stack.cluster, serviceName=name)["taskArns"]
        if len(arns) != want:
            return None
        tasks = stack.ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"] if arns else []
        return sorted(arns) if all(t["lastStatus"] == "RUNNING" for t in tasks) else None
    return berth_proc.wait_for(check, timeout=timeout, what="%d running tasks of %s" % (want, name)) if want else []


def scheduler_rounds(stack):
    """Let a few scheduler rounds pass (it runs at least every second)."""
    time.sleep(3)


def code(e):
    return e.value.response["Error"]["Code"]


def protect(stack, arns, on=True, **kw):
    return stack.ecs.update_task_protection(cluster=stack.cluster, tasks=arns, protectionEnabled=on, **kw)


def test_protected_tasks_survive_update_service_scale_in(stack):
    stack.ecs.create_service(cluster=stack.cluster, serviceName="web", taskDefinition="sleeper", desiredCount=3)
    arns = running(stack, "web", 3)
    keep, drop = arns[:2], arns[2]

    before = datetime.datetime.now(datetime.timezone.utc)
    out = protect(stack, keep, expiresInMinutes=60)
    assert out["failures"] == []
    assert sorted(p["taskArn"] for p in out["protectedTasks"]) == keep
    for p in out["protectedTasks"]:
        assert p["protectionEnabled"] is True
        left = (p["expirationDate"] - before).total_seconds()
        assert 59 * 60 < left <= 60 * 60 + 5, left

    got = stack.ecs.get_task_protection(cluster=stack.cluster, tasks=arns)
    assert {p["taskArn"]: p["protectionEnabled"] for p in got["protectedTasks"]} == {
        keep[0]: True, keep[1]: True, drop: False}
    assert "expirationDate" not in [p for p in got["protectedTasks"] if p["taskArn"] == drop][0]

    stack.ecs.update_service(cluster=stack.cluster, service="web", desiredCount=0)
    stack.wait_status(drop, "STOPPED")
    scheduler_rounds(stack)
    assert running(stack, "web", 2) == keep
    s = service(stack, "web")
    assert s["desiredCount"] == 0 and s["runningCount"] == 2

    # Unprotected with the CLI v2: the scheduler stops it now.
    p = subprocess.run([berth_proc.AWS_V2, "ecs", "update-task-protection", "--cluster", stack.cluster, "--tasks",
                        keep[0], "--no-protection-enabled", "--endpoint-url", stack.server.endpoint, "--output",
                        "json"], env=berth_proc.aws_cli_env(stack.tmp), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["protectedTasks"] == [{"taskArn": keep[0], "protectionEnabled": False}]
    stack.wait_status(keep[0], "STOPPED")
    assert stack.describe(keep[1])["lastStatus"] == "RUNNING"

    protect(stack, [keep[1]], on=False)
    stack.wait_status(keep[1], "STOPPED")
    assert running(stack, "web", 0) == []


def test_protected_tasks_survive_auto_scaling_scale_in(stack):
    aas = berth_proc.client(stack.server.endpoint, service="application-autoscaling")
    stack.ecs.create_service(cluster=stack.cluster, serviceName="batch", taskDefinition="sleeper", desiredCount=2)
    arns = running(stack, "batch", 2)
    protect(stack, arns)
    rid = "service/%s/batch" % stack.cluster
    dim = "ecs:service:DesiredCount"
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=dim, MinCapacity=0,
                                 MaxCapacity=2)
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="night", ResourceId=rid,
                             ScalableDimension=dim, Schedule="at(%s)" % at.strftime("%Y-%m-%dT%H:%M:%S"),
                             ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 0})
    berth_proc.wait_for(lambda: service(stack, "batch")["desiredCount"] == 0, timeout=30, what="the scale-in")
    scheduler_rounds(stack)
    assert running(stack, "batch", 2) == arns
    protect(stack, arns, on=False)
    for arn in arns:
        stack.wait_status(arn, "STOPPED")
    aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=dim)


def test_failures_and_errors(stack):
    standalone = stack.run("sleeper")
    stack.ecs.create_service(cluster=stack.cluster, serviceName="one", taskDefinition="sleeper", desiredCount=1)
    [arn] = running(stack, "one", 1)
    missing = "0" * 32
    out = protect(stack, [arn, standalone, missing])
    assert [p["taskArn"] for p in out["protectedTasks"]] == [arn]
    assert {f["arn"].rsplit("/", 1)[1]: f["reason"] for f in out["failures"]} == {
        standalone.rsplit("/", 1)[1]: "TASK_NOT_VALID", missing: "MISSING"}
    got = stack.ecs.get_task_protection(cluster=stack.cluster, tasks=[arn.rsplit("/", 1)[1], missing])
    assert got["protectedTasks"][0]["taskArn"] == arn and got["protectedTasks"][0]["protectionEnabled"]
    assert got["failures"][0]["reason"] == "MISSING"

    for kw in ({"expiresInMinutes": 0}, {"expiresInMinutes": 2881}):
        with pytest.raises(ClientError) as e:
            protect(stack, [arn], **kw)
        assert code(e) == "InvalidParameterException" and "2880" in str(e.value)
    with pytest.raises(ClientError) as e:
        protect(stack, [arn], on=False, expiresInMinutes=5)
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        protect(stack, [missing] * 11)
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        stack.ecs.get_task_protection(cluster=stack.cluster)
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        stack.ecs.get_task_protection(cluster="nope", tasks=[arn])
    assert code(e) == "ClusterNotFoundException"

    protect(stack, [arn], on=False)
    stack.ecs.delete_service(cluster=stack.cluster, service="one", force=True)
    stack.ecs.stop_task(cluster=stack.cluster, task=standalone)
    stack.wait_status(arn, "STOPPED")
    stack.wait_status(standalone, "STOPPED")


# From inside: GET, then PUT with busybox nc (busybox wget has no PUT),
# then a PUT the endpoint refuses, each answer on one line.
SELF_PROTECT = r'''
echo "URI=$ECS_AGENT_URI"
state=$ECS_AGENT_URI/task-protection/v1/state
path=${state#http://169.254.170.2}
put() { printf 'PUT %s HTTP/1.0\r\nHost: 169.254.170.2\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
  "$path" ${#1} "$1" | nc 169.254.170.2 80 | tr -d '\r' | sed -n '1p;$p' | tr '\n' ' '; }
echo "GET1=$(wget -q -O - $state)"
echo "PUT=$(put '{"ProtectionEnabled":true,"ExpiresInMinutes":30}')"
echo "BAD=$(put '{"ProtectionEnabled":true,"Unknown":1}')"
echo "GET2=$(wget -q -O - $state)"
sleep 3600
'''


def line(stack, arn, prefix):
    return berth_proc.wait_for(
        lambda: next((l[len(prefix):] for l in stack.stdout(arn, "app") if l.startswith(prefix)), None),
        timeout=60, what="%s from the task" % prefix)


def test_a_task_protects_itself_through_the_agent_endpoint(stack):
    stack.register("selfprotect", [{"name": "app", "command": ["sh", "-c", SELF_PROTECT], "stopTimeout": 1}])
    stack.ecs.create_service(cluster=stack.cluster, serviceName="worker", taskDefinition="selfprotect",
                             desiredCount=1)
    [arn] = running(stack, "worker", 1)
    assert line(stack, arn, "URI=").startswith("http://169.254.170.2/api/")
    assert json.loads(line(stack, arn, "GET1=")) == {
        "protection": {"ExpirationDate": None, "ProtectionEnabled": False, "TaskArn": arn}}
    answer = line(stack, arn, "PUT=")
    assert answer.split(" ")[1] == "200", answer
    put = json.loads(answer[answer.index("{"):])
    assert put["protection"]["ProtectionEnabled"] is True and put["protection"]["TaskArn"] == arn
    assert put["protection"]["ExpirationDate"].endswith("Z")
    bad = line(stack, arn, "BAD=")
    assert bad.split(" ")[1] == "400", bad
    assert json.loads(bad[bad.index("{"):])["error"] == {
        "Code": "InvalidParameterException", "Message": "UpdateTaskProtection: failed to decode request"}
    assert json.loads(line(stack, arn, "GET2="))["protection"]["ProtectionEnabled"] is True

    got = stack.ecs.get_task_protection(cluster=stack.cluster, tasks=[arn])["protectedTasks"][0]
    assert got["protectionEnabled"] is True
    left = (got["expirationDate"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 25 * 60 < left <= 30 * 60, left

    stack.ecs.update_service(cluster=stack.cluster, service="worker", desiredCount=0)
    scheduler_rounds(stack)
    assert stack.describe(arn)["lastStatus"] == "RUNNING"
    protect(stack, [arn], on=False)
    stack.wait_status(arn, "STOPPED")
