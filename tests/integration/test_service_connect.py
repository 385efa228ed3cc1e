"""ECS Service Connect against a real server (--dns-listen: the aliases are
answered by berth's DNS), a real agent and real containers: a client task
reaches the server service by its alias dnsName:port through the server's
HAProxy and gets answers from more than one server task; the service's tasks are the Cloud Map instances ECS
registers; bad input gets ECS's errors."""
import os
import socket
import urllib.request

import pytest

import berth_proc
import dnsclient
import stack as stackmod

NET = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
# Each task serves its own id at /id.
SERVE = ["sh", "-c", "cat /proc/sys/kernel/random/uuid > /var/www/id && exec httpd -f -p 80 -h /var/www"]
ALIAS = "api.internal"
# The tests build on each other (the rolling update rolls the service the
# alias test created): one pytest-xdist worker runs them in order.
pytestmark = pytest.mark.xdist_group("service_connect")
FIND = "ip=$(nslookup %s | awk '/^Address: /{print $2; exit}'); echo VIP=$ip; " % ALIAS


def free_port():
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise AssertionError("no free port")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    port = free_port()
    s = stackmod.Stack(tmp_path_factory.mktemp("sc"), cluster="sc",
                       server_args=["--dns-listen", "127.0.0.1:%d" % port],
                       agent_args=["--dns-server", "127.0.0.1:%d" % port])
    s.dns_port = port
    s.sd = berth_proc.client(s.server.endpoint, service="servicediscovery")
    s.sd.meta.config.inject_host_prefix = False
    op = s.sd.create_private_dns_namespace(Name="sc.local", Vpc="vpc-1")["OperationId"]
    s.ns_id = s.sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    s.ns_arn = s.sd.get_namespace(Id=s.ns_id)["Namespace"]["Arn"]
    s.register("api", [{"name": "web", "command": SERVE, "stopTimeout": 2,
                        "portMappings": [{"containerPort": 80, "name": "http", "appProtocol": "http"}]}],
               networkMode="awsvpc")
    yield s
    s.close()


def sc_config(**service):
    svc = {"portName": "http", "clientAliases": [{"port": 80, "dnsName": ALIAS}]}
    svc.update(service)
    return {"enabled": True, "services": [svc]}


def error_of(fn, **kw):
    with pytest.raises(Exception) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def proxy_workers(stack):
    """The pids of the Service Connect HAProxy's workers: children of the
    master the server started (a reload forks a new worker)."""
    parents = {}
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if cmd and cmd[0].endswith(b"haproxy") and any(a.endswith(b"/sc/haproxy.cfg") for a in cmd):
            parents[int(pid)] = ppid
    masters = {pid for pid, ppid in parents.items() if ppid == stack.server.proc.pid}
    return {pid for pid, ppid in parents.items() if ppid in masters}


def answer_http(ip, port):
    """GET /id at ip:port's body (within 2 s); None when it fails."""
    try:
        with urllib.request.urlopen("http://%s:%d/id" % (ip, port), timeout=2) as r:
            return r.read().decode().strip()
    except OSError:
        return None


def run_client(stack, script, family="scclient"):
    stack.register(family, [{"name": "c", "command": ["sh", "-c", script], "essential": True}],
                   networkMode="awsvpc")
    return stack.run(family, networkConfiguration=NET)


