"""A FARGATE task end to end: a real agent started with --fargate runs it
in its own network namespace (awsvpc), and the API answers in Fargate's
shape."""
import os

import pytest

import berth_proc
import stack as stackmod


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("fargate"), cluster="fge2e", agent_args=["--fargate"])
    try:
        yield s
    finally:
        try:
            for a in s.ecs.list_tasks(cluster=s.cluster)["taskArns"]:
                s.ecs.stop_task(cluster=s.cluster, task=a)
                s.wait_status(a, "STOPPED")
        finally:
            s.close()


def test_fargate_task_runs_isolated_on_a_fargate_agent(stack):
    stack.ecs.register_task_definition(
        family="fg", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": stack.image, "essential": True,
                               "command": ["sh", "-c", "echo up; sleep 300"]}])
    net = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
    arn = stack.run("fg", launchType="FARGATE", networkConfiguration=net)
    t = stack.wait_status(arn, "RUNNING")
    assert t["launchType"] == "FARGATE" and t["platformVersion"] == "1.4.0" and t["platformFamily"] == "Linux"
    assert "containerInstanceArn" not in t
    t = berth_proc.wait_for(lambda: (lambda d: d if d["attachments"] else None)(stack.describe(arn)),
                            what="the ENI attachment")
    att = t["attachments"][0]
    assert att["type"] == "ElasticNetworkInterface" and att["status"] == "ATTACHED"
    details = {d["name"]: d["value"] for d in att["details"]}
    assert details["privateIPv4Address"]
    # Its own network namespace on the agent.
    tid = arn.rsplit("/", 1)[1]
    assert os.listdir(os.path.join(stack.agent_dir, "netns")) == [tid]
    berth_proc.wait_for(lambda: "up" in stack.stdout(arn, "app"), what="the container's output")
    # An EC2 task has nowhere to go: the only instance is Fargate capacity.
    stack.register("ec2", [{"name": "a", "command": ["true"]}])
    out = stack.ecs.run_task(cluster=stack.cluster, taskDefinition="ec2")
    assert out["tasks"] == [] and out["failures"][0]["reason"] == "MemberOf placement constraint unsatisfied."
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    stack.wait_status(arn, "STOPPED")
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])
