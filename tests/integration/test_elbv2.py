"""Elastic Load Balancing v2 against a real berth server, with boto3 and the
AWS CLI v2: load balancers, target groups, listeners, rules, attributes,
tags, pages and the documented errors; real HTTP through the HAProxy berth
runs for each load balancer (path and host routing, fixed responses,
health checks feeding DescribeTargetHealth); and an ECS service whose
tasks register in a target group and answer in turn."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from botocore.exceptions import ClientError

import berth_proc
import stack as stackmod


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def elb(server):
    return berth_proc.client(server.endpoint, service="elbv2")


def lb_address(lb):
    return lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["IpAddress"]


def get(url, headers=None, timeout=5):
    """(status, body) of a GET; HTTP errors are answers too."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        return 0, str(e)  # not listening (yet)


class Httpd:
    """A busybox httpd on 127.0.0.1:port serving files: a real target."""

    def __init__(self, tmp, port, files):
        self.dir = os.path.join(str(tmp), "www%d" % port)
        os.makedirs(self.dir, exist_ok=True)
        for name, body in files.items():
            path = os.path.join(self.dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(body)
        self.port = port
        self.proc = subprocess.Popen(["busybox", "httpd", "-f", "-p", "127.0.0.1:%d" % port, "-h", self.dir])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def health(elb, tg):
    out = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return {"%s:%d" % (d["Target"]["Id"], d["Target"]["Port"]): d["TargetHealth"] for d in out}


def service_state(stack, elb, tg, service):
    """The targets' health with reasons, the service's events and its tasks,
    and the logs' tails: what a timed-out wait on a service behind a load
    balancer needs to be understood afterwards."""
    out = ["targets: %r" % elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
    svc = stack.ecs.describe_services(cluster=stack.cluster, services=[service])["services"]
    for e in (svc[0]["events"] if svc else [])[:20]:
        out.append("event %s %s" % (e["createdAt"], e["message"]))
    arns = stack.ecs.list_tasks(cluster=stack.cluster, serviceName=service, desiredStatus="STOPPED")["taskArns"]
    arns += stack.ecs.list_tasks(cluster=stack.cluster, serviceName=service)["taskArns"]
    for t in stack.ecs.describe_tasks(cluster=stack.cluster, tasks=arns[:100])["tasks"] if arns else []:
        out.append("task %s %s/%s %s %r" % (t["taskArn"].rsplit("/", 1)[-1], t["lastStatus"], t["desiredStatus"],
                                           t.get("stoppedReason", ""),
                                           [(c["name"], c.get("exitCode"), c.get("reason")) for c in t["containers"]]))
    out.append("server log tail:\n" + stack.server.log()[-4000:])
    if stack.agent:
        out.append("agent log tail:\n" + stack.agent.log()[-4000:])
    return "\n".join(out)


# ---- the API ----


def test_load_balancers(elb):
    lb = elb.create_load_balancer(Name="api-lb", Subnets=["subnet-a", "subnet-b"], SecurityGroups=["sg-1"],
                                  Tags=[{"Key": "team", "Value": "web"}])["LoadBalancers"][0]
    assert lb["LoadBalancerArn"].startswith(
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/api-lb/")
    assert lb["Type"] == "application" and lb["Scheme"] == "internet-facing" and lb["State"]["Code"] == "active"
    assert [z["SubnetId"] for z in lb["AvailabilityZones"]] == ["subnet-a", "subnet-b"]
    assert lb_address(lb).startswith("127.") and lb["SecurityGroups"] == ["sg-1"]
    net = elb.create_load_balancer(Name="api-nlb", Type="network", Scheme="internal")["LoadBalancers"][0]
    assert ":loadbalancer/net/api-nlb/" in net["LoadBalancerArn"] and net["DNSName"].startswith("internal-api-nlb-")
    assert lb_address(net) != lb_address(lb)

    with pytest.raises(ClientError) as e:
        elb.create_load_balancer(Name="api-lb")
    assert code(e) == "DuplicateLoadBalancerName"
    with pytest.raises(ClientError) as e:
        elb.create_load_balancer(Name="-bad")
    assert code(e) == "ValidationError"
    with pytest.raises(ClientError) as e:
        elb.create_load_balancer(Name="gw", Type="gateway")
    assert code(e) == "ValidationError" and "application and network" in str(e.value)
    with pytest.raises(ClientError) as e:
        elb.describe_load_balancers(Names=["nope"])
    assert code(e) == "LoadBalancerNotFound"

    got = elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"]
    assert got[0]["LoadBalancerName"] == "api-lb" and got[0]["DNSName"] == lb["DNSName"]
    attrs = {a["Key"]: a["Value"] for a in
             elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attrs == {"deletion_protection.enabled": "false", "idle_timeout.timeout_seconds": "60"}
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"],
                                        Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"}])
    with pytest.raises(ClientError) as e:
        elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"],
                                            Attributes=[{"Key": "routing.http2.enabled", "Value": "false"}])
    assert code(e) == "ValidationError" and "not supported by berth" in str(e.value)
    with pytest.raises(ClientError) as e:
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert code(e) == "OperationNotPermitted"
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"],
                                        Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
    tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "team", "Value": "web"}]
    elb.add_tags(ResourceArns=[lb["LoadBalancerArn"]], Tags=[{"Key": "env", "Value": "dev"}])
    elb.remove_tags(ResourceArns=[lb["LoadBalancerArn"]], TagKeys=["team"])
    tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "env", "Value": "dev"}]
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])  # gone already: still a success
    elb.delete_load_balancer(LoadBalancerArn=net["LoadBalancerArn"])
    assert elb.describe_load_balancers()["LoadBalancers"] == []


