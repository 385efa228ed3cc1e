"""ECS Exec (issue 17): enableExecuteCommand on RunTask and services, the
ExecuteCommandAgent shown on the task's containers, ExecuteCommand's
session (authorised as ecs:ExecuteCommand, refused with ECS's error for a
task without execute command), and the session itself over the server's
WebSocket: `berth exec` runs a one-shot command and an interactive shell
in a running container, and a bad token is refused."""
import json
import os
import socket
import base64
import subprocess
import time

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import berth_proc
import stack as stackmod

ACCOUNT = "000000000000"
NOT_ENABLED = ("The execute command failed because execute command was not enabled when the task was run "
               "or the execute command agent isn't running.")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("exec"), cluster="exec")
    s.register("box", [{"name": "app", "hostname": "exec-box", "command": ["sleep", "3600"], "stopTimeout": 2}])
    s.task = s.run("box", enableExecuteCommand=True)
    s.wait_status(s.task, "RUNNING")
    yield s
    try:
        s.ecs.stop_task(cluster="exec", task=s.task)
        s.wait_status(s.task, "STOPPED")
    finally:
        s.close()


def berth_exec(stack, args, stdin=None, timeout=60):
    return subprocess.run([berth_proc.BERTH_BIN, "exec", "--endpoint", stack.server.endpoint] + args,
                          input=stdin, capture_output=True, timeout=timeout, env=berth_proc.client_env())


def test_task_shows_execute_command_and_its_agent(stack):
    t = stack.describe(stack.task)
    assert t["enableExecuteCommand"] is True
    agents = t["containers"][0]["managedAgents"]
    assert [(a["name"], a["lastStatus"]) for a in agents] == [("ExecuteCommandAgent", "RUNNING")]


def test_berth_exec_prints_the_containers_hostname(stack):
    p = berth_exec(stack, ["exec", stack.task, "--", "cat", "/etc/hostname"])
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().strip() == "exec-box"


def test_exit_status_and_stderr_come_back(stack):
    p = berth_exec(stack, ["exec", stack.task, "--container", "app", "--",
                           "sh", "-c", "echo out; echo 'it''s err' >&2; exit 7"])
    assert p.returncode == 7, p.stderr
    assert p.stdout.decode() == "out\n"
    assert p.stderr.decode() == "its err\n"


