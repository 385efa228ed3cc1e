"""The endpoint at 169.254.170.2 inside tasks: the task role's credentials
(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) read with busybox wget from inside
a container and used against berth with exactly the role's permissions; a
task cannot read another task's credentials; task metadata v4 (and v3)
with the task's containers and their stats from cgroups."""
import glob
import json
import os
import subprocess
import urllib.error
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest

import berth_proc
import stack as stackmod

ACCOUNT = "000000000000"
REGION = berth_proc.REGION
HOLD = ["sh", "-c", "sleep 600"]


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def role(name):
    return "arn:aws:iam::%s:role/%s" % (ACCOUNT, name)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # host networking needs --allow-privileged (host protection)
    s = stackmod.Stack(tmp_path_factory.mktemp("endpoint"), agent_args=["--allow-privileged"] + stackmod.net_args())
    iam = berth_proc.client(s.server.endpoint, service="iam")
    # ECS's documented trust policy for task roles, with its guard against
    # the confused deputy (aws:SourceAccount, aws:SourceArn).
    guarded = json.loads(trust({"Service": "ecs-tasks.amazonaws.com"}))
    guarded["Statement"][0]["Condition"] = {"ArnLike": {"aws:SourceArn": "arn:aws:ecs:%s:%s:*" % (REGION, ACCOUNT)},
                                            "StringEquals": {"aws:SourceAccount": ACCOUNT}}
    iam.create_role(RoleName="app-task", AssumeRolePolicyDocument=json.dumps(guarded))
    iam.put_role_policy(RoleName="app-task", PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:ListTasks", "Resource": "*"}]}))
    iam.create_role(RoleName="app-untrusting", AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::%s:root" % ACCOUNT}))
    yield s
    s.close()


def records(stack, arn, name):
    """A container's stdout lines, with the partial records conmon splits a
    long line into joined again."""
    lines, cur = [], ""
    for parts in stack.log(arn, name):
        if len(parts) != 4 or parts[1] != "stdout":
            continue
        cur += parts[3]
        if parts[2] != "P":
            lines.append(cur)
            cur = ""
    return lines


def wait_line(stack, arn, name, prefix, timeout=60):
    return berth_proc.wait_for(
        lambda: next((l[len(prefix):] for l in records(stack, arn, name) if l.startswith(prefix)), None),
        timeout=timeout, what="%s from %s" % (prefix, name))


def stop(stack, *arns):
    for arn in arns:
        stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    for arn in arns:
        stack.wait_status(arn, "STOPPED")


def ecs_with(stack, creds):
    cfg = botocore.config.Config(retries={"max_attempts": 1})
    return boto3.client("ecs", endpoint_url=stack.server.endpoint, region_name=REGION, config=cfg,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["Token"])


def host_get(path):
    """GET http://169.254.170.2<path> from this host, as a host-network task would: (status, body)."""
    try:
        with urllib.request.urlopen("http://169.254.170.2" + path, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# A container reads its own credentials URI and prints the answer on one line.
READ_CREDS = ('echo "URI=$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"; '
              'echo "CREDS=$(wget -q -O - http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"; '
              'sleep 600')


def test_task_role_credentials_from_inside_with_the_roles_permissions(stack):
    stack.register("withrole", [{"name": "app", "command": ["sh", "-c", READ_CREDS], "stopTimeout": 2}], taskRoleArn=role("app-task"))
    arn = stack.run("withrole")
    try:
        uri = wait_line(stack, arn, "app", "URI=")
        assert uri.startswith("/v2/credentials/") and len(uri) == len("/v2/credentials/") + 36
        creds = json.loads(wait_line(stack, arn, "app", "CREDS="))
        assert set(creds) == {"RoleArn", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
        assert creds["RoleArn"] == role("app-task")
        assert creds["AccessKeyId"].startswith("ASIA") and creds["Expiration"].endswith("Z")

        ecs = ecs_with(stack, creds)
        assert arn in ecs.list_tasks(cluster=stack.cluster)["taskArns"]
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ecs.delete_cluster(cluster=stack.cluster)
        assert e.value.response["Error"]["Code"] == "AccessDeniedException"
        sts = boto3.client("sts", endpoint_url=stack.server.endpoint, region_name=REGION,
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["Token"])
        who = sts.get_caller_identity()["Arn"]
        assert who == "arn:aws:sts::%s:assumed-role/app-task/%s" % (ACCOUNT, arn.rsplit("/", 1)[1])

        # Not in DescribeTasks, not in the task's records on the server.
        assert creds["SecretAccessKey"] not in json.dumps(stack.describe(arn), default=str)

        # Another task on the bridge, given the URI, is refused; so is this
        # host (the task is a bridge task: only its own address may ask).
        stack.register("thief", [{"name": "t", "command": [
            "sh", "-c", 'wget -q -O - http://169.254.170.2%s; echo "RC=$?"' % uri]}])
        thief = stack.run("thief")
        stack.wait_status(thief, "STOPPED")
        out = records(stack, thief, "t")
        assert "RC=1" in out and not any("AccessKeyId" in l for l in out), out
        status, body = host_get(uri)
        assert status == 404 and "AccessKeyId" not in body
        status, _ = host_get("/v2/credentials/00000000-0000-4000-8000-000000000000")
        assert status == 404
    finally:
        stop(stack, arn)


def test_a_restarted_agent_answers_the_same_uris(stack):
    """The ids are in the containers' environment: an agent killed and
    started again (re-adopting the task) serves them again, from the
    bridge."""
    loop = ('while true; do echo "N=$(wget -q -O - http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI '
            '| grep -c AccessKeyId)"; sleep 1; done')
    stack.register("survivor", [{"name": "app", "command": ["sh", "-c", loop], "stopTimeout": 2}],
                   taskRoleArn=role("app-task"))
    arn = stack.run("survivor")
    try:
        berth_proc.wait_for(lambda: "N=1" in records(stack, arn, "app"), timeout=60, what="a first read")
        stack.agent.kill9()
        stack.start_agent()
        seen = len(records(stack, arn, "app"))
        # Reads fail while no agent listens; once it is back they work again.
        berth_proc.wait_for(lambda: "N=1" in records(stack, arn, "app")[seen:], timeout=60,
                            what="a read served by the restarted agent")
    finally:
        stop(stack, arn)


@pytest.mark.host_exclusive
def test_host_network_task_reads_its_credentials_and_no_role_means_no_uri(stack, tmp_path):
    stack.register("hostrole", [{"name": "app", "command": ["sh", "-c", READ_CREDS], "stopTimeout": 2}],
                   taskRoleArn=role("app-task"), networkMode="host")
    stack.register("norole", [{"name": "app", "command": [
        "sh", "-c", 'echo "URI=[$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI] V4=$ECS_CONTAINER_METADATA_URI_V4"']}])
    arn = stack.run("hostrole")
    plain = stack.run("norole")
    try:
        creds = json.loads(wait_line(stack, arn, "app", "CREDS="))
        assert creds["RoleArn"] == role("app-task")
        # Host-network tasks share the host's addresses: the id is the check.
        uri = wait_line(stack, arn, "app", "URI=")
        status, body = host_get(uri)
        assert status == 200 and json.loads(body)["AccessKeyId"] == creds["AccessKeyId"]
        # The AWS CLI's own container credential provider takes them as they are.
        env = berth_proc.aws_cli_env(tmp_path, key=None, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=uri)
        cli = subprocess.run(["/usr/bin/aws", "--endpoint-url", stack.server.endpoint, "ecs", "list-tasks",
                              "--cluster", stack.cluster, "--output", "json"], env=env, capture_output=True,
                             text=True, timeout=60)
        assert cli.returncode == 0 and arn in json.loads(cli.stdout)["taskArns"], cli.stderr
        cli = subprocess.run(["/usr/bin/aws", "--endpoint-url", stack.server.endpoint, "ecs", "delete-cluster",
                              "--cluster", stack.cluster], env=env, capture_output=True, text=True, timeout=60)
        assert cli.returncode != 0 and "AccessDeniedException" in cli.stderr, cli.stderr
        line = wait_line(stack, plain, "app", "URI=")
        assert line.startswith("[] V4=http://169.254.170.2/v4/"), line
    finally:
        stop(stack, arn, plain)


def test_a_role_that_does_not_trust_ecs_tasks_gets_no_credentials(stack):
    stack.register("untrusted", [{"name": "app", "command": [
        "sh", "-c", 'wget -q -O - http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; echo "RC=$?"']}],
        taskRoleArn=role("app-untrusting"))
    arn = stack.run("untrusted")
    stack.wait_status(arn, "STOPPED")
    out = records(stack, arn, "app")
    assert "RC=1" in out and not any("AccessKeyId" in l for l in out), out


META = ('until wget -q -O - $ECS_CONTAINER_METADATA_URI_V4 | grep -q \'"KnownStatus":"RUNNING"\'; do sleep 1; done; '
        'echo "TASK=$(wget -q -O - $ECS_CONTAINER_METADATA_URI_V4/task)"; '
        'echo "SELF=$(wget -q -O - $ECS_CONTAINER_METADATA_URI_V4)"; '
        'echo "V3=$(wget -q -O - $ECS_CONTAINER_METADATA_URI/task)"; '
        'head -c 8000000 /dev/zero > /tmp/ballast; '
        'echo "STATS=$(wget -q -O - $ECS_CONTAINER_METADATA_URI_V4/task/stats)"; '
        'echo "ONE=$(wget -q -O - $ECS_CONTAINER_METADATA_URI_V4/stats)"; sleep 600')


def test_metadata_v4_task_and_stats(stack):
    stack.register("meta", [{"name": "app", "command": ["sh", "-c", META], "stopTimeout": 2},
                            {"name": "side", "essential": False, "command": HOLD, "stopTimeout": 2}],
                   cpu="256", memory="256")
    arn = stack.run("meta")
    try:
        task = json.loads(wait_line(stack, arn, "app", "TASK="))
        assert task["TaskARN"] == arn
        assert task["Cluster"].endswith(":cluster/" + stack.cluster)
        assert task["Family"] == "meta" and task["Revision"] == "1"
        assert task["Limits"] == {"CPU": 0.25, "Memory": 256}
        assert task["LaunchType"] == "EC2" and task["DesiredStatus"] == "RUNNING"
        names = sorted(c["Name"] for c in task["Containers"])
        assert names == ["app", "side"]
        app = [c for c in task["Containers"] if c["Name"] == "app"][0]
        assert app["KnownStatus"] == "RUNNING" and app["Image"] == stack.image
        assert app["Labels"]["com.amazonaws.ecs.task-arn"] == arn
        assert app["ContainerARN"] == stack.container(stack.describe(arn), "app")["containerArn"]
        assert app["Networks"][0]["NetworkMode"] == "bridge" and app["Networks"][0]["IPv4Addresses"]

        me = json.loads(wait_line(stack, arn, "app", "SELF="))
        assert me["Name"] == "app" and me["DockerId"] == app["DockerId"]
        v3 = json.loads(wait_line(stack, arn, "app", "V3="))
        assert v3["TaskARN"] == arn and "ContainerARN" not in v3["Containers"][0]

        stats = json.loads(wait_line(stack, arn, "app", "STATS="))
        assert set(stats) == {c["DockerId"] for c in task["Containers"]}
        mine = stats[app["DockerId"]]
        # The 8 MB in /dev/shm are charged to the container's memory cgroup.
        assert mine["memory_stats"]["usage"] > 8000000, mine["memory_stats"]
        assert mine["memory_stats"]["limit"] > 0
        assert mine["cpu_stats"]["cpu_usage"]["total_usage"] > 0
        assert mine["cpu_stats"]["online_cpus"] >= 1
        # It has fetched metadata over its eth0 by now.
        assert mine["networks"]["eth0"]["rx_bytes"] > 0 and mine["networks"]["eth0"]["tx_packets"] > 0
        one = json.loads(wait_line(stack, arn, "app", "ONE="))
        assert one["id"] == app["DockerId"] and one["memory_stats"]["usage"] > 0
        # A second read within the same container carries the first as precpu_stats.
        assert one["precpu_stats"]["cpu_usage"]["total_usage"] > 0
    finally:
        stop(stack, arn)


def test_get_task_credentials_role_type(stack):
    """BerthAgent.GetTaskCredentials roleType: TASK needs a taskRoleArn;
    anything but TASK or EXECUTION is refused."""
    stack.register("plainhold", [{"name": "app", "command": HOLD, "stopTimeout": 2}])
    arn = stack.run("plainhold")
    try:
        stack.wait_status(arn, "RUNNING")
        call = lambda body: berth_proc.raw_call(stack.server.endpoint, "GetTaskCredentials",  # noqa: E731
                                                dict(body, cluster=stack.cluster, task=arn),
                                                target_prefix="BerthAgent_20261122")
        status, out = call({"roleType": "TASK"})
        assert status == 400 and out["__type"] == "ClientException" and "no taskRoleArn" in out["message"], out
        status, out = call({"roleType": "ADMIN"})
        assert status == 400 and "roleType must be TASK or EXECUTION" in out["message"], out
        status, out = call({"roleType": 7})
        assert status == 400 and "roleType" in out["message"], out
    finally:
        stop(stack, arn)


# Waits for /tmp/go (made through berth exec once the test has set the
# device's throttle rule), reads its own busybox with O_DIRECT, prints its stats.
BLKIO = ('until [ -e /tmp/go ]; do sleep 0.2; done; dd if=/bin/busybox of=/dev/null bs=4096 iflag=direct; '
         'echo "BLKIO=$(wget -q -O - $ECS_CONTAINER_METADATA_URI_V4/task/stats)"; sleep 600')


def test_task_stats_show_block_io(stack):
    stack.register("blkio", [{"name": "app", "command": ["sh", "-c", BLKIO], "stopTimeout": 2}])
    arn = stack.run("blkio", enableExecuteCommand=True)
    try:
        stack.wait_status(arn, "RUNNING")
        tid = arn.rsplit("/", 1)[1]
        st = os.stat(stack.agent_dir)
        dev = (os.major(st.st_dev), os.minor(st.st_dev))
        v1 = glob.glob("/sys/fs/cgroup/blkio/*/%s/*/" % tid)
        if v1:
            # cgroup v1 on a multi-queue kernel counts a cgroup's I/O only
            # once throttling is on for the device: a limit nothing reaches.
            with open(os.path.join(v1[0], "blkio.throttle.read_bps_device"), "w") as f:
                f.write("%d:%d %d\n" % (dev[0], dev[1], 1 << 40))
        p = subprocess.run([berth_proc.BERTH_BIN, "exec", "--endpoint", stack.server.endpoint, stack.cluster, arn,
                            "--", "touch", "/tmp/go"], capture_output=True, timeout=60, env=berth_proc.client_env())
        assert p.returncode == 0, p.stderr
        stats = json.loads(wait_line(stack, arn, "app", "BLKIO="))
        (mine,) = stats.values()
        blkio = mine["blkio_stats"]
        reads = [e["value"] for e in blkio["io_service_bytes_recursive"]
                 if (e["major"], e["minor"]) == dev and e["op"].lower() == "read"]
        ios = [e["value"] for e in blkio["io_serviced_recursive"]
               if (e["major"], e["minor"]) == dev and e["op"].lower() == "read"]
        # busybox is more than 4 KiB: several direct reads of the device.
        assert reads and reads[0] >= 4096 * 2, blkio
        assert ios and ios[0] >= 2, blkio
    finally:
        stop(stack, arn)
