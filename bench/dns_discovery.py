"""Service discovery's delay (issue 19's second figure): for a service with
serviceRegistries in a Cloud Map private DNS namespace (awsvpc), the time
from a task's RUNNING, as DescribeTasks first shows it, to the first answer
from berth's DNS (--dns-listen) that carries the task's address, beside the
time until the task's port first answers (the floor: the application is
ready).  Both are probed in one loop after RUNNING, so neither waits for
the other."""
import socket
import time

import berth_proc
import dnsclient

WEB = "mkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 80 -h /w"
NET = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}


def wait(fn, timeout, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    raise RuntimeError("timed out")


def port_answers(ip, port=80):
    try:
        with socket.create_connection((ip, port), timeout=0.2):
            return True
    except OSError:
        return False


def resolves(dns_port, name, ip):
    try:
        return ip in dnsclient.values(dnsclient.ask("127.0.0.1", dns_port, name, "A", timeout=0.5), "A")
    except (OSError, ValueError, AssertionError):  # no answer yet, or a stray one
        return False


def running_task(st, name):
    """(task, time DescribeTasks first showed it RUNNING) for service name's task."""
    arn = wait(lambda: st.ecs.list_tasks(cluster=st.cluster, serviceName=name)["taskArns"], 60, 0.02)[0]
    task = wait(lambda: (lambda t: t if t["lastStatus"] == "RUNNING" else None)(st.describe(arn)), 120, 0.02)
    return task, time.time()


def measure(st, dns_port, reg_arn, i):
    """(RUNNING -> resolvable, RUNNING -> port answers) for one service task."""
    name = "svc%d" % i
    st.ecs.create_service(cluster=st.cluster, serviceName=name, taskDefinition="web", desiredCount=1,
                          networkConfiguration=NET, serviceRegistries=[{"registryArn": reg_arn}])
    task, running = running_task(st, name)
    ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    dns_at = port_at = None
    end = running + 120
    while (dns_at is None or port_at is None) and time.time() < end:
        if dns_at is None and resolves(dns_port, "api.bench.local", ip):
            dns_at = time.time()
        if port_at is None and port_answers(ip):
            port_at = time.time()
        time.sleep(0.005)
    if dns_at is None or port_at is None:
        raise RuntimeError("task %s at %s: resolvable %s, port answers %s" % (name, ip, dns_at, port_at))
    st.ecs.update_service(cluster=st.cluster, service=name, desiredCount=0)
    st.ecs.delete_service(cluster=st.cluster, service=name)
    # The next task's address must not be confused with this one's.
    wait(lambda: not resolves(dns_port, "api.bench.local", ip), 120)
    return dns_at - running, port_at - running


def bench(args, res, cfg, real_stack):
    dns_port = berth_proc.free_dns_port()
    with real_stack("dnsdisc", "dnsdisc", server_args=["--dns-listen", "127.0.0.1:%d" % dns_port],
                    agent_args=["--dns-server", "127.0.0.1:%d" % dns_port]) as st:
        sd = berth_proc.client(st.server.endpoint, service="servicediscovery")
        sd.meta.config.inject_host_prefix = False
        op = sd.create_private_dns_namespace(Name="bench.local", Vpc="vpc-1")["OperationId"]
        ns = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        reg = sd.create_service(Name="api", NamespaceId=ns,
                                DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 5}]})["Service"]
        st.register("web", [{"name": "web", "command": ["sh", "-c", WEB], "stopTimeout": 2,
                             "portMappings": [{"containerPort": 80}]}], networkMode="awsvpc")
        ours, ref = [], []
        for i in range(cfg["dns_tasks"]):
            d, p = measure(st, dns_port, reg["Arn"], i)
            ours.append(d)
            ref.append(p)
        res.add("dns", "service task RUNNING -> its address in berth's DNS answer (awsvpc)", "s", ours,
                ref_name="RUNNING -> the task's port answers", ref_xs=ref,
                note="%d tasks, one at a time; DNS and port probed in one loop after DescribeTasks shows RUNNING"
                % cfg["dns_tasks"])