def test_commands_run_as_the_containers_processes(stack):
    """In the container's namespaces and cgroup: its pid namespace shows
    its own sleep as pid 1 (or under its init), and the cgroup is the task's."""
    p = berth_exec(stack, ["exec", stack.task, "--", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; id -u"])
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert "sleep 3600" in lines[0]
    assert lines[1] == "0"
    tid = stack.task.rsplit("/", 1)[1]
    p = berth_exec(stack, ["exec", stack.task, "--", "cat", "/proc/self/cgroup"])
    assert tid in p.stdout.decode()


def test_interactive_shell_round_trip(stack):
    p = berth_exec(stack, ["exec", stack.task, "--interactive", "--", "sh"], stdin=b"echo hi; exit 3\n")
    assert p.returncode == 3, (p.stdout, p.stderr)
    lines = [line.strip() for line in p.stdout.decode(errors="replace").splitlines()]
    assert "hi" in lines, lines
    # A terminal inside the container: the shell's stdin is a tty.
    p = berth_exec(stack, ["exec", stack.task, "-i", "--", "sh", "-c", "tty"], stdin=b"")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert p.stdout.decode().strip().startswith("/dev/pts/")


def test_task_without_execute_command_is_refused(stack):
    # sleep as pid 1 ignores SIGTERM: a short stopTimeout keeps the stop quick.
    stack.register("plain", [{"name": "app", "command": ["sleep", "3600"], "stopTimeout": 2}])
    arn = stack.run("plain")
    stack.wait_status(arn, "RUNNING")
    assert stack.describe(arn)["enableExecuteCommand"] is False
    assert "managedAgents" not in stack.describe(arn)["containers"][0]
    with pytest.raises(ClientError) as e:
        stack.ecs.execute_command(cluster="exec", task=arn, command="/bin/sh", interactive=True)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert e.value.response["Error"]["Message"].startswith(NOT_ENABLED)
    p = berth_exec(stack, ["exec", arn, "--", "true"])
    assert p.returncode == 1
    assert b"InvalidParameterException" in p.stderr
    stack.ecs.stop_task(cluster="exec", task=arn)
    stack.wait_status(arn, "STOPPED")


def test_principal_without_execute_command_is_denied(stack):
    iam = berth_proc.client(stack.server.endpoint, service="iam")
    iam.create_user(UserName="viewer")
    iam.put_user_policy(UserName="viewer", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="viewer")["AccessKey"]
    viewer = berth_proc.client(stack.server.endpoint, key=Credentials(k["AccessKeyId"], k["SecretAccessKey"]))
    viewer.describe_tasks(cluster="exec", tasks=[stack.task])
    with pytest.raises(ClientError) as e:
        viewer.execute_command(cluster="exec", task=stack.task, command="ls", interactive=True)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "ecs:ExecuteCommand" in e.value.response["Error"]["Message"]


def ws_open(url):
    """A raw RFC 6455 client: the handshake on the session's streamUrl."""
    assert url.startswith("ws://")
    hostport, path = url[5:].split("/", 1)
    host, port = hostport.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=20)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def ws_send_text(s, text):
    data = text.encode()
    mask = os.urandom(4)
    assert len(data) < 126
    s.sendall(bytes([0x81, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def ws_recv(s):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            assert chunk, "connection closed"
            buf += chunk
        return buf
    h = exact(2)
    n = h[1] & 0x7f
    if n == 126:
        n = int.from_bytes(exact(2), "big")
    return h[0] & 0x0f, exact(n)


def test_bad_or_reused_token_is_refused(stack):
    out = stack.ecs.execute_command(cluster="exec", task=stack.task, command="sleep 1", interactive=False)
    assert out["containerName"] == "app" and out["taskArn"] == stack.task
    session = out["session"]
    assert session["sessionId"].startswith("ecs-execute-command-")
    s = ws_open(session["streamUrl"])
    ws_send_text(s, json.dumps({"TokenValue": "0" * 64}))
    op, body = ws_recv(s)
    assert op == 8  # close
    assert int.from_bytes(body[:2], "big") == 1008
    assert b"invalid or has expired" in body[2:]
    s.close()
    # The right token still works once (the wrong one did not use it up) ...
    s = ws_open(session["streamUrl"])
    ws_send_text(s, json.dumps({"TokenValue": session["tokenValue"]}))
    # The session's first message: the server took the token (the second
    # connection must not get there first, or it would be the one let in).
    op, _ = ws_recv(s)
    assert op == 2
    # ... and not twice.
    s2 = ws_open(session["streamUrl"])
    ws_send_text(s2, json.dumps({"TokenValue": session["tokenValue"]}))
    op, body = ws_recv(s2)
    assert op == 8 and int.from_bytes(body[:2], "big") == 1008
    s2.close()
    s.close()
    # A WebSocket on another session id, or no session at all.
    s = ws_open(session["streamUrl"].replace(session["sessionId"], "ecs-execute-command-nosuchsession"))
    ws_send_text(s, json.dumps({"TokenValue": session["tokenValue"]}))
    op, body = ws_recv(s)
    assert op == 8 and int.from_bytes(body[:2], "big") == 1008
    s.close()


def test_service_records_enable_execute_command(stack):
    svc = stack.ecs.create_service(cluster="exec", serviceName="svc", taskDefinition="box", desiredCount=0,
                                   enableExecuteCommand=True)["service"]
    assert svc["enableExecuteCommand"] is True
    svc = stack.ecs.update_service(cluster="exec", service="svc", enableExecuteCommand=False)["service"]
    assert svc["enableExecuteCommand"] is False
    stack.ecs.delete_service(cluster="exec", service="svc", force=True)


def test_commands_run_as_the_containers_user(stack):
    stack.register("asuser", [{"name": "app", "user": "1234", "command": ["sleep", "3600"], "stopTimeout": 2}])
    arn = stack.run("asuser", enableExecuteCommand=True)
    try:
        stack.wait_status(arn, "RUNNING")
        p = berth_exec(stack, ["exec", arn, "--", "id", "-u"])
        assert p.returncode == 0, p.stderr
        assert p.stdout.decode().strip() == "1234"
    finally:
        stack.ecs.stop_task(cluster="exec", task=arn)
        stack.wait_status(arn, "STOPPED")


# ---- executeCommandConfiguration: sessions logged to CloudWatch Logs ----

def set_exec_config(stack, ecc):
    return stack.ecs.update_cluster(cluster="exec", configuration={"executeCommandConfiguration": ecc})["cluster"]


def session_events(stack, group, timeout=30):
    """The group's ECS Exec streams (named after the session ids) and the
    events of the newest one, once its last line ("done") is written."""
    logs = berth_proc.client(stack.server.endpoint, service="logs")
    deadline = time.monotonic() + timeout
    while True:
        streams = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime")["logStreams"]
        names = [s["logStreamName"] for s in streams if s["logStreamName"].startswith("ecs-execute-command-")]
        messages = []
        if names:
            messages = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=names[-1],
                                                                   startFromHead=True)["events"]]
        if (messages and messages[-1] == "done") or time.monotonic() > deadline:
            return names, messages
        time.sleep(0.2)


@pytest.mark.parametrize("ecc, words", [
    ({"logging": "DEFAULT", "logConfiguration": {"cloudWatchLogGroupName": "g"}}, "set logging to 'OVERRIDE'"),
    ({"logging": "NONE", "logConfiguration": {"cloudWatchLogGroupName": "g"}}, "set logging to 'OVERRIDE'"),
    ({"logging": "OVERRIDE"}, "supply a log configuration"),
    ({"logging": "OVERRIDE", "logConfiguration": {"s3BucketName": "b"}}, "berth has no S3"),
    ({"logging": "OVERRIDE", "logConfiguration": {"cloudWatchLogGroupName": "g", "cloudWatchEncryptionEnabled": True}},
     "not encrypted with a KMS key"),
])
def test_exec_configuration_is_checked_as_ecs_does(stack, ecc, words):
    for call in (lambda: set_exec_config(stack, ecc),
                 lambda: stack.ecs.create_cluster(clusterName="exec-cfg",
                                                  configuration={"executeCommandConfiguration": ecc})):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "InvalidParameterException"
        assert words in e.value.response["Error"]["Message"]


def test_session_is_logged_to_the_override_group(stack):
    logs = berth_proc.client(stack.server.endpoint, service="logs")
    # The group must exist: a session that could not be logged is refused.
    set_exec_config(stack, {"logging": "OVERRIDE", "kmsKeyId": "alias/exec",
                            "logConfiguration": {"cloudWatchLogGroupName": "exec-audit"}})
    with pytest.raises(ClientError) as e:
        stack.ecs.execute_command(cluster="exec", task=stack.task, command="true", interactive=True)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "exec-audit" in e.value.response["Error"]["Message"]
    logs.create_log_group(logGroupName="exec-audit")
    try:
        c = stack.ecs.describe_clusters(clusters=["exec"], include=["CONFIGURATIONS"])["clusters"][0]
        ecc = c["configuration"]["executeCommandConfiguration"]
        assert ecc["kmsKeyId"] == "alias/exec" and ecc["logging"] == "OVERRIDE"
        p = berth_exec(stack, ["exec", stack.task, "--", "sh", "-c", "echo first; echo oops >&2; echo done"])
        assert p.returncode == 0, p.stderr
        streams, messages = session_events(stack, "exec-audit")
        assert len(streams) == 1 and streams[0].startswith("ecs-execute-command-")
        assert messages[0] == "sh -c echo first; echo oops >&2; echo done"
        assert sorted(messages[1:]) == ["done", "first", "oops"]
        # An interactive session: what the terminal showed, line by line.
        p = berth_exec(stack, ["exec", stack.task, "-i", "--", "sh"], stdin=b"echo inter-$((6*7))\nexit\n")
        assert p.returncode == 0, (p.stdout, p.stderr)
        deadline = time.monotonic() + 30
        out = []
        while not any(e["message"].strip() == "inter-42" for e in out) and time.monotonic() < deadline:
            time.sleep(0.2)
            out = logs.filter_log_events(logGroupName="exec-audit", filterPattern="inter-42")["events"]
        assert any(e["message"].strip() == "inter-42" for e in out), out
        assert len(session_events(stack, "exec-audit")[0]) == 2
    finally:
        logs.delete_log_group(logGroupName="exec-audit")
        set_exec_config(stack, {"logging": "DEFAULT"})


def test_session_is_logged_to_the_containers_awslogs_group_by_default(stack):
    logs = berth_proc.client(stack.server.endpoint, service="logs")
    stack.register("logged", [{"name": "app", "command": ["sleep", "3600"], "stopTimeout": 2,
                               "logConfiguration": {"logDriver": "awslogs", "options": {
                                   "awslogs-group": "exec-default", "awslogs-create-group": "true",
                                   "awslogs-stream-prefix": "app"}}}])
    arn = stack.run("logged", enableExecuteCommand=True)
    try:
        stack.wait_status(arn, "RUNNING")
        p = berth_exec(stack, ["exec", arn, "--", "sh", "-c", "echo from-default; echo done"])
        assert p.returncode == 0, p.stderr
        sessions, messages = session_events(stack, "exec-default")
        assert len(sessions) == 1
        assert "from-default" in messages, messages
        # logging NONE: the next session leaves no stream.
        set_exec_config(stack, {"logging": "NONE"})
        p = berth_exec(stack, ["exec", arn, "--", "echo", "unlogged"])
        assert p.returncode == 0 and p.stdout == b"unlogged\n", p.stderr
        time.sleep(1.5)  # past the transcript's flush interval: nothing may appear
        names = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="exec-default")["logStreams"]]
        assert len([n for n in names if n.startswith("ecs-execute-command-")]) == 1, names
    finally:
        set_exec_config(stack, {"logging": "DEFAULT"})
        stack.ecs.stop_task(cluster="exec", task=arn)
        stack.wait_status(arn, "STOPPED")
