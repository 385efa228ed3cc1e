"""ECS Express Gateway services: one call makes a task definition, an ECS
service, an Application Load Balancer (HAProxy) with an HTTP listener and
target group, and a target tracking scaling policy; the endpoint it
returns answers with the service's containers; an update rolls a new
revision out; delete removes everything it made, and nothing else.

Debian's botocore predates the operations: requests go through raw_call,
and the newer boto3 of the `python3` on PATH (when it has them) checks that
a real SDK parses the answers."""
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

import berth_proc
import stack as stackmod

ACCOUNT_ROLE = "arn:aws:iam::%s:role/%s"
# Answers $GREETING on / and ok on /health, on port 8080.
WEB = "mkdir -p /w && echo $GREETING > /w/index.html && echo ok > /w/health && exec httpd -f -p 8080 -h /w"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("express"))
    yield s
    s.close()


def call(stack, action, body):
    return berth_proc.raw_call(stack.server.endpoint, action, body)


def ok(stack, action, body):
    status, out = call(stack, action, body)
    assert status == 200, out
    return out


def refused(stack, action, body, kind):
    status, out = call(stack, action, body)
    assert status == 400 and out["__type"] == kind, out
    return out["message"]


def role(stack, name):
    account = stack.ecs.describe_clusters(clusters=[stack.cluster])["clusters"][0]["clusterArn"].split(":")[4]
    return ACCOUNT_ROLE % (account, name)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode().strip()
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def container(stack, greeting):
    return {"image": stack.image, "containerPort": 8080, "command": ["sh", "-c", WEB],
            "environment": [{"name": "GREETING", "value": greeting}]}


def create(stack, name, **kw):
    body = {"cluster": stack.cluster, "serviceName": name, "executionRoleArn": role(stack, "ecsTaskExecutionRole"),
            "infrastructureRoleArn": role(stack, "ecsInfrastructureRole"), "healthCheckPath": "/health",
            "primaryContainer": container(stack, "hello-1"), "cpu": "256", "memory": "512"}
    body.update(kw)
    return ok(stack, "CreateExpressGatewayService", body)["service"]


def scaling(stack, name):
    aas = berth_proc.client(stack.server.endpoint, service="application-autoscaling")
    rid = "service/%s/%s" % (stack.cluster, name)
    targets = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[rid])["ScalableTargets"]
    policies = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=rid)["ScalingPolicies"]
    return targets, policies


def ingress(stack, service_arn):
    """The target group and load balancer the ECS service is behind."""
    svc = stack.ecs.describe_services(cluster=stack.cluster, services=[service_arn])["services"][0]
    tg = svc["loadBalancers"][0]["targetGroupArn"]
    elb = berth_proc.client(stack.server.endpoint, service="elbv2")
    lb = elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["LoadBalancerArns"][0]
    return elb, tg, lb


