"""Three berth servers on one PostgreSQL lose their leader under load
(issue 22): the leader is killed with SIGKILL while RunTask calls go to
the two others, another server takes the lead within the failover bound,
every task a server acknowledged is kept and run, and the agent, given
all three servers (--server URL,URL,URL), goes on with the next one and
keeps running its containers.  Then five leader kills in a row under a
write loop lose no acknowledged write, and a service's killed container
is replaced under its new leader."""
import os
import signal
import subprocess
import threading
import time

import pytest

import berth_proc
import registry
import stack
import testimages
from pgserver import PgServer
from test_store_postgres_ha import healthz, start_servers


@pytest.fixture(scope="module")
def pg():
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture
def images(tmp_path):
    reg = registry.Registry(str(tmp_path / "registry")).start()
    testimages.push_all(reg.hostport)
    yield reg.hostport + "/busybox:1"
    reg.stop()


def test_leader_killed_under_runtask_load_loses_no_task(pg, images, tmp_path):
    servers = start_servers(pg, tmp_path, "berth_three", 3)
    agent = None
    ecs = [berth_proc.client(s.endpoint) for s in servers]
    acked, errors, long_arn = [], [], None
    try:
        assert [healthz(s) for s in servers] == ["ok leader", "ok follower", "ok follower"]
        ecs[1].create_cluster(clusterName="ha")
        token, _ = berth_proc.create_token(servers[1].endpoint, "ha")
        agent = berth_proc.BerthAgent(",".join(s.endpoint for s in servers), "ha", tmp_path / "agent",
                                      tmp_path / "agent.log", extra_args=stack.net_args(), key=None,
                                      token=token).start()
        berth_proc.wait_for(lambda: ecs[2].list_container_instances(cluster="ha")["containerInstanceArns"],
                            what="the agent to register")
        for family, command in (("long", ["sleep", "3600"]), ("short", ["true"])):
            ecs[1].register_task_definition(family=family, containerDefinitions=[
                {"name": "main", "image": images, "memory": 8, "command": command}])
        long_arn = ecs[2].run_task(cluster="ha", taskDefinition="long")["tasks"][0]["taskArn"]
        berth_proc.wait_for(lambda: ecs[1].describe_tasks(cluster="ha", tasks=[long_arn])["tasks"][0]["lastStatus"]
                            == "RUNNING", timeout=60, what="the long task to run")
        long_before = ecs[1].describe_tasks(cluster="ha", tasks=[long_arn])["tasks"][0]["containers"][0]

        # RunTask through the two servers that stay, while the leader dies.
        def load():
            for i in range(24):
                try:
                    out = ecs[1 + i % 2].run_task(cluster="ha", taskDefinition="short")
                    if out["failures"]:
                        errors.append(out["failures"])
                    else:
                        acked.append(out["tasks"][0]["taskArn"])
                except Exception as e:  # a test failure below, with what it was
                    errors.append(repr(e))
                time.sleep(0.1)

        loader = threading.Thread(target=load)
        loader.start()
        berth_proc.wait_for(lambda: len(acked) >= 6, what="some RunTasks acknowledged")
        servers[0].kill9()
        berth_proc.wait_for(lambda: "ok leader" in (healthz(servers[1]), healthz(servers[2])), timeout=10,
                            what="another server to lead within 10 s")
        loader.join(timeout=120)
        assert errors == []
        assert len(acked) == 24

        # Every acknowledged task is there and ran to its end: the agent
        # left the dead server for the next one and was given them all.
        for arn in acked:
            task = berth_proc.wait_for(
                lambda: (lambda t: t if t["lastStatus"] == "STOPPED" else None)(
                    ecs[2].describe_tasks(cluster="ha", tasks=[arn])["tasks"][0]),
                timeout=90, what="task %s to run and stop" % arn)
            assert task["containers"][0]["exitCode"] == 0, task
        # The long task's container ran on untouched, and the agent is
        # connected (through a server still alive).
        long_after = ecs[1].describe_tasks(cluster="ha", tasks=[long_arn])["tasks"][0]
        assert long_after["lastStatus"] == "RUNNING"
        assert long_after["containers"][0]["runtimeId"] == long_before["runtimeId"]
        instance = ecs[2].describe_container_instances(
            cluster="ha", containerInstances=ecs[2].list_container_instances(cluster="ha")["containerInstanceArns"])
        assert instance["containerInstances"][0]["agentConnected"] is True
    finally:
        if long_arn:
            try:
                ecs[1].stop_task(cluster="ha", task=long_arn, reason="test end")
                berth_proc.wait_for(lambda: ecs[1].describe_tasks(cluster="ha", tasks=[long_arn])["tasks"][0][
                    "lastStatus"] == "STOPPED", timeout=60, what="the long task to stop")
            except Exception as e:
                print("teardown: %s" % e)
        if agent:
            agent.stop(check=False)
            if os.path.exists(str(tmp_path / "agent")):
                stack.assert_no_leftovers(str(tmp_path / "agent"), [long_arn] + acked)
        for s in servers:
            s.stop(check=False)


