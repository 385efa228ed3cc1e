"""berth's DNS for Cloud Map's DNS namespaces, against a real server
(--dns-listen), a real agent (--dns-server: its relay on the bridge
gateway) and real containers: a client task resolves api.<namespace> to the
API service's task addresses and fetches from it over HTTP; scaling 2->1
changes the answer; SRV records carry bridge host ports; unknown names get
NXDOMAIN with the namespace's SOA; other names are forwarded to the host's
resolver and answered (or refused) without hanging."""
import socket
import time

import pytest

import berth_proc
import dnsclient
import stack as stackmod

HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]
NET = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    port = berth_proc.free_dns_port()
    s = stackmod.Stack(tmp_path_factory.mktemp("dns"), cluster="dns",
                       server_args=["--dns-listen", "127.0.0.1:%d" % port],
                       agent_args=["--dns-server", "127.0.0.1:%d" % port])
    s.dns_port = port
    s.sd = berth_proc.client(s.server.endpoint, service="servicediscovery")
    s.sd.meta.config.inject_host_prefix = False
    yield s
    s.close()


def ask(stack, name, qtype="A", tcp=False):
    return dnsclient.ask("127.0.0.1", stack.dns_port, name, qtype, tcp=tcp)


def namespace(sd, name, ttl=5):
    op = sd.create_private_dns_namespace(Name=name, Vpc="vpc-1",
                                         Properties={"DnsProperties": {"SOA": {"TTL": ttl}}})["OperationId"]
    return sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]


def task_ips(stack, service):
    arns = stack.ecs.list_tasks(cluster=stack.cluster, serviceName=service, desiredStatus="RUNNING")["taskArns"]
    tasks = stack.ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"] if arns else []
    ips = []
    for t in tasks:
        if t["lastStatus"] == "RUNNING" and t["attachments"]:
            d = {x["name"]: x["value"] for x in t["attachments"][0]["details"]}
            ips.append(d["privateIPv4Address"])
    return sorted(ips)


def run_client(stack, script, family="dnsclient", mode="awsvpc"):
    """Run a one-shot busybox task and return its stdout lines."""
    stack.register(family, [{"name": "c", "command": ["sh", "-c", script], "essential": True}], networkMode=mode)
    kw = {"networkConfiguration": NET} if mode == "awsvpc" else {}
    arn = stack.run(family, **kw)
    stack.wait_status(arn, "STOPPED", timeout=60)
    return stack.stdout(arn, "c")


def test_tasks_resolve_and_reach_a_service_by_name(stack):
    sd = stack.sd
    ns = namespace(sd, "svc.local")
    reg = sd.create_service(Name="api", NamespaceId=ns,
                            DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 5}]})["Service"]
    stack.register("api", [{"name": "web", "command": HTTPD, "stopTimeout": 2,
                            "portMappings": [{"containerPort": 80}]}], networkMode="awsvpc")
    stack.ecs.create_service(cluster=stack.cluster, serviceName="api", taskDefinition="api", desiredCount=2,
                             networkConfiguration=NET, serviceRegistries=[{"registryArn": reg["Arn"]}])

    def answered(n):
        ips = task_ips(stack, "api")
        got = dnsclient.values(ask(stack, "api.svc.local"), "A")
        return got if len(ips) == n and got == ips else None

    two = berth_proc.wait_for(lambda: answered(2), timeout=90, what="two addresses for api.svc.local")
    a = ask(stack, "api.svc.local")
    assert a["rcode"] == 0 and a["aa"] and all(r["ttl"] == 5 for r in a["answer"])
    # The same over TCP.
    assert dnsclient.values(ask(stack, "api.svc.local", tcp=True), "A") == two

    # A task's resolver is the relay on its bridge's gateway, and it reaches
    # the service at the address it resolved.  (The test image's static
    # busybox wget cannot resolve names itself: static glibc has no NSS
    # modules to load, so it fetches from the address nslookup found.)
    out = run_client(stack, "cat /etc/resolv.conf; nslookup api.svc.local; "
                            "ip=$(nslookup api.svc.local | awk '/^Address: /{print $2; exit}'); "
                            "wget -q -O - http://$ip:80/index.html && echo FETCHED")
    text = "\n".join(out)
    assert "nameserver " in text and "nameserver 10.213." in text, text
    for ip in two:
        assert ip in text, text
    assert "hello from busybox" in text and "FETCHED" in text, text

    # Scaling in changes the answer.
    stack.ecs.update_service(cluster=stack.cluster, service="api", desiredCount=1)
    one = berth_proc.wait_for(lambda: answered(1), timeout=90, what="one address for api.svc.local")
    assert len(one) == 1 and one[0] in two
    out = run_client(stack, "nslookup api.svc.local")
    text = "\n".join(out)
    assert one[0] in text and [ip for ip in two if ip != one[0]][0] not in text, text

    stack.ecs.update_service(cluster=stack.cluster, service="api", desiredCount=0)
    berth_proc.wait_for(lambda: ask(stack, "api.svc.local")["answer"] == [] or None, timeout=60,
                        what="no address for api.svc.local")
    stack.ecs.delete_service(cluster=stack.cluster, service="api")