def test_bad_input_gets_ecs_errors(stack):
    ecs = stack.ecs
    ecs.create_cluster(clusterName="nodefault")
    base = dict(cluster=stack.cluster, serviceName="bad", taskDefinition="api", desiredCount=0,
                networkConfiguration=NET)
    # No namespace, and a cluster without serviceConnectDefaults.
    code, msg = error_of(ecs.create_service, **dict(base, cluster="nodefault", serviceConnectConfiguration=sc_config()))
    assert code == "InvalidParameterException" and "namespace" in msg
    cases = [
        (dict(sc_config(portName="nope"), namespace="sc.local"), "InvalidParameterException", "portName"),
        (dict(sc_config(), namespace="nowhere.local"), "NamespaceNotFoundException", "nowhere.local"),
        (dict(sc_config(clientAliases=[]), namespace="sc.local"), "InvalidParameterException", "clientAlias"),
        (dict(sc_config(clientAliases=[{"port": 70000}]), namespace="sc.local"), "InvalidParameterException",
         "port"),
        (dict(sc_config(discoveryName="-Bad"), namespace="sc.local"), "InvalidParameterException", "discoveryName"),
        (dict(sc_config(), namespace="sc.local", logConfiguration={"logDriver": "awslogs"}),
         "UnsupportedFeatureException", "logConfiguration"),
        (dict(sc_config(ingressPortOverride=8080), namespace="sc.local"), "UnsupportedFeatureException",
         "ingressPortOverride"),
    ]
    for sc, want, word in cases:
        code, msg = error_of(ecs.create_service, **dict(base, serviceConnectConfiguration=sc))
        assert (code, word in msg) == (want, True), (sc, code, msg)
    stack.register("hostnet", [{"name": "web", "command": SERVE, "portMappings": [
        {"containerPort": 80, "hostPort": 80, "name": "http"}]}], networkMode="host")
    code, msg = error_of(ecs.create_service, cluster=stack.cluster, serviceName="bad", taskDefinition="hostnet",
                         desiredCount=0, serviceConnectConfiguration=dict(sc_config(), namespace="sc.local"))
    assert code == "InvalidParameterException" and "host" in msg
    assert ecs.list_services(cluster=stack.cluster)["serviceArns"] == []
    ecs.delete_cluster(cluster="nodefault")


def test_client_reaches_the_service_by_its_alias(stack):
    ecs, sd = stack.ecs, stack.sd
    # The namespace comes from the cluster's serviceConnectDefaults.
    ecs.update_cluster(cluster=stack.cluster, serviceConnectDefaults={"namespace": "sc.local"})
    svc = ecs.create_service(cluster=stack.cluster, serviceName="api", taskDefinition="api", desiredCount=2,
                             networkConfiguration=NET, serviceConnectConfiguration=sc_config())["service"]
    dep = svc["deployments"][0]
    assert dep["serviceConnectConfiguration"] == {
        "enabled": True, "namespace": stack.ns_arn,
        "services": [{"portName": "http", "discoveryName": "http", "clientAliases": [{"port": 80, "dnsName": ALIAS}]}]}
    [res] = dep["serviceConnectResources"]
    assert res["discoveryName"] == "http" and res["discoveryArn"].startswith("arn:aws:servicediscovery:")
    assert ecs.list_services_by_namespace(namespace="sc.local")["serviceArns"] == [svc["serviceArn"]]

    # Another service cannot take the same alias.
    code, msg = error_of(ecs.create_service, cluster=stack.cluster, serviceName="thief", taskDefinition="api",
                         desiredCount=0, networkConfiguration=NET,
                         serviceConnectConfiguration=sc_config(discoveryName="other"))
    assert code == "InvalidParameterException" and ALIAS in msg

    # The tasks are the Cloud Map service's instances, as ECS registers them.
    srv_id = res["discoveryArn"].rsplit("/", 1)[1]
    insts = berth_proc.wait_for(
        lambda: (lambda i: i if len(i) == 2 else None)(sd.list_instances(ServiceId=srv_id)["Instances"]),
        timeout=90, what="two Cloud Map instances")
    for i in insts:
        assert i["Attributes"]["AWS_INSTANCE_PORT"] == "80" and i["Attributes"]["ECS_SERVICE_NAME"] == "api"

    a = dnsclient.ask("127.0.0.1", stack.dns_port, ALIAS, "A")
    [vip] = dnsclient.values(a, "A")
    assert vip.startswith("169.254.171.")
    # The proxy learns of the tasks on its next pass (each second) and a
    # task takes connections once its check passes: both tasks answer on
    # the alias's address from this host (the server's) first.
    seen = set()
    berth_proc.wait_for(lambda: len(seen.update([answer_http(vip, 80)]) or seen - {None}) == 2, timeout=30,
                        what="both tasks to answer on the alias's address")

    arn = run_client(stack, FIND + "for i in $(seq 20); do timeout 10 wget -q -O - http://$ip:80/id || echo FAIL; done")
    stack.wait_status(arn, "STOPPED", timeout=90)
    out = stack.stdout(arn, "c")
    assert "VIP=" + vip in out, out
    answers = [line for line in out if not line.startswith("VIP=")]
    assert "FAIL" not in answers and len(answers) == 20, out
    assert len(set(answers)) == 2, out  # both tasks answered