def test_target_groups_listeners_rules(elb):
    lb = elb.create_load_balancer(Name="rules-lb")["LoadBalancers"][0]
    lbarn = lb["LoadBalancerArn"]
    tg = elb.create_target_group(Name="rules-a", Protocol="HTTP", Port=8080, VpcId="vpc-1",
                                 TargetType="ip")["TargetGroups"][0]
    assert tg["HealthCheckPath"] == "/" and tg["Matcher"] == {"HttpCode": "200"}
    assert tg["HealthCheckIntervalSeconds"] == 30 and tg["HealthyThresholdCount"] == 5
    tg2 = elb.create_target_group(Name="rules-b", Protocol="HTTP", Port=8080, VpcId="vpc-1",
                                  TargetType="ip", HealthCheckPath="/ping",
                                  Matcher={"HttpCode": "200-299"})["TargetGroups"][0]
    tcp = elb.create_target_group(Name="rules-tcp", Protocol="TCP", Port=5432, VpcId="vpc-1")["TargetGroups"][0]
    assert tcp["HealthCheckProtocol"] == "TCP" and "HealthCheckPath" not in tcp
    with pytest.raises(ClientError) as e:
        elb.create_target_group(Name="rules-a", Protocol="HTTP", Port=80, VpcId="vpc-1")
    assert code(e) == "DuplicateTargetGroupName"
    with pytest.raises(ClientError) as e:
        elb.create_target_group(Name="rules-c", Protocol="HTTP", Port=80, VpcId="vpc-1",
                                Matcher={"HttpCode": "600"})
    assert code(e) == "ValidationError"
    with pytest.raises(ClientError) as e:
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "i-0123456789abcdef0"}])
    assert code(e) == "InvalidTarget"
    with pytest.raises(ClientError) as e:
        elb.describe_target_groups(TargetGroupArns=[tg["TargetGroupArn"][:-4] + "0000"])
    assert code(e) == "TargetGroupNotFound"

    fwd = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
    listener = elb.create_listener(LoadBalancerArn=lbarn, Protocol="HTTP", Port=18000,
                                   DefaultActions=fwd)["Listeners"][0]
    larn = listener["ListenerArn"]
    assert ":listener/app/rules-lb/" in larn
    assert listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"] == tg["TargetGroupArn"]
    with pytest.raises(ClientError) as e:
        elb.create_listener(LoadBalancerArn=lbarn, Protocol="HTTP", Port=18000, DefaultActions=fwd)
    assert code(e) == "DuplicateListener"
    with pytest.raises(ClientError) as e:
        elb.create_listener(LoadBalancerArn=lbarn, Protocol="HTTPS", Port=18443, DefaultActions=fwd,
                            Certificates=[{"CertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/x"}])
    assert code(e) == "CertificateNotFound"
    with pytest.raises(ClientError) as e:
        elb.create_listener(LoadBalancerArn=lbarn, Protocol="TLS", Port=18443, DefaultActions=fwd)
    assert code(e) == "UnsupportedProtocol"
    with pytest.raises(ClientError) as e:
        elb.create_listener(LoadBalancerArn=lbarn, Protocol="HTTP", Port=18001,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tcp["TargetGroupArn"]}])
    assert code(e) == "IncompatibleProtocols"
    with pytest.raises(ClientError) as e:
        elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    assert code(e) == "ResourceInUse"
    got = elb.describe_target_groups(LoadBalancerArn=lbarn)["TargetGroups"]
    assert [g["TargetGroupName"] for g in got] == ["rules-a"] and got[0]["LoadBalancerArns"] == [lbarn]

    r1 = elb.create_rule(ListenerArn=larn, Priority=10,
                         Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                         Actions=[{"Type": "forward", "TargetGroupArn": tg2["TargetGroupArn"]}])["Rules"][0]
    r2 = elb.create_rule(ListenerArn=larn, Priority=20,
                         Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}}],
                         Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                             "StatusCode": "503", "ContentType": "text/plain", "MessageBody": "down"}}])["Rules"][0]
    with pytest.raises(ClientError) as e:
        elb.create_rule(ListenerArn=larn, Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
                        Actions=fwd)
    assert code(e) == "PriorityInUse"
    with pytest.raises(ClientError) as e:
        elb.create_rule(ListenerArn=larn, Priority=30, Conditions=[{"Field": "query-string", "QueryStringConfig": {
            "Values": [{"Key": "a", "Value": "b c"}]}}], Actions=fwd)
    assert code(e) == "ValidationError" and "query-string" in str(e.value)
    rules = elb.describe_rules(ListenerArn=larn)["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "20", "default"] and rules[-1]["IsDefault"]
    elb.set_rule_priorities(RulePriorities=[{"RuleArn": r1["RuleArn"], "Priority": 20},
                                            {"RuleArn": r2["RuleArn"], "Priority": 10}])
    rules = elb.describe_rules(ListenerArn=larn)["Rules"]
    assert [r["RuleArn"] for r in rules[:2]] == [r2["RuleArn"], r1["RuleArn"]]
    with pytest.raises(ClientError) as e:
        elb.delete_rule(RuleArn=rules[-1]["RuleArn"])
    assert code(e) == "OperationNotPermitted"
    elb.modify_rule(RuleArn=r1["RuleArn"], Conditions=[{"Field": "path-pattern", "Values": ["/v2/*"]}])
    got = elb.describe_rules(RuleArns=[r1["RuleArn"]])["Rules"][0]
    assert got["Conditions"][0]["Values"] == ["/v2/*"] and got["Priority"] == "20"
    elb.delete_rule(RuleArn=r2["RuleArn"])
    with pytest.raises(ClientError) as e:
        elb.describe_rules(RuleArns=[r2["RuleArn"]])
    assert code(e) == "RuleNotFound"

    attrs = {a["Key"]: a["Value"] for a in
             elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert attrs["deregistration_delay.timeout_seconds"] == "300" and attrs["stickiness.enabled"] == "false"
    elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "5"}])
    with pytest.raises(ClientError) as e:
        elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
            {"Key": "load_balancing.cross_zone.enabled", "Value": "true"}])
    assert code(e) == "ValidationError"
    got = elb.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], HealthCheckPath="/healthz",
                                  HealthCheckIntervalSeconds=10)["TargetGroups"][0]
    assert got["HealthCheckPath"] == "/healthz" and got["HealthCheckIntervalSeconds"] == 10

    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.9.9.9", "Port": 81}])
    h = health(elb, tg["TargetGroupArn"])
    assert list(h) == ["10.9.9.9:81"]
    elb.deregister_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.9.9.9", "Port": 81}])
    assert health(elb, tg["TargetGroupArn"])["10.9.9.9:81"]["State"] == "draining"

    elb.delete_listener(ListenerArn=larn)
    with pytest.raises(ClientError) as e:
        elb.describe_listeners(ListenerArns=[larn])
    assert code(e) == "ListenerNotFound"
    elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    elb.delete_load_balancer(LoadBalancerArn=lbarn)


