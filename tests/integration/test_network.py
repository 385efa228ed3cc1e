"""Task network modes with real containers: none, host, bridge (static and
dynamic host ports, TCP and UDP, links), awsvpc (a shared namespace per task,
an ENI attachment), port placement, two hosts simulated with network
namespaces, and nothing left behind after a stop or an agent kill -9."""
import hashlib
import json
import os
import random
import socket
import subprocess
import time
import urllib.request

import pytest

import berth_proc
from berth_proc import task_id
import registry
import stack as stackmod
import testimages

HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]
QUICK = 2  # stopTimeout: httpd as pid 1 ignores SIGTERM
HELLO = "hello from busybox\n"


def close_stack(s):
    """Stop every task first (an agent that stops leaves containers running),
    then the processes."""
    try:
        arns = s.ecs.list_tasks(cluster=s.cluster)["taskArns"]
        for a in arns:
            s.ecs.stop_task(cluster=s.cluster, task=a)
        for a in arns:
            s.wait_status(a, "STOPPED")
    finally:
        s.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # host mode (test_host_mode_...) needs the switch
    s = stackmod.Stack(tmp_path_factory.mktemp("net"), cluster="net", agent_args=["--allow-privileged"])
    yield s
    close_stack(s)


def sh(*argv, check=True):
    return subprocess.run(list(argv), capture_output=True, text=True, check=check).stdout


def links():
    return {l.split(":")[1].strip().split("@")[0] for l in sh("ip", "-o", "link").splitlines()}


def table_name(agent_dir):
    h = 2166136261
    for b in os.fsencode(agent_dir):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return "berth_%08x" % h


def nft_table(agent_dir):
    return sh("nft", "list", "table", "ip", table_name(agent_dir), check=False)


def fetch(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait_fetch(url, timeout=20):
    last = []

    def attempt():
        try:
            return fetch(url)
        except OSError as e:
            last[:] = [e]
            return None
    try:
        return berth_proc.wait_for(attempt, timeout=timeout, interval=0.2, what="GET " + url)
    except AssertionError:
        raise AssertionError("GET %s: %s" % (url, last))


def host_veths(arn):
    # The agent names them from a hash of the task id (ids_derived_hex).
    return {l for l in links() if l.startswith("bv" + hashlib.sha256(task_id(arn).encode()).hexdigest()[:10])}


def test_bridge_static_and_dynamic_ports_from_localhost(stack):
    subnet = stack.agent_args[stack.agent_args.index("--task-subnet") + 1]
    gateway = subnet.rsplit(".", 1)[0] + ".1"
    stack.register("web", [
        {"name": "static", "command": HTTPD, "stopTimeout": QUICK, "portMappings": [{"containerPort": 80, "hostPort": 18080}]},
        {"name": "dynamic", "command": HTTPD, "stopTimeout": QUICK, "portMappings": [{"containerPort": 80}]},
        # hairpin: a task container reaching a published port through the host
        {"name": "hairpin", "essential": False, "command": [
            "sh", "-c", "for i in $(seq 50); do wget -q -O - http://%s:18080/index.html && break; sleep 0.2; done"
            % gateway]},
    ])
    arn = stack.run("web")
    t = stack.wait_status(arn, "RUNNING")
    t = berth_proc.wait_for(lambda: (lambda d: d if all(c.get("networkBindings") for c in d["containers"]
                                                         if c["name"] != "hairpin") else None)(
        stack.describe(arn)), what="networkBindings")
    s = stack.container(t, "static")["networkBindings"]
    assert s == [{"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 18080, "protocol": "tcp"}]
    d = stack.container(t, "dynamic")["networkBindings"]
    assert len(d) == 1 and 49153 <= d[0]["hostPort"] <= 65535 and d[0]["containerPort"] == 80
    assert wait_fetch("http://127.0.0.1:18080/index.html") == HELLO
    assert wait_fetch("http://127.0.0.1:%d/index.html" % d[0]["hostPort"]) == HELLO
    assert len(host_veths(arn)) == 3
    berth_proc.wait_for(lambda: "hello from busybox" in ctr_lines(stack, arn, "hairpin"), what="the hairpin fetch")
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    stack.wait_status(arn, "STOPPED")
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])
    assert not host_veths(arn)
    assert "18080" not in nft_table(stack.agent_dir)


UDPECHO_C = r"""
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int argc, char **argv)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)strtol(argv[1], 0, 10))};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return 1;
    for (;;) {
        char buf[2048];
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return 1;
        printf("%.*s\n", (int)n, buf);
        fflush(stdout);
        sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
    }
}
"""


def udp_image(stack, tmp):
    """busybox plus a static UDP echo server (busybox's nc has no -u here)."""
    src, binary = os.path.join(tmp, "udpecho.c"), os.path.join(tmp, "udpecho")
    with open(src, "w") as f:
        f.write(UDPECHO_C)
    subprocess.run(["cc", "-static", "-O2", "-o", binary, src], check=True)
    with open(binary, "rb") as f:
        layer = registry.Tar().file("bin/udpecho", f.read(), 0o755).bytes()
    registry.push_image(stack.registry.hostport, "busybox", "udp",
                        [(testimages.base_layer(), "gzip"), (layer, None)], testimages.config())
    return stack.registry.hostport + "/busybox:udp"


def ctr_lines(stack, arn, name):
    return stack.stdout(arn, name)


def test_none_has_only_loopback_and_it_is_up(stack):
    stack.register("none", [{"name": "app", "command": ["sh", "-c", "ip -o link; ip -o addr"]}],
                   networkMode="none")
    arn = stack.run("none")
    stack.wait_status(arn, "STOPPED")
    out = ctr_lines(stack, arn, "app")
    names = {l.split(":")[1].strip().split("@")[0] for l in out if ": <" in l}
    assert names == {"lo"}, out
    assert any("lo:" in l and ",UP" in l for l in out), out
    assert any("inet 127.0.0.1/8" in l for l in out), out
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])