def test_srv_records_carry_bridge_host_ports(stack):
    sd = stack.sd
    ns = namespace(sd, "bridge.local")
    reg = sd.create_service(Name="web", NamespaceId=ns,
                            DnsConfig={"DnsRecords": [{"Type": "SRV", "TTL": 7}]})["Service"]
    stack.register("bweb", [{"name": "web", "command": HTTPD, "stopTimeout": 2,
                             "portMappings": [{"containerPort": 80, "hostPort": 0}]}], networkMode="bridge")
    stack.ecs.create_service(cluster=stack.cluster, serviceName="bweb", taskDefinition="bweb", desiredCount=2,
                             serviceRegistries=[{"registryArn": reg["Arn"], "containerName": "web",
                                                 "containerPort": 80}])

    def host_ports():
        arns = stack.ecs.list_tasks(cluster=stack.cluster, serviceName="bweb", desiredStatus="RUNNING")["taskArns"]
        tasks = stack.ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"] if arns else []
        ports = {}
        for t in tasks:
            b = t["containers"][0].get("networkBindings", [])
            if t["lastStatus"] == "RUNNING" and b:
                ports[t["taskArn"].rsplit("/", 1)[1]] = b[0]["hostPort"]
        return ports

    def answered():
        ports = host_ports()
        srv = ask(stack, "web.bridge.local", "SRV")
        got = {r["value"][3].split(".")[0]: r["value"][2] for r in srv["answer"]}
        return srv if len(ports) == 2 and got == ports else None

    srv = berth_proc.wait_for(answered, timeout=90, what="SRV records with the host ports")
    for r in srv["answer"]:
        assert r["ttl"] == 7 and r["value"][3].endswith(".web.bridge.local")
        assert 49153 <= r["value"][2] <= 65535
    # Each task is registered with the host's address (the agent's
    # berth.host-ipv4), as ECS registers bridge tasks with the instance's.
    inst = sd.list_instances(ServiceId=reg["Id"])["Instances"]
    assert len(inst) == 2 and all("AWS_INSTANCE_IPV4" in i["Attributes"] for i in inst)
    # A service that has no A record answers A queries with no data.
    a = ask(stack, "web.bridge.local", "A")
    assert a["rcode"] == 0 and a["answer"] == [] and a["authority"][0]["type"] == "SOA"
    stack.ecs.update_service(cluster=stack.cluster, service="bweb", desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service="bweb", force=True)


