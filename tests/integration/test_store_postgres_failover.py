"""Three berth servers on one PostgreSQL lose their leader under load
(issue 22): the leader is killed with SIGKILL while RunTask calls go to
the two others, another server takes the lead within the failover bound,
every task a server acknowledged is kept and run, and the agent, given
all three servers (--server URL,URL,URL), goes on with the next one and
keeps running its containers."""
import os
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
