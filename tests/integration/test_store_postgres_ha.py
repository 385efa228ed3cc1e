"""Several berth servers on one PostgreSQL (issue 22): what each
acknowledges is kept when they write the same rows at once.  Each server
serialises its own writers, and every write transaction first locks one
table (berth_writer), so the servers' writers take turns; a serialization
failure (40001) or deadlock (40P01) that still happens makes the server run
the refused request again."""
import collections
import concurrent.futures
import os
import shutil
import time
import urllib.request

import botocore.exceptions
import pytest

import berth_proc
from pgserver import PgServer


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    yield server
    server.stop()


def start_servers(pg, tmp_path, db, n, extra_args=()):
    """n servers on database db, sharing one master key (the first's)."""
    pg.createdb(db)
    url = "postgresql://berth@/%s?host=%s" % (db, pg.sock)
    servers = []
    try:
        for i in range(n):
            data = tmp_path / ("s%d" % i)
            if servers:
                os.makedirs(data)
                shutil.copy(tmp_path / "s0" / "master.key", data / "master.key")
            servers.append(berth_proc.BerthServer(data, tmp_path / ("s%d.log" % i),
                                                  extra_args=["--store", url, *extra_args]).start())
    except Exception:
        for s in servers:
            s.stop(check=False)
        raise
    return servers


def retries(server):
    status, text = berth_proc.scrape_metrics(server)
    assert status == 200
    return sum(berth_proc.metric_samples(text, "berth_api_tx_retries_total").values())


def test_concurrent_writes_through_two_servers_lose_nothing(pg, tmp_path):
    a, b = start_servers(pg, tmp_path, "berth_race", 2)
    try:
        ecs_a, ecs_b = berth_proc.client(a.endpoint), berth_proc.client(b.endpoint)
        cluster = ecs_a.create_cluster(clusterName="race")["cluster"]["clusterArn"]
        per_worker, workers = 12, 8
        tags_per_worker = 6  # 48 of a resource's 50

        # Every worker, half through each server, registers revisions of one
        # family (each reads the family's last revision and adds the next)
        # and tags one cluster (rows of one resource's tags) as it goes.
        def work(w):
            ecs = berth_proc.client((a if w % 2 else b).endpoint)
            got = []
            for i in range(per_worker):
                td = ecs.register_task_definition(family="race", containerDefinitions=[
                    {"name": "main", "image": "busybox", "memory": 16, "command": ["echo", "%d-%d" % (w, i)]}])
                got.append((td["taskDefinition"]["revision"], "%d-%d" % (w, i)))
                if i < tags_per_worker:
                    ecs.tag_resource(resourceArn=cluster, tags=[{"key": "w%d-%d" % (w, i), "value": str(i)}])
            return got

        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            acked = [r for rs in pool.map(work, range(workers)) for r in rs]

        # Every acknowledged revision is its own, none reused, none lost,
        # and each holds the container definition its caller sent.
        total = per_worker * workers
        assert sorted(r for r, _ in acked) == list(range(1, total + 1))
        for revision, command in acked[::7]:
            td = ecs_b.describe_task_definition(taskDefinition="race:%d" % revision)["taskDefinition"]
            assert td["containerDefinitions"][0]["command"] == ["echo", command]
        arns = ecs_a.list_task_definitions(familyPrefix="race", maxResults=100)
        assert len(arns["taskDefinitionArns"]) == total
        tags = ecs_b.list_tags_for_resource(resourceArn=cluster)["tags"]
        assert sorted(t["key"] for t in tags) == sorted("w%d-%d" % (w, i) for w in range(workers)
                                                        for i in range(tags_per_worker))
        # Writers of both servers took turns (one write lock in the
        # database): none lost a serialization race and ran again.
        assert retries(a) + retries(b) == 0
    finally:
        for s in (a, b):
            s.stop(check=False)



def healthz(server):
    with urllib.request.urlopen(server.endpoint + "/healthz", timeout=10) as r:
        return r.read().decode().strip()


def test_a_leader_whose_epoch_moved_on_stops_its_leader_work(pg, tmp_path):
    # What a paused leader finds when it wakes after another server took
    # over: the leader epoch in the database is no longer the one it took
    # the lock with.  Its next round of leader work (maintenance runs every
    # 5 s) is refused in the round's own transaction, it gives the lock up,
    # and the leader work goes on under a new epoch.
    a, b = start_servers(pg, tmp_path, "berth_fence", 2)
    try:
        assert healthz(a) == "ok leader" and healthz(b) == "ok follower"
        assert pg.psql("SELECT epoch FROM berth_leader;", db="berth_fence").stdout.strip() == "1"
        pg.psql("UPDATE berth_leader SET epoch = epoch + 1;", db="berth_fence")
        berth_proc.wait_for(lambda: "this server no longer leads (leader epoch 2 in the database, 1 here)" in a.log(),
                            timeout=30, what="A's leader work to be fenced")
        # A leader again, with a new epoch: A or B, whichever tried first.
        berth_proc.wait_for(lambda: sorted((healthz(a), healthz(b))) == ["ok follower", "ok leader"],
                            what="one leader again")
        assert pg.psql("SELECT epoch FROM berth_leader;", db="berth_fence").stdout.strip() == "3"
        # ... that does the leader's work: the scheduler places a service's task.
        ecs = berth_proc.client(b.endpoint)
        ecs.create_cluster(clusterName="fenced")
        ecs.register_task_definition(family="idle", containerDefinitions=[
            {"name": "main", "image": "busybox", "memory": 16}])
        ecs.create_service(cluster="fenced", serviceName="s", taskDefinition="idle", desiredCount=1)
        berth_proc.wait_for(lambda: ecs.describe_services(cluster="fenced", services=["s"])["services"][0]["events"],
                            what="the new leader's scheduler to report on the service")
    finally:
        for s in (a, b):
            s.stop(check=False)


