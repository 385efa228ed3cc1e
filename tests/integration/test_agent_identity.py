"""Agent identity: cluster registration tokens (`berth cluster token`),
registration with a token giving the instance credentials of its own, and
an instance principal acting only for itself and its own tasks."""
import json
import os
import subprocess
import time

import pytest

import berth_proc
import stack as stackmod

AGENT = berth_proc.AGENT_TARGET


@pytest.fixture
def srv(fresh_server):
    ecs = berth_proc.client(fresh_server.endpoint)
    ecs.create_cluster(clusterName="idc")
    ecs.create_cluster(clusterName="other")
    ecs.register_task_definition(family="idt", containerDefinitions=[
        {"name": "app", "image": "busybox", "memory": 64, "essential": True}])
    return fresh_server, ecs


def cli(endpoint, *args, key=berth_proc.ROOT_KEY):
    return subprocess.run([berth_proc.BERTH_BIN, "cluster", *args, "--endpoint", endpoint],
                          env=berth_proc.client_env(key=key), capture_output=True, text=True, timeout=60)


def call(endpoint, action, body, key, target=AGENT):
    return berth_proc.raw_call(endpoint, action, body, target_prefix=target, key=key)


def joined(endpoint, cluster="idc"):
    """A new instance registered with a fresh token: (ARN, its credentials)."""
    token, _ = berth_proc.create_token(endpoint, cluster)
    status, out = berth_proc.register_with_token(endpoint, cluster, token)
    assert status == 200, out
    return out["containerInstance"]["containerInstanceArn"], berth_proc.instance_key(out)


def test_token_create_list_revoke_with_the_cli(srv):
    server, ecs = srv
    made = cli(server.endpoint, "token", "create", "idc", "--expires-in", "2h")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    tid = token.split(".")[0]
    assert len(token) == 81 and "\n" not in token and tid in made.stderr and token not in made.stderr

    listed = cli(server.endpoint, "token", "list", "idc", "--json")
    assert listed.returncode == 0, listed.stderr
    toks = json.loads(listed.stdout)["registrationTokens"]
    assert [t["tokenId"] for t in toks] == [tid] and toks[0]["status"] == "ACTIVE"
    assert 7100 < toks[0]["expiresAt"] - toks[0]["createdAt"] <= 7200
    assert toks[0]["createdBy"] == "arn:aws:iam::000000000000:root"
    # Shown once: no listing repeats the token.
    assert token.split(".")[1] not in listed.stdout
    table = cli(server.endpoint, "token", "list", "idc")
    assert tid in table.stdout and "ACTIVE" in table.stdout

    revoked = cli(server.endpoint, "token", "revoke", "idc", tid)
    assert revoked.returncode == 0, revoked.stderr
    toks = json.loads(cli(server.endpoint, "token", "list", "idc", "--json").stdout)["registrationTokens"]
    assert toks[0]["status"] == "REVOKED" and "revokedAt" in toks[0]

    # Pages: oldest first, nextToken to go on.
    more = [berth_proc.create_token(server.endpoint, "idc")[1]["tokenId"] for _ in range(2)]
    status, page = call(server.endpoint, "ListRegistrationTokens", {"cluster": "idc", "maxResults": 2},
                        berth_proc.ROOT_KEY)
    assert status == 200 and [t["tokenId"] for t in page["registrationTokens"]] == [tid, more[0]]
    status, page = call(server.endpoint, "ListRegistrationTokens",
                        {"cluster": "idc", "maxResults": 2, "nextToken": page["nextToken"]}, berth_proc.ROOT_KEY)
    assert [t["tokenId"] for t in page["registrationTokens"]] == [more[1]] and "nextToken" not in page
    status, out = call(server.endpoint, "CreateRegistrationToken", {"cluster": "idc", "expiresInSeconds": 0},
                       berth_proc.ROOT_KEY)
    assert status == 400 and out["__type"] == "InvalidParameterException"

    missing = cli(server.endpoint, "token", "revoke", "idc", "0123456789abcdef")
    assert missing.returncode == 1 and "ResourceNotFoundException" in missing.stderr
    nocluster = cli(server.endpoint, "token", "create", "nope")
    assert nocluster.returncode == 1 and "ClusterNotFoundException" in nocluster.stderr
    # Without credentials the CLI says so; with a bad key the server refuses.
    assert cli(server.endpoint, "token", "list", "idc", key=None).returncode == 1
    bad = cli(server.endpoint, "token", "list", "idc", key=berth_proc.new_key())
    assert bad.returncode == 1 and "UnrecognizedClientException" in bad.stderr