def test_pages(elb):
    arns = [elb.create_target_group(Name="page-%d" % i, Protocol="HTTP", Port=80,
                                    VpcId="vpc-1")["TargetGroups"][0]["TargetGroupArn"] for i in range(5)]
    first = elb.describe_target_groups(PageSize=2)
    assert len(first["TargetGroups"]) == 2 and first["NextMarker"]
    seen = []
    for page in elb.get_paginator("describe_target_groups").paginate(PaginationConfig={"PageSize": 2}):
        seen += [g["TargetGroupArn"] for g in page["TargetGroups"]]
    assert sorted(a for a in seen if ":targetgroup/page-" in a) == sorted(arns)
    with pytest.raises(ClientError) as e:
        elb.describe_target_groups(Marker="bm90IGEgbWFya2Vy")
    assert code(e) == "ValidationError"
    for a in arns:
        elb.delete_target_group(TargetGroupArn=a)


def aws_elb(server, env, *args):
    p = subprocess.run([berth_proc.AWS_V2, "elbv2", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                       env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else {}), p.stderr


def test_cli(server, aws_env):
    rc, out, err = aws_elb(server, aws_env, "create-load-balancer", "--name", "cli-lb", "--type", "application")
    assert rc == 0, err
    arn = out["LoadBalancers"][0]["LoadBalancerArn"]
    rc, out, err = aws_elb(server, aws_env, "create-target-group", "--name", "cli-tg", "--protocol", "HTTP",
                           "--port", "80", "--vpc-id", "vpc-1", "--target-type", "ip")
    assert rc == 0, err
    tg = out["TargetGroups"][0]["TargetGroupArn"]
    rc, out, err = aws_elb(server, aws_env, "create-listener", "--load-balancer-arn", arn, "--protocol", "HTTP",
                           "--port", "18100", "--default-actions", "Type=forward,TargetGroupArn=" + tg)
    assert rc == 0, err
    rc, out, err = aws_elb(server, aws_env, "describe-listeners", "--load-balancer-arn", arn)
    assert rc == 0 and [l["Port"] for l in out["Listeners"]] == [18100], err
    rc, out, err = aws_elb(server, aws_env, "wait", "load-balancer-available", "--load-balancer-arns", arn)
    assert rc == 0, err
    rc, out, err = aws_elb(server, aws_env, "describe-load-balancers", "--names", "nope")
    assert rc != 0 and "LoadBalancerNotFound" in err
    rc, out, err = aws_elb(server, aws_env, "set-subnets", "--load-balancer-arn", arn, "--subnets", "subnet-1")
    assert rc != 0 and "berth does not implement" in err
    rc, out, err = aws_elb(server, aws_env, "delete-load-balancer", "--load-balancer-arn", arn)
    assert rc == 0, err
    rc, out, err = aws_elb(server, aws_env, "delete-target-group", "--target-group-arn", tg)
    assert rc == 0, err


def test_authorisation(server, elb):
    """A principal no policy allows (a container instance's key) is refused."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName="elb-authz")
    token, _ = berth_proc.create_token(server.endpoint, "elb-authz")
    status, out = berth_proc.register_with_token(server.endpoint, "elb-authz", token)
    assert status == 200, out
    who = out["containerInstance"]["containerInstanceArn"]
    other = berth_proc.client(server.endpoint, service="elbv2", key=berth_proc.instance_key(out))
    lb = elb.create_load_balancer(Name="authz-lb")["LoadBalancers"][0]
    with pytest.raises(ClientError) as e:
        other.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert code(e) == "AccessDenied"
    assert ("User: %s is not authorized to perform: elasticloadbalancing:DeleteLoadBalancer on resource: %s"
            % (who, lb["LoadBalancerArn"])) in str(e.value)
    with pytest.raises(ClientError) as e:
        other.describe_load_balancers()
    assert code(e) == "AccessDenied"
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])


# ---- the data plane: real HTTP through HAProxy ----


def test_routing_and_health(elb, tmp_path):
    pa, pb, pc = berth_proc.free_port(), berth_proc.free_port(), berth_proc.free_port()
    a = Httpd(tmp_path, pa, {"index.html": "A-root", "api/x": "A-api", "health": "ok"})
    b = Httpd(tmp_path, pb, {"index.html": "B-root", "api/x": "B-api", "health": "ok"})
    c = Httpd(tmp_path, pc, {"index.html": "C-root"})  # no /health: 404
    try:
        lb = elb.create_load_balancer(Name="route-lb")["LoadBalancers"][0]
        addr = lb_address(lb)
        mk = lambda name, **kw: elb.create_target_group(  # noqa: E731
            Name=name, Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip", HealthCheckPath="/health",
            HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, UnhealthyThresholdCount=2,
            HealthyThresholdCount=2, **kw)["TargetGroups"][0]["TargetGroupArn"]
        web, api = mk("route-web"), mk("route-api")
        elb.register_targets(TargetGroupArn=web, Targets=[{"Id": "127.0.0.1", "Port": pa}])
        elb.register_targets(TargetGroupArn=api, Targets=[{"Id": "127.0.0.1", "Port": pb},
                                                          {"Id": "127.0.0.1", "Port": pc}])
        assert health(elb, web)["127.0.0.1:%d" % pa]["Reason"] == "Target.NotInUse"
        port = berth_proc.free_port()
        larn = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                                   DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
                                       "StatusCode": "404", "ContentType": "text/plain",
                                       "MessageBody": "no route"}}])["Listeners"][0]["ListenerArn"]
        elb.create_rule(ListenerArn=larn, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                        Actions=[{"Type": "forward", "TargetGroupArn": api}])
        elb.create_rule(ListenerArn=larn, Priority=2,
                        Conditions=[{"Field": "host-header", "Values": ["www.example.*"]}],
                        Actions=[{"Type": "forward", "TargetGroupArn": web}])
        base = "http://%s:%d" % (addr, port)
        # The proxy follows within a second or so, as ELB's own changes take
        # effect; the targets serve once two checks passed.
        berth_proc.wait_for(lambda: get(base + "/", {"Host": "www.example.org"})[0] == 200, timeout=60,
                            what="the listener and its rules")
        assert get(base + "/") == (404, "no route")
        assert get(base + "/", {"Host": "www.example.org:%d" % port}) == (200, "A-root")
        assert get(base + "/api/x", {"Host": "www.example.org"}) == (200, "B-api")  # rule 1 comes first

        # The target without /health turns unhealthy; only the healthy one serves.
        def states():
            h = health(elb, api)
            return h if h["127.0.0.1:%d" % pc]["State"] == "unhealthy" else None
        h = berth_proc.wait_for(states, timeout=30, what="a failing health check")
        assert h["127.0.0.1:%d" % pc]["Reason"] == "Target.ResponseCodeMismatch"
        assert "404" in h["127.0.0.1:%d" % pc]["Description"]
        assert h["127.0.0.1:%d" % pb] == {"State": "healthy"}
        assert {get(base + "/api/x")[1] for _ in range(6)} == {"B-api"}

        # A stopped target times out or is refused: unhealthy, and gone from the rotation.
        elb.deregister_targets(TargetGroupArn=api, Targets=[{"Id": "127.0.0.1", "Port": pc}])
        assert health(elb, api)["127.0.0.1:%d" % pc]["State"] == "draining"
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        berth_proc.wait_for(lambda: _refused(base), timeout=20, what="the proxy to stop")
    finally:
        for h in (a, b, c):
            h.stop()


def _refused(base):
    try:
        urllib.request.urlopen(base + "/", timeout=2)
    except urllib.error.HTTPError:
        return False
    except (urllib.error.URLError, ConnectionError, OSError):
        return True
    return False


class CheckedTarget:
    """A target that answers /health 200 or 503 as told and counts the
    checks it answered each way: what the thresholds count.  Other paths
    answer its name; served holds, for each, how many checks had passed
    before it."""

    def __init__(self, port, name="ok"):
        import http.server
        import threading
        target = self
        self.ok, self.checks, self.served = True, [], []
        body = name.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/health":
                    target.checks.append(target.ok)
                else:
                    target.served.append(sum(1 for c in target.checks if c))
                status = 200 if target.ok or self.path != "/health" else 503
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def since(self, mark, ok):
        """Checks answered ok (or not) since the mark'th."""
        return sum(1 for c in self.checks[mark:] if c == ok)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_health_thresholds_count_as_elb_does(elb):
    """A new target is healthy once HealthyThresholdCount checks passed
    (test_new_target_is_initial_until_healthy); a healthy one turns unhealthy after
    UnhealthyThresholdCount consecutive failures, and back after
    HealthyThresholdCount consecutive successes; once back, it takes
    UnhealthyThresholdCount failures again (HAProxy's fall counts from the
    top once a server is up)."""
    port = berth_proc.free_port()
    t = CheckedTarget(port)
    try:
        lb = elb.create_load_balancer(Name="threshold-lb")["LoadBalancers"][0]
        tg = elb.create_target_group(Name="threshold-tg", Protocol="HTTP", Port=port, VpcId="vpc-1",
                                     TargetType="ip", HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                                     HealthCheckTimeoutSeconds=2, HealthyThresholdCount=3,
                                     UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=berth_proc.free_port(),
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}])
        key = "127.0.0.1:%d" % port
        state = lambda: health(elb, tg)[key]["State"]  # noqa: E731

        def first(want, mark, ok):
            """The count of checks answered ok since mark when the state first reads want."""
            def seen():
                s = state()  # the state, then the count: the count is at least what the state saw
                return (t.since(mark, ok),) if s == want else None
            return berth_proc.wait_for(seen, timeout=60, what="the target to be %s" % want)[0]

        assert first("healthy", 0, True) >= 3
        t.ok, mark = False, len(t.checks)
        assert first("unhealthy", mark, False) >= 2
        t.ok, mark = True, len(t.checks)
        assert first("healthy", mark, True) >= 3
        t.ok, mark = False, len(t.checks)
        assert first("unhealthy", mark, False) >= 2
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        elb.delete_target_group(TargetGroupArn=tg)
    finally:
        t.stop()


