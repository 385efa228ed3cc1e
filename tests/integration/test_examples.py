"""The examples/ walk-throughs, end to end, as a user runs them: images built
from Debian packages by scripts/build-example-images.sh and pushed with
skopeo to a real registry; each example's run.sh (the AWS CLI v2 against a
real server and agent, real containers) and what a user then checks: the web
app counting visits in redis over HTTP, the one-off report task's exit code
and log, redis found by its Cloud Map name, secrets reaching the
containers and nowhere else, and a load balancer answering from each task
of a service in turn."""
import json
import os
import re
import subprocess
import urllib.error
import urllib.request

import pytest

import berth_proc
import dnsclient
import stack as stackmod

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


def stop_stack(s):
    try:
        arns = s.ecs.list_services(cluster=s.cluster)["serviceArns"]
        for svc in s.ecs.describe_services(cluster=s.cluster, services=arns)["services"] if arns else []:
            if svc["status"] == "ACTIVE":
                s.ecs.delete_service(cluster=s.cluster, service=svc["serviceArn"], force=True)
        berth_proc.wait_for(lambda: not s.ecs.list_tasks(cluster=s.cluster)["taskArns"], timeout=60,
                            what="the examples' tasks to stop")
        stackmod.assert_no_leftovers(s.agent_dir, [], timeout=60)
    finally:
        s.close()


