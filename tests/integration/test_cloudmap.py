"""Cloud Map against a real berth server, with boto3 and the AWS CLI v2:
namespaces, services and instances, operations, DiscoverInstances'
filters, pages, the documented errors, authorisation; and an ECS service
with serviceRegistries on a real agent, whose running tasks are the
registry's instances."""
import json
import subprocess

import pytest
from botocore.exceptions import ClientError

import berth_proc
import stack as stackmod


TARGET = "Route53AutoNaming_v20170314"


def sd_client(endpoint, key=berth_proc.ROOT_KEY):
    # DiscoverInstances goes to "data-" + host on AWS; berth serves every
    # operation on one listener, so the prefix is not injected.
    c = berth_proc.client(endpoint, service="servicediscovery", key=key)
    c.meta.config.inject_host_prefix = False
    return c


@pytest.fixture(scope="module")
def sd(server):
    return sd_client(server.endpoint)


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def aws_sd(server, env, *args):
    p = subprocess.run([berth_proc.AWS_V2, "servicediscovery", *args, "--endpoint-url", server.endpoint,
                        "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else {}), p.stderr


def namespace(sd, name, kind="http", **kw):
    if kind == "http":
        op = sd.create_http_namespace(Name=name, **kw)["OperationId"]
    elif kind == "private":
        op = sd.create_private_dns_namespace(Name=name, Vpc="vpc-1", **kw)["OperationId"]
    else:
        op = sd.create_public_dns_namespace(Name=name, **kw)["OperationId"]
    o = sd.get_operation(OperationId=op)["Operation"]
    assert o["Status"] == "SUCCESS" and o["Type"] == "CREATE_NAMESPACE"
    return o["Targets"]["NAMESPACE"]


def test_namespaces(sd):
    http = namespace(sd, "ns.http", Tags=[{"Key": "team", "Value": "a"}], CreatorRequestId="req-1")
    priv = namespace(sd, "ns.private", "private")
    pub = namespace(sd, "ns.example.com", "public")
    assert http.startswith("ns-") and len(http) == 19
    ns = sd.get_namespace(Id=http)["Namespace"]
    assert ns["Type"] == "HTTP" and ns["Name"] == "ns.http" and ns["ServiceCount"] == 0
    assert ns["Arn"] == "arn:aws:servicediscovery:us-east-1:000000000000:namespace/" + http
    assert ns["Properties"]["HttpProperties"]["HttpName"] == "ns.http"
    assert sd.get_namespace(Id=priv)["Namespace"]["Type"] == "DNS_PRIVATE"
    assert sd.get_namespace(Id=pub)["Namespace"]["Type"] == "DNS_PUBLIC"
    assert sd.list_tags_for_resource(ResourceARN=ns["Arn"])["Tags"] == [{"Key": "team", "Value": "a"}]
    # An owner filter with no values matches nothing (and does not stop the server).
    assert sd.list_namespaces(Filters=[{"Name": "RESOURCE_OWNER", "Values": []}])["Namespaces"] == []
    listed = sd.list_namespaces(Filters=[{"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"}])
    assert [n["Id"] for n in listed["Namespaces"]] == [priv]
    with pytest.raises(ClientError) as e:
        sd.create_http_namespace(Name="ns.http")
    assert code(e) == "NamespaceAlreadyExists"
    with pytest.raises(ClientError) as e:
        sd.create_http_namespace(Name="ns.http", CreatorRequestId="req-1")
    assert code(e) == "DuplicateRequest"
    with pytest.raises(ClientError) as e:
        sd.get_namespace(Id="ns-0000000000000000")
    assert code(e) == "NamespaceNotFound"
    op = sd.delete_namespace(Id=pub)["OperationId"]
    assert sd.get_operation(OperationId=op)["Operation"]["Type"] == "DELETE_NAMESPACE"
    with pytest.raises(ClientError) as e:
        sd.get_namespace(Id=pub)
    assert code(e) == "NamespaceNotFound"
    with pytest.raises(ClientError) as e:
        sd.get_operation(OperationId="nope")
    assert code(e) == "OperationNotFound"


def test_services_instances_and_discovery(sd):
    ns = namespace(sd, "disc.local", "private")
    svc = sd.create_service(Name="web", NamespaceId=ns, HealthCheckCustomConfig={"FailureThreshold": 1},
                            DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}, {"Type": "SRV", "TTL": 10}]})["Service"]
    assert svc["Id"].startswith("srv-") and svc["Type"] == "DNS_HTTP"
    assert svc["DnsConfig"]["RoutingPolicy"] == "MULTIVALUE"
    with pytest.raises(ClientError) as e:
        sd.create_service(Name="web", NamespaceId=ns, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})
    assert code(e) == "ServiceAlreadyExists"
    with pytest.raises(ClientError) as e:
        sd.register_instance(ServiceId=svc["Id"], InstanceId="bad", Attributes={"AWS_INSTANCE_IPV4": "10.0.0.9"})
    assert code(e) == "InvalidInput"  # the SRV record needs a port
    for i, color in enumerate(["red", "red", "blue"]):
        op = sd.register_instance(ServiceId=svc["Id"], InstanceId="i%d" % i,
                                  Attributes={"AWS_INSTANCE_IPV4": "10.0.0.%d" % i, "AWS_INSTANCE_PORT": "80",
                                              "color": color, "zone": "z%d" % i})["OperationId"]
        o = sd.get_operation(OperationId=op)["Operation"]
        assert o["Type"] == "REGISTER_INSTANCE" and o["Targets"]["INSTANCE"] == "i%d" % i
    assert sd.get_service(Id=svc["Id"])["Service"]["InstanceCount"] == 3
    assert sd.get_instance(ServiceId=svc["Id"], InstanceId="i1")["Instance"]["Attributes"]["color"] == "red"

    def discover(**kw):
        out = sd.discover_instances(NamespaceName="disc.local", ServiceName="web", **kw)
        return sorted(i["InstanceId"] for i in out["Instances"]), revision()

    def revision():
        # Debian's botocore predates InstancesRevision: read it raw.
        status, out = berth_proc.raw_call(sd.meta.endpoint_url, "DiscoverInstances",
                                          {"NamespaceName": "disc.local", "ServiceName": "web"},
                                          target_prefix=TARGET, service="servicediscovery")
        assert status == 200, out
        return out["InstancesRevision"]

    ids, rev = discover()
    assert ids == ["i0", "i1", "i2"]
    assert discover(QueryParameters={"color": "red"})[0] == ["i0", "i1"]
    assert discover(QueryParameters={"color": "red"}, OptionalParameters={"zone": "z1"})[0] == ["i1"]
    assert discover(QueryParameters={"color": "red"}, OptionalParameters={"zone": "z9"})[0] == ["i0", "i1"]
    assert discover(MaxResults=1)[0] in (["i0"], ["i1"], ["i2"])

    sd.update_instance_custom_health_status(ServiceId=svc["Id"], InstanceId="i0", Status="UNHEALTHY")
    assert sd.get_instances_health_status(ServiceId=svc["Id"])["Status"] == {
        "i0": "UNHEALTHY", "i1": "HEALTHY", "i2": "HEALTHY"}
    ids, rev2 = discover()
    assert ids == ["i1", "i2"] and rev2 > rev
    assert discover(HealthStatus="UNHEALTHY")[0] == ["i0"]
    assert discover(HealthStatus="ALL")[0] == ["i0", "i1", "i2"]
    for i in ("i1", "i2"):
        sd.update_instance_custom_health_status(ServiceId=svc["Id"], InstanceId=i, Status="UNHEALTHY")
    assert discover()[0] == []
    assert discover(HealthStatus="HEALTHY_OR_ELSE_ALL")[0] == ["i0", "i1", "i2"]

    op = sd.update_service(Id=svc["Id"], Service={"Description": "d",
                                                  "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 60},
                                                                               {"Type": "SRV", "TTL": 60}]}})
    assert sd.get_operation(OperationId=op["OperationId"])["Operation"]["Type"] == "UPDATE_SERVICE"
    got = sd.get_service(Id=svc["Id"])["Service"]
    assert got["Description"] == "d" and got["DnsConfig"]["DnsRecords"][0]["TTL"] == 60

    with pytest.raises(ClientError) as e:
        sd.delete_namespace(Id=ns)
    assert code(e) == "ResourceInUse"
    with pytest.raises(ClientError) as e:
        sd.delete_service(Id=svc["Id"])
    assert code(e) == "ResourceInUse"
    with pytest.raises(ClientError) as e:
        sd.deregister_instance(ServiceId=svc["Id"], InstanceId="nope")
    assert code(e) == "InstanceNotFound"
    with pytest.raises(ClientError) as e:
        sd.get_service(Id="srv-0000000000000000")
    assert code(e) == "ServiceNotFound"
    with pytest.raises(ClientError) as e:
        sd.discover_instances(NamespaceName="disc.local", ServiceName="nope")
    assert code(e) == "ServiceNotFound"
    for i in ("i0", "i1", "i2"):
        sd.deregister_instance(ServiceId=svc["Id"], InstanceId=i)
    sd.delete_service(Id=svc["Id"])
    sd.delete_namespace(Id=ns)