def test_new_target_is_initial_until_healthy(elb):
    """ELB keeps a newly registered target initial (Elb.RegistrationInProgress,
    then Elb.InitialHealthChecking) and sends it no request before it passed
    HealthyThresholdCount consecutive checks; a target already healthy stays
    healthy and keeps serving through the reload that registering another
    one causes."""
    pa, pb = berth_proc.free_port(), berth_proc.free_port()
    a, b = CheckedTarget(pa, "A"), CheckedTarget(pb, "B")
    try:
        lb = elb.create_load_balancer(Name="initial-lb")["LoadBalancers"][0]
        tg = elb.create_target_group(Name="initial-tg", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip",
                                     HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                                     HealthCheckTimeoutSeconds=2, HealthyThresholdCount=3,
                                     UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        port = berth_proc.free_port()
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        base = "http://%s:%d/" % (lb_address(lb), port)
        ka, kb = "127.0.0.1:%d" % pa, "127.0.0.1:%d" % pb
        initial = {("initial", "Elb.RegistrationInProgress"), ("initial", "Elb.InitialHealthChecking")}

        # The first target: initial, no request reaches it, then healthy.
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": pa}])
        seen, answers = [], []

        def a_healthy():
            h = health(elb, tg)[ka]
            seen.append((h["State"], h.get("Reason")))
            answers.append(get(base)[0])  # a client trying all along
            return h["State"] == "healthy"
        berth_proc.wait_for(a_healthy, timeout=90, interval=0.5, what="the first target to be healthy")
        assert ("initial", "Elb.InitialHealthChecking") in seen
        assert set(seen[:-1]) <= initial, seen
        assert 503 in answers, answers  # no target in rotation yet: 503, as ELB answers
        berth_proc.wait_for(lambda: get(base) == (200, "A"), timeout=20, what="the healthy target to serve")
        assert min(a.served) >= 3, a.served  # not one request before three passing checks

        # A second target: initial in turn while the first keeps its state
        # and serves every request through the reload.
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": pb}])
        seen, answers = [], []

        def b_healthy():
            h = health(elb, tg)
            assert h[ka] == {"State": "healthy"}, h
            seen.append((h[kb]["State"], h[kb].get("Reason")))
            answers.append(get(base))
            return h[kb]["State"] == "healthy"
        berth_proc.wait_for(b_healthy, timeout=90, interval=0.5, what="the second target to be healthy")
        assert ("initial", "Elb.InitialHealthChecking") in seen
        assert set(seen[:-1]) <= initial, seen
        assert set(answers) <= {(200, "A"), (200, "B")}, answers  # no request lost
        assert min(b.served, default=3) >= 3, b.served
        berth_proc.wait_for(lambda: get(base) == (200, "B"), timeout=20, what="the new target to take requests")
        assert min(b.served) >= 3, b.served
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        elb.delete_target_group(TargetGroupArn=tg)
    finally:
        a.stop()
        b.stop()


def test_weighted_forward(elb, tmp_path):
    pa, pb = berth_proc.free_port(), berth_proc.free_port()
    a = Httpd(tmp_path, pa, {"index.html": "A"})
    b = Httpd(tmp_path, pb, {"index.html": "B"})
    try:
        lb = elb.create_load_balancer(Name="weights-lb")["LoadBalancers"][0]
        tgs = []
        for name, p in (("w-a", pa), ("w-b", pb)):
            arn = elb.create_target_group(Name=name, Protocol="HTTP", Port=p, VpcId="vpc-1", TargetType="ip",
                                          HealthCheckEnabled=False)["TargetGroups"][0]["TargetGroupArn"]
            elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1"}])
            tgs.append(arn)
        port = berth_proc.free_port()
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=[
            {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tgs[0], "Weight": 1},
                                                                   {"TargetGroupArn": tgs[1], "Weight": 0}]}}])
        base = "http://%s:%d/" % (lb_address(lb), port)
        berth_proc.wait_for(lambda: get(base)[0] == 200, timeout=20, what="the listener")
        assert {get(base)[1] for _ in range(5)} == {"A"}
        assert health(elb, tgs[0])["127.0.0.1:%d" % pa]["State"] == "unavailable"
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        for arn in tgs:
            elb.delete_target_group(TargetGroupArn=arn)
    finally:
        a.stop()
        b.stop()


