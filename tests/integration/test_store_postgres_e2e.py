"""berth server on PostgreSQL (issue 22), end to end: a real server whose
store is a throwaway PostgreSQL 15, a real agent and real containers.  The
state a user sees lives in PostgreSQL (no SQLite file is made), survives a
server restart, and the task's awslogs output reads back through the
CloudWatch Logs API."""
import os

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
