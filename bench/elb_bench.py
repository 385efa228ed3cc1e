"""The load balancer's data plane (issue 18's figures): requests/s and
latency through an ALB (berth's HAProxy) beside the same requests straight
to the target, both driven by ApacheBench (`ab`, keep-alive, the same
concurrency); and the time from a service task's RUNNING to its target
passing the health checks, beside the time until the container's port
first answers (the floor: the application is ready)."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

import berth_proc

AB = shutil.which("ab") or "/usr/bin/ab"


def ab(url, requests, concurrency):
    """(requests/s, p99 ms) of `ab -k` against url; every request must succeed."""
    p = subprocess.run([AB, "-k", "-q", "-n", str(requests), "-c", str(concurrency), url],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("ab failed: %s" % p.stderr.strip())
    failed = int(re.search(r"Failed requests:\s+(\d+)", p.stdout).group(1))
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", p.stdout)
    if failed or non2xx:
        raise RuntimeError("ab saw failures through %s:\n%s" % (url, p.stdout))
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", p.stdout).group(1))
    p99 = float(re.search(r"^\s*99%\s+(\d+)", p.stdout, re.M).group(1))
    return rps, p99


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def wait(fn, timeout, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    raise RuntimeError("timed out")


TARGET_CFG = """global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend target
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain string "%s"
"""


def bench_proxy(res, cfg, tmp, endpoint):
    """The one target of an ip target group: an HAProxy on loopback that
    answers 512 bytes itself (busybox httpd forks per connection and would
    measure itself, not the load balancer)."""
    port = berth_proc.free_port()
    conf = os.path.join(tmp, "target.cfg")
    with open(conf, "w") as f:
        f.write(TARGET_CFG % (port, "x" * 512))
    target = subprocess.Popen(["haproxy", "-db", "-f", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        elb = berth_proc.client(endpoint, service="elbv2")
        lb = elb.create_load_balancer(Name="bench-lb")["LoadBalancers"][0]
        addr = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["IpAddress"]
        tg = elb.create_target_group(Name="bench-tg", Protocol="HTTP", Port=port, VpcId="vpc-1", TargetType="ip",
                                     HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                     HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": port}])
        lb_port = berth_proc.free_port()
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=lb_port,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        wait(lambda: elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]
             ["TargetHealth"]["State"] == "healthy", 60, 0.2)
        direct = "http://127.0.0.1:%d/" % port
        proxied = "http://%s:%d/" % (addr, lb_port)
        wait(lambda: answers(proxied), 30)
        ours, ref, ours99, ref99 = [], [], [], []
        for _ in range(cfg["elb_rounds"]):  # interleaved: the machine's load hits both alike
            r, p = ab(proxied, cfg["elb_requests"], cfg["elb_clients"])
            ours.append(r)
            ours99.append(p)
            r, p = ab(direct, cfg["elb_requests"], cfg["elb_clients"])
            ref.append(r)
            ref99.append(p)
        res.add("elb", "HTTP GET of 512 bytes through the ALB, %d keep-alive clients" % cfg["elb_clients"],
                "requests/s", ours, ref_name="straight to the target (an HAProxy answering itself)", ref_xs=ref,
                lower_is_better=False, note="ab -k, %d requests a round, %d rounds"
                % (cfg["elb_requests"], cfg["elb_rounds"]))
        res.add("elb", "p99 latency of those requests (ab's, per round)", "ms", ours99,
                ref_name="straight to the target", ref_xs=ref99)
    finally:
        target.kill()
        target.wait()


WEB = "mkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 80 -h /w"


def bench_healthy(res, cfg, real_stack):
    """RUNNING -> target healthy for a service's tasks (interval 5 s,
    healthy threshold 2, as tight as ELB v2 allows for HTTP)."""
    with real_stack("elb", "elb") as st:
        elb = berth_proc.client(st.server.endpoint, service="elbv2")
        lb = elb.create_load_balancer(Name="bench-svc-lb")["LoadBalancers"][0]
        tg = elb.create_target_group(Name="bench-svc-tg", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip",
                                     HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                     HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        # Scaled-in tasks leave at once (AWS's default drain is 300 s).
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "0"}])
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=berth_proc.free_port(),
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        st.register("web", [{"name": "web", "command": ["sh", "-c", WEB], "stopTimeout": 2,
                             "portMappings": [{"containerPort": 80}]}], networkMode="awsvpc")
        ours, ref = [], []
        for i in range(cfg["elb_tasks"]):
            name = "svc%d" % i
            st.ecs.create_service(cluster=st.cluster, serviceName=name, taskDefinition="web", desiredCount=1,
                                  networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
                                  loadBalancers=[{"targetGroupArn": tg, "containerName": "web",
                                                  "containerPort": 80}])
            arn = wait(lambda: st.ecs.list_tasks(cluster=st.cluster, serviceName=name)["taskArns"], 60)[0]
            task = wait(lambda: (lambda t: t if t["lastStatus"] == "RUNNING" else None)(st.describe(arn)), 120)
            running = time.time()
            ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
            wait(lambda: answers("http://%s/" % ip), 60, 0.01)
            ref.append(time.time() - running)

            def healthy():
                return any(d["Target"]["Id"] == ip and d["TargetHealth"]["State"] == "healthy"
                           for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"])
            wait(healthy, 120, 0.05)
            ours.append(time.time() - running)
            st.ecs.update_service(cluster=st.cluster, service=name, desiredCount=0)
            st.ecs.delete_service(cluster=st.cluster, service=name)
        res.add("elb", "service task RUNNING -> its target healthy (interval 5 s, threshold 2)", "s", ours,
                ref_name="RUNNING -> the container's port answers", ref_xs=ref,
                note="%d tasks, one at a time" % cfg["elb_tasks"])


def bench(args, res, cfg, start_server, real_stack):
    tmp = tempfile.mkdtemp(prefix="berth-bench-elb-")
    srv = start_server(tmp, "server")
    try:
        bench_proxy(res, cfg, tmp, srv.endpoint)
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if cfg["elb_tasks"]:
        bench_healthy(res, cfg, real_stack)