def test_create_answer_update_delete(stack):
    svc = create(stack, "web", tags=[{"key": "team", "value": "web"}],
                 networkConfiguration={"subnets": ["subnet-0123456789abcdef0"]},
                 scalingTarget={"minTaskCount": 1, "maxTaskCount": 3, "autoScalingMetric": "AVERAGE_CPU",
                                "autoScalingTargetValue": 70})
    assert svc["status"]["statusCode"] == "ACTIVE" and svc["serviceName"] == "web"
    assert svc["serviceArn"].endswith(":service/%s/web" % stack.cluster)
    assert svc["tags"] == [{"key": "team", "value": "web"}]
    cfg = svc["activeConfigurations"][0]
    assert cfg["healthCheckPath"] == "/health" and cfg["primaryContainer"]["containerPort"] == 8080
    path = cfg["ingressPaths"][0]
    assert path["accessType"] == "PUBLIC" and path["endpoint"].startswith("http://127.")
    url = path["endpoint"]
    berth_proc.wait_for(lambda: get(url) == "hello-1", timeout=180, interval=1, what="the endpoint to answer")

    # What it is made of, as each service shows it.
    ecs_svc = stack.ecs.describe_services(cluster=stack.cluster, services=["web"])["services"][0]
    assert ecs_svc["desiredCount"] == 1 and ecs_svc["loadBalancers"][0]["containerPort"] == 8080
    td = stack.ecs.describe_task_definition(taskDefinition=ecs_svc["taskDefinition"])["taskDefinition"]
    assert td["networkMode"] == "awsvpc" and td["cpu"] == "256" and td["memory"] == "512"
    assert td["containerDefinitions"][0]["portMappings"][0]["containerPort"] == 8080
    elb, tg, lb = ingress(stack, svc["serviceArn"])
    assert elb.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]["HealthCheckPath"] == "/health"
    listener = elb.describe_listeners(LoadBalancerArn=lb)["Listeners"][0]
    assert listener["Protocol"] == "HTTP" and listener["Port"] == 80
    targets, policies = scaling(stack, "web")
    assert (targets[0]["MinCapacity"], targets[0]["MaxCapacity"]) == (1, 3)
    tt = policies[0]["TargetTrackingScalingPolicyConfiguration"]
    assert tt["TargetValue"] == 70.0
    assert tt["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"

    described = ok(stack, "DescribeExpressGatewayService", {"serviceArn": svc["serviceArn"], "include": ["TAGS"]})
    d = described["service"]
    assert d["currentDeployment"].startswith("arn:aws:ecs:") and d["tags"] == [{"key": "team", "value": "web"}]
    assert d["activeConfigurations"][0]["serviceRevisionArn"].startswith("arn:aws:ecs:")

    # Update: a new image configuration (other members kept) and a wider range.
    up = ok(stack, "UpdateExpressGatewayService", {
        "serviceArn": svc["serviceArn"], "primaryContainer": {
            "image": stack.image, "environment": [{"name": "GREETING", "value": "hello-2"}]},
        "scalingTarget": {"maxTaskCount": 4}})["service"]
    target = up["targetConfiguration"]
    assert target["primaryContainer"]["environment"] == [{"name": "GREETING", "value": "hello-2"}]
    assert target["primaryContainer"]["containerPort"] == 8080 and target["primaryContainer"]["command"]
    assert target["scalingTarget"]["minTaskCount"] == 1 and target["scalingTarget"]["maxTaskCount"] == 4
    berth_proc.wait_for(lambda: get(url) == "hello-2", timeout=180, interval=1, what="the new revision to answer")
    assert scaling(stack, "web")[0][0]["MaxCapacity"] == 4
    ecs_svc = stack.ecs.describe_services(cluster=stack.cluster, services=["web"])["services"][0]
    assert ecs_svc["taskDefinition"].endswith(":2")

    # Delete: everything it made goes.
    gone = ok(stack, "DeleteExpressGatewayService", {"serviceArn": svc["serviceArn"]})["service"]
    assert gone["status"]["statusCode"] in ("DRAINING", "INACTIVE")
    with pytest.raises(elb.exceptions.LoadBalancerNotFoundException):
        elb.describe_load_balancers(LoadBalancerArns=[lb])
    with pytest.raises(elb.exceptions.TargetGroupNotFoundException):
        elb.describe_target_groups(TargetGroupArns=[tg])
    assert scaling(stack, "web") == ([], [])
    for rev in ("web:1", "web:2"):
        assert stack.ecs.describe_task_definition(taskDefinition=rev)["taskDefinition"]["status"] == "INACTIVE"
    berth_proc.wait_for(lambda: ok(stack, "DescribeExpressGatewayService", {"serviceArn": svc["serviceArn"]})[
        "service"]["status"]["statusCode"] == "INACTIVE", timeout=120, interval=1, what="INACTIVE")
    assert not stack.ecs.list_tasks(cluster=stack.cluster, serviceName="web")["taskArns"]
    assert get(url) is None
    refused(stack, "UpdateExpressGatewayService", {"serviceArn": svc["serviceArn"], "cpu": "512"},
            "ServiceNotActiveException")
    refused(stack, "DeleteExpressGatewayService", {"serviceArn": svc["serviceArn"]}, "ServiceNotActiveException")


def lbs(stack):
    return berth_proc.client(stack.server.endpoint, service="elbv2").describe_load_balancers()["LoadBalancers"]


def test_refused_input_and_nothing_left_behind(stack):
    base = {"cluster": stack.cluster, "executionRoleArn": role(stack, "x"), "infrastructureRoleArn": role(stack, "y"),
            "primaryContainer": {"image": stack.image}}
    msg = refused(stack, "CreateExpressGatewayService", dict(base, healthCheckPath="health"),
                  "InvalidParameterException")
    assert "healthCheckPath" in msg
    refused(stack, "CreateExpressGatewayService",
            dict(base, scalingTarget={"minTaskCount": 5, "maxTaskCount": 2}), "InvalidParameterException")
    refused(stack, "CreateExpressGatewayService", dict(base, serviceName="no spaces"), "InvalidParameterException")
    refused(stack, "CreateExpressGatewayService", dict(base, cluster="nope"), "ClusterNotFoundException")
    refused(stack, "CreateExpressGatewayService", {"primaryContainer": {"image": stack.image}},
            "InvalidParameterException")
    # A step that fails late (the ECS service exists already) undoes the earlier ones.
    stack.register("plain", [{"name": "c", "command": ["sleep", "1"]}])
    stack.ecs.create_service(cluster=stack.cluster, serviceName="taken", taskDefinition="plain", desiredCount=0)
    before = len(lbs(stack))
    refused(stack, "CreateExpressGatewayService", dict(base, serviceName="taken"), "InvalidParameterException")
    assert len(lbs(stack)) == before
    arn = stack.ecs.describe_services(cluster=stack.cluster, services=["taken"])["services"][0]["serviceArn"]
    refused(stack, "DescribeExpressGatewayService", {"serviceArn": arn}, "ResourceNotFoundException")
    refused(stack, "UpdateExpressGatewayService", {"serviceArn": arn}, "ServiceNotFoundException")
    refused(stack, "DeleteExpressGatewayService", {"serviceArn": arn}, "ServiceNotFoundException")


def sdk_python():
    """A python3 other than Debian's whose boto3 knows Express Gateway services."""
    for d in os.environ.get("PATH", "").split(os.pathsep):
        exe = shutil.which("python3", path=d)
        if not exe or os.path.realpath(exe) == os.path.realpath("/usr/bin/python3"):
            continue
        probe = subprocess.run([exe, "-c", "import boto3; boto3.client('ecs', region_name='us-east-1')"
                                ".meta.service_model.operation_model('DescribeExpressGatewayService')"],
                               capture_output=True)
        if probe.returncode == 0:
            return exe
    return None


SDK_SCRIPT = """
import json, sys, boto3
ecs = boto3.client("ecs", endpoint_url=sys.argv[1], region_name="us-east-1")
svc = ecs.create_express_gateway_service(cluster=sys.argv[2], serviceName="sdk", executionRoleArn=sys.argv[3],
    infrastructureRoleArn=sys.argv[3], primaryContainer={"image": sys.argv[4]})["service"]
d = ecs.describe_express_gateway_service(serviceArn=svc["serviceArn"])["service"]
gone = ecs.delete_express_gateway_service(serviceArn=svc["serviceArn"])["service"]
print(json.dumps({"created": str(type(svc["createdAt"])), "config": d["activeConfigurations"][0],
                  "status": gone["status"]["statusCode"]}, default=str))
"""


def test_newer_sdk_parses_the_answers(stack):
    exe = sdk_python()
    if not exe:
        pytest.skip("no python3 with a boto3 that knows Express Gateway services")
    p = subprocess.run([exe, "-c", SDK_SCRIPT, stack.server.endpoint, stack.cluster, role(stack, "r"), stack.image],
                       env=berth_proc.client_env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert "datetime" in out["created"]  # a timestamp the SDK parsed
    cfg = out["config"]
    assert (cfg["cpu"], cfg["memory"], cfg["healthCheckPath"]) == ("256", "512", "/ping")
    assert cfg["primaryContainer"]["containerPort"] == 80
    assert cfg["scalingTarget"] == {"minTaskCount": 1, "maxTaskCount": 20, "autoScalingMetric": "AVERAGE_CPU",
                                    "autoScalingTargetValue": 60}
    assert out["status"] in ("DRAINING", "INACTIVE")