def build_images(s):
    build = subprocess.run([os.path.join(ROOT, "scripts", "build-example-images.sh"), s.registry.hostport],
                           capture_output=True, text=True, timeout=300)
    if build.returncode != 0 and "cannot download" in build.stderr:
        pytest.skip("no Debian mirror reachable: " + build.stderr.strip())
    assert build.returncode == 0, build.stderr
    assert build.stdout.split() == [s.registry.hostport + "/examples/redis:7",
                                    s.registry.hostport + "/examples/webapp:1"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    port = berth_proc.free_dns_port()
    s = stackmod.Stack(tmp_path_factory.mktemp("examples"), cluster="examples",
                       server_args=["--dns-listen", "127.0.0.1:%d" % port],
                       agent_args=["--dns-server", "127.0.0.1:%d" % port])
    s.dns_port = port
    try:
        build_images(s)
    except BaseException:
        stop_stack(s)
        raise
    yield s
    stop_stack(s)


def example(stack, tmp_path, name, *args, timeout=300, **env):
    """Run examples/NAME/run.sh ARGS as a user would, with the stack's
    endpoint, cluster and registry; the finished process."""
    e = berth_proc.aws_cli_env(tmp_path, BERTH_ENDPOINT=stack.server.endpoint, CLUSTER=stack.cluster,
                               REGISTRY=stack.registry.hostport, **env)
    return subprocess.run([os.path.join(EXAMPLES, name, "run.sh"), *args], env=e, capture_output=True, text=True,
                          timeout=timeout)


def ok(p):
    assert p.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (p.returncode, p.stdout, p.stderr)
    return p.stdout


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read().decode()
    except (urllib.error.URLError, OSError):
        return None


def test_webapp_and_redis_example(stack):
    with open(os.path.join(EXAMPLES, "webapp", "taskdef.json")) as f:
        text = f.read().replace("127.0.0.1:5000", stack.registry.hostport)
    td = json.loads(text)
    # The walk-through publishes 8080; the test takes any free host port.
    td["containerDefinitions"][1]["portMappings"][0]["hostPort"] = 0
    stack.ecs.register_task_definition(**td)
    stack.ecs.create_service(cluster=stack.cluster, serviceName="webapp", taskDefinition="webapp", desiredCount=1)
    try:
        stack.ecs.get_waiter("services_stable").wait(cluster=stack.cluster, services=["webapp"],
                                                     WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    except Exception:
        stopped = stack.ecs.list_tasks(cluster=stack.cluster, desiredStatus="STOPPED")["taskArns"]
        why = [(t.get("stoppedReason"), [(c["name"], c.get("exitCode"), c.get("reason")) for c in t["containers"]])
               for t in (stack.ecs.describe_tasks(cluster=stack.cluster, tasks=stopped)["tasks"] if stopped else [])]
        logs = {c: stack.stdout(arn, c) for arn in stopped[:1] for c in ("redis", "web")}
        raise AssertionError("webapp did not become stable: %s %s" % (why, logs))
    arn = stack.ecs.list_tasks(cluster=stack.cluster, serviceName="webapp")["taskArns"][0]
    task = stack.wait_status(arn, "RUNNING")
    port = [b["hostPort"] for b in stack.container(task, "web")["networkBindings"] if b["containerPort"] == 8080][0]
    url = "http://127.0.0.1:%d" % port
    assert "berth example" in berth_proc.wait_for(lambda: get(url + "/"), what="the web container to answer")
    first, second = get(url + "/cgi-bin/hits"), get(url + "/cgi-bin/hits")
    assert first.startswith("hello from ") and first.strip().endswith("visit 1"), first
    assert second.strip().endswith("visit 2"), second
    stack.ecs.delete_service(cluster=stack.cluster, service="webapp", force=True)


def test_oneoff_report_task(stack, tmp_path):
    out = ok(example(stack, tmp_path, "oneoff"))
    arn = re.search(r"^task (\S+)$", out, re.M).group(1)
    today = __import__("datetime").datetime.now(__import__("datetime").timezone.utc).strftime("%Y-%m-%d")
    assert "exit code 0" in out, out
    # The log, as CloudWatch Logs keeps it: the date the script passed in.
    assert "report %s: 2 files served" % today in out and "report %s: done" % today in out, out
    t = stack.describe(arn)
    assert t["lastStatus"] == "STOPPED" and t["startedBy"] == "report-job" and t["group"] == "family:report"


def test_service_discovery(stack, tmp_path):
    out = ok(example(stack, tmp_path, "discovery"))
    lines = out.strip().splitlines()
    url = lines[-1]
    redis_ip = lines[-2].split(": ", 1)[1].strip()
    # The name answers with the redis task's address, from berth's DNS.
    answer = dnsclient.ask("127.0.0.1", stack.dns_port, "redis.example.local", "A")
    assert dnsclient.values(answer, "A") == [redis_ip], (answer, out)
    first = berth_proc.wait_for(lambda: get(url), what="the web task to answer")
    assert first.strip().endswith("visit 1"), first
    assert get(url).strip().endswith("visit 2")
    ok(example(stack, tmp_path, "discovery", "down"))
    sd = berth_proc.client(stack.server.endpoint, service="servicediscovery")
    assert [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == "example.local"] == []
    assert dnsclient.ask("127.0.0.1", stack.dns_port, "redis.example.local", "A")["answer"] == []


def test_secrets(stack, tmp_path):
    out = ok(example(stack, tmp_path, "secrets", GREETING="bonjour", HOST_PORT="0"))
    url = out.strip().splitlines()[-1]
    first = berth_proc.wait_for(lambda: get(url), what="the web container to answer")
    # The password reached both containers (redis refuses INCR without it).
    assert first.startswith("bonjour from ") and first.strip().endswith("visit 1"), first
    assert get(url).strip().endswith("visit 2")
    asm = berth_proc.client(stack.server.endpoint, service="secretsmanager")
    password = json.loads(asm.get_secret_value(SecretId="examples/redis")["SecretString"])["password"]
    arn = stack.ecs.list_tasks(cluster=stack.cluster, serviceName="webapp-secrets")["taskArns"][0]
    described = json.dumps(stack.describe(arn), default=str) + json.dumps(stack.ecs.describe_task_definition(
        taskDefinition="webapp-secrets")["taskDefinition"], default=str)
    assert password not in described and "bonjour" not in described
    assert password not in out
    for log in (stack.server.log_path, stack.agent.log_path):
        with open(log, errors="replace") as f:
            assert password not in f.read()
    ok(example(stack, tmp_path, "secrets", "down"))
    iam = berth_proc.client(stack.server.endpoint, service="iam")
    assert "webapp-secrets-exec" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_alb_ingress(stack, tmp_path):
    out = ok(example(stack, tmp_path, "alb", LB_PORT=str(berth_proc.free_dns_port())))
    url = out.strip().splitlines()[-1]
    bodies = [berth_proc.wait_for(lambda: get(url), what="the load balancer to answer") for _ in range(6)]
    # Both tasks answer, in turn, through the one address.
    assert all(b.startswith("served by ") for b in bodies), bodies
    assert len(set(bodies)) == 2, bodies
    ok(example(stack, tmp_path, "alb", "down"))
    elb = berth_proc.client(stack.server.endpoint, service="elbv2")
    assert [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == "example-alb"] == []
    assert get(url) is None
    assert not stack.ecs.list_tasks(cluster=stack.cluster, serviceName="alb-web")["taskArns"]


@pytest.fixture(scope="module")
def scaled_stack(tmp_path_factory):
    """A stack as `berth up --time-scale 60` runs one: metric minutes and
    cooldowns sixty times shorter, the agent sampling every second."""
    s = stackmod.Stack(tmp_path_factory.mktemp("examples-scaled"), cluster="scaled",
                       server_args=["--time-scale", "60"], agent_args=["--metrics-interval", "1"])
    try:
        build_images(s)
    except BaseException:
        stop_stack(s)
        raise
    yield s
    stop_stack(s)


def test_autoscaling_on_cpu(scaled_stack, tmp_path):
    s = scaled_stack
    out = ok(example(s, tmp_path, "autoscaling", timeout=600))
    lines = out.strip().splitlines()
    # The policy's two alarms, then out to the maximum and back in to 1.
    assert sorted(line.split("-Alarm")[1].split("-")[0] for line in lines[:2]) == ["High", "Low"], out
    assert all(line.startswith("TargetTracking-service/scaled/cpu-burner-Alarm") for line in lines[:2]), out
    assert lines[2:4] == ["desired count 3", "desired count 1"], out
    acts = [line.split("\t") for line in lines[4:]]
    descs = [a[1] for a in acts]
    assert descs[0] == "Setting desired count to 1." and "Setting desired count to 3." in descs, out
    assert all("monitor alarm TargetTracking-service/scaled/cpu-burner-Alarm" in a[2] for a in acts), out
    # The example cleaned up after itself.
    aas = berth_proc.client(s.server.endpoint, service="application-autoscaling")
    assert aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert s.ecs.describe_services(cluster=s.cluster, services=["cpu-burner"])["services"][0]["status"] == "INACTIVE"