def test_host_mode_sees_host_interfaces_and_reports_bindings(stack):
    port = free_tcp_port()
    stack.register("hostnet", [{"name": "app", "stopTimeout": QUICK,
                                "command": ["httpd", "-f", "-p", str(port), "-h", "/var/www"],
                                "portMappings": [{"containerPort": port}]},
                               {"name": "links", "essential": False, "command": ["ip", "-o", "link"]},
                               {"name": "etc", "essential": False,
                                "extraHosts": [{"hostname": "db.internal", "ipAddress": "10.1.2.3"}],
                                "command": ["sh", "-c", "echo hostname=$(cat /etc/hostname); cat /etc/hosts"]}],
                   networkMode="host")
    arn = stack.run("hostnet")
    stack.wait_status(arn, "RUNNING")
    assert wait_fetch("http://127.0.0.1:%d/index.html" % port) == HELLO
    t = berth_proc.wait_for(lambda: (lambda d: d if stack.container(d, "app").get("networkBindings") else None)(
        stack.describe(arn)), what="networkBindings")
    assert stack.container(t, "app")["networkBindings"] == [
        {"bindIP": "0.0.0.0", "containerPort": port, "hostPort": port, "protocol": "tcp"}]
    berth_proc.wait_for(lambda: ctr_lines(stack, arn, "links"), what="the link list")
    seen = {l.split(":")[1].strip().split("@")[0] for l in ctr_lines(stack, arn, "links") if ": <" in l}
    assert "eth0" in seen and seen <= links() | seen and len(seen & links()) >= 2
    berth_proc.wait_for(lambda: any(l.startswith("hostname=") for l in ctr_lines(stack, arn, "etc")),
                        what="the etc container")
    etc = ctr_lines(stack, arn, "etc")
    assert "hostname=" + socket.gethostname() in etc
    assert "10.1.2.3\tdb.internal" in etc
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    stack.wait_status(arn, "STOPPED")


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_bridge_udp_mapping_and_links(stack, tmp_path):
    image = udp_image(stack, str(tmp_path))
    stack.register("udp", [
        {"name": "listener", "stopTimeout": QUICK, "image": image, "command": ["udpecho", "5353"],
         "portMappings": [{"containerPort": 5353, "protocol": "udp"}]},
        {"name": "web", "stopTimeout": QUICK, "command": HTTPD},
        {"name": "client", "essential": False, "links": ["web:www"],
         "command": ["sh", "-c", "echo hostname=$(cat /proc/sys/kernel/hostname) $HOSTNAME $(cat /etc/hostname); "
                     "cat /etc/hosts; for i in $(seq 50); do wget -q -O - http://www/index.html && break;"
                     " sleep 0.2; done"]},
        {"name": "named", "essential": False, "hostname": "web-1",
         "command": ["sh", "-c", "echo hostname=$(cat /proc/sys/kernel/hostname)"]},
    ])
    arn = stack.run("udp")
    stack.wait_status(arn, "RUNNING")
    t = berth_proc.wait_for(lambda: (lambda d: d if stack.container(d, "listener").get("networkBindings") else None)(
        stack.describe(arn)), what="networkBindings")
    b = stack.container(t, "listener")["networkBindings"][0]
    assert b["protocol"] == "udp" and b["containerPort"] == 5353 and b["hostPort"] >= 49153
    def echoed():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            s.sendto(b"udp-hello", ("127.0.0.1", b["hostPort"]))
            try:
                return s.recvfrom(100)[0] == b"udp-hello"
            except socket.timeout:
                return False
    berth_proc.wait_for(echoed, timeout=20, what="the UDP echo through the published port")
    berth_proc.wait_for(lambda: "udp-hello" in ctr_lines(stack, arn, "listener"), what="the listener's log")
    berth_proc.wait_for(lambda: "hello from busybox" in ctr_lines(stack, arn, "client"), what="the link to work")
    assert any(l.endswith("\twww") for l in ctr_lines(stack, arn, "client"))
    # Like Docker's short id for a bridge container, unless set: 12 hex
    # characters of a hash of its runtime id (whose first ones are a time)
    rid = stack.container(stack.describe(arn), "client")["runtimeId"]
    short = hashlib.sha256(rid.encode()).hexdigest()[:12]
    assert "hostname=%s %s %s" % (short, short, short) in ctr_lines(stack, arn, "client")
    berth_proc.wait_for(lambda: "hostname=web-1" in ctr_lines(stack, arn, "named"), what="the named container")
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    stack.wait_status(arn, "STOPPED")
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])
    assert not host_veths(arn)