def test_paginators(sd):
    ns = namespace(sd, "pages.local")
    svc = sd.create_service(Name="many", NamespaceId=ns)["Service"]
    for i in range(7):
        sd.register_instance(ServiceId=svc["Id"], InstanceId="p%02d" % i, Attributes={"n": str(i)})
    pages = list(sd.get_paginator("list_instances").paginate(ServiceId=svc["Id"], PaginationConfig={"PageSize": 3}))
    assert [len(p["Instances"]) for p in pages] == [3, 3, 1]
    assert [i["Id"] for p in pages for i in p["Instances"]] == ["p%02d" % i for i in range(7)]
    ops = [o for p in sd.get_paginator("list_operations").paginate(
        Filters=[{"Name": "SERVICE_ID", "Values": [svc["Id"]]}], PaginationConfig={"PageSize": 2}) for o in p["Operations"]]
    assert len(ops) == 7
    for i in range(4):
        namespace(sd, "pg%d.local" % i)
    names = [n["Name"] for p in sd.get_paginator("list_namespaces").paginate(PaginationConfig={"PageSize": 2})
             for n in p["Namespaces"]]
    assert {"pg0.local", "pg3.local", "pages.local"} <= set(names) and len(names) == len(set(names))
    services = [s["Id"] for p in sd.get_paginator("list_services").paginate(
        Filters=[{"Name": "NAMESPACE_ID", "Values": [ns], "Condition": "EQ"}], PaginationConfig={"PageSize": 1})
        for s in p["Services"]]
    assert services == [svc["Id"]]


