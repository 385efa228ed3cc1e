"""Two ECS services behind one Application Load Balancer, with real HTTP
through berth's HAProxy: routed by path, host header, query string and
method; each service's tasks answering in turn; and no request lost while
a service rolls to a new revision or one of its tasks is stopped under a
constant request loop (~50 requests/s)."""
import threading
import time
import urllib.error
import urllib.request

import pytest

import berth_proc
import stack as stackmod
from berth_proc import free_port
from test_elbv2 import get, health, lb_address

# Each task answers NAME-<its own uuid> on / and /api/, ok on /health.
WEB = ("u=$(cat /proc/sys/kernel/random/uuid); mkdir -p /w/api && echo $NAME-$u > /w/index.html && "
       "cp /w/index.html /w/api/index.html && echo ok > /w/health && exec httpd -f -p 80 -h /w")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("elbsvc"))
    yield s
    s.close()


def register(stack, family, name):
    return stack.register(family, [{"name": "web", "command": ["sh", "-c", WEB], "stopTimeout": 2,
                                     "environment": [{"name": "NAME", "value": name}],
                                     "portMappings": [{"containerPort": 80}]}], networkMode="awsvpc")


class Load:
    """GETs through the load balancer at about rate per second, at most
    limit of them, each on a new connection; every answer kept."""

    def __init__(self, url, headers, rate=50, limit=20000):
        self.url, self.headers, self.rate, self.limit = url, headers, rate, limit
        self.results = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set() and len(self.results) < self.limit:
            t0 = time.monotonic()
            req = urllib.request.Request(self.url, headers=self.headers)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    self.results.append((r.status, r.read().decode().strip()))
            except urllib.error.HTTPError as e:
                self.results.append((e.code, e.read().decode()))
            except (urllib.error.URLError, ConnectionError, OSError) as e:
                self.results.append((0, str(e)))
            time.sleep(max(0.0, 1.0 / self.rate - (time.monotonic() - t0)))

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=30)
        return self.results


def healthy(elb, tg, n):
    h = health(elb, tg)
    return h if len(h) == n and all(v["State"] == "healthy" for v in h.values()) else None


@pytest.fixture(scope="module")
def alb(stack):
    """The load balancer, its rules, and services web and api (two tasks each, healthy)."""
    elb = berth_proc.client(stack.server.endpoint, service="elbv2")
    lb = elb.create_load_balancer(Name="two-svc")["LoadBalancers"][0]
    tgs = {}
    for name in ("web", "api"):
        tgs[name] = elb.create_target_group(
            Name="two-" + name, Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip", HealthCheckPath="/health",
            HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
            HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=tgs[name], Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "3"}])
    port = free_port()
    larn = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "MessageBody": "no route"}}]
    )["Listeners"][0]["ListenerArn"]
    rule = lambda prio, cond, action: elb.create_rule(  # noqa: E731
        ListenerArn=larn, Priority=prio, Conditions=[cond], Actions=[action])
    rule(1, {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["DELETE"]}},
         {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "405", "MessageBody": "read only"}})
    rule(2, {"Field": "path-pattern", "Values": ["/api/*"]}, {"Type": "forward", "TargetGroupArn": tgs["api"]})
    rule(3, {"Field": "host-header", "Values": ["www.example.test"]}, {"Type": "forward", "TargetGroupArn": tgs["web"]})
    rule(4, {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "svc", "Value": "api*"}]}},
         {"Type": "forward", "TargetGroupArn": tgs["api"]})
    net = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
    for name in ("web", "api"):
        register(stack, name, name)
        stack.ecs.create_service(cluster=stack.cluster, serviceName=name, taskDefinition=name, desiredCount=2,
                                 networkConfiguration=net, loadBalancers=[
                                     {"targetGroupArn": tgs[name], "containerName": "web", "containerPort": 80}])
    for name in ("web", "api"):
        berth_proc.wait_for(lambda: healthy(elb, tgs[name], 2), timeout=120, what="two healthy %s targets" % name)

    return elb, tgs, "http://%s:%d" % (lb_address(lb), port)


www = {"Host": "www.example.test"}


def test_routing(alb):
    elb, tgs, base = alb

    def in_turn(path, headers, prefix):
        bodies = [get(base + path, headers) for _ in range(6)]
        assert all(s == 200 and b.startswith(prefix) for s, b in bodies), bodies
        bodies = [b for _, b in bodies]
        assert len(set(bodies)) == 2 and all(bodies[i] != bodies[i + 1] for i in range(5)), bodies
    in_turn("/", www, "web-")  # by host: web's two tasks, one after the other
    in_turn("/api/", www, "api-")  # by path (rule 2 before rule 3)
    in_turn("/api/", {}, "api-")
    in_turn("/?x=1&svc=api2", {}, "api-")  # by query string
    assert get(base + "/?svc=web") == (404, "no route")
    assert get(base + "/") == (404, "no route")
    req = urllib.request.Request(base + "/api/", method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 405



def test_rolling_update_loses_no_request(stack, alb):
    elb, tgs, base = alb
    register(stack, "web", "web2")
    load = Load(base + "/", www)
    stack.ecs.update_service(cluster=stack.cluster, service="web", taskDefinition="web")

    state = {}

    def rolled():
        svc = stack.ecs.describe_services(cluster=stack.cluster, services=["web"])["services"][0]
        state.update(deployments=[(d["status"], d["runningCount"], d.get("rolloutState")) for d in svc["deployments"]],
                     health=health(elb, tgs["web"]), last=load.results[-3:], n=len(load.results))
        done = len(svc["deployments"]) == 1 and svc["runningCount"] == 2
        return done and healthy(elb, tgs["web"], 2) and all(b.startswith("web2-") for _, b in load.results[-10:])
    deadline = time.time() + 240
    while not rolled():
        assert time.time() < deadline, state
        time.sleep(1)
    time.sleep(2)
    results = load.finish()
    failed = [r for r in results if r[0] != 200]
    assert failed == [], (len(results), failed[:5])
    names = {b.split("-")[0] for _, b in results}
    assert names == {"web", "web2"} and len(results) > 100, (names, len(results))



def test_stopped_task_drains_without_loss(stack, alb):
    elb, tgs, base = alb
    load = Load(base + "/", www)
    arns = stack.ecs.list_tasks(cluster=stack.cluster, serviceName="web")["taskArns"]
    stack.ecs.stop_task(cluster=stack.cluster, task=arns[0], reason="drain test")
    stack.wait_status(arns[0], "STOPPED", timeout=90)
    berth_proc.wait_for(lambda: healthy(elb, tgs["web"], 2), timeout=120, what="the stopped task replaced")
    results = load.finish()
    failed = [r for r in results if r[0] != 200]
    assert failed == [], (len(results), failed[:5])
    assert len(results) > 50

    for name in ("web", "api"):
        stack.ecs.update_service(cluster=stack.cluster, service=name, desiredCount=0)
    for name in ("web", "api"):
        berth_proc.wait_for(lambda: health(elb, tgs[name]) == {} or None, timeout=90, what="no targets")