# ---- an ECS service behind a load balancer ----

WEB = ("mkdir -p /w && cat /proc/sys/kernel/random/uuid > /w/index.html && echo ok > /w/health && "
       "exec httpd -f -p 80 -h /w")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("elbv2"))
    yield s
    s.close()


def test_ecs_service_behind_load_balancer(stack):
    elb = berth_proc.client(stack.server.endpoint, service="elbv2")
    lb = elb.create_load_balancer(Name="svc-lb")["LoadBalancers"][0]
    tg = elb.create_target_group(Name="svc-tg", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip",
                                 HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                                 HealthCheckTimeoutSeconds=2,
                                 HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "3"}])
    port = berth_proc.free_port()
    stack.register("svc", [{"name": "web", "command": ["sh", "-c", WEB], "stopTimeout": 2,
                            "portMappings": [{"containerPort": 80}]}], networkMode="awsvpc")
    net = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
    lbs = [{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}]
    with pytest.raises(ClientError) as e:  # no load balancer forwards to it yet
        stack.ecs.create_service(cluster=stack.cluster, serviceName="svc", taskDefinition="svc", desiredCount=2,
                                 networkConfiguration=net, loadBalancers=lbs)
    assert code(e) == "InvalidParameterException" and "associated load balancer" in str(e.value)
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    with pytest.raises(ClientError) as e:
        stack.ecs.create_service(cluster=stack.cluster, serviceName="svc", taskDefinition="svc", desiredCount=2,
                                 networkConfiguration=net, loadBalancers=[dict(lbs[0], containerPort=81)])
    assert code(e) == "InvalidParameterException"
    # Blue/green needs the pair of groups (test_blue_green.py); without an
    # advancedConfiguration it is refused, not run as a rolling deployment
    # (this botocore predates the members: sent raw).
    status, out = berth_proc.raw_call(stack.server.endpoint, "CreateService", {
        "cluster": stack.cluster, "serviceName": "svc", "taskDefinition": "svc", "desiredCount": 2,
        "networkConfiguration": net, "loadBalancers": lbs,
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}})
    assert status == 400 and out["__type"] == "UnsupportedFeatureException" and "BLUE_GREEN" in out["message"], out
    stack.ecs.create_service(cluster=stack.cluster, serviceName="svc", taskDefinition="svc", desiredCount=2,
                             networkConfiguration=net, loadBalancers=lbs)

    def healthy(n):
        h = health(elb, tg)
        return h if len(h) == n and all(v["State"] == "healthy" for v in h.values()) else None
    h = berth_proc.wait_for(lambda: healthy(2), timeout=120, what="two healthy targets",
                            explain=lambda: service_state(stack, elb, tg, "svc"))
    assert all(k.endswith(":80") for k in h)
    base = "http://%s:%d/" % (lb_address(lb), port)
    bodies = [get(base)[1] for _ in range(6)]
    assert len(set(bodies)) == 2, bodies  # both tasks answer
    assert all(bodies[i] != bodies[i + 1] for i in range(5)), bodies  # in turn

    # Scale in: the task leaves the group (draining, DEACTIVATING) before it stops.
    # (Of the two serving: on a loaded host an earlier task may have failed
    # its first health checks and been replaced, and be STOPPED already.)
    serving = stack.ecs.list_tasks(cluster=stack.cluster, serviceName="svc", desiredStatus="RUNNING")["taskArns"]
    assert len(serving) == 2, serving
    stack.ecs.update_service(cluster=stack.cluster, service="svc", desiredCount=1)

    def draining():
        h = health(elb, tg)
        return [k for k, v in h.items() if v["State"] == "draining"]
    berth_proc.wait_for(draining, timeout=30, interval=0.2, what="a draining target")
    statuses = [t["lastStatus"] for t in stack.ecs.describe_tasks(cluster=stack.cluster, tasks=serving)["tasks"]
                if t["desiredStatus"] == "STOPPED"]
    assert statuses == ["DEACTIVATING"], statuses  # asked to stop, still running while it drains
    # The proxy sends the draining target nothing new: only the remaining task answers.
    berth_proc.wait_for(lambda: len(set(get(base)[1] for _ in range(4))) == 1, timeout=10, what="one task serving")
    berth_proc.wait_for(lambda: healthy(1), timeout=60, what="one registered target",
                        explain=lambda: service_state(stack, elb, tg, "svc"))
    berth_proc.wait_for(lambda: len(stack.ecs.list_tasks(cluster=stack.cluster, serviceName="svc")["taskArns"]) == 1,
                        timeout=60, what="the task to stop")

    # A task whose target fails the load balancer's health checks is replaced.
    elb.modify_target_group(TargetGroupArn=tg, HealthCheckPath="/missing")

    def replaced():
        svc = stack.ecs.describe_services(cluster=stack.cluster, services=["svc"])["services"][0]
        return [e["message"] for e in svc["events"] if "failed ELB health checks" in e["message"]]
    msgs = berth_proc.wait_for(replaced, timeout=60, interval=0.5, what="an unhealthy task replaced",
                               explain=lambda: service_state(stack, elb, tg, "svc"))
    assert tg in msgs[0]

    stack.ecs.update_service(cluster=stack.cluster, service="svc", desiredCount=0)
    berth_proc.wait_for(lambda: health(elb, tg) == {} or None, timeout=60, what="no targets")
    stack.ecs.delete_service(cluster=stack.cluster, service="svc")

    # Every task of the deleted service stops, the drained ones included,
    # and the service becomes INACTIVE.
    seen = {}

    def all_stopped():
        arns = []
        for want in ("RUNNING", "STOPPED"):
            arns += stack.ecs.list_tasks(cluster=stack.cluster, desiredStatus=want)["taskArns"]
        tasks = stack.ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"] if arns else []
        seen["live"] = [(t["taskArn"], t["lastStatus"], t.get("stoppedReason")) for t in tasks
                        if t["lastStatus"] != "STOPPED"]
        return not seen["live"] or None
    try:
        berth_proc.wait_for(all_stopped, timeout=90, interval=0.5, what="the deleted service's tasks to stop")
    except AssertionError as e:
        raise AssertionError("%s: still live %s" % (e, seen["live"])) from None
    berth_proc.wait_for(
        lambda: stack.ecs.describe_services(cluster=stack.cluster, services=["svc"])["services"][0]["status"]
        == "INACTIVE" or None, timeout=30, what="the service to become INACTIVE")


