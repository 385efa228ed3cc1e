"""Two berth servers on one PostgreSQL under RunTask load (issue 22).

Clients alternate between the servers while one agent, given both
(--server URL,URL), reports on what it runs: every call is answered with
200 or an ECS-shaped 4xx (never a 500), and every task a server
acknowledged is there afterwards.  Then PostgreSQL itself restarts under
the same load: while it is down a call is answered at once with a 503
ServerException saying the store is unavailable (no hang, no crash), the
servers reconnect by themselves once it is back, and nothing a server
acknowledged is lost."""
import concurrent.futures
import os
import threading
import time

import pytest

import berth_proc
from pgserver import PgServer
from test_store_postgres_ha import start_servers

HOLLOW_TASKS = 4  # instances of the hollow agent


@pytest.fixture
def pg():
    server = PgServer().start()
    yield server
    server.stop()


def run_task(endpoint, count=1):
    """RunTask through endpoint: (HTTP status, parsed reply)."""
    return berth_proc.raw_call(endpoint, "RunTask", {"cluster": "load", "taskDefinition": "work", "count": count})


def setup_cluster(servers, tmp_path):
    ecs = berth_proc.client(servers[0].endpoint)
    ecs.create_cluster(clusterName="load")
    ecs.register_task_definition(family="work", containerDefinitions=[
        {"name": "main", "image": "busybox", "memory": 16, "command": ["true"]}])
    agent = berth_proc.BerthAgent(",".join(s.endpoint for s in servers), "load", tmp_path / "agent",
                                  tmp_path / "agent.log", hollow=HOLLOW_TASKS,
                                  extra_args=["--hollow-cpu", "65536", "--hollow-memory", "262144"]).start()
    berth_proc.wait_for(lambda: len(ecs.list_container_instances(cluster="load")["containerInstanceArns"])
                        == HOLLOW_TASKS, what="the hollow instances to register")
    return agent


def assert_all_there(endpoint, arns):
    ecs = berth_proc.client(endpoint)
    for i in range(0, len(arns), 100):
        got = ecs.describe_tasks(cluster="load", tasks=arns[i:i + 100])
        assert got["failures"] == [], got["failures"]
        assert len(got["tasks"]) == len(arns[i:i + 100])


def running_arns(ecs):
    arns = []
    for page in ecs.get_paginator("list_tasks").paginate(cluster="load", desiredStatus="RUNNING"):
        arns += page["taskArns"]
    return [t["taskArn"] for i in range(0, len(arns), 100)
            for t in ecs.describe_tasks(cluster="load", tasks=arns[i:i + 100])["tasks"] if t["lastStatus"] == "RUNNING"]


def test_runtask_through_two_servers_never_answers_500(pg, tmp_path):
    servers = start_servers(pg, tmp_path, "berth_load", 2)
    agent = None
    try:
        agent = setup_cluster(servers, tmp_path)
        acked, bad = [], []

        # Eight clients, each alternating between the two servers; the
        # hollow agent meanwhile acknowledges, starts and stops every task
        # through whichever server it is on.
        def work(w):
            for i in range(30):
                status, out = run_task(servers[(w + i) % 2].endpoint, count=1 + i % 3)
                if status == 200:
                    assert out["failures"] == [], out
                    acked.extend(t["taskArn"] for t in out["tasks"])
                elif not (400 <= status < 500 and isinstance(out, dict) and "__type" in out):
                    bad.append((status, out))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(work, range(8)))
        assert bad == [], "%s\n%s" % (bad[:3], "\n".join(s.log()[-3000:] for s in servers))
        assert len(acked) == len(set(acked)) == 8 * sum(1 + i % 3 for i in range(30))
        assert_all_there(servers[1].endpoint, acked)
        # ... and the agent, on either server, was given every one to run.
        ecs = berth_proc.client(servers[0].endpoint)
        berth_proc.wait_for(lambda: sorted(running_arns(ecs)) == sorted(acked), timeout=120,
                            what="every acknowledged task to run")
    finally:
        if agent:
            agent.stop(check=False)
        for s in servers:
            s.stop(check=False)


def unavailable(status, out):
    """Whether (status, out) is the answer to a call while the store is down."""
    return (status == 503 and isinstance(out, dict) and out.get("__type", "").endswith("ServerException")
            and "store is unavailable" in out.get("message", ""))


def outage(pg, servers, acked):
    """Stop PostgreSQL under the load that fills acked, and start it again."""
    berth_proc.wait_for(lambda: len(acked) >= 20, timeout=60, what="some RunTasks acknowledged")
    pg.halt()
    # While PostgreSQL is down, every server answers at once that the store
    # is unavailable (after its few seconds of retries), and stays up.
    for s in servers:
        status, out = run_task(s.endpoint)
        assert unavailable(status, out), (status, out)
        assert s.alive()
    n_down = len(acked)
    pg.resume()
    # Back: each server reconnects by itself, and RunTask goes on.
    for s in servers:
        berth_proc.wait_for(lambda: run_task(s.endpoint)[0] == 200, timeout=30,
                            what="RunTask through %s to succeed again" % s.endpoint)
    berth_proc.wait_for(lambda: len(acked) >= n_down + 20, timeout=60, what="more RunTasks acknowledged")


def test_postgres_restart_under_load_loses_no_acknowledged_task(pg, tmp_path):
    servers = start_servers(pg, tmp_path, "berth_restart", 2)
    agent = None
    stop = threading.Event()
    acked, answers = [], []
    try:
        agent = setup_cluster(servers, tmp_path)

        def work(w):
            i = 0
            while not stop.is_set():
                status, out = run_task(servers[(w + i) % 2].endpoint)
                answers.append((status, out))
                if status == 200:
                    acked.extend(t["taskArn"] for t in out["tasks"])
                i += 1

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            loaders = [pool.submit(work, w) for w in range(4)]
            try:
                outage(pg, servers, acked)
            finally:
                stop.set()
            for f in loaders:
                f.result()

        bad = [(s, o) for s, o in answers if s != 200 and not unavailable(s, o)]
        assert bad == [], bad[:3]
        assert any(unavailable(s, o) for s, o in answers)  # the load did meet the outage
        assert len(acked) == len(set(acked))
        # Nothing acknowledged was lost, and the agent (back on a server)
        # was given every one to run.
        assert_all_there(servers[0].endpoint, acked)
        ecs = berth_proc.client(servers[1].endpoint)
        berth_proc.wait_for(lambda: set(acked) <= set(running_arns(ecs)), timeout=120,
                            what="every acknowledged task to run")
        for s in servers:
            assert s.alive()
    finally:
        stop.set()
        if agent:
            agent.stop(check=False)
        for s in servers:
            s.stop(check=False)
