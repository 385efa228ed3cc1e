"""Secrets in tasks: `secrets` resolved by the agent just before the
containers start, with the task's execution role (which must trust
ecs-tasks.amazonaws.com and whose policies decide what it reads); failures
stop the task with ECS's ResourceInitializationError; no plaintext in the
server's store or log, in DescribeTasks, or in the agent's task records."""
import glob
import hashlib
import json
import os

import pytest

import berth_proc
import registry as regmod
import stack as stackmod
import testimages

ACCOUNT = "000000000000"
REGION = berth_proc.REGION
DB_VALUE = "Db-Pa55-Secret-Marker-4417"
API_VALUE = "Api-Pa55-Secret-Marker-9902"
REASON = "ResourceInitializationError: unable to pull secrets or registry auth: "


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("secrets"))
    s.ssm = berth_proc.client(s.server.endpoint, service="ssm")
    s.asm = berth_proc.client(s.server.endpoint, service="secretsmanager")
    s.iam = berth_proc.client(s.server.endpoint, service="iam")
    s.ssm.put_parameter(Name="/app/db", Value=DB_VALUE, Type="SecureString")
    s.secret_arn = s.asm.create_secret(Name="app-creds", SecretString=json.dumps(
        {"user": "svc", "password": API_VALUE}))["ARN"]
    param_arn = "arn:aws:ssm:%s:%s:parameter/app/*" % (REGION, ACCOUNT)
    s.iam.create_role(RoleName="exec-ok", AssumeRolePolicyDocument=trust({"Service": "ecs-tasks.amazonaws.com"}))
    s.iam.put_role_policy(RoleName="exec-ok", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": param_arn},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": s.secret_arn}]}))
    s.iam.create_role(RoleName="exec-none", AssumeRolePolicyDocument=trust({"Service": "ecs-tasks.amazonaws.com"}))
    s.iam.create_role(RoleName="exec-untrusting",
                      AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::%s:root" % ACCOUNT}))
    s.iam.put_role_policy(RoleName="exec-untrusting", PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    yield s
    s.close()


def role(name):
    return "arn:aws:iam::%s:role/%s" % (ACCOUNT, name)


def run_with(stack, family, role_name, secrets, command=("true",)):
    stack.register(family, [{"name": "app", "secrets": secrets, "command": list(command)}],
                   executionRoleArn=role(role_name))
    return stack.run(family)


def sha(v):
    return hashlib.sha256(v.encode()).hexdigest()


def test_secrets_reach_the_container_and_nowhere_else(stack):
    arn = run_with(stack, "withsecrets", "exec-ok", [
        {"name": "DB_PASS", "valueFrom": "/app/db"},
        {"name": "API_PW", "valueFrom": stack.secret_arn + ":password::"},
    ], command=["sh", "-c", 'printf %s "$DB_PASS" | sha256sum; printf %s "$API_PW" | sha256sum'])
    t = stack.wait_status(arn, "STOPPED")
    assert t["stopCode"] == "EssentialContainerExited", t.get("stoppedReason")
    assert stack.container(t, "app")["exitCode"] == 0
    hashes = [line.split()[0] for line in stack.stdout(arn, "app")]
    assert hashes == [sha(DB_VALUE), sha(API_VALUE)]

    described = json.dumps(stack.describe(arn), default=str)
    for plain in (DB_VALUE, API_VALUE):
        assert plain not in described
        for f in glob.glob(os.path.join(stack.server.data_dir, "*.db*")):
            with open(f, "rb") as fh:
                assert plain.encode() not in fh.read(), f
        with open(stack.server.log_path, errors="replace") as fh:
            assert plain not in fh.read()
        with open(stack.agent.log_path, errors="replace") as fh:
            assert plain not in fh.read()
        for f in glob.glob(os.path.join(stack.agent_dir, "tasks", "**", "*"), recursive=True):
            if os.path.isfile(f):
                with open(f, "rb") as fh:
                    assert plain.encode() not in fh.read(), f
    # The bundle (its config.json holds the environment) is root's alone.
    for d in glob.glob(os.path.join(stack.agent_dir, "containers", "*")):
        assert os.stat(d).st_mode & 0o077 == 0, d


def test_missing_parameter_stops_the_task_naming_it(stack):
    arn = run_with(stack, "missingparam", "exec-ok", [{"name": "X", "valueFrom": "/app/not-there"}])
    t = stack.wait_status(arn, "STOPPED")
    assert t["stoppedReason"].startswith(REASON), t["stoppedReason"]
    assert "invalid parameters: /app/not-there" in t["stoppedReason"]
    assert stack.container(t, "app").get("exitCode") is None


def test_role_without_permission_is_denied(stack):
    arn = run_with(stack, "deniedparam", "exec-none", [{"name": "X", "valueFrom": "/app/db"}])
    t = stack.wait_status(arn, "STOPPED")
    assert t["stoppedReason"].startswith(REASON + "execution resource retrieval failed: "
                                         "unable to retrieve secrets from ssm"), t["stoppedReason"]
    assert "AccessDeniedException" in t["stoppedReason"] and "exec-none" in t["stoppedReason"]

    arn = run_with(stack, "deniedsecret", "exec-none", [{"name": "X", "valueFrom": stack.secret_arn}])
    t = stack.wait_status(arn, "STOPPED")
    assert t["stoppedReason"].startswith(REASON + "execution resource retrieval failed: "
                                         "unable to retrieve secret from asm"), t["stoppedReason"]
    assert "AccessDeniedException" in t["stoppedReason"]


def test_role_that_does_not_trust_ecs_tasks_is_refused(stack):
    arn = run_with(stack, "untrusting", "exec-untrusting", [{"name": "X", "valueFrom": "/app/db"}])
    t = stack.wait_status(arn, "STOPPED")
    assert t["stoppedReason"].startswith(REASON), t["stoppedReason"]
    assert "does not trust ecs-tasks.amazonaws.com" in t["stoppedReason"]

    arn = run_with(stack, "norole", "exec-missing", [{"name": "X", "valueFrom": "/app/db"}])
    t = stack.wait_status(arn, "STOPPED")
    assert "exec-missing does not exist" in t["stoppedReason"], t["stoppedReason"]


def test_missing_json_key_names_it(stack):
    arn = run_with(stack, "nokey", "exec-ok", [{"name": "X", "valueFrom": stack.secret_arn + ":nokey::"}])
    t = stack.wait_status(arn, "STOPPED")
    assert "did not contain json key nokey" in t["stoppedReason"], t["stoppedReason"]


def test_only_root_or_instances_get_task_credentials(stack):
    """An IAM user allowed ecs:Poll cannot read an execution role's keys."""
    stack.iam.create_user(UserName="poller")
    stack.iam.put_user_policy(UserName="poller", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:Poll", "Resource": "*"}]}))
    k = stack.iam.create_access_key(UserName="poller")["AccessKey"]
    arn = run_with(stack, "pollertarget", "exec-ok", [{"name": "X", "valueFrom": "/app/db"}],
                   command=["sleep", "1"])
    status, out = berth_proc.raw_call(stack.server.endpoint, "GetTaskCredentials",
                                      {"cluster": stack.cluster, "task": arn}, target_prefix="BerthAgent_20261122",
                                      key=berth_proc.Credentials(k["AccessKeyId"], k["SecretAccessKey"]))
    assert status == 400 and "AccessDenied" in json.dumps(out), out
    stack.wait_status(arn, "STOPPED")


def test_repository_credentials_from_secrets_manager(stack, tmp_path):
    """A private registry (htpasswd) pulls with repositoryCredentials read
    through the execution role, and fails clearly without them."""
    reg = regmod.Registry(str(tmp_path / "private"), htpasswd=("puller", "Reg-Pa55-7730")).start()
    try:
        regmod.push_image(reg.hostport, "private", "1", [(testimages.base_layer(), "gzip")],
                          testimages.config(), auth=("puller", "Reg-Pa55-7730"))
        image = reg.hostport + "/private:1"
        creds_arn = stack.asm.create_secret(Name="registry-creds", SecretString=json.dumps(
            {"username": "puller", "password": "Reg-Pa55-7730"}))["ARN"]
        stack.iam.put_role_policy(RoleName="exec-ok", PolicyName="registry", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": creds_arn}]}))
        stack.register("private", [{"name": "app", "image": image, "command": ["true"],
                                    "repositoryCredentials": {"credentialsParameter": creds_arn}}],
                       executionRoleArn=role("exec-ok"))
        t = stack.wait_status(stack.run("private"), "STOPPED")
        assert t["stopCode"] == "EssentialContainerExited", t.get("stoppedReason")
        assert stack.container(t, "app")["exitCode"] == 0

        stack.register("private-anon", [{"name": "app", "image": image, "command": ["true"]}])
        t = stack.wait_status(stack.run("private-anon"), "STOPPED")
        assert t["stoppedReason"].startswith("CannotPullContainerError"), t["stoppedReason"]
        assert "unauthorized" in t["stoppedReason"]

        stack.register("private-denied", [{"name": "app", "image": image, "command": ["true"],
                                           "repositoryCredentials": {"credentialsParameter": creds_arn}}],
                       executionRoleArn=role("exec-none"))
        t = stack.wait_status(stack.run("private-denied"), "STOPPED")
        assert t["stoppedReason"].startswith(REASON), t["stoppedReason"]
        assert "AccessDeniedException" in t["stoppedReason"]
    finally:
        reg.stop()


def test_log_secret_options(stack):
    """logConfiguration.secretOptions become log driver options: here the
    awslogs stream prefix comes from a parameter."""
    stack.ssm.put_parameter(Name="/app/log-prefix", Value="fromsecret", Type="SecureString")
    stack.register("logsecret", [{"name": "app", "command": ["sh", "-c", "echo logged-line"],
                                  "logConfiguration": {
                                      "logDriver": "awslogs",
                                      "options": {"awslogs-group": "/secrets/test", "awslogs-region": REGION,
                                                  "awslogs-create-group": "true"},
                                      "secretOptions": [{"name": "awslogs-stream-prefix",
                                                         "valueFrom": "/app/log-prefix"}]}}],
                   executionRoleArn=role("exec-ok"))
    arn = stack.run("logsecret")
    t = stack.wait_status(arn, "STOPPED")
    assert t["stopCode"] == "EssentialContainerExited", t.get("stoppedReason")
    logs = berth_proc.client(stack.server.endpoint, service="logs")
    stream = "fromsecret/app/" + berth_proc.task_id(arn)
    berth_proc.wait_for(lambda: [e for e in logs.get_log_events(logGroupName="/secrets/test",
                                                                logStreamName=stream)["events"]
                                 if e["message"] == "logged-line"], what="the line in the secret-named stream")


def test_overrides_execution_role_is_the_one_assumed(stack):
    stack.register("overridden", [{"name": "app", "command": ["true"],
                                   "secrets": [{"name": "X", "valueFrom": "/app/db"}]}],
                   executionRoleArn=role("exec-ok"))
    arn = stack.run("overridden", overrides={"executionRoleArn": role("exec-none")})
    t = stack.wait_status(arn, "STOPPED")
    assert "AccessDeniedException" in t["stoppedReason"] and "exec-none" in t["stoppedReason"], t["stoppedReason"]


def test_another_instance_gets_no_credentials_for_the_task(stack):
    """Credentials go only to the instance the task is placed on. (Last in
    the file: the second instance has no agent and must not get tasks.)"""
    arn = run_with(stack, "placedhere", "exec-ok", [{"name": "X", "valueFrom": "/app/db"}], command=["sleep", "2"])
    stack.wait_status(arn, "RUNNING")
    token, _ = berth_proc.create_token(stack.server.endpoint, stack.cluster)
    status, answer = berth_proc.register_with_token(stack.server.endpoint, stack.cluster, token)
    assert status == 200, answer
    try:
        status, out = berth_proc.raw_call(stack.server.endpoint, "GetTaskCredentials",
                                          {"cluster": stack.cluster, "task": arn},
                                          target_prefix="BerthAgent_20261122", key=berth_proc.instance_key(answer))
        assert status == 400 and "AccessDenied" in json.dumps(out), out
        assert "credentials" not in out
    finally:
        stack.ecs.deregister_container_instance(cluster=stack.cluster, force=True,
                                                containerInstance=answer["containerInstance"]["containerInstanceArn"])
    stack.wait_status(arn, "STOPPED")