def test_container_port_range_gets_dynamic_host_ports(stack):
    # This botocore predates containerPortRange; berth's model has it.
    status, out = berth_proc.raw_call(stack.server.endpoint, "RegisterTaskDefinition", {
        "family": "range", "containerDefinitions": [{
            "name": "a", "image": stack.image, "memory": 64, "stopTimeout": QUICK,
            "command": ["sh", "-c", "httpd -p 9000 -h /var/www; httpd -f -p 9001 -h /var/www"],
            "portMappings": [{"containerPortRange": "9000-9001"}]}]})
    assert status == 200, out
    arn = stack.run("range")
    stack.wait_status(arn, "RUNNING")
    t = berth_proc.wait_for(lambda: (lambda d: d if stack.container(d, "a").get("networkBindings") else None)(
        stack.describe(arn)), what="networkBindings")
    b = stack.container(t, "a")["networkBindings"]
    assert sorted(x["containerPort"] for x in b) == [9000, 9001]
    assert all(x["hostPort"] >= 49153 for x in b) and b[0]["hostPort"] != b[1]["hostPort"]
    for x in b:
        assert wait_fetch("http://127.0.0.1:%d/index.html" % x["hostPort"]) == HELLO
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    stack.wait_status(arn, "STOPPED")
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])


def awsvpc_config(**kw):
    c = {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}
    c.update(kw)
    return {"awsvpcConfiguration": c}