def test_a_server_with_another_master_key_refuses_to_start(pg, tmp_path):
    # Secrets in the shared store are sealed with master.key: a server
    # that made its own (its data directory had none) would seal what the
    # others cannot open.  It says so and stops instead.
    (a,) = start_servers(pg, tmp_path, "berth_keys", 1)
    try:
        url = "postgresql://berth@/berth_keys?host=%s" % pg.sock
        other = berth_proc.BerthServer(tmp_path / "other", tmp_path / "other.log", extra_args=["--store", url])
        with pytest.raises(RuntimeError) as e:
            other.start()
        assert "master.key is not the key of the servers already on this database" in str(e.value)
        # With a's key it starts, and reads what a sealed.
        shutil.copy(tmp_path / "s0" / "master.key", tmp_path / "other" / "master.key")
        berth_proc.client(a.endpoint, service="ssm").put_parameter(Name="/k", Value="sealed", Type="SecureString")
        other.start()
        try:
            ssm = berth_proc.client(other.endpoint, service="ssm")
            assert ssm.get_parameter(Name="/k", WithDecryption=True)["Parameter"]["Value"] == "sealed"
        finally:
            other.stop(check=False)
    finally:
        a.stop(check=False)


def test_runtask_through_three_servers_never_overcommits_an_instance(pg, tmp_path):
    # Issue 22: RunTask through all three servers at once, asking for far
    # more than fits, places exactly what fits: each instance holds at most
    # what its memory takes, and the rest are RESOURCE:MEMORY failures.
    servers = start_servers(pg, tmp_path, "berth_full", 3)
    agent = None
    try:
        ecs = berth_proc.client(servers[0].endpoint)
        ecs.create_cluster(clusterName="full")
        ecs.register_task_definition(family="big", containerDefinitions=[
            {"name": "main", "image": "busybox", "memory": 256, "command": ["sleep", "3600"]}])
        agent = berth_proc.BerthAgent(",".join(s.endpoint for s in servers), "full", tmp_path / "agent",
                                      tmp_path / "agent.log", hollow=3,
                                      extra_args=["--hollow-cpu", "4096", "--hollow-memory", "1024"]).start()
        berth_proc.wait_for(lambda: len(ecs.list_container_instances(cluster="full")["containerInstanceArns"]) == 3,
                            what="the hollow instances to register")

        def work(w):
            placed, reasons = [], []
            for i in range(6):
                out = berth_proc.client(servers[(w + i) % 3].endpoint).run_task(cluster="full", taskDefinition="big",
                                                                                 count=2)
                placed += [(t["taskArn"], t["containerInstanceArn"]) for t in out["tasks"]]
                reasons += [f["reason"] for f in out["failures"]]
            return placed, reasons

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(work, range(8)))
        placed = [p for ps, _ in results for p in ps]
        reasons = [r for _, rs in results for r in rs]
        # 3 instances of 1024 MiB take 4 tasks of 256 MiB each: 12 of the 96 asked.
        assert len(placed) == 12 and len(set(placed)) == 12
        # (ECS lists a failure per instance that could not take a task.)
        assert set(reasons) == {"RESOURCE:MEMORY"}
        per_instance = collections.Counter(inst for _, inst in placed)
        assert sorted(per_instance.values()) == [4, 4, 4]
        insts = ecs.describe_container_instances(cluster="full", containerInstances=list(per_instance))
        for inst in insts["containerInstances"]:
            memory = [r for r in inst["remainingResources"] if r["name"] == "MEMORY"][0]["integerValue"]
            assert memory == 0, inst["remainingResources"]
    finally:
        if agent:
            agent.stop(check=False)
        for s in servers:
            s.stop(check=False)


def test_an_agent_polling_one_server_is_connected_on_every_server(pg, tmp_path):
    # An agent long-polls one server; the others must still count its
    # instances as connected past their own start's grace (the agent
    # timeout), or RunTask through them fails with AGENT everywhere.
    # Above the agent's 20 s long poll, with room for the servers' passes
    # (a second apart) to carry each poll's contact across.
    timeout = 26
    servers = start_servers(pg, tmp_path, "berth_contacts", 2, ["--agent-timeout", str(timeout)])
    agent = None
    try:
        first, polled = (berth_proc.client(s.endpoint) for s in servers)
        first.create_cluster(clusterName="shared")
        first.register_task_definition(family="small", containerDefinitions=[
            {"name": "main", "image": "busybox", "memory": 64, "command": ["sleep", "3600"]}])
        agent = berth_proc.BerthAgent(servers[1].endpoint, "shared", tmp_path / "agent", tmp_path / "agent.log",
                                      hollow=2).start()
        berth_proc.wait_for(lambda: len(first.list_container_instances(cluster="shared")["containerInstanceArns"]) == 2,
                            what="the hollow instances to register")
        arns = first.list_container_instances(cluster="shared")["containerInstanceArns"]
        # Past the first server's grace: only what the other server shares
        # tells it the agent is there.
        time.sleep(timeout + 3)
        insts = first.describe_container_instances(cluster="shared", containerInstances=arns)["containerInstances"]
        assert [i["agentConnected"] for i in insts] == [True, True]
        out = first.run_task(cluster="shared", taskDefinition="small", count=2)
        assert out["failures"] == [] and len(out["tasks"]) == 2
        berth_proc.wait_for(lambda: all(t["lastStatus"] == "RUNNING" for t in polled.describe_tasks(
            cluster="shared", tasks=[t["taskArn"] for t in out["tasks"]])["tasks"]), what="the tasks to run")
    finally:
        if agent:
            agent.stop(check=False)
        for s in servers:
            s.stop(check=False)