def elb_form(server, action, **fields):
    """One ELB query request with raw form fields (members newer than
    Debian's botocore, which boto3 would refuse client-side)."""
    body = urllib.parse.urlencode(dict(Action=action, Version="2015-12-01", **fields)).encode()
    status, _, text = berth_proc.post(server.endpoint, body,
                                      {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                                      service="elasticloadbalancing")
    return status, text.decode() if isinstance(text, bytes) else text


def test_members_berth_does_not_honour_are_refused(server, elb):
    """Members of the current ELB model berth cannot honour are a
    ValidationError naming them, never accepted and ignored."""
    lb = elb.create_load_balancer(Name="newer-lb")["LoadBalancers"][0]
    tg = elb.create_target_group(Name="newer-tg", Protocol="HTTP", Port=80, TargetType="ip")["TargetGroups"][0]
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8087, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])["Listeners"][0]
    forward = {"Actions.member.1.Type": "forward", "Actions.member.1.TargetGroupArn": tg["TargetGroupArn"]}
    cases = [
        ("CreateLoadBalancer", {"Name": "ipam-lb", "IpamPools.Ipv4IpamPoolId": "ipam-pool-1"}, "IpamPools"),
        ("CreateLoadBalancer", {"Name": "nat6-lb", "EnablePrefixForIpv6SourceNat": "on"},
         "EnablePrefixForIpv6SourceNat"),
        ("CreateTargetGroup", {"Name": "ctl-tg", "Protocol": "HTTP", "Port": "80", "TargetControlPort": "9000"},
         "TargetControlPort"),
        ("CreateListener", {"LoadBalancerArn": lb["LoadBalancerArn"], "Protocol": "HTTP", "Port": "8088",
                            "DefaultActions.member.1.Type": "forward",
                            "DefaultActions.member.1.TargetGroupArn": tg["TargetGroupArn"],
                            "MutualAuthentication.Mode": "verify"}, "MutualAuthentication"),
        ("ModifyListener", {"ListenerArn": listener["ListenerArn"], "MutualAuthentication.Mode": "off",
                            "MutualAuthentication.TrustStoreArn": "arn:aws:elasticloadbalancing:x"},
         "MutualAuthentication"),
        ("DescribeTargetHealth", {"TargetGroupArn": tg["TargetGroupArn"], "Include.member.1": "All"}, "Include"),
        ("RegisterTargets", {"TargetGroupArn": tg["TargetGroupArn"], "Targets.member.1.Id": "10.1.2.3",
                             "Targets.member.1.QuicServerId": "0x1"}, "QuicServerId"),
        ("CreateRule", dict(forward, ListenerArn=listener["ListenerArn"], Priority="5",
                            **{"Conditions.member.1.Field": "path-pattern",
                               "Conditions.member.1.PathPatternConfig.RegexValues.member.1": "^/a"}), "RegexValues"),
        ("CreateRule", dict(forward, ListenerArn=listener["ListenerArn"], Priority="6",
                            **{"Conditions.member.1.Field": "path-pattern",
                               "Conditions.member.1.Values.member.1": "/a",
                               "Transforms.member.1.Type": "url-rewrite"}), "Transforms"),
    ]
    for action, fields, member in cases:
        status, text = elb_form(server, action, **fields)
        assert status == 400 and "<Code>ValidationError</Code>" in text and member in text, (action, text)
    # Nothing was made by a refused request; "off" and an empty model
    # member are what berth does anyway.
    names = [x["LoadBalancerName"] for x in elb.describe_load_balancers()["LoadBalancers"]]
    assert "ipam-lb" not in names and "nat6-lb" not in names
    assert not elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"][:-1]
    status, text = elb_form(server, "ModifyListener", ListenerArn=listener["ListenerArn"],
                            **{"MutualAuthentication.Mode": "off"})
    assert status == 200, text
    status, text = elb_form(server, "CreateLoadBalancer", Name="nat6-off", EnablePrefixForIpv6SourceNat="off")
    assert status == 200 and "nat6-off" in text, text
    status, text = elb_form(server, "DescribeCapacityReservation", LoadBalancerArn=lb["LoadBalancerArn"])
    assert status == 400 and "does not implement" in text and "DescribeCapacityReservation" in text, text
