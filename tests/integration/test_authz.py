"""Authorisation (issue 16): every action is checked against the caller's
IAM policies before its handler runs - the resource ARNs and condition keys
of AWS's Service Authorization Reference, explicit Deny over Allow over the
implicit deny, iam:PassRole for the roles a task or service is given - and
a refusal is AccessDeniedException (HTTP 400) with AWS's message.

Identities come from berth's IAM service (aws iam create-user,
put-user-policy, create-access-key), as an AWS user makes them; until the
server serves IAM, the module skips."""
import json
import os
import subprocess

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import berth_proc

ACCOUNT = "000000000000"
ARN = "arn:aws:ecs:%s:%s:" % (berth_proc.REGION, ACCOUNT)
ROLE = "arn:aws:iam::%s:role/app" % ACCOUNT
IMAGE = "busybox"


@pytest.fixture(scope="module")
def iam(server):
    status, _, body = berth_proc.post(server.endpoint, b"Action=ListUsers&Version=2010-05-08",
                                      {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                                      service="iam")
    if status != 200:
        pytest.skip("the server does not serve IAM yet (%d: %s)" % (status, body[:200]))
    return berth_proc.client(server.endpoint, service="iam")


@pytest.fixture(scope="module")
def root(server):
    return berth_proc.client(server.endpoint)


def user(iam, name, *statements):
    """A user whose one inline policy has statements; its new access key."""
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def as_user(server, key, service="ecs"):
    return berth_proc.client(server.endpoint, service=service, key=key)


def denied(excinfo, name, action, resource, explicit=False):
    """The refusal AWS gives name for action on resource."""
    err = excinfo.value.response["Error"]
    who = "arn:aws:iam::%s:user/%s" % (ACCOUNT, name)
    why = ("with an explicit deny in an identity-based policy" if explicit
           else "because no identity-based policy allows the %s action" % action)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (err["Code"], err["Message"]) == (
        "AccessDeniedException", "User: %s is not authorized to perform: %s on resource: %s %s" % (
            who, action, resource, why))


def allow(action, resource="*", **condition):
    s = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        s["Condition"] = condition
    return s


@pytest.fixture(scope="module")
def two_clusters(root):
    web = taskdef(root)  # web:1
    for name in ("A", "B"):
        root.create_cluster(clusterName=name)
        root.create_service(cluster=name, serviceName="svc", taskDefinition=web, desiredCount=0)


def taskdef(root, family="web", **extra):
    return root.register_task_definition(
        family=family, containerDefinitions=[{"name": "c", "image": IMAGE, "memory": 64}],
        **extra)["taskDefinition"]["taskDefinitionArn"]


def test_user_limited_to_cluster_a(server, iam, root, two_clusters):
    key = user(iam, "alice", allow("ecs:*", StringEquals={"ecs:cluster": ARN + "cluster/A"}))
    alice = as_user(server, key)
    assert alice.list_services(cluster="A")["serviceArns"] == [ARN + "service/A/svc"]
    assert alice.list_tasks(cluster="A")["taskArns"] == []
    with pytest.raises(ClientError) as e:  # no instance: ECS's own error, not a refusal
        alice.run_task(cluster="A", taskDefinition="web")
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    alice.update_service(cluster="A", service="svc", desiredCount=0)

    with pytest.raises(ClientError) as e:
        alice.list_tasks(cluster="B")
    denied(e, "alice", "ecs:ListTasks", ARN + "cluster/B")
    with pytest.raises(ClientError) as e:
        alice.run_task(cluster="B", taskDefinition="web")
    denied(e, "alice", "ecs:RunTask", ARN + "task-definition/web:1")
    with pytest.raises(ClientError) as e:
        alice.update_service(cluster="B", service="svc", desiredCount=1)
    denied(e, "alice", "ecs:UpdateService", ARN + "service/B/svc")
    # Nothing changed in B.
    assert root.describe_services(cluster="B", services=["svc"])["services"][0]["desiredCount"] == 0
    # Actions without ecs:cluster are outside the condition.
    with pytest.raises(ClientError) as e:
        alice.list_clusters()
    denied(e, "alice", "ecs:ListClusters", "*")


def test_aws_cli_prints_the_refusal(server, iam, root, two_clusters, tmp_path):
    if not os.access(berth_proc.AWS_V2, os.X_OK):
        pytest.skip("AWS CLI v2 is not installed at /usr/bin/aws")
    key = user(iam, "dave", allow("ecs:ListTasks", StringEquals={"ecs:cluster": ARN + "cluster/A"}))
    env = berth_proc.aws_cli_env(tmp_path, key=key)
    ok = subprocess.run([berth_proc.AWS_V2, "ecs", "list-tasks", "--cluster", "A", "--endpoint-url",
                         server.endpoint], env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    no = subprocess.run([berth_proc.AWS_V2, "ecs", "list-tasks", "--cluster", "B", "--endpoint-url",
                         server.endpoint], env=env, capture_output=True, text=True, timeout=60)
    assert no.returncode != 0
    assert "(AccessDeniedException)" in no.stderr
    assert "is not authorized to perform: ecs:ListTasks on resource: %scluster/B" % ARN in no.stderr


def test_explicit_deny_wins(server, iam, root):
    root.create_cluster(clusterName="keep")
    key = user(iam, "bob", allow("ecs:*"),
               {"Effect": "Deny", "Action": "ecs:DeleteCluster", "Resource": ARN + "cluster/keep"})
    bob = as_user(server, key)
    assert bob.describe_clusters(clusters=["keep"])["clusters"][0]["status"] == "ACTIVE"
    with pytest.raises(ClientError) as e:
        bob.delete_cluster(cluster="keep")
    denied(e, "bob", "ecs:DeleteCluster", ARN + "cluster/keep", explicit=True)
    assert root.describe_clusters(clusters=["keep"])["clusters"][0]["status"] == "ACTIVE"


def test_pass_role_is_required_for_task_roles(server, iam, root):
    key = user(iam, "carol", allow("ecs:*"))
    carol = as_user(server, key)
    with pytest.raises(ClientError) as e:
        carol.register_task_definition(family="roled", taskRoleArn=ROLE,
                                       containerDefinitions=[{"name": "c", "image": IMAGE, "memory": 64}])
    denied(e, "carol", "iam:PassRole", ROLE)
    iam.put_user_policy(UserName="carol", PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [allow("iam:PassRole", ROLE, StringEquals={
            "iam:PassedToService": "ecs-tasks.amazonaws.com"})]}))
    got = carol.register_task_definition(family="roled", taskRoleArn=ROLE,
                                         containerDefinitions=[{"name": "c", "image": IMAGE, "memory": 64}])
    assert got["taskDefinition"]["taskRoleArn"] == ROLE