def test_awsvpc_shared_localhost_and_eni_attachment(stack):
    stack.register("vpc", [
        {"name": "web", "stopTimeout": QUICK, "command": HTTPD, "portMappings": [{"containerPort": 80}]},
        {"name": "server", "essential": False, "command": ["nc", "-l", "-p", "9000"]},
        {"name": "client", "essential": False, "command": [
            "sh", "-c", "echo hostname=$(cat /proc/sys/kernel/hostname); cat /etc/hosts; "
            # The message is in a file before nc connects: busybox nc ends at the listener's
            # early FIN (its stdin is empty), and from a pipe it could end before echo wrote.
            "echo hi-over-localhost > /tmp/msg; for i in $(seq 50); do"
            " nc 127.0.0.1 9000 < /tmp/msg && break; sleep 0.2; done"]},
    ], networkMode="awsvpc")
    arn = stack.run("vpc", networkConfiguration=awsvpc_config())
    stack.wait_status(arn, "RUNNING")
    t = berth_proc.wait_for(lambda: (lambda d: d if d["attachments"] else None)(stack.describe(arn)),
                            what="the ENI attachment")
    att = t["attachments"][0]
    assert att["type"] == "ElasticNetworkInterface" and att["status"] == "ATTACHED"
    details = {d["name"]: d["value"] for d in att["details"]}
    assert details["subnetId"] == "subnet-0123456789abcdef0"
    assert details["networkInterfaceId"].startswith("eni-")
    assert details["macAddress"].count(":") == 5
    ip = details["privateIPv4Address"]
    assert details["privateDnsName"] == "ip-%s.ec2.internal" % ip.replace(".", "-")
    for c in t["containers"]:
        assert c["networkInterfaces"] == [{"attachmentId": att["id"], "privateIpv4Address": ip}]
    berth_proc.wait_for(lambda: "hi-over-localhost" in ctr_lines(stack, arn, "server"), what="localhost traffic")
    assert any(details["privateDnsName"] in l and ip in l for l in ctr_lines(stack, arn, "client"))
    assert "hostname=" + details["privateDnsName"] in ctr_lines(stack, arn, "client")  # as ECS names it
    assert wait_fetch("http://%s/index.html" % ip) == HELLO  # the task address, from the host
    assert len(host_veths(arn)) == 1
    ns = [n for n in os.listdir(os.path.join(stack.agent_dir, "netns")) if n.startswith(task_id(arn))]
    assert ns == [task_id(arn)]  # one namespace for the whole task
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    t = stack.wait_status(arn, "STOPPED")
    assert t["attachments"][0]["status"] == "DELETED"
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])
    assert not host_veths(arn)


def test_network_configuration_rules(stack):
    stack.register("vpc2", [{"name": "a", "command": ["true"]}], networkMode="awsvpc")
    stack.register("br2", [{"name": "a", "command": ["true"]}])
    cases = [
        ("vpc2", None, "Network Configuration must be provided"),
        ("vpc2", awsvpc_config(subnets=[]), "subnets"),
        ("vpc2", awsvpc_config(securityGroups=["sg-%d" % i for i in range(6)]), "security groups"),
        ("br2", awsvpc_config(), "not valid for the given networkMode"),
    ]
    for family, nc, msg in cases:
        kw = {"networkConfiguration": nc} if nc else {}
        with pytest.raises(stack.ecs.exceptions.InvalidParameterException) as e:
            stack.ecs.run_task(cluster=stack.cluster, taskDefinition=family, **kw)
        assert msg in str(e.value), (family, str(e.value))
    with pytest.raises(stack.ecs.exceptions.InvalidParameterException) as e:
        stack.ecs.create_service(cluster=stack.cluster, serviceName="vpcsvc", taskDefinition="vpc2", desiredCount=0)
    assert "Network Configuration must be provided" in str(e.value)


def remaining_ports(stack):
    ci = stack.ecs.list_container_instances(cluster=stack.cluster)["containerInstanceArns"]
    inst = stack.ecs.describe_container_instances(cluster=stack.cluster, containerInstances=ci)["containerInstances"][0]
    return [r for r in inst["remainingResources"] if r["name"] == "PORTS"][0]["stringSetValue"]


