"""The store's schema on a real PostgreSQL, ahead of its backend (issue 22):
every migration, as `berth store schema --dialect postgres` translates it
from the SQLite dialect the store is written in, applies to a throwaway
PostgreSQL 15, makes the same tables and triggers as on SQLite, and the
triggers and constraints give the same answers on both."""
import os
import re
import shutil
import subprocess
import urllib.request

import pytest

import berth_proc
import store_sql
from pgserver import PgServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def berth_schema(dialect):
    return subprocess.run([berth_proc.BERTH_BIN, "store", "schema", "--dialect", dialect], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def sqlite(script):
    return subprocess.run(["sqlite3", "-batch", "-bail", ":memory:"], input=script, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture
def db(pg, request):
    name = "berth_" + request.node.name.lower().replace("[", "_").replace("]", "")[:40]
    pg.createdb(name)
    r = pg.psql(berth_schema("postgres"), db=name, check=False)
    assert r.returncode == 0, r.stderr
    return name


def test_every_migration_applies_with_the_same_tables_and_triggers(pg, db):
    pg_tables = pg.psql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                        "ORDER BY 1;", db=db).stdout.split()
    pg_triggers = pg.psql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1;", db=db).stdout.split()
    r = sqlite(berth_schema("sqlite") + "\nSELECT name FROM sqlite_master WHERE type = 'table' "
               "AND name NOT LIKE 'sqlite_%' ORDER BY 1;\nSELECT '--';\n"
               "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1;\n")
    assert r.returncode == 0, r.stderr
    lite_tables, lite_triggers = [part.split() for part in r.stdout.split("--\n")]
    assert len(lite_tables) > 30 and len(lite_triggers) > 30
    assert pg_tables == lite_tables
    assert pg_triggers == lite_triggers


# Task rows moving through states; the triggers keep per-cluster counts.
TASK_SCRIPT = """
INSERT INTO clusters (region, name, status, created_at, doc) VALUES ('r', 'c', 'ACTIVE', 1, '{}');
INSERT INTO tasks (cluster_id, uuid, family, taskdef_arn, launch_type, desired_status, last_status, created_at,
                   seq, doc, holds_resources)
VALUES (1, 'u1', 'f', 'a', 'EC2', 'RUNNING', 'PENDING', 1, 1, '{}', 1),
       (1, 'u2', 'f', 'a', 'EC2', 'RUNNING', 'PENDING', 1, 2, '{}', 0),
       (1, 'u3', 'f', 'a', 'EC2', 'RUNNING', 'PENDING', 1, 3, '{}', 1);
UPDATE tasks SET last_status = 'RUNNING' WHERE uuid IN ('u1', 'u2');
UPDATE tasks SET last_status = 'STOPPED', holds_resources = 0 WHERE uuid = 'u3';
DELETE FROM tasks WHERE uuid = 'u2';
SELECT cluster_id || ' ' || last_status || ' ' || n FROM cluster_task_counts ORDER BY last_status;
"""


def test_triggers_count_tasks_as_on_sqlite(pg, db):
    on_pg = pg.psql(TASK_SCRIPT, db=db).stdout.split("\n")
    r = sqlite(berth_schema("sqlite") + TASK_SCRIPT)
    assert r.returncode == 0, r.stderr
    on_sqlite = r.stdout.split("\n")
    assert [l for l in on_pg if l] == [l for l in on_sqlite if l]
    assert "1 RUNNING 1" in on_pg and "1 STOPPED 1" in on_pg


def test_nocase_names_are_unique_regardless_of_case(pg, db):
    insert = ("INSERT INTO iam_policies (arn, name, id, path, default_version, next_version, created_at, "
              "updated_at) VALUES ('arn:%s', '%s', '%s', '/', 'v1', 2, 1, 1);\n")
    pg.psql(insert % ("1", "ReadOnly", "P1"), db=db)
    dup = pg.psql(insert % ("2", "readonly", "P2"), db=db, check=False)
    assert dup.returncode != 0 and "duplicate key" in dup.stderr
    assert pg.psql("SELECT count(*) FROM iam_policies WHERE name = 'READONLY';", db=db).stdout.strip() == "1"
    # SQLite, from the same migrations, says the same.
    r = sqlite(berth_schema("sqlite") + insert % ("1", "ReadOnly", "P1") + insert % ("2", "readonly", "P2"))
    assert r.returncode != 0 and "UNIQUE constraint failed: iam_policies.name" in r.stderr


def translate(sql):
    return subprocess.run([berth_proc.BERTH_BIN, "store", "translate"], input=sql, capture_output=True, text=True,
                          timeout=60)


def test_every_statement_translates_and_postgres_accepts_it(pg, db):
    # Each statement of the table files, translated, is prepared by
    # PostgreSQL with its parameters' types left to inference, as the
    # backend does first.  PostgreSQL takes a parameter's type from its
    # first use, so `col = ?N OR ?N IS NULL` (not `?N IS NULL OR ...`).  A
    # parameter SQLite's numbering skips (an UPDATE's unused ?1) has no use
    # to infer from: the backend types it from its binding.
    found = store_sql.statements(ROOT)
    assert len(found) > 200
    failures = []
    for name, sql in found:
        t = translate(sql)
        if t.returncode != 0:
            failures.append("%s: refused: %s: %s" % (name, t.stderr.strip(), sql))
            continue
        pg_sql = t.stdout.strip()
        r = pg.psql("PREPARE s AS %s;\nDEALLOCATE s;\n" % pg_sql, db=db, check=False)
        if r.returncode == 0:
            continue
        unused = re.search(r"could not determine data type of parameter (\$\d+)", r.stderr)
        if unused and not re.search(re.escape(unused.group(1)) + r"(?!\d)", pg_sql):
            continue
        failures.append("%s: %s: %s" % (name, r.stderr.strip().split("\n")[0], pg_sql))
    assert not failures, "\n".join(failures)


def test_translate_refuses_by_name():
    r = translate("INSERT OR REPLACE INTO t (a) VALUES (?1)")
    assert r.returncode == 1
    assert "INSERT OR <conflict> other than IGNORE needs an explicit ON CONFLICT clause" in r.stderr
    r = translate("SELECT json_extract(doc, '$.a') FROM t WHERE id = ?1")
    assert r.returncode == 0 and r.stdout.strip() == "SELECT ((doc)::json ->> 'a') FROM t WHERE id = $1"


def test_unknown_dialect_is_refused():
    r = subprocess.run([berth_proc.BERTH_BIN, "store", "schema", "--dialect", "mysql"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2
    assert "--dialect is sqlite or postgres, not 'mysql'" in r.stderr


def test_server_that_cannot_reach_its_postgres_says_so_without_the_password(tmp_path):
    # The URL may hold a password: neither the refusal of an unknown scheme
    # nor a failed connection repeats it.
    url = "postgres://berth:s3cret-pw@/berth?host=%s" % (tmp_path / "no-such-socket-dir")
    for args, env in ((["--store", url], {}), ([], {"BERTH_STORE": url})):
        r = subprocess.run([berth_proc.BERTH_BIN, "server", "--listen", "127.0.0.1:0", "--data", str(tmp_path / "d")]
                           + args, env=dict(berth_proc.server_env(), **env), capture_output=True, text=True, timeout=60)
        assert r.returncode == 1
        assert "store: postgres: connect:" in r.stderr
        assert "s3cret" not in r.stderr
    r = subprocess.run([berth_proc.BERTH_BIN, "server", "--store", "mysql://berth:s3cret-pw@db.example/berth"],
                       env=berth_proc.server_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "--store wants sqlite:DIR or postgres://USER@HOST/DB" in r.stderr
    assert "s3cret" not in r.stderr and "db.example" not in r.stderr


def test_server_keeps_its_state_where_berth_store_says(tmp_path):
    state = tmp_path / "state"
    env = dict(berth_proc.server_env(), BERTH_STORE="sqlite:%s" % state)
    with open(tmp_path / "server.log", "wb") as log:
        proc = subprocess.Popen([berth_proc.BERTH_BIN, "server", "--listen", "127.0.0.1:0"], env=env, stdout=log,
                                stderr=log)
    try:
        endpoint_file = state / "endpoint"
        berth_proc.wait_for(lambda: proc.poll() is not None or endpoint_file.exists(), what="server endpoint")
        assert proc.poll() is None, (tmp_path / "server.log").read_text()
        ecs = berth_proc.client(endpoint_file.read_text().strip())
        ecs.create_cluster(clusterName="kept")
        assert [c["clusterName"] for c in ecs.describe_clusters(clusters=["kept"])["clusters"]] == ["kept"]
        assert (state / "berth.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def healthz(endpoint):
    with urllib.request.urlopen(endpoint + "/healthz", timeout=10) as r:
        return r.status, r.read().decode().strip()


def test_two_servers_on_one_database_elect_one_leader(pg, tmp_path):
    # Two servers on one database: the first is the leader (it runs the
    # scheduler and other once-only work), the second a follower serving
    # the same API; when the leader is killed, the follower takes over.
    pg.createdb("berth_two")
    url = "postgresql://berth@/berth_two?host=%s" % pg.sock
    a = berth_proc.BerthServer(tmp_path / "a", tmp_path / "a.log", extra_args=["--store", url]).start()
    b = None
    try:
        berth_proc.wait_for(lambda: healthz(a.endpoint) == (200, "ok leader"), what="server A to lead")
        # The servers share the master key that seals secrets in the store.
        os.makedirs(tmp_path / "b")
        shutil.copy(tmp_path / "a" / "master.key", tmp_path / "b" / "master.key")
        b = berth_proc.BerthServer(tmp_path / "b", tmp_path / "b.log", extra_args=["--store", url]).start()
        assert healthz(b.endpoint) == (200, "ok follower")
        # Any server accepts any request: what one writes the other reads.
        berth_proc.client(b.endpoint).create_cluster(clusterName="via-b")
        assert [c["clusterName"] for c in berth_proc.client(a.endpoint).describe_clusters(
            clusters=["via-b"])["clusters"]] == ["via-b"]
        a.kill9()
        berth_proc.wait_for(lambda: healthz(b.endpoint) == (200, "ok leader"), timeout=10, what="B to take over")
        assert "this server is now the leader" in b.log()
    finally:
        if b:
            b.stop()
        a.stop(check=False)
