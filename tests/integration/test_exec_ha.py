"""ECS Exec with several berth servers on one PostgreSQL (issue 22): the
agent long-polls server A while ExecuteCommand and the client's WebSocket
go through server B.  The session lives on B (its streamUrl names B); the
agent learns of it from the store through its poll on A and dials B, which
the session's agentUrl names.  Before this, the session stayed in B's
memory, A's poll never offered it, and the client was closed with "The
container's agent did not open the session in time.\""""
import json
import os
import shutil
import subprocess

import pytest

import berth_proc
from pgserver import PgServer
from stack import Stack


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def two(pg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("execha")
    pg.createdb("berth_execha")
    url = "postgresql://berth@/berth_execha?host=%s" % pg.sock
    s = Stack(tmp, cluster="execha", server_args=["--store", url])
    b = None
    try:
        data = tmp / "server_b"
        os.makedirs(data)
        shutil.copy(tmp / "server" / "master.key", data / "master.key")
        b = berth_proc.BerthServer(data, tmp / "server_b.log", extra_args=["--store", url]).start()
        s.register("box", [{"name": "app", "hostname": "execha-box", "command": ["sleep", "3600"],
                            "stopTimeout": 2}])
        s.task = s.run("box", enableExecuteCommand=True)
        s.wait_status(s.task, "RUNNING")
        yield s, b
        s.ecs.stop_task(cluster="execha", task=s.task)
        s.wait_status(s.task, "STOPPED")
    finally:
        if b:
            b.stop(check=False)
        s.close()


def berth_exec(endpoint, args, stdin=None):
    return subprocess.run([berth_proc.BERTH_BIN, "exec", "--endpoint", endpoint] + args,
                          input=stdin, capture_output=True, timeout=90, env=berth_proc.client_env())


def test_exec_through_the_server_the_agent_does_not_poll(two):
    s, b = two
    # The agent was started with A's endpoint alone; B's answer names B.
    answer = berth_proc.client(b.endpoint).execute_command(cluster="execha", task=s.task, container="app",
                                                           command="true", interactive=False)
    assert answer["session"]["streamUrl"].startswith("ws://" + b.endpoint.split("://", 1)[1].rstrip("/") + "/")
    p = berth_exec(b.endpoint, ["execha", s.task, "--", "sh", "-c", "cat /etc/hostname; exit 3"])
    assert p.stdout.decode().strip() == "execha-box", p.stderr
    assert p.returncode == 3, p.stderr


def test_interactive_exec_through_the_other_server(two):
    s, b = two
    p = berth_exec(b.endpoint, ["execha", s.task, "--interactive", "--", "sh"], stdin=b"echo round trip\nexit\n")
    assert p.returncode == 0, p.stderr
    assert "round trip" in p.stdout.decode()


def test_exec_through_the_agents_own_server_still_works(two):
    s, _ = two
    p = berth_exec(s.server.endpoint, ["execha", s.task, "--", "cat", "/etc/hostname"])
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().strip() == "execha-box"


def test_a_websocket_on_another_server_is_refused_and_the_session_kept(two):
    # The session is B's: A, which does not hold it, refuses the client's
    # token as it refuses any unknown one (nothing is relayed), and the
    # token is not used up by that, so the session still opens on B.
    from test_exec import ws_open, ws_recv, ws_send_text
    s, b = two
    out = berth_proc.client(b.endpoint).execute_command(cluster="execha", task=s.task, container="app",
                                                        command="echo via-b", interactive=False)
    session = out["session"]
    a_host = s.server.endpoint.split("://", 1)[1].rstrip("/")
    b_host = b.endpoint.split("://", 1)[1].rstrip("/")
    wrong = ws_open(session["streamUrl"].replace(b_host, a_host))
    ws_send_text(wrong, json.dumps({"TokenValue": session["tokenValue"]}))
    op, body = ws_recv(wrong)
    assert op == 8 and int.from_bytes(body[:2], "big") == 1008
    assert b"invalid or has expired" in body[2:]
    wrong.close()
    right = ws_open(session["streamUrl"])
    ws_send_text(right, json.dumps({"TokenValue": session["tokenValue"]}))
    seen = b""
    while True:
        op, body = ws_recv(right)
        if op == 8:
            break
        seen += body
    right.close()
    assert b"via-b" in seen
