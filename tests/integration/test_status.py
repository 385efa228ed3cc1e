"""`berth status` against a real server and agent: clusters, a service's
counts and deployment, the instance's free resources, and the tasks that
failed (and only those) with their reasons."""
import json
import subprocess

import pytest

import berth_proc
import stack as stackmod


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("status"), cluster="stat")
    yield s
    try:
        # The service's tasks would outlive the agent (as on an agent restart).
        if s.ecs.list_services(cluster=s.cluster)["serviceArns"]:
            s.ecs.delete_service(cluster=s.cluster, service="web", force=True)
        berth_proc.wait_for(lambda: not s.ecs.list_tasks(cluster=s.cluster)["taskArns"] and
                            all(t["lastStatus"] == "STOPPED" for t in s.ecs.describe_tasks(
                                cluster=s.cluster, tasks=s.ecs.list_tasks(
                                    cluster=s.cluster, desiredStatus="STOPPED")["taskArns"] or ["none"])["tasks"]),
                            what="every task to stop")
        stackmod.assert_no_leftovers(s.agent_dir, [])
    finally:
        s.close()


def status(stack, tmp_path, *args):
    env = berth_proc.aws_cli_env(tmp_path, BERTH_ENDPOINT=stack.server.endpoint)
    return subprocess.run([berth_proc.BERTH_BIN, "status", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_status_shows_services_instances_and_failures(stack, tmp_path):
    stack.register("web", [{"name": "app", "command": ["sleep", "600"], "stopTimeout": 2}])
    stack.ecs.create_service(cluster=stack.cluster, serviceName="web", taskDefinition="web", desiredCount=2)
    stack.register("crash", [{"name": "main", "command": ["sh", "-c", "exit 3"]}])
    stack.register("fine", [{"name": "main", "command": ["true"]}])
    stack.register("nopull", [{"name": "main", "image": stack.registry.hostport + "/nosuch:1"}])
    crash, fine, nopull = stack.run("crash"), stack.run("fine"), stack.run("nopull")
    for arn in (crash, fine, nopull):
        stack.wait_status(arn, "STOPPED")
    berth_proc.wait_for(lambda: stack.ecs.describe_services(cluster=stack.cluster, services=["web"])
                        ["services"][0]["runningCount"] == 2, what="web to run 2 tasks")

    p = status(stack, tmp_path)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "cluster stat  ACTIVE  instances 1  services 1" in out, out
    web = [line for line in out.splitlines() if line.strip().startswith("web ")]
    assert len(web) == 1 and web[0].split()[1:5] == ["ACTIVE", "2", "2", "0"], out
    assert "PRIMARY web:1 2/2 COMPLETED" in web[0], web[0]
    inst = [line for line in out.splitlines() if "connected" in line]
    assert len(inst) == 1 and "ACTIVE" in inst[0], out
    # Free resources: what DescribeContainerInstances says remains.
    ci = stack.ecs.describe_container_instances(
        cluster=stack.cluster, containerInstances=stack.ecs.list_container_instances(
            cluster=stack.cluster)["containerInstanceArns"])["containerInstances"][0]
    rem = {r["name"]: r["integerValue"] for r in ci["remainingResources"] if r["name"] in ("CPU", "MEMORY")}
    reg = {r["name"]: r["integerValue"] for r in ci["registeredResources"] if r["name"] in ("CPU", "MEMORY")}
    assert "%d/%d MiB" % (rem["MEMORY"], reg["MEMORY"]) in inst[0], (inst[0], rem, reg)
    # Failures: the crash (exit code 3) and the failed pull; not the task that exited 0.
    assert "FAILED TASKS (last hour: 2)" in out, out
    assert "task %s (crash:1, family:crash): EssentialContainerExited" % crash.rsplit("/", 1)[1] in out, out
    assert "container main: exit code 3" in out, out
    assert "task %s (nopull:1, family:nopull): TaskFailedToStart" % nopull.rsplit("/", 1)[1] in out, out
    assert "CannotPullContainerError" in out, out
    assert fine.rsplit("/", 1)[1] not in out


def test_status_errors(stack, tmp_path):
    p = status(stack, tmp_path, "--cluster", "nosuch")
    assert p.returncode == 1 and "cluster nosuch: MISSING" in p.stderr, (p.stdout, p.stderr)
    env = berth_proc.aws_cli_env(tmp_path, key=None, BERTH_ENDPOINT=stack.server.endpoint)
    p = subprocess.run([berth_proc.BERTH_BIN, "status"], env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "berth status" in p.stderr
    p = status(stack, tmp_path, "extra")
    assert p.returncode == 2


def test_status_json_says_the_same_as_the_api(stack, tmp_path):
    """--json: one document a script can read, with the same numbers the
    API gives (run after the test above: web runs 2 tasks, 2 failures)."""
    p = status(stack, tmp_path, "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    (cl,) = doc["clusters"]
    assert cl["clusterName"] == "stat" and cl["status"] == "ACTIVE"
    assert cl["registeredContainerInstancesCount"] == 1 and cl["activeServicesCount"] == 1
    (web,) = cl["services"]
    assert (web["serviceName"], web["desiredCount"], web["runningCount"]) == ("web", 2, 2)
    assert web["deployments"][0]["status"] == "PRIMARY" and web["deployments"][0]["rolloutState"] == "COMPLETED"
    (inst,) = cl["containerInstances"]
    ci = stack.ecs.describe_container_instances(
        cluster=stack.cluster, containerInstances=[inst["containerInstanceArn"]])["containerInstances"][0]
    rem = {r["name"]: r["integerValue"] for r in ci["remainingResources"]}
    reg = {r["name"]: r["integerValue"] for r in ci["registeredResources"]}
    assert inst["agentConnected"] is True and inst["runningTasksCount"] == 2
    assert inst["memoryMiB"] == {"free": rem["MEMORY"], "total": reg["MEMORY"]}
    assert inst["cpu"] == {"free": rem["CPU"], "total": reg["CPU"]}
    failed = cl["failedTasks"]
    assert failed["count"] == 2 and len(failed["tasks"]) == 2
    crash = [t for t in failed["tasks"] if t["group"] == "family:crash"][0]
    assert crash["stopCode"] == "EssentialContainerExited"
    assert crash["containers"] == [{"name": "main", "exitCode": 3}] or crash["containers"][0]["exitCode"] == 3
    nopull = [t for t in failed["tasks"] if t["group"] == "family:nopull"][0]
    assert nopull["stopCode"] == "TaskFailedToStart" and "CannotPullContainerError" in json.dumps(nopull)
    # One cluster by name; a missing one fails as the text form does.
    p = status(stack, tmp_path, "--json", "--cluster", "stat")
    assert p.returncode == 0 and [c["clusterName"] for c in json.loads(p.stdout)["clusters"]] == ["stat"]
    p = status(stack, tmp_path, "--json", "--cluster", "nosuch")
    assert p.returncode == 1 and "cluster nosuch: MISSING" in p.stderr
