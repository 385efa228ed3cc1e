"""SubmitAttachmentStateChanges: the agent-side ECS call that moves a task's
attachment through its statuses, for the caller's own tasks only (an
instance principal), with boto3 and the AWS CLI v2."""
import json
import subprocess

import pytest

import berth_proc

AGENT = berth_proc.AGENT_TARGET


@pytest.fixture
def att(fresh_server):
    """Two instances registered with tokens (their own keys) and a task on
    the first whose agent reported an ENI attachment."""
    ep = fresh_server.endpoint
    ecs = berth_proc.client(ep)
    ecs.create_cluster(clusterName="att")
    ecs.register_task_definition(family="att", containerDefinitions=[
        {"name": "app", "image": "busybox", "memory": 64, "essential": True}])
    insts = []
    for _ in range(2):
        token, _ = berth_proc.create_token(ep, "att")
        status, out = berth_proc.register_with_token(ep, "att", token)
        assert status == 200, out
        insts.append((out["containerInstance"]["containerInstanceArn"], berth_proc.instance_key(out)))
    task = ecs.start_task(cluster="att", taskDefinition="att", containerInstances=[insts[0][0]])["tasks"][0]
    status, out = berth_proc.raw_call(ep, "ReportAttachments", {
        "cluster": "att", "task": task["taskArn"],
        "attachments": [{"id": "0f4c7a52-9e0b-4d3e-a1b7-2c5d8e9f0a11", "type": "ElasticNetworkInterface",
                         "status": "PRECREATED", "details": [{"name": "privateIPv4Address", "value": "10.0.0.9"}]}]},
        target_prefix=AGENT, key=insts[0][1])
    assert status == 200, out
    prefix = task["taskArn"].split(":task/")[0]
    arn = prefix + ":attachment/0f4c7a52-9e0b-4d3e-a1b7-2c5d8e9f0a11"
    yield fresh_server, ecs, task["taskArn"], arn, insts


def att_status(ecs, task_arn):
    return ecs.describe_tasks(cluster="att", tasks=[task_arn])["tasks"][0]["attachments"][0]["status"]


def test_root_and_own_instance_move_the_attachment(att):
    server, ecs, task_arn, arn, insts = att
    out = ecs.submit_attachment_state_changes(cluster="att", attachments=[{"attachmentArn": arn,
                                                                          "status": "ATTACHING"}])
    assert out["acknowledgment"] == "ACK"
    assert att_status(ecs, task_arn) == "ATTACHING"
    # The instance running the task reports with its own key.
    status, out = berth_proc.raw_call(server.endpoint, "SubmitAttachmentStateChanges", {
        "cluster": "att", "attachments": [{"attachmentArn": arn, "status": "ATTACHED"}]}, key=insts[0][1])
    assert status == 200 and out["acknowledgment"] == "ACK", out
    t = ecs.describe_tasks(cluster="att", tasks=[task_arn])["tasks"][0]
    assert t["attachments"][0]["status"] == "ATTACHED"
    # Only the status moved: the agent's details stay.
    assert t["attachments"][0]["details"] == [{"name": "privateIPv4Address", "value": "10.0.0.9"}]


def test_another_instance_cannot_touch_the_attachment(att):
    server, ecs, task_arn, arn, insts = att
    status, out = berth_proc.raw_call(server.endpoint, "SubmitAttachmentStateChanges", {
        "cluster": "att", "attachments": [{"attachmentArn": arn, "status": "DETACHED"}]}, key=insts[1][1])
    assert status == 400 and out["__type"] == "InvalidParameterException", out
    assert "was not found" in out["message"]
    assert att_status(ecs, task_arn) == "PRECREATED"


@pytest.mark.parametrize("attachments, words", [
    ([], "between 1 and 10"),
    ([{"attachmentArn": "ARN", "status": "SIDEWAYS"}], "invalid attachment status 'SIDEWAYS'"),
    ([{"attachmentArn": "arn:aws:ecs:us-east-1:000000000000:task/att/0123", "status": "ATTACHED"}],
     "Invalid attachment ARN"),
    ([{"attachmentArn": "not-an-arn", "status": "ATTACHED"}], "Invalid attachment ARN"),
    ([{"attachmentArn": "arn:aws:ecs:eu-west-9:000000000000:attachment/x", "status": "ATTACHED"}],
     "not in this region and account"),
    ([{"attachmentArn": "arn:aws:ecs:us-east-1:000000000000:attachment/nope", "status": "ATTACHED"}],
     "was not found in cluster att"),
])
def test_bad_changes_are_refused_and_change_nothing(att, attachments, words):
    server, ecs, task_arn, arn, insts = att
    # A good change first in the same call: all or nothing.
    good = [{"attachmentArn": arn, "status": "ATTACHED"}] if attachments else []
    body = {"cluster": "att", "attachments": good + [dict(a, attachmentArn=a["attachmentArn"].replace(
        "ARN", arn)) for a in attachments]}
    status, out = berth_proc.raw_call(server.endpoint, "SubmitAttachmentStateChanges", body)
    assert status == 400 and out["__type"] == "InvalidParameterException", out
    assert words in out["message"], out
    assert att_status(ecs, task_arn) == "PRECREATED"


def test_unknown_cluster(att):
    server, ecs, task_arn, arn, insts = att
    status, out = berth_proc.raw_call(server.endpoint, "SubmitAttachmentStateChanges", {
        "cluster": "nope", "attachments": [{"attachmentArn": arn, "status": "ATTACHED"}]})
    assert status == 400 and out["__type"] == "ClusterNotFoundException", out


def test_aws_cli(att, tmp_path):
    server, ecs, task_arn, arn, insts = att
    p = subprocess.run([berth_proc.AWS_V2, "ecs", "submit-attachment-state-changes", "--cluster", "att",
                        "--attachments", f"attachmentArn={arn},status=DETACHING",
                        "--endpoint-url", server.endpoint, "--output", "json"],
                       env=berth_proc.aws_cli_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"acknowledgment": "ACK"}
    assert att_status(ecs, task_arn) == "DETACHING"