def test_unknown_names_health_routing_and_forwarding(stack):
    sd = stack.sd
    ns = namespace(sd, "plain.test", ttl=9)
    svc = sd.create_service(Name="db", NamespaceId=ns, HealthCheckCustomConfig={},
                            DnsConfig={"RoutingPolicy": "MULTIVALUE",
                                       "DnsRecords": [{"Type": "A", "TTL": 3}]})["Service"]
    for i in range(10):
        sd.register_instance(ServiceId=svc["Id"], InstanceId="i%d" % i,
                             Attributes={"AWS_INSTANCE_IPV4": "192.0.2.%d" % (i + 1)})
    # MULTIVALUE: at most eight healthy answers.
    a = ask(stack, "db.plain.test")
    assert len(a["answer"]) == 8 and len(set(dnsclient.values(a, "A"))) == 8
    # An unhealthy instance leaves DNS.
    for i in range(9):
        sd.update_instance_custom_health_status(ServiceId=svc["Id"], InstanceId="i%d" % i, Status="UNHEALTHY")
    assert dnsclient.values(ask(stack, "db.plain.test"), "A") == ["192.0.2.10"]
    assert ask(stack, "i3.db.plain.test")["rcode"] == 3
    assert dnsclient.values(ask(stack, "i9.db.plain.test"), "A") == ["192.0.2.10"]
    # WEIGHTED: one at random.
    w = sd.create_service(Name="one", NamespaceId=ns,
                          DnsConfig={"RoutingPolicy": "WEIGHTED", "DnsRecords": [{"Type": "A", "TTL": 3}]})["Service"]
    for i in range(3):
        sd.register_instance(ServiceId=w["Id"], InstanceId="w%d" % i,
                             Attributes={"AWS_INSTANCE_IPV4": "198.51.100.%d" % (i + 1)})
    seen = set()
    for _ in range(30):
        a = ask(stack, "one.plain.test")
        assert len(a["answer"]) == 1
        seen.add(a["answer"][0]["value"])
    assert len(seen) > 1

    # Unknown names under a namespace: NXDOMAIN with the namespace's SOA.
    nx = ask(stack, "nothing.plain.test")
    assert nx["rcode"] == 3 and nx["aa"] and nx["answer"] == []
    assert nx["authority"][0]["type"] == "SOA" and nx["authority"][0]["ttl"] == 9
    soa = ask(stack, "plain.test", "SOA")
    assert soa["rcode"] == 0 and soa["answer"][0]["type"] == "SOA"
    assert ask(stack, "NOTHING.Plain.Test")["rcode"] == 3

    # Other names go to the host's resolver: whatever it says comes back,
    # within the forwarding bound, never a hang.
    for tcp in (False, True):
        t0 = time.monotonic()
        f = ask(stack, "berth-dns-test.invalid", tcp=tcp)
        assert time.monotonic() - t0 < 4.5
        assert not f["aa"] and f["rcode"] in (0, 2, 3, 5)

    # Malformed queries get no crash: the server still answers afterwards.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for junk in (b"", b"\x00" * 5, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",
                     b"\x12\x34\x01\x00\x00\x02" + b"\x00" * 6 + b"\x01a\x00\x00\x01\x00\x01"):
            s.sendto(junk, ("127.0.0.1", stack.dns_port))
    assert ask(stack, "nothing.plain.test")["rcode"] == 3