def test_tags(sd):
    ns = namespace(sd, "tags.local")
    arn = sd.get_namespace(Id=ns)["Namespace"]["Arn"]
    sd.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sd.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert sd.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        sd.list_tags_for_resource(ResourceARN=arn[:-4] + "0000")
    assert code(e) == "ResourceNotFoundException"


def test_cli(server, aws_env):
    rc, out, err = aws_sd(server, aws_env, "create-http-namespace", "--name", "cli.local")
    assert rc == 0 and out["OperationId"], err
    rc, out, err = aws_sd(server, aws_env, "get-operation", "--operation-id", out["OperationId"])
    assert rc == 0 and out["Operation"]["Status"] == "SUCCESS", err
    ns = out["Operation"]["Targets"]["NAMESPACE"]
    rc, out, err = aws_sd(server, aws_env, "create-service", "--name", "api", "--namespace-id", ns)
    assert rc == 0, err
    srv = out["Service"]["Id"]
    rc, out, err = aws_sd(server, aws_env, "register-instance", "--service-id", srv, "--instance-id", "c1",
                          "--attributes", "AWS_INSTANCE_IPV4=10.1.1.1")
    assert rc == 0, err
    rc, out, err = aws_sd(server, aws_env, "list-instances", "--service-id", srv)
    assert rc == 0 and [i["Id"] for i in out["Instances"]] == ["c1"], err
    rc, out, err = aws_sd(server, aws_env, "create-http-namespace", "--name", "cli.local")
    assert rc != 0 and "NamespaceAlreadyExists" in err
    rc, out, err = aws_sd(server, aws_env, "delete-namespace", "--id", ns)
    assert rc != 0 and "ResourceInUse" in err
    rc, out, err = aws_sd(server, aws_env, "update-http-namespace", "--id", ns, "--namespace", "Description=x")
    assert rc != 0 and "berth does not implement" in err