def serve(prefix):
    """A command whose task serves prefix-<uuid> at /id."""
    return ["sh", "-c", "echo %s-$(cat /proc/sys/kernel/random/uuid) > /var/www/id && "
            "exec httpd -f -p 80 -h /var/www" % prefix]


# Issue 19's loop: about 20 requests a second (0.05 s apart plus each request).
REQUESTS = 300


def roll(stack, prefix, **update):
    """Roll the api service to a new revision whose tasks answer
    prefix-<uuid> (with update's UpdateService members) while a client
    loops REQUESTS requests 0.05 s apart through the alias; the client's
    answers, once the old tasks have stopped before its last request."""
    ecs = stack.ecs
    old = ecs.list_tasks(cluster=stack.cluster, serviceName="api")["taskArns"]
    assert len(old) == 2
    arn = run_client(stack, FIND + "for i in $(seq %d); do echo \"$(date +%%T) $(timeout 10 wget -q -O - "
                     "http://$ip:80/id || echo FAIL)\"; sleep 0.05; done" % REQUESTS, family="scroll")
    # The update once the client's requests are under way.
    berth_proc.wait_for(lambda: len(stack.stdout(arn, "c")) > 10, timeout=90, what="the client's first requests")
    stack.register("api", [{"name": "web", "command": serve(prefix), "stopTimeout": 2,
                            "portMappings": [{"containerPort": 80, "name": "http", "appProtocol": "http"}]}],
                   networkMode="awsvpc")
    ecs.update_service(cluster=stack.cluster, service="api", taskDefinition="api", **update)
    berth_proc.wait_for(lambda: all(t["lastStatus"] == "STOPPED" for t in ecs.describe_tasks(
        cluster=stack.cluster, tasks=old)["tasks"]), timeout=90, what="the old tasks to stop")
    assert stack.describe(arn)["lastStatus"] != "STOPPED", "the roll outlasted the client's requests"
    stack.wait_status(arn, "STOPPED", timeout=120)
    out = stack.stdout(arn, "c")
    answers = [line.split(" ", 1)[1] for line in out if not line.startswith("VIP=")]
    assert len(answers) == REQUESTS and "FAIL" not in answers, out
    assert answers[-1].startswith(prefix + "-"), out
    return answers


def test_rolling_update_loses_no_request(stack):
    """A client loops requests through the alias while the service rolls
    to a new revision: every request is answered, by the old tasks and
    then by the new ones."""
    answers = roll(stack, "v2")
    v1 = {a for a in answers if not a.startswith("v2-")}
    v2 = {a for a in answers if a.startswith("v2-")}
    assert len(v1) == 2 and len(v2) == 2, answers  # both revisions' tasks answered


def test_rolling_update_to_another_discovery_name_loses_no_request(stack):
    """The same when the update also renames the Cloud Map service behind
    the alias: the new one has no instance until the new tasks run, and
    the old tasks serve until one of them answers."""
    answers = roll(stack, "v3", serviceConnectConfiguration=dict(sc_config(discoveryName="api2"),
                                                                 namespace="sc.local"))
    v2 = {a for a in answers if a.startswith("v2-")}
    v3 = {a for a in answers if a.startswith("v3-")}
    assert len(v2) == 2 and len(v3) == 2, answers