def test_update_service_registries_list_by_namespace_and_service_connect(stack):
    sd = stack.sd
    ns = namespace(sd, "move.local")
    other = namespace(sd, "other.local")
    old = sd.create_service(Name="old", NamespaceId=ns,
                            DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 5}]})["Service"]
    new = sd.create_service(Name="new", NamespaceId=ns,
                            DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 5}]})["Service"]
    stack.register("mover", [{"name": "web", "command": HTTPD, "stopTimeout": 1,
                              "portMappings": [{"containerPort": 80}]}], networkMode="awsvpc")
    # Service Connect needs a named port mapping (test_service_connect.py);
    # enabled false asks for nothing.
    sc = {"enabled": True, "namespace": "move.local",
          "services": [{"portName": "http", "clientAliases": [{"port": 80}]}]}
    with pytest.raises(Exception) as e:
        stack.ecs.create_service(cluster=stack.cluster, serviceName="sc", taskDefinition="mover", desiredCount=1,
                                 networkConfiguration=NET, serviceConnectConfiguration=sc)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "portName" in e.value.response["Error"]["Message"]
    stack.ecs.create_service(cluster=stack.cluster, serviceName="mover", taskDefinition="mover", desiredCount=1,
                             networkConfiguration=NET, serviceRegistries=[{"registryArn": old["Arn"]}],
                             serviceConnectConfiguration={"enabled": False})
    with pytest.raises(Exception) as e:
        stack.ecs.update_service(cluster=stack.cluster, service="mover", serviceConnectConfiguration=sc)
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"

    svc_arn = stack.ecs.describe_services(cluster=stack.cluster, services=["mover"])["services"][0]["serviceArn"]
    assert stack.ecs.list_services_by_namespace(namespace="move.local")["serviceArns"] == [svc_arn]
    ns_arn = sd.get_namespace(Id=ns)["Namespace"]["Arn"]
    assert stack.ecs.list_services_by_namespace(namespace=ns_arn)["serviceArns"] == [svc_arn]
    assert stack.ecs.list_services_by_namespace(namespace=other)["serviceArns"] == []
    with pytest.raises(Exception) as e:
        stack.ecs.list_services_by_namespace(namespace="nowhere.local")
    assert e.value.response["Error"]["Code"] == "NamespaceNotFoundException"

    first = berth_proc.wait_for(lambda: dnsclient.values(ask(stack, "old.move.local"), "A") or None, timeout=60,
                                what="the task under old.move.local")
    # A registry that does not exist is refused before anything changes.
    with pytest.raises(Exception) as e:
        stack.ecs.update_service(cluster=stack.cluster, service="mover",
                                 serviceRegistries=[{"registryArn": new["Arn"][:-4] + "0000"}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    out = stack.ecs.update_service(cluster=stack.cluster, service="mover",
                                   serviceRegistries=[{"registryArn": new["Arn"]}])["service"]
    assert out["serviceRegistries"] == [{"registryArn": new["Arn"]}]
    assert len(out["deployments"]) == 2  # a new deployment registers the tasks anew

    def moved():
        o, n = dnsclient.values(ask(stack, "old.move.local"), "A"), dnsclient.values(ask(stack, "new.move.local"), "A")
        return n if o == [] and len(n) == 1 and n != first else None

    berth_proc.wait_for(moved, timeout=90, what="the new task under new.move.local only")
    stack.ecs.update_service(cluster=stack.cluster, service="mover", desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service="mover", force=True)


def test_only_healthy_tasks_are_answered(stack):
    sd = stack.sd
    ns = namespace(sd, "health.local")
    regs = {}
    for name, cmd in (("good", "true"), ("bad", "exit 1")):
        regs[name] = sd.create_service(Name=name, NamespaceId=ns,
                                       DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 5}]})["Service"]
        stack.register("h" + name, [{"name": "web", "command": ["sleep", "600"], "stopTimeout": 1,
                                     "healthCheck": {"command": ["CMD-SHELL", cmd], "interval": 5, "timeout": 2,
                                                     "retries": 1, "startPeriod": 0}}], networkMode="awsvpc")
        stack.ecs.create_service(cluster=stack.cluster, serviceName="h" + name, taskDefinition="h" + name,
                                 desiredCount=1, networkConfiguration=NET,
                                 serviceRegistries=[{"registryArn": regs[name]["Arn"]}])

    def health(service):
        # Stopped tasks too: the scheduler replaces an UNHEALTHY task at
        # once, so it may be stopping by the time we look.
        arns = [a for status in ("RUNNING", "STOPPED") for a in stack.ecs.list_tasks(
            cluster=stack.cluster, serviceName=service, desiredStatus=status)["taskArns"]][:100]
        tasks = stack.ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"] if arns else []
        return [t.get("healthStatus") for t in tasks]

    berth_proc.wait_for(lambda: "HEALTHY" in health("hgood") or None, timeout=60, what="a healthy task")
    good = berth_proc.wait_for(lambda: dnsclient.values(ask(stack, "good.health.local"), "A") or None, timeout=30,
                               what="the healthy task in DNS")
    assert good == task_ips(stack, "hgood")
    berth_proc.wait_for(lambda: "UNHEALTHY" in health("hbad") or None, timeout=60, what="an unhealthy task")
    # A task whose health check fails is never answered, and Cloud Map agrees.
    assert ask(stack, "bad.health.local")["answer"] == []
    assert sd.list_instances(ServiceId=regs["bad"]["Id"])["Instances"] == []
    for name in ("hgood", "hbad"):
        stack.ecs.update_service(cluster=stack.cluster, service=name, desiredCount=0)
        stack.ecs.delete_service(cluster=stack.cluster, service=name, force=True)