def test_authorisation(server, sd):
    """A principal no policy allows (a container instance's key) is
    refused, in AWS's words, on the service's ARN."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName="sd-authz")
    token, _ = berth_proc.create_token(server.endpoint, "sd-authz")
    status, out = berth_proc.register_with_token(server.endpoint, "sd-authz", token)
    assert status == 200, out
    who = out["containerInstance"]["containerInstanceArn"]
    key = berth_proc.instance_key(out)
    ns = namespace(sd, "authz.local")
    srv = sd.create_service(Name="s", NamespaceId=ns)["Service"]
    status, out = berth_proc.raw_call(server.endpoint, "RegisterInstance",
                                      {"ServiceId": srv["Id"], "InstanceId": "x", "Attributes": {"a": "b"}},
                                      target_prefix=TARGET, service="servicediscovery", key=key)
    assert (status, out["__type"]) == (400, "AccessDeniedException"), out
    assert out["message"] == ("User: %s is not authorized to perform: servicediscovery:RegisterInstance on resource: "
                              "%s because no identity-based policy allows the servicediscovery:RegisterInstance "
                              "action" % (who, srv["Arn"]))
    status, out = berth_proc.raw_call(server.endpoint, "DiscoverInstances",
                                      {"NamespaceName": "authz.local", "ServiceName": "s"},
                                      target_prefix=TARGET, service="servicediscovery", key=key)
    assert (status, out["__type"]) == (400, "AccessDeniedException"), out


# ---- ECS serviceRegistries on a real agent ----

HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("cloudmap"))
    yield s
    s.close()


def test_ecs_service_registries(stack):
    sd = sd_client(stack.server.endpoint)
    ns = namespace(sd, "ecs.local", "private")
    reg = sd.create_service(Name="web", NamespaceId=ns,
                            DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]
    stack.register("web", [{"name": "web", "command": HTTPD, "stopTimeout": 2,
                            "portMappings": [{"containerPort": 80}]}], networkMode="awsvpc")
    net = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
    with pytest.raises(ClientError) as e:
        stack.ecs.create_service(cluster=stack.cluster, serviceName="bad", taskDefinition="web", desiredCount=1,
                                 networkConfiguration=net, serviceRegistries=[
                                     {"registryArn": reg["Arn"][:-4] + "0000"}])
    assert code(e) == "InvalidParameterException"
    stack.ecs.create_service(cluster=stack.cluster, serviceName="web", taskDefinition="web", desiredCount=2,
                             networkConfiguration=net,
                             serviceRegistries=[{"registryArn": reg["Arn"], "containerName": "web",
                                                 "containerPort": 80}])

    def running_ips():
        arns = stack.ecs.list_tasks(cluster=stack.cluster, serviceName="web", desiredStatus="RUNNING")["taskArns"]
        tasks = stack.ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"] if arns else []
        out = {}
        for t in tasks:
            if t["lastStatus"] != "RUNNING" or not t["attachments"]:
                continue
            d = {x["name"]: x["value"] for x in t["attachments"][0]["details"]}
            out[t["taskArn"].rsplit("/", 1)[1]] = d.get("privateIPv4Address")
        return out

    def discovered():
        out = sd.discover_instances(NamespaceName="ecs.local", ServiceName="web", HealthStatus="ALL")
        return {i["InstanceId"]: i["Attributes"] for i in out["Instances"]}

    def settled(n):
        ips, found = running_ips(), discovered()
        ok = len(ips) == n and len(found) == n and all(
            found.get(t, {}).get("AWS_INSTANCE_IPV4") == ip for t, ip in ips.items())
        return found if ok else None

    found = berth_proc.wait_for(lambda: settled(2), timeout=90, what="two tasks in Cloud Map")
    attrs = next(iter(found.values()))
    assert attrs["AWS_INSTANCE_PORT"] == "80"
    assert attrs["ECS_CLUSTER_NAME"] == stack.cluster and attrs["ECS_SERVICE_NAME"] == "web"
    assert attrs["ECS_TASK_DEFINITION_FAMILY"] == "web" and attrs["REGION"] == "us-east-1"
    stack.ecs.update_service(cluster=stack.cluster, service="web", desiredCount=1)
    berth_proc.wait_for(lambda: settled(1), timeout=90, what="one task in Cloud Map")

    stack.ecs.update_service(cluster=stack.cluster, service="web", desiredCount=0)
    berth_proc.wait_for(lambda: discovered() == {} or None, timeout=90, what="no task in Cloud Map")
    stack.ecs.delete_service(cluster=stack.cluster, service="web")
    ops = sd.list_operations(Filters=[{"Name": "SERVICE_ID", "Values": [reg["Id"]]}])["Operations"]
    assert len(ops) >= 4  # two registrations, two deregistrations at least
    sd.delete_service(Id=reg["Id"])