def test_static_port_conflict_and_dynamic_ports_reserved(stack):
    stack.register("p1", [{"name": "a", "stopTimeout": QUICK, "command": HTTPD,
                           "portMappings": [{"containerPort": 80, "hostPort": 18090}]}])
    stack.register("pdyn", [{"name": "a", "stopTimeout": QUICK, "command": HTTPD,
                             "portMappings": [{"containerPort": 80}]}])
    first = stack.run("p1")
    stack.wait_status(first, "RUNNING")
    out = stack.ecs.run_task(cluster=stack.cluster, taskDefinition="p1")
    assert out["tasks"] == [] and out["failures"][0]["reason"] == "RESOURCE:PORTS", out
    dyn = stack.run("pdyn")
    stack.wait_status(dyn, "RUNNING")
    t = berth_proc.wait_for(lambda: (lambda d: d if stack.container(d, "a").get("networkBindings") else None)(
        stack.describe(dyn)), what="networkBindings")
    hp = str(stack.container(t, "a")["networkBindings"][0]["hostPort"])
    berth_proc.wait_for(lambda: hp in remaining_ports(stack), what="the dynamic port in remainingResources")
    assert "18090" in remaining_ports(stack)
    for arn in (first, dyn):
        stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    for arn in (first, dyn):
        stack.wait_status(arn, "STOPPED")
    berth_proc.wait_for(lambda: hp not in remaining_ports(stack) and "18090" not in remaining_ports(stack),
                        what="ports released")


def test_kill9_restart_adopts_then_cleans_everything(tmp_path):
    s = stackmod.Stack(tmp_path, cluster="netk9")
    arns = []
    try:
        s.register("k9web", [{"name": "a", "stopTimeout": QUICK, "command": HTTPD,
                              "portMappings": [{"containerPort": 80}]}])
        s.register("k9vpc", [{"name": "a", "stopTimeout": QUICK, "command": HTTPD}], networkMode="awsvpc")
        arns = [s.run("k9web"), s.run("k9vpc", networkConfiguration=awsvpc_config())]
        for a in arns:
            s.wait_status(a, "RUNNING")
        t = berth_proc.wait_for(lambda: (lambda d: d if stack_binding(s, d) else None)(s.describe(arns[0])),
                                what="networkBindings")
        port = stack_binding(s, t)
        assert wait_fetch("http://127.0.0.1:%d/index.html" % port) == HELLO
        s.agent.kill9()
        # Leftovers of a task the agent never finished: reconciled away at start.
        stale = os.path.join(s.agent_dir, "netns", "f" * 32 + "-0")
        open(stale, "w").close()
        s.start_agent()
        berth_proc.wait_for(lambda: not os.path.exists(stale), what="the stale namespace to go")
        # Adopted: still published, still running.
        assert wait_fetch("http://127.0.0.1:%d/index.html" % port) == HELLO
        for a in arns:
            s.ecs.stop_task(cluster=s.cluster, task=a)
        for a in arns:
            s.wait_status(a, "STOPPED")
        stackmod.assert_no_leftovers(s.agent_dir, arns)
        assert not any(host_veths(a) for a in arns)
        berth_proc.wait_for(lambda: str(port) not in nft_table(s.agent_dir), what="the port rules to go")
    finally:
        close_stack(s)
    assert s.bridge not in links()
    assert nft_table(s.agent_dir) == ""


def stack_binding(s, task):
    b = s.container(task, "a").get("networkBindings")
    return b[0]["hostPort"] if b else None


def free_test_net():
    routes = sh("ip", "-o", "-4", "route", "show", "table", "all")
    for _ in range(200):
        n = random.randrange(1, 255)
        if "10.250.%d." % n not in routes:
            return n
    raise AssertionError("no free 10.250.x.0/24")