def test_privileged_task_definitions_can_be_denied(server, iam, root):
    key = user(iam, "erin", allow("ecs:*"),
               {"Effect": "Deny", "Action": "ecs:RegisterTaskDefinition", "Resource": "*",
                "Condition": {"StringEquals": {"ecs:privileged": "true"}}},
               {"Effect": "Deny", "Action": "ecs:RegisterTaskDefinition", "Resource": "*",
                "Condition": {"Null": {"berth:host-path-volumes": "false"}}})
    erin = as_user(server, key)
    erin.register_task_definition(family="calm", containerDefinitions=[{"name": "c", "image": IMAGE, "memory": 64}])
    with pytest.raises(ClientError) as e:
        erin.register_task_definition(family="calm", containerDefinitions=[
            {"name": "c", "image": IMAGE, "memory": 64, "privileged": True}])
    denied(e, "erin", "ecs:RegisterTaskDefinition", ARN + "task-definition/calm:2", explicit=True)
    with pytest.raises(ClientError) as e:
        erin.register_task_definition(family="calm", volumes=[{"name": "etc", "host": {"sourcePath": "/etc"}}],
                                      containerDefinitions=[{"name": "c", "image": IMAGE, "memory": 64}])
    denied(e, "erin", "ecs:RegisterTaskDefinition", ARN + "task-definition/calm:2", explicit=True)


def test_logs_are_authorised_too(server, iam, root):
    logs_root = berth_proc.client(server.endpoint, service="logs")
    logs_root.create_log_group(logGroupName="mine")
    logs_root.create_log_group(logGroupName="theirs")
    key = user(iam, "fay", allow("logs:*", "arn:aws:logs:%s:%s:log-group:mine" % (berth_proc.REGION, ACCOUNT)),
               allow("logs:*", "arn:aws:logs:%s:%s:log-group:mine:*" % (berth_proc.REGION, ACCOUNT)))
    fay = as_user(server, key, service="logs")
    fay.create_log_stream(logGroupName="mine", logStreamName="s")
    with pytest.raises(ClientError) as e:
        fay.create_log_stream(logGroupName="theirs", logStreamName="s")
    denied(e, "fay", "logs:CreateLogStream", "arn:aws:logs:%s:%s:log-group:theirs" % (berth_proc.REGION, ACCOUNT))


def test_instance_principal_makes_only_the_agents_calls(server, root):
    """An agent signing with its instance's credentials (agent identity:
    registration tokens) may make the agent's calls and no others."""
    if not hasattr(berth_proc, "register_with_token"):
        pytest.skip("this build issues no container instance credentials")
    root.create_cluster(clusterName="agents")
    token, _ = berth_proc.create_token(server.endpoint, "agents")
    status, out = berth_proc.register_with_token(server.endpoint, "agents", token)
    assert status == 200, out
    arn = out["containerInstance"]["containerInstanceArn"]
    key = berth_proc.instance_key(out)
    status, out = berth_proc.raw_call(server.endpoint, "DiscoverPollEndpoint", {"cluster": "agents"}, key=key)
    assert status == 200, out
    status, out = berth_proc.raw_call(server.endpoint, "CreateLogGroup", {"logGroupName": "agents-logs"},
                                      target_prefix=berth_proc.LOGS_TARGET, key=key)
    assert status == 200, out
    refused = [("CreateCluster", {"clusterName": "x"}, berth_proc.ECS_TARGET, "ecs:CreateCluster",
                ARN + "cluster/x"),
               ("ListClusters", {}, berth_proc.ECS_TARGET, "ecs:ListClusters", "*"),
               ("RegisterTaskDefinition", {"family": "f", "containerDefinitions": [
                   {"name": "c", "image": IMAGE, "memory": 64}]}, berth_proc.ECS_TARGET,
                "ecs:RegisterTaskDefinition", ARN + "task-definition/f:1"),
               ("DescribeLogGroups", {}, berth_proc.LOGS_TARGET, "logs:DescribeLogGroups",
                "arn:aws:logs:%s:%s:log-group:*" % (berth_proc.REGION, ACCOUNT))]
    for action, body, prefix, iam_action, resource in refused:
        status, out = berth_proc.raw_call(server.endpoint, action, body, target_prefix=prefix, key=key)
        assert (status, out["__type"], out["message"]) == (
            400, "AccessDeniedException",
            "User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows "
            "the %s action" % (arn, iam_action, resource, iam_action))
    assert ARN + "cluster/x" not in root.list_clusters()["clusterArns"]
