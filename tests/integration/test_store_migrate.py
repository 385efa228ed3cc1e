"""`berth store migrate --from sqlite:DIR --to postgres://...` (issue 22):
a SQLite installation's state moves into an empty PostgreSQL database and a
server on PostgreSQL carries on from it; a database that holds anything is
refused."""
import os
import shutil
import subprocess

import pytest

import berth_proc
from pgserver import PgServer


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    yield server
    server.stop()


def migrate(src, url):
    return subprocess.run([berth_proc.BERTH_BIN, "store", "migrate", "--from", "sqlite:%s" % src, "--to", url],
                          env=berth_proc.server_env(), capture_output=True, text=True, timeout=120)


def test_sqlite_state_moves_to_postgres_and_the_server_carries_on(pg, tmp_path):
    # SQLite, whatever BERTH_TEST_STORE says: it is the store being moved.
    old = berth_proc.BerthServer(tmp_path / "old", tmp_path / "old.log",
                                 extra_args=["--store", "sqlite:%s" % (tmp_path / "old")]).start()
    ecs = berth_proc.client(old.endpoint)
    ecs.create_cluster(clusterName="moved", tags=[{"key": "team", "value": "a"}])
    for cmd in ("one", "two"):
        ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "main", "image": "busybox", "memory": 16, "command": ["echo", cmd]}])
    ecs.create_service(cluster="moved", serviceName="svc", taskDefinition="web:2", desiredCount=0)
    berth_proc.client(old.endpoint, service="ssm").put_parameter(Name="/db/pw", Value="hunter2",
                                                                  Type="SecureString")
    old.stop()

    pg.createdb("berth_moved")
    url = "postgresql://berth:not-echoed@/berth_moved?host=%s" % pg.sock
    r = migrate(tmp_path / "old", url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("copied ") and "not-echoed" not in r.stdout + r.stderr

    # The new server (the old one's master.key beside it) sees it all.
    os.makedirs(tmp_path / "new")
    shutil.copy(tmp_path / "old" / "master.key", tmp_path / "new" / "master.key")
    new = berth_proc.BerthServer(tmp_path / "new", tmp_path / "new.log", extra_args=["--store", url]).start()
    try:
        ecs = berth_proc.client(new.endpoint)
        cluster = ecs.describe_clusters(clusters=["moved"], include=["TAGS"])["clusters"][0]
        assert cluster["status"] == "ACTIVE" and cluster["tags"] == [{"key": "team", "value": "a"}]
        assert cluster["activeServicesCount"] == 1
        td = ecs.describe_task_definition(taskDefinition="web:2")["taskDefinition"]
        assert td["containerDefinitions"][0]["command"] == ["echo", "two"]
        svc = ecs.describe_services(cluster="moved", services=["svc"])["services"][0]
        assert svc["taskDefinition"].endswith(":task-definition/web:2")
        ssm = berth_proc.client(new.endpoint, service="ssm")
        assert ssm.get_parameter(Name="/db/pw", WithDecryption=True)["Parameter"]["Value"] == "hunter2"
        # Numbering goes on after the copied rows, not over them.
        assert ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "main", "image": "busybox", "memory": 16}])["taskDefinition"]["revision"] == 3
        ecs.create_cluster(clusterName="after")
        assert {c["clusterName"] for c in ecs.describe_clusters(clusters=["moved", "after"])["clusters"]} == \
            {"moved", "after"}
    finally:
        new.stop()

    # Once it holds berth's state, the database is refused as a target.
    r = migrate(tmp_path / "old", url)
    assert r.returncode == 1
    assert "is not empty" in r.stderr and "not-echoed" not in r.stderr


def test_a_running_servers_sqlite_store_is_neither_copied_nor_shared(tmp_path):
    """The server owns its SQLite file while it runs: a copy would be taken
    mid-flight and a second server would schedule beside the first."""
    srv = berth_proc.BerthServer(tmp_path / "s", tmp_path / "s.log",
                                 extra_args=["--store", "sqlite:%s" % (tmp_path / "s")]).start()
    try:
        berth_proc.client(srv.endpoint).create_cluster(clusterName="kept")
        r = migrate(tmp_path / "s", "postgresql://berth@/unused?host=/nonexistent")
        assert r.returncode != 0
        assert "a berth server is using %s" % (tmp_path / "s" / "berth.db") in r.stderr, r.stderr

        second = subprocess.run([berth_proc.BERTH_BIN, "server", "--listen", "127.0.0.1:0",
                                 "--store", "sqlite:%s" % (tmp_path / "s")],
                                env=berth_proc.server_env(), capture_output=True, text=True, timeout=30)
        assert second.returncode != 0
        assert "is in use by another process" in second.stderr, second.stderr
        # The first is untouched.
        assert [c["clusterName"] for c in berth_proc.client(srv.endpoint).describe_clusters(
            clusters=["kept"])["clusters"]] == ["kept"]
    finally:
        srv.stop()