def leader_of(servers):
    """The live server /healthz names leader, or None."""
    for s in servers:
        try:
            if s.proc and s.proc.poll() is None and healthz(s) == "ok leader":
                return s
        except OSError:
            pass
    return None


def test_five_leader_kills_lose_no_write_and_a_service_converges(pg, images, tmp_path):
    # Issue 22's acceptance: a service of 6 tasks made through one server
    # converges again (a killed container replaced) after its leader is
    # killed, and a write loop through the servers loses none of the
    # writes acknowledged across 5 leader kills (each killed leader is
    # started again, so three servers stay).
    servers = start_servers(pg, tmp_path, "berth_kills", 3)
    agent = None
    ecs = [berth_proc.client(s.endpoint) for s in servers]
    ssm = [berth_proc.client(s.endpoint, service="ssm") for s in servers]
    acked, stop = [], threading.Event()
    try:
        ecs[1].create_cluster(clusterName="kills")
        token, _ = berth_proc.create_token(servers[1].endpoint, "kills")
        agent = berth_proc.BerthAgent(",".join(s.endpoint for s in servers), "kills", tmp_path / "agent",
                                      tmp_path / "agent.log", extra_args=stack.net_args(), key=None,
                                      token=token).start()
        berth_proc.wait_for(lambda: ecs[1].list_container_instances(cluster="kills")["containerInstanceArns"],
                            what="the agent to register")
        ecs[1].register_task_definition(family="web", containerDefinitions=[
            {"name": "main", "image": images, "memory": 8, "command": ["sh", "-c", "exec sleep 3601"],
             "stopTimeout": 1}])
        ecs[1].create_service(cluster="kills", serviceName="web", taskDefinition="web", desiredCount=6)

        def running():
            arns = ecs[2].list_tasks(cluster="kills", serviceName="web", desiredStatus="RUNNING")["taskArns"]
            tasks = ecs[2].describe_tasks(cluster="kills", tasks=arns)["tasks"] if arns else []
            return sorted(t["taskArn"] for t in tasks if t["lastStatus"] == "RUNNING")

        first = berth_proc.wait_for(lambda: (lambda r: r if len(r) == 6 else None)(running()), timeout=120,
                                    what="the service's 6 tasks to run")

        def writes():
            i = 0
            while not stop.is_set():
                k = i % 3
                if servers[k].proc and servers[k].proc.poll() is None:
                    name = "/w/%d" % i
                    try:
                        ssm[k].put_parameter(Name=name, Value="v%d" % i, Type="String")
                        acked.append(name)
                    except Exception:
                        pass  # not acknowledged: nothing to keep
                i += 1
                time.sleep(0.02)

        writer = threading.Thread(target=writes)
        writer.start()
        for kill in range(5):
            old = berth_proc.wait_for(lambda: leader_of(servers), timeout=10, what="a leader")
            before = len(acked)
            berth_proc.wait_for(lambda: len(acked) > before + 5, timeout=30, what="writes before kill %d" % kill)
            old.kill9()
            berth_proc.wait_for(lambda: leader_of([s for s in servers if s is not old]), timeout=10,
                                what="another leader within 10 s (kill %d)" % kill)
            if kill == 0:
                # A container of the service dies while its leader is new.
                pids = subprocess.run(["pgrep", "-f", "sleep 3601"], capture_output=True, text=True).stdout.split()
                assert len(pids) == 6, pids
                os.kill(int(pids[0]), signal.SIGKILL)
            old.start()
        stop.set()
        writer.join(timeout=60)

        # Every acknowledged write is there, through any server.
        assert len(acked) >= 30  # more than 5 before each kill
        for i in range(0, len(acked), 10):
            batch = acked[i:i + 10]
            got = ssm[i // 10 % 3].get_parameters(Names=batch)
            assert sorted(p["Name"] for p in got["Parameters"]) == sorted(batch), got["InvalidParameters"]
        # The service is back at 6 running tasks, one of them new.
        now = berth_proc.wait_for(lambda: (lambda r: r if len(r) == 6 and r != first else None)(running()),
                                  timeout=120, what="the service to replace its killed task")
        assert len(set(now) - set(first)) == 1
    finally:
        stop.set()
        for e in ecs:
            try:
                e.update_service(cluster="kills", service="web", desiredCount=0)
                break
            except Exception:
                continue
        if agent:
            berth_proc.wait_for(lambda: subprocess.run(["pgrep", "-f", "sleep 3601"]).returncode != 0, timeout=60,
                                what="the service's tasks to stop")
            agent.stop(check=False)
        for s in servers:
            s.stop(check=False)