def test_two_hosts_reach_a_published_port_across_namespaces(tmp_path):
    """Two agents, each in its own network namespace ("host"), joined by a
    test bridge; a task on host 1 fetches from host 2's published port."""
    tag = "%06x" % random.getrandbits(24)
    n = free_test_net()
    gw = "10.250.%d.1" % n
    tbr = "tb" + tag
    hosts = ["bn%sh%d" % (tag, i) for i in (1, 2)]
    addrs = ["10.250.%d.%d" % (n, 11 + i) for i in (0, 1)]
    reg = server = ecs = None
    agents = []
    try:
        sh("ip", "link", "add", tbr, "type", "bridge")
        sh("ip", "addr", "add", gw + "/24", "dev", tbr)
        sh("ip", "link", "set", tbr, "up")
        for i, h in enumerate(hosts):
            sh("ip", "netns", "add", h)
            veth = "tv%s%d" % (tag, i)
            sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", h)
            sh("ip", "link", "set", veth, "master", tbr, "up")
            for cmd in (["ip", "addr", "add", addrs[i] + "/24", "dev", "eth0"], ["ip", "link", "set", "eth0", "up"],
                        ["ip", "link", "set", "lo", "up"],
                        # this "host" forwards what arrives for its published ports
                        ["sysctl", "-qw", "net.ipv4.ip_forward=1"]):
                sh("ip", "netns", "exec", h, *cmd)
        reg = registry.Registry(os.path.join(str(tmp_path), "registry"))
        reg.hostport = "%s:%d" % (gw, reg.port)
        reg.start()
        testimages.push_all(reg.hostport)
        image = reg.hostport + "/busybox:1"
        os.makedirs(os.path.join(str(tmp_path), "server"))
        server = berth_proc.BerthServer(os.path.join(str(tmp_path), "server"), os.path.join(str(tmp_path), "server.log"),
                                        extra_args=["--listen", gw + ":0"]).start()
        ecs = berth_proc.client(server.endpoint)
        ecs.create_cluster(clusterName="two")
        arns = []
        for i, h in enumerate(hosts):
            a = berth_proc.BerthAgent(server.endpoint, "two", os.path.join(str(tmp_path), "a%d" % i),
                                      os.path.join(str(tmp_path), "a%d.log" % i),
                                      extra_args=["--insecure-registry", reg.hostport, "--allow-privileged"] +
                                      stackmod.net_args())
            a.args = ["nsenter", "--net=/run/netns/" + h] + a.args
            agents.append(a.start())
            got = berth_proc.wait_for(
                lambda: (lambda l: l if len(l) == i + 1 else None)(
                    ecs.list_container_instances(cluster="two")["containerInstanceArns"]),
                what="agent %d to register" % i)
            arns.append([x for x in got if x not in arns][0])
        ecs.register_task_definition(family="srv", containerDefinitions=[{
            "name": "web", "image": image, "memory": 64, "stopTimeout": QUICK, "command": HTTPD,
            "portMappings": [{"containerPort": 80, "hostPort": 18080}]}])
        web = ecs.start_task(cluster="two", taskDefinition="srv", containerInstances=[arns[1]])["tasks"][0]["taskArn"]
        berth_proc.wait_for(lambda: ecs.describe_tasks(cluster="two", tasks=[web])["tasks"][0]["lastStatus"] == "RUNNING",
                            timeout=60, what="the server task")
        ecs.register_task_definition(family="cli", networkMode="host", containerDefinitions=[{
            "name": "get", "image": image, "memory": 64, "command": [
                "sh", "-c", "for i in $(seq 100); do wget -q -O - http://%s:18080/index.html && break; sleep 0.2; done"
                % addrs[1]]}])
        get = ecs.start_task(cluster="two", taskDefinition="cli", containerInstances=[arns[0]])["tasks"][0]["taskArn"]
        t = berth_proc.wait_for(lambda: (lambda d: d if d["lastStatus"] == "STOPPED" else None)(
            ecs.describe_tasks(cluster="two", tasks=[get])["tasks"][0]), timeout=60, what="the client task")
        assert t["containers"][0]["exitCode"] == 0
        with open(os.path.join(agents[0].data_dir, "logs", task_id(get), "get.log")) as f:
            assert "hello from busybox" in f.read()
        # and from this machine's root namespace, through host 2's address
        assert wait_fetch("http://%s:18080/index.html" % addrs[1]) == HELLO
        ecs.stop_task(cluster="two", task=web)
        berth_proc.wait_for(lambda: ecs.describe_tasks(cluster="two", tasks=[web])["tasks"][0]["lastStatus"] == "STOPPED",
                            timeout=30, what="the server task to stop")
        stackmod.assert_no_leftovers(agents[1].data_dir, [web])
    finally:
        try:
            if ecs:
                for a in ecs.list_tasks(cluster="two")["taskArns"]:
                    ecs.stop_task(cluster="two", task=a)
                berth_proc.wait_for(lambda: not ecs.list_tasks(cluster="two")["taskArns"], timeout=30,
                                    what="tasks to stop")
        finally:
            for a in agents:
                a.stop(check=False)
            if server:
                server.stop()
            if reg:
                reg.stop()
            for h in hosts:
                sh("ip", "netns", "del", h, check=False)
            sh("ip", "link", "del", tbr, check=False)
