"""berth server on PostgreSQL (issue 22), end to end: a real server whose
store is a throwaway PostgreSQL 15, a real agent and real containers.  The
state a user sees lives in PostgreSQL (no SQLite file is made), survives a
server restart, and the task's awslogs output reads back through the
CloudWatch Logs API."""
import os
import signal
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


@pytest.fixture
def stack(pg, tmp_path):
    pg.createdb("berth_e2e")
    url = "postgresql://berth@/berth_e2e?host=%s" % pg.sock
    s = Stack(tmp_path, cluster="pg", server_args=["--store", url])
    yield s
    s.close()


def test_task_runs_and_logs_with_the_state_in_postgres(stack, pg, tmp_path):
    logs_cfg = {"logDriver": "awslogs", "options": {"awslogs-group": "/berth/pg", "awslogs-region": "us-east-1",
                                                    "awslogs-create-group": "true", "awslogs-stream-prefix": "app"}}
    td = stack.register("pg-hello", [{"name": "main", "command": ["sh", "-c", "echo hello from postgres"],
                                      "logConfiguration": logs_cfg}])
    assert td.endswith(":task-definition/pg-hello:1")
    arn = stack.run("pg-hello")
    task = stack.wait_status(arn, "STOPPED")
    assert stack.container(task, "main")["exitCode"] == 0
    assert task["taskDefinitionArn"] == td

    logs = berth_proc.client(stack.server.endpoint, service="logs")
    stream = "app/main/%s" % arn.rsplit("/", 1)[1]
    events = berth_proc.wait_for(
        lambda: logs.get_log_events(logGroupName="/berth/pg", logStreamName=stream, startFromHead=True)["events"],
        what="the task's log events")
    assert [e["message"] for e in events] == ["hello from postgres"]

    # What the API answered is PostgreSQL's: the rows are there, and no
    # SQLite database was made beside the server's master key.
    assert pg.psql("SELECT count(*) FROM tasks;", db="berth_e2e").stdout.strip() == "1"
    assert pg.psql("SELECT family || ':' || revision FROM task_definitions;", db="berth_e2e").stdout.strip() == \
        "pg-hello:1"
    assert not os.path.exists(os.path.join(stack.server.data_dir, "berth.db"))

    # A restarted server finds it all again, and a second revision gets 2.
    stack.server.restart()
    assert stack.describe(arn)["lastStatus"] == "STOPPED"
    assert stack.register("pg-hello", [{"name": "main", "command": ["true"]}]).endswith(":task-definition/pg-hello:2")
    assert [e["message"] for e in logs.get_log_events(logGroupName="/berth/pg", logStreamName=stream,
                                                      startFromHead=True)["events"]] == ["hello from postgres"]


def test_berth_up_keeps_its_state_in_postgres(pg, tmp_path):
    # berth up --store: the same server, agent and all, on PostgreSQL; the
    # URL (it may carry a password) is kept 0600 for berth down and never
    # echoed.
    pg.createdb("berth_up")
    url = "postgresql://berth:pw-not-shown@/berth_up?host=%s" % pg.sock
    port = berth_proc.free_port()
    env = berth_proc.client_env(berth_proc.server_env())
    with open(tmp_path / "up.log", "wb") as log:
        proc = subprocess.Popen([berth_proc.BERTH_BIN, "up", "--data", str(tmp_path / "data"), "--store", url,
                                 "--listen", "127.0.0.1:%d" % port, "--registry", "off"],
                                stdout=log, stderr=log, env=env)
    try:
        berth_proc.wait_for_berth_up(proc, tmp_path / "up.log")
        ecs = berth_proc.client("http://127.0.0.1:%d" % port)
        ecs.create_cluster(clusterName="up-on-pg")
        assert ecs.list_container_instances(cluster="default")["containerInstanceArns"]
        assert pg.psql("SELECT count(*) FROM clusters WHERE name = 'up-on-pg';", db="berth_up").stdout.strip() == "1"
        assert pg.psql("SELECT count(*) FROM container_instances;", db="berth_up").stdout.strip() == "1"
        assert not os.path.exists(tmp_path / "data" / "server" / "berth.db")
        kept = tmp_path / "data" / "up.store"
        assert kept.read_text() == url and oct(kept.stat().st_mode & 0o777) == "0o600"
    finally:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=60)
    assert rc == 0, (tmp_path / "up.log").read_text()[-5000:]
    assert "pw-not-shown" not in (tmp_path / "up.log").read_text()