def test_token_registration_gives_working_instance_credentials(srv):
    server, ecs = srv
    token, desc = berth_proc.create_token(server.endpoint, "idc")
    status, out = berth_proc.register_with_token(server.endpoint, "idc", token)
    assert status == 200, out
    arn = out["containerInstance"]["containerInstanceArn"]
    key = berth_proc.instance_key(out)
    assert arn.startswith("arn:aws:ecs:us-east-1:000000000000:container-instance/idc/")
    assert key.access_key.startswith("AKIA") and len(key.secret_key) == 40
    # The instance key signs the agent's calls: a poll for itself...
    status, out = call(server.endpoint, "PollTasks", {"cluster": "idc", "containerInstance": arn}, key)
    assert status == 200 and out["tasks"] == [], out
    # ...and re-registering itself, which keeps the key it has.
    status, again = call(server.endpoint, "RegisterContainerInstance", {
        "cluster": "idc", "containerInstanceArn": arn,
        "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 1024}]}, key)
    assert status == 200 and again["containerInstance"]["containerInstanceArn"] == arn
    assert "credentials" not in again
    listed = ecs.list_container_instances(cluster="idc")["containerInstanceArns"]
    assert listed == [arn]
    tok = [t for t in call(server.endpoint, "ListRegistrationTokens", {"cluster": "idc"},
                           berth_proc.ROOT_KEY)[1]["registrationTokens"] if t["tokenId"] == desc["tokenId"]]
    assert "lastUsedAt" in tok[0]
    # The instance cannot mint tokens for more agents.
    status, out = call(server.endpoint, "CreateRegistrationToken", {"cluster": "idc"}, key)
    assert status == 400 and out["__type"] == "AccessDeniedException"
    # Root (an IAM identity allowed ecs:RegisterContainerInstance) gets a key too.
    status, out = call(server.endpoint, "RegisterContainerInstance", {"cluster": "idc"}, berth_proc.ROOT_KEY)
    assert status == 200 and out["credentials"]["accessKeyId"].startswith("AKIA")


def test_refused_tokens(srv):
    server, ecs = srv
    # Another cluster's token.
    other, _ = berth_proc.create_token(server.endpoint, "other")
    status, out = berth_proc.register_with_token(server.endpoint, "idc", other)
    assert status == 400 and out["__type"] == "AccessDeniedException"
    assert "another cluster" in out["message"] and other not in out["message"]
    # A revoked one.
    revoked, desc = berth_proc.create_token(server.endpoint, "idc")
    assert call(server.endpoint, "RevokeRegistrationToken", {"cluster": "idc", "tokenId": desc["tokenId"]},
                berth_proc.ROOT_KEY)[0] == 200
    status, out = berth_proc.register_with_token(server.endpoint, "idc", revoked)
    assert status == 400 and out["__type"] == "AccessDeniedException" and "revoked" in out["message"]
    # An expired one.
    expiring, _ = berth_proc.create_token(server.endpoint, "idc", expires_in=1)
    time.sleep(1.2)
    status, out = berth_proc.register_with_token(server.endpoint, "idc", expiring)
    assert status == 400 and out["__type"] == "AccessDeniedException" and "expired" in out["message"]
    # Made up, or altered.
    good, _ = berth_proc.create_token(server.endpoint, "idc")
    for bad in ("nonsense", good[:-1] + ("0" if good[-1] != "0" else "1")):
        status, out = berth_proc.register_with_token(server.endpoint, "idc", bad)
        assert status == 400 and out["__type"] == "AccessDeniedException" and "not valid" in out["message"]
    # A token registers a new instance, not an existing one.
    status, out = berth_proc.register_with_token(server.endpoint, "idc", good, containerInstanceArn="x")
    assert status == 400 and out["__type"] == "ClientException"
    # No token and no signature.
    status, out = berth_proc.raw_call(server.endpoint, "RegisterContainerInstance", {"cluster": "idc"},
                                      target_prefix=AGENT, signed=False)
    assert status == 403 and out["__type"] == "MissingAuthenticationTokenException"
    # A token does not excuse a bad signature.
    status, out = berth_proc.raw_call(server.endpoint, "RegisterContainerInstance",
                                      {"cluster": "idc", "registrationToken": good}, target_prefix=AGENT,
                                      key=berth_proc.new_key())
    assert status == 400 and out["__type"] == "UnrecognizedClientException"
    # Other actions still want a signature.
    status, out = berth_proc.raw_call(server.endpoint, "PollTasks", {"cluster": "idc"}, target_prefix=AGENT,
                                      signed=False)
    assert status == 403 and out["__type"] == "MissingAuthenticationTokenException"
    assert ecs.list_container_instances(cluster="idc")["containerInstanceArns"] == []


def test_an_instance_acts_only_for_itself(srv):
    server, ecs = srv
    a_arn, a_key = joined(server.endpoint)
    b_arn, b_key = joined(server.endpoint)
    task = ecs.start_task(cluster="idc", taskDefinition="idt", containerInstances=[b_arn])["tasks"][0]
    tarn = task["taskArn"]

    def denied(action, body, key, target=AGENT):
        status, out = call(server.endpoint, action, body, key, target)
        assert status == 400 and out["__type"] == "AccessDeniedException", (action, out)

    # A cannot poll for B (which would show it B's task definitions), in bulk, or in another cluster.
    denied("PollTasks", {"cluster": "idc", "containerInstance": b_arn}, a_key)
    denied("PollTasks", {"cluster": "idc", "containerInstance": b_arn.rsplit("/", 1)[1]}, a_key)
    denied("PollTasks", {"cluster": "idc", "agentId": "anything"}, a_key)
    denied("PollTasks", {"cluster": "other", "containerInstance": a_arn.rsplit("/", 1)[1]}, a_key)
    # A cannot report on B's task, alone or batched.
    ecs_t = berth_proc.ECS_TARGET
    denied("SubmitTaskStateChange", {"cluster": "idc", "task": tarn, "status": "STOPPED"}, a_key, ecs_t)
    denied("SubmitContainerStateChange", {"cluster": "idc", "task": tarn, "containerName": "app",
                                          "status": "STOPPED"}, a_key, ecs_t)
    denied("ReportHealth", {"cluster": "idc", "task": tarn, "healthStatus": "UNHEALTHY"}, a_key)
    denied("ReportMetrics", {"cluster": "idc", "task": tarn, "cpuUnits": 1024, "memoryMiB": 1}, a_key)
    denied("SubmitReports", {"reports": [{"target": ecs_t + ".SubmitTaskStateChange",
                                          "body": {"cluster": "idc", "task": tarn, "status": "STOPPED"}}]}, a_key)
    # Nor re-register as B, nor register another instance.
    denied("RegisterContainerInstance", {"cluster": "idc", "containerInstanceArn": b_arn}, a_key)
    denied("RegisterContainerInstance", {"cluster": "idc", "containerInstanceArn": b_arn}, a_key, ecs_t)
    denied("RegisterContainerInstance", {"cluster": "idc"}, a_key, ecs_t)
    # Nor deregister B.
    denied("DeregisterContainerInstance", {"cluster": "idc", "containerInstance": b_arn}, a_key, ecs_t)
    assert ecs.describe_tasks(cluster="idc", tasks=[tarn])["tasks"][0]["lastStatus"] == "PROVISIONING"

    # B's own work goes on.
    status, out = call(server.endpoint, "PollTasks", {"cluster": "idc", "containerInstance": b_arn}, b_key)
    assert status == 200 and [t["taskArn"] for t in out["tasks"]] == [tarn]
    status, out = call(server.endpoint, "SubmitTaskStateChange", {
        "cluster": "idc", "task": tarn, "status": "RUNNING",
        "containers": [{"containerName": "app", "status": "RUNNING"}]}, b_key, ecs_t)
    assert status == 200, out
    assert ecs.describe_tasks(cluster="idc", tasks=[tarn])["tasks"][0]["lastStatus"] == "RUNNING"

    # Logs: only to a stream of its own task.
    logs = berth_proc.client(server.endpoint, service="logs")
    logs.create_log_group(logGroupName="idg")
    tid = berth_proc.task_id(tarn)
    stream = "p/app/" + tid
    logs.create_log_stream(logGroupName="idg", logStreamName=stream)
    put = {"logGroupName": "idg", "logStreamName": stream, "shipperId": "s", "offset": 1,
           "logEvents": [{"timestamp": int(time.time() * 1000), "message": "hi"}]}
    denied("PutLogEvents", put, a_key)
    assert call(server.endpoint, "PutLogEvents", put, b_key)[0] == 200
    denied("PutLogEvents", dict(put, logStreamName="not-a-task-stream"), b_key)

    # Each refusal was logged with the caller and the target.
    log = server.log()
    assert "agent identity: %s denied PollTasks" % a_arn in log and b_arn in log

    # Deregistered, an instance's key stops working.
    ecs.deregister_container_instance(cluster="idc", containerInstance=a_arn)
    status, out = call(server.endpoint, "PollTasks", {"cluster": "idc", "containerInstance": a_arn}, a_key)
    assert status in (400, 403) and out["__type"] == "UnrecognizedClientException"


def test_agent_joins_with_a_token_and_keeps_its_identity(fresh_server, tmp_path):
    ecs = berth_proc.client(fresh_server.endpoint)
    ecs.create_cluster(clusterName="join")
    token, desc = berth_proc.create_token(fresh_server.endpoint, "join")
    agent_dir = tmp_path / "agent"
    net = stackmod.net_args()
    agent = berth_proc.BerthAgent(fresh_server.endpoint, "join", agent_dir, tmp_path / "agent.log", key=None,
                                  token=token, extra_args=net).start()
    try:
        arns = berth_proc.wait_for(lambda: ecs.list_container_instances(cluster="join")["containerInstanceArns"],
                                   what="the agent to register")
        ident = agent_dir / "instance.json"
        berth_proc.wait_for(lambda: ident.exists(), what="the identity file")
        assert os.stat(ident).st_mode & 0o777 == 0o600
        saved = json.loads(ident.read_text())
        assert saved["containerInstanceArn"] == arns[0] and saved["accessKeyId"].startswith("AKIA")
        assert saved["secretAccessKey"] not in agent.log() and token not in agent.log()
        berth_proc.wait_for(lambda: ecs.describe_container_instances(cluster="join", containerInstances=arns)[
            "containerInstances"][0]["agentConnected"], what="the agent to poll")
    finally:
        agent.stop()
    # Revoke the token: the restarted agent needs neither it nor AWS credentials.
    assert call(fresh_server.endpoint, "RevokeRegistrationToken", {"cluster": "join", "tokenId": desc["tokenId"]},
                berth_proc.ROOT_KEY)[0] == 200
    again = berth_proc.BerthAgent(fresh_server.endpoint, "join", agent_dir, tmp_path / "agent2.log", key=None,
                                  extra_args=net).start()
    try:
        berth_proc.wait_for(lambda: "signs as %s" % saved["accessKeyId"] in again.log(), what="the restart")
        assert ecs.list_container_instances(cluster="join")["containerInstanceArns"] == arns
        assert json.loads(ident.read_text())["accessKeyId"] == saved["accessKeyId"]
    finally:
        again.stop()


def test_a_token_registers_in_its_clusters_region(fresh_server):
    """An unsigned registration has no credential scope: the token's cluster
    decides the region, not the server's default."""
    west = berth_proc.client(fresh_server.endpoint, region="us-west-2")
    west.create_cluster(clusterName="w")
    status, out = berth_proc.raw_call(fresh_server.endpoint, "CreateRegistrationToken", {"cluster": "w"},
                                      target_prefix=AGENT, region="us-west-2")
    assert status == 200, out
    status, out = berth_proc.register_with_token(fresh_server.endpoint, "w", out["token"])
    assert status == 200, out
    arn = out["containerInstance"]["containerInstanceArn"]
    assert arn.startswith("arn:aws:ecs:us-west-2:") and west.list_container_instances(cluster="w")[
        "containerInstanceArns"] == [arn]
    status, out = berth_proc.raw_call(fresh_server.endpoint, "PollTasks", {"cluster": "w", "containerInstance": arn},
                                      target_prefix=AGENT, key=berth_proc.instance_key(out), region="us-west-2")
    assert status == 200, out
