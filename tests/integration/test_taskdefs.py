"""Task definitions through boto3 (and raw JSON where Debian's boto3 is older
than the ECS model) against a real berth server."""
import copy
import datetime
import json

import botocore.exceptions
import pytest

import berth_proc

ACCOUNT = "000000000000"
ARN_PREFIX = "arn:aws:ecs:us-east-1:%s:task-definition/" % ACCOUNT


from berth_proc import err_code, err_msg


def container(name="app", **kw):
    c = {"name": name, "image": "busybox:latest", "memory": 64}
    c.update(kw)
    return c


def register(ecs, family, containers=None, **kw):
    return ecs.register_task_definition(family=family, containerDefinitions=containers or [container()], **kw)


def call(server, action, body):
    """A raw JSON call; returns the parsed body, raising on HTTP errors."""
    status, out = berth_proc.raw_call(server.endpoint, action, body)
    assert status == 200, out
    return out


def raw_error(server, action, body):
    status, out = berth_proc.raw_call(server.endpoint, action, body)
    assert status == 400, out
    return out["__type"], out["message"]


# --- registration and defaults ---------------------------------------------


def test_register_minimal_fills_ecs_defaults(ecs):
    out = register(ecs, "minimal", [container(portMappings=[{"containerPort": 80}])])
    td = out["taskDefinition"]
    assert td["taskDefinitionArn"] == ARN_PREFIX + "minimal:1"
    assert td["family"] == "minimal" and td["revision"] == 1 and td["status"] == "ACTIVE"
    assert td["compatibilities"] == ["EXTERNAL", "EC2"]
    assert td["volumes"] == [] and td["placementConstraints"] == []
    assert td["registeredBy"] == "arn:aws:iam::%s:root" % ACCOUNT
    assert isinstance(td["registeredAt"], datetime.datetime)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - td["registeredAt"]).total_seconds()) < 60
    # ECS echoes the network mode it defaults to, and leaves out what was
    # not given: cpu/memory, requiresCompatibilities, requiresAttributes
    # when empty, tags when there are none.
    assert td["networkMode"] == "bridge"
    for absent in ("cpu", "memory", "requiresCompatibilities", "requiresAttributes",
                   "deregisteredAt", "taskRoleArn", "pidMode", "ipcMode"):
        assert absent not in td, absent
    assert td["containerDefinitions"] == [{
        "name": "app", "image": "busybox:latest", "memory": 64, "cpu": 0, "essential": True,
        "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}],
        "environment": [], "mountPoints": [], "volumesFrom": [],
    }]
    assert "tags" not in out


@pytest.mark.parametrize("cpu,memory,want_cpu,want_memory", [
    ("1 vCPU", "2 GB", "1024", "2048"),
    ("0.5 vcpu", "512 MiB", "512", "512"),
    ("256", "1GB", "256", "1024"),
    ("2vcpu", "4096", "2048", "4096"),
])
def test_task_cpu_memory_units_are_converted(ecs, cpu, memory, want_cpu, want_memory):
    td = register(ecs, "units", [{"name": "a", "image": "i"}],
                  cpu=cpu, memory=memory)["taskDefinition"]
    assert (td["cpu"], td["memory"]) == (want_cpu, want_memory)
    again = ecs.describe_task_definition(taskDefinition=td["taskDefinitionArn"])["taskDefinition"]
    assert (again["cpu"], again["memory"]) == (want_cpu, want_memory)


def test_awsvpc_and_host_fill_host_port(ecs):
    for mode in ("awsvpc", "host"):
        td = register(ecs, "hp-" + mode, [container(portMappings=[{"containerPort": 8080}, {"containerPort": 53,
                                                                                       "hostPort": 53,
                                                                                       "protocol": "udp"}])],
                      networkMode=mode)["taskDefinition"]
        assert td["networkMode"] == mode
        assert td["containerDefinitions"][0]["portMappings"] == [
            {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"},
            {"containerPort": 53, "hostPort": 53, "protocol": "udp"}]


def test_fargate_definition(ecs):
    td = register(ecs, "fargate", [{"name": "web", "image": "nginx",
                                    "logConfiguration": {"logDriver": "awslogs",
                                                         "options": {"awslogs-group": "g"}}}],
                  networkMode="awsvpc", cpu=".25 vCPU", memory="0.5GB", requiresCompatibilities=["FARGATE"],
                  executionRoleArn="arn:aws:iam::%s:role/exec" % ACCOUNT)["taskDefinition"]
    assert td["compatibilities"] == ["EC2", "FARGATE"]
    assert td["requiresCompatibilities"] == ["FARGATE"]
    assert (td["cpu"], td["memory"]) == ("256", "512")
    names = {a["name"] for a in td["requiresAttributes"]}
    assert {"ecs.capability.task-eni", "ecs.capability.execution-role-awslogs",
            "com.amazonaws.ecs.capability.logging-driver.awslogs"} <= names


def test_requires_attributes(ecs):
    td = register(ecs, "attrs", [container(memoryReservation=32, healthCheck={"command": ["CMD", "true"]},
                                           dockerLabels={"a": "b"},
                                           dependsOn=[{"containerName": "side", "condition": "START"}]),
                                 container("side", essential=False)],
                  taskRoleArn="arn:aws:iam::%s:role/task" % ACCOUNT)["taskDefinition"]
    names = [a["name"] for a in td["requiresAttributes"]]
    assert len(names) == len(set(names))
    assert {"com.amazonaws.ecs.capability.docker-remote-api.1.18",
            "com.amazonaws.ecs.capability.docker-remote-api.1.21",
            "com.amazonaws.ecs.capability.task-iam-role",
            "ecs.capability.container-health-check",
            "ecs.capability.container-ordering"} <= set(names)


# Nearly every member of ContainerDefinition in the model, plus the task-level
# members; sent as raw JSON because Debian's boto3 predates some of them.
# Those berth refuses (README, Compatibility) are in test_compat.py.
RICH_APP = {
    "name": "app",
    "image": "registry.example.com/team/app:1.2.3",
    "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:%s:secret:creds" % ACCOUNT},
    "cpu": 256,
    "memory": 512,
    "memoryReservation": 256,
    "links": ["db:database"],
    "portMappings": [
        {"containerPort": 80, "hostPort": 8080, "protocol": "tcp", "name": "http", "appProtocol": "http"},
        {"containerPort": 53, "protocol": "udp"},
        {"containerPortRange": "9000-9010"},
    ],
    "essential": True,
    "entryPoint": ["/bin/sh", "-c"],
    "command": ["exec /srv/app --port 80"],
    "environment": [{"name": "MODE", "value": "prod"}, {"name": "EMPTY", "value": ""}],
    "environmentFiles": [{"value": "arn:aws:s3:::bucket/app.env", "type": "s3"}],
    "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": False},
                    {"sourceVolume": "scratch", "containerPath": "/scratch"}],
    "volumesFrom": [{"sourceContainer": "db", "readOnly": True}],
    "linuxParameters": {
        "capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD"]},
        "devices": [{"hostPath": "/dev/fuse", "containerPath": "/dev/fuse", "permissions": ["read", "write"]}],
        "initProcessEnabled": True,
        "sharedMemorySize": 64,
        "tmpfs": [{"containerPath": "/run", "size": 32, "mountOptions": ["noexec", "nosuid"]}],
    },
    "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:%s:parameter/db" % ACCOUNT}],
    "dependsOn": [{"containerName": "db", "condition": "HEALTHY"}],
    "startTimeout": 60,
    "stopTimeout": 20,
    "versionConsistency": "disabled",
    "hostname": "app",
    "user": "1000:1000",
    "workingDirectory": "/srv",
    "disableNetworking": False,
    "privileged": False,
    "readonlyRootFilesystem": True,
    "dnsServers": ["10.0.0.2"],
    "dnsSearchDomains": ["example.internal"],
    "extraHosts": [{"hostname": "metadata.local", "ipAddress": "10.0.0.5"}],
    "interactive": False,
    "pseudoTerminal": False,
    "dockerLabels": {"team": "core", "tier": "web"},
    "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}],
    "logConfiguration": {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/ecs/app", "awslogs-region": "us-east-1"},
        "secretOptions": [{"name": "token", "valueFrom": "arn:aws:ssm:us-east-1:%s:parameter/tok" % ACCOUNT}],
    },
    "healthCheck": {"command": ["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"],
                    "interval": 10, "timeout": 3, "retries": 2, "startPeriod": 5},
    "firelensConfiguration": {"type": "fluentbit", "options": {"enable-ecs-log-metadata": "true"}},
}
RICH_DB = {"name": "db", "image": "postgres:16", "memoryReservation": 128, "essential": False,
           "healthCheck": {"command": ["CMD", "pg_isready"]}}
RICH_TASK = {
    "family": "rich",
    "taskRoleArn": "arn:aws:iam::%s:role/task" % ACCOUNT,
    "executionRoleArn": "arn:aws:iam::%s:role/exec" % ACCOUNT,
    "networkMode": "bridge",
    "volumes": [
        {"name": "data", "host": {"sourcePath": "/srv/data"}},
        {"name": "scratch", "dockerVolumeConfiguration": {"scope": "task", "driver": "local",
                                                          "labels": {"a": "b"}}},
    ],
    "placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.os-type == linux"}],
    "requiresCompatibilities": ["EC2"],
    "cpu": "1 vCPU",
    "memory": "2 GB",
    "pidMode": "task",
    "ipcMode": "task",
    "ephemeralStorage": {"sizeInGiB": 30},
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "enableFaultInjection": False,
}


def test_rich_definition_round_trips(server):
    body = dict(RICH_TASK, containerDefinitions=[RICH_APP, RICH_DB],
                tags=[{"key": "team", "value": "core"}])
    out = call(server, "RegisterTaskDefinition", body)
    td = out["taskDefinition"]
    assert out["tags"] == [{"key": "team", "value": "core"}]

    want_app = copy.deepcopy(RICH_APP)
    want_app["portMappings"][1]["hostPort"] = 0  # bridge: dynamic
    want_app["portMappings"][2]["protocol"] = "tcp"
    want_db = dict(RICH_DB, cpu=0, portMappings=[], environment=[], mountPoints=[], volumesFrom=[],
                   healthCheck={"command": ["CMD", "pg_isready"], "interval": 30, "timeout": 5, "retries": 3})
    assert td["containerDefinitions"] == [want_app, want_db]

    for member, value in RICH_TASK.items():
        if member in ("cpu", "memory"):
            continue
        assert td[member] == value, member
    assert (td["cpu"], td["memory"]) == ("1024", "2048")
    assert td["compatibilities"] == ["EXTERNAL", "EC2"]
    names = [a["name"] for a in td["requiresAttributes"]]
    assert {"ecs.capability.secrets.ssm.environment-variables",
            "ecs.capability.private-registry-authentication.secretsmanager",
            "ecs.capability.env-files.s3", "ecs.capability.firelens.fluentbit",
            "ecs.capability.container-ordering", "ecs.capability.container-health-check",
            "ecs.capability.pid-ipc-namespace-sharing", "ecs.capability.execution-role-awslogs",
            "com.amazonaws.ecs.capability.task-iam-role",
            "com.amazonaws.ecs.capability.docker-remote-api.1.25"} <= set(names)

    # Describe returns exactly what register returned.
    desc = call(server, "DescribeTaskDefinition", {"taskDefinition": "rich", "include": ["TAGS"]})
    assert desc["taskDefinition"] == td
    assert desc["tags"] == [{"key": "team", "value": "core"}]


def test_boto3_round_trip_of_known_members(ecs):
    app = {k: v for k, v in RICH_APP.items()
           if k not in ("versionConsistency",)}
    app["portMappings"] = RICH_APP["portMappings"][:2]  # no containerPortRange in this boto3
    kw = {k: v for k, v in RICH_TASK.items() if k not in ("family", "enableFaultInjection")}
    td = ecs.register_task_definition(family="rich-boto", containerDefinitions=[app, RICH_DB],
                                      **kw)["taskDefinition"]
    got = td["containerDefinitions"][0]
    for member, value in app.items():
        if member != "portMappings":
            assert got[member] == value, member
    assert ecs.describe_task_definition(taskDefinition="rich-boto:1")["taskDefinition"] == td


# --- validation ------------------------------------------------------------

BAD = [
    # (what, changes to a valid request, exception, message fragment)
    ("family pattern", {"family": "bad family!"}, "ClientException", "Family"),
    ("family too long", {"family": "f" * 256}, "ClientException", "Family"),
    ("no containers", {"containerDefinitions": []}, "ClientException", "between 1 and 10"),
    ("11 containers", {"containerDefinitions": [container("c%d" % i) for i in range(11)]},
     "ClientException", "between 1 and 10"),
    ("no image", {"containerDefinitions": [{"name": "a", "memory": 64}]},
     "ClientException", "Container.image should not be null or empty."),
    ("empty image", {"containerDefinitions": [container(image="")]},
     "ClientException", "Container.image should not be null or empty."),
    ("no name", {"containerDefinitions": [{"image": "i", "memory": 64}]},
     "ClientException", "Container.name should not be null or empty."),
    ("bad name", {"containerDefinitions": [container("a/b")]}, "ClientException", "Container name"),
    ("duplicate names", {"containerDefinitions": [container("a"), container("a")]},
     "ClientException", "Duplicate container name"),
    ("no essential", {"containerDefinitions": [container(essential=False)]},
     "ClientException", "essential"),
    ("no memory", {"containerDefinitions": [{"name": "a", "image": "i"}]},
     "ClientException", "At least one of 'memory' or 'memoryReservation' must be specified."),
    ("memory below 6 MiB", {"containerDefinitions": [container(memory=4)]},
     "ClientException", "at least 6 MiB"),
    ("reservation above memory", {"containerDefinitions": [container(memory=64, memoryReservation=128)]},
     "ClientException", "'memory' must be greater than or equal to 'memoryReservation'"),
    ("container memory above task", {"memory": "32"}, "ClientException", "exceeds the task memory"),
    ("bad task cpu", {"cpu": "fast"}, "ClientException", "Invalid 'cpu' setting for task."),
    ("task cpu too small", {"cpu": "64"}, "ClientException", "Invalid 'cpu' setting for task."),
    ("bad task memory", {"memory": "2 TB"}, "ClientException", "Invalid 'memory' setting for task."),
    ("network mode enum", {"networkMode": "overlay"}, "InvalidParameterException", "networkMode"),
    ("awsvpc host port", {"networkMode": "awsvpc",
                          "containerDefinitions": [container(portMappings=[{"containerPort": 80,
                                                                            "hostPort": 8080}])]},
     "ClientException", "When networkMode=awsvpc, the host ports and container ports in port mappings must match."),
    ("host mode host port", {"networkMode": "host",
                             "containerDefinitions": [container(portMappings=[{"containerPort": 80,
                                                                               "hostPort": 81}])]},
     "ClientException", "When networkMode=host"),
    ("ports with none", {"networkMode": "none",
                         "containerDefinitions": [container(portMappings=[{"containerPort": 80}])]},
     "ClientException", "networkMode=none"),
    ("container port 0", {"containerDefinitions": [container(portMappings=[{"containerPort": 0}])]},
     "ClientException", "containerPort"),
    ("container port 65536", {"containerDefinitions": [container(portMappings=[{"containerPort": 65536}])]},
     "ClientException", "containerPort"),
    ("no container port", {"containerDefinitions": [container(portMappings=[{"hostPort": 80}])]},
     "ClientException", "containerPortRange"),
    ("bad port range", {"containerDefinitions": [container(portMappings=[{"containerPortRange": "10-5"}])]},
     "ClientException", "containerPortRange"),
    ("protocol enum", {"containerDefinitions": [container(portMappings=[{"containerPort": 80,
                                                                        "protocol": "sctp"}])]},
     "InvalidParameterException", "protocol"),
    ("health check command", {"containerDefinitions": [container(healthCheck={"command": ["curl", "x"]})]},
     "ClientException", "CMD, CMD-SHELL or NONE"),
    ("health check no command", {"containerDefinitions": [container(healthCheck={"interval": 30})]},
     "InvalidParameterException", "command"),
    ("health interval", {"containerDefinitions": [container(healthCheck={"command": ["CMD", "x"],
                                                                         "interval": 301})]},
     "ClientException", "'interval' must be between 5 and 300"),
    ("health timeout", {"containerDefinitions": [container(healthCheck={"command": ["CMD", "x"],
                                                                        "timeout": 1})]},
     "ClientException", "'timeout' must be between 2 and 60"),
    ("health retries", {"containerDefinitions": [container(healthCheck={"command": ["CMD", "x"],
                                                                        "retries": 11})]},
     "ClientException", "'retries' must be between 1 and 10"),
    ("health start period", {"containerDefinitions": [container(healthCheck={"command": ["CMD", "x"],
                                                                             "startPeriod": 301})]},
     "ClientException", "'startPeriod' must be between 0 and 300"),
    ("depends on self", {"containerDefinitions": [container(dependsOn=[{"containerName": "app",
                                                                        "condition": "START"}])]},
     "ClientException", "cannot depend on itself"),
    ("depends on unknown", {"containerDefinitions": [container(dependsOn=[{"containerName": "ghost",
                                                                           "condition": "START"}])]},
     "ClientException", "not defined"),
    ("depends condition enum", {"containerDefinitions": [container(dependsOn=[{"containerName": "x",
                                                                               "condition": "READY"}])]},
     "InvalidParameterException", "condition"),
    ("healthy without check", {"containerDefinitions": [
        container(dependsOn=[{"containerName": "side", "condition": "HEALTHY"}]), container("side")]},
     "ClientException", "HEALTHY"),
    ("complete on essential", {"containerDefinitions": [
        container(dependsOn=[{"containerName": "side", "condition": "COMPLETE"}]), container("side")]},
     "ClientException", "essential container 'side'"),
    ("dependency cycle", {"containerDefinitions": [
        container(dependsOn=[{"containerName": "side", "condition": "START"}]),
        container("side", dependsOn=[{"containerName": "app", "condition": "START"}])]},
     "ClientException", "cycle"),
    ("undeclared volume", {"containerDefinitions": [container(mountPoints=[{"sourceVolume": "v",
                                                                            "containerPath": "/v"}])]},
     "ClientException", "not declared"),
    ("duplicate volume", {"volumes": [{"name": "v"}, {"name": "v"}]}, "ClientException", "Duplicate volume"),
    ("volumesFrom unknown", {"containerDefinitions": [container(volumesFrom=[{"sourceContainer": "ghost"}])]},
     "ClientException", "volumesFrom"),
    ("links outside bridge", {"networkMode": "awsvpc", "containerDefinitions": [
        container(links=["side"]), container("side")]},
     "ClientException", "networkMode=bridge"),
    ("link to unknown", {"containerDefinitions": [container(links=["ghost:alias"])]},
     "ClientException", "links"),
    ("hostname with awsvpc", {"networkMode": "awsvpc", "containerDefinitions": [container(hostname="h")]},
     "ClientException", "hostname"),
    ("fargate needs awsvpc", {"requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512"},
     "ClientException", "Fargate only supports network mode 'awsvpc'."),
    ("fargate size", {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256",
                      "memory": "8 GB"},
     "ClientException", "No Fargate configuration exists for given values"),
    ("too many placement constraints", {"placementConstraints": [
        {"type": "memberOf", "expression": "attribute:x == %d" % i} for i in range(11)]},
     "ClientException", "placement constraints"),
    ("ephemeral storage", {"ephemeralStorage": {"sizeInGiB": 10}}, "ClientException", "ephemeralStorage"),
    ("reserved tag", {"tags": [{"key": "aws:owner", "value": "x"}]}, "InvalidParameterException", "aws:"),
    ("image type", {"containerDefinitions": [container(image=5)]}, "InvalidParameterException", "image"),
]


@pytest.mark.parametrize("what,changes,code,fragment", BAD, ids=[b[0] for b in BAD])
def test_register_validation(server, ecs_raw, what, changes, code, fragment):
    body = {"family": "bad", "containerDefinitions": [container()]}
    body.update(changes)
    # Raw JSON: boto3 would refuse some of these itself, or drop members.
    got_code, message = raw_error(server, "RegisterTaskDefinition", body)
    assert got_code == code, message
    assert fragment in message
    # Nothing was registered, and no revision number was used up.
    assert ecs_raw.list_task_definitions(familyPrefix="bad")["taskDefinitionArns"] == []


def test_validation_error_through_boto3(ecs_raw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs_raw.register_task_definition(family="boto-bad", containerDefinitions=[{"name": "a", "memory": 64}])
    assert err_code(e) == "ClientException"
    assert err_msg(e) == "Container.image should not be null or empty."


def test_size_limit(server):
    env = [{"name": "V%d" % i, "value": "x" * 100} for i in range(700)]
    code, message = raw_error(server, "RegisterTaskDefinition",
                              {"family": "huge", "containerDefinitions": [container(environment=env)]})
    assert code == "ClientException" and "Max allowed length is 65536 bytes" in message
    # Just under the limit is fine.
    env = env[:500]
    call(server, "RegisterTaskDefinition", {"family": "huge", "containerDefinitions": [container(environment=env)]})


# --- revisions, describe, deregister, delete ------------------------------


def test_revisions_describe_and_deregister(ecs):
    for i in range(3):
        td = register(ecs, "revs", [container(command=["echo", str(i + 1)])])["taskDefinition"]
        assert td["revision"] == i + 1
    latest = ecs.describe_task_definition(taskDefinition="revs")["taskDefinition"]
    assert latest["revision"] == 3 and latest["containerDefinitions"][0]["command"] == ["echo", "3"]
    by_arn = ecs.describe_task_definition(taskDefinition=ARN_PREFIX + "revs:2")["taskDefinition"]
    assert by_arn["revision"] == 2

    out = ecs.deregister_task_definition(taskDefinition="revs:3")["taskDefinition"]
    assert out["status"] == "INACTIVE" and isinstance(out["deregisteredAt"], datetime.datetime)
    # The family now means its latest ACTIVE revision.
    assert ecs.describe_task_definition(taskDefinition="revs")["taskDefinition"]["revision"] == 2
    # An INACTIVE revision stays describable by revision and by ARN.
    inactive = ecs.describe_task_definition(taskDefinition="revs:3")["taskDefinition"]
    assert inactive["status"] == "INACTIVE" and inactive["deregisteredAt"] == out["deregisteredAt"]
    assert ecs.describe_task_definition(taskDefinition=ARN_PREFIX + "revs:3")["taskDefinition"] == inactive
    # Deregistering again changes nothing.
    again = ecs.deregister_task_definition(taskDefinition=ARN_PREFIX + "revs:3")["taskDefinition"]
    assert again == inactive
    # A new registration continues from the highest revision.
    assert register(ecs, "revs")["taskDefinition"]["revision"] == 4


@pytest.mark.parametrize("ref,fragment", [
    ("ghost", "Unable to describe task definition."),
    ("ghost:1", "Unable to describe task definition."),
    ("revs:99", "Unable to describe task definition."),
    ("arn:aws:ecs:us-east-1:000000000000:task-definition/ghost:1", "Unable to describe task definition."),
    ("arn:aws:ecs:eu-west-1:000000000000:task-definition/revs:1", "Unable to describe task definition."),
    ("revs:latest", "Invalid revision number. Number: latest"),
    ("revs:0", "Invalid revision number. Number: 0"),
])
def test_describe_unknown(ecs, ref, fragment):
    register(ecs, "revs-known")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.describe_task_definition(taskDefinition=ref)
    assert err_code(e) == "ClientException"
    assert err_msg(e) == fragment


def test_describe_family_with_no_active_revision(ecs):
    register(ecs, "all-gone")
    ecs.deregister_task_definition(taskDefinition="all-gone:1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.describe_task_definition(taskDefinition="all-gone")
    assert err_code(e) == "ClientException"


def test_deregister_errors(ecs):
    register(ecs, "dereg")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.deregister_task_definition(taskDefinition="dereg")
    assert (err_code(e), err_msg(e)) == ("ClientException", "Revision is missing.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.deregister_task_definition(taskDefinition="dereg:7")
    assert err_code(e) == "ClientException"
    assert err_msg(e) == "The specified task definition does not exist."
    # Still ACTIVE after the failed attempts.
    assert ecs.describe_task_definition(taskDefinition="dereg")["taskDefinition"]["status"] == "ACTIVE"


def test_delete_lifecycle_and_revision_never_reused(server, ecs):
    register(ecs, "del")
    register(ecs, "del")
    arn1, arn2 = ARN_PREFIX + "del:1", ARN_PREFIX + "del:2"
    # ACTIVE ones cannot be deleted; unknown ones are failures too.
    out = call(server, "DeleteTaskDefinitions", {"taskDefinitions": ["del:1", "del:9", "del"]})
    assert out["taskDefinitions"] == []
    # ECS echoes each reference as given, its sentence as the reason.
    assert out["failures"] == [
        {"arn": "del:1", "reason": "The specified task definition is still in ACTIVE status. "
                                   "Please deregister the target and try again."},
        {"arn": "del:9", "reason": "The specified task definition does not exist. "
                                   "Specify a valid account, family, revision and try again."},
        {"arn": "del", "reason": "The specified task definition identifier is invalid. "
                                 "Specify a valid name or ARN and try again."},
    ]

    ecs.deregister_task_definition(taskDefinition="del:1")
    out = call(server, "DeleteTaskDefinitions", {"taskDefinitions": [arn1]})
    assert out["failures"] == []
    [td] = out["taskDefinitions"]
    assert td["taskDefinitionArn"] == arn1 and td["status"] == "DELETE_IN_PROGRESS"
    assert td["deleteRequestedAt"] >= td["deregisteredAt"] >= td["registeredAt"]
    # Deleting again is harmless.
    again = call(server, "DeleteTaskDefinitions", {"taskDefinitions": ["del:1"]})
    assert again["taskDefinitions"][0]["status"] == "DELETE_IN_PROGRESS"
    # Still describable while the delete is in progress.
    assert ecs.describe_task_definition(taskDefinition="del:1")["taskDefinition"]["status"] == "DELETE_IN_PROGRESS"
    # DELETE_IN_PROGRESS is not listed unless asked for.
    assert ecs.list_task_definitions(familyPrefix="del")["taskDefinitionArns"] == [arn2]
    assert ecs.list_task_definitions(familyPrefix="del", status="INACTIVE")["taskDefinitionArns"] == []
    assert ecs.list_task_definitions(familyPrefix="del",
                                     status="DELETE_IN_PROGRESS")["taskDefinitionArns"] == [arn1]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.deregister_task_definition(taskDefinition="del:1")
    assert err_code(e) == "ClientException"
    # Revision numbers are never reused.
    ecs.deregister_task_definition(taskDefinition="del:2")
    call(server, "DeleteTaskDefinitions", {"taskDefinitions": ["del:2"]})
    assert register(ecs, "del")["taskDefinition"]["revision"] == 3


def test_delete_request_limits(server):
    code, _ = raw_error(server, "DeleteTaskDefinitions", {"taskDefinitions": ["x:%d" % i for i in range(1, 12)]})
    assert code == "InvalidParameterException"
    code, _ = raw_error(server, "DeleteTaskDefinitions", {"taskDefinitions": []})
    assert code == "InvalidParameterException"
    code, _ = raw_error(server, "DeleteTaskDefinitions", {})
    assert code == "InvalidParameterException"


# --- listing --------------------------------------------------------------


def pages(fn, **kw):
    """All pages of a List call: (items, number of pages)."""
    key = "taskDefinitionArns" if fn.__name__ == "list_task_definitions" else "families"
    got, token, n = [], None, 0
    while True:
        args = dict(kw)
        if token:
            args["nextToken"] = token
        out = fn(**args)
        assert len(out[key]) <= kw.get("maxResults", 100)
        got += out[key]
        n += 1
        token = out.get("nextToken")
        if not token:
            return got, n


def test_list_pagination_and_sort(fresh_server):
    ecs = berth_proc.client(fresh_server.endpoint)
    for _ in range(23):
        register(ecs, "page")
    for fam in ("zeta", "alpha"):
        register(ecs, fam)
        register(ecs, fam)
    page_arns = [ARN_PREFIX + "page:%d" % i for i in range(1, 24)]

    got, n = pages(ecs.list_task_definitions, familyPrefix="page", maxResults=5)
    assert n == 5 and got == page_arns
    got, n = pages(ecs.list_task_definitions, familyPrefix="page", maxResults=5, sort="DESC")
    assert n == 5 and got == page_arns[::-1]

    # Across families: family, then revision numerically (10 after 9).
    everything = [ARN_PREFIX + "alpha:1", ARN_PREFIX + "alpha:2"] + page_arns + \
        [ARN_PREFIX + "zeta:1", ARN_PREFIX + "zeta:2"]
    got, _ = pages(ecs.list_task_definitions, maxResults=4)
    assert got == everything
    got, _ = pages(ecs.list_task_definitions, maxResults=6, sort="DESC")
    assert got == everything[::-1]
    assert ecs.list_task_definitions()["taskDefinitionArns"] == everything
    # The CLI's paginator.
    got = []
    for page in ecs.get_paginator("list_task_definitions").paginate(PaginationConfig={"PageSize": 7}):
        got += page["taskDefinitionArns"]
    assert got == everything
    # familyPrefix is the whole family name in ListTaskDefinitions.
    assert ecs.list_task_definitions(familyPrefix="pag")["taskDefinitionArns"] == []

    raw = berth_proc.client(fresh_server.endpoint, validate=False)
    for bad in ({"nextToken": "garbage!"}, {"maxResults": 0}, {"maxResults": 101}):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            raw.list_task_definitions(**bad)
        assert err_code(e) == "InvalidParameterException"
    # A token from an ASC listing is refused by a DESC one.
    token = ecs.list_task_definitions(maxResults=1)["nextToken"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_task_definitions(maxResults=1, sort="DESC", nextToken=token)
    assert err_code(e) == "InvalidParameterException"


def test_list_by_status(fresh_server):
    ecs = berth_proc.client(fresh_server.endpoint)
    for _ in range(3):
        register(ecs, "st")
    ecs.deregister_task_definition(taskDefinition="st:2")
    assert ecs.list_task_definitions()["taskDefinitionArns"] == [ARN_PREFIX + "st:1", ARN_PREFIX + "st:3"]
    assert ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"] == [ARN_PREFIX + "st:2"]


def test_families_with_status_filters(fresh_server):
    ecs = berth_proc.client(fresh_server.endpoint)
    register(ecs, "app-active")
    register(ecs, "app-mixed")
    register(ecs, "app-mixed")
    ecs.deregister_task_definition(taskDefinition="app-mixed:1")
    register(ecs, "app-inactive")
    ecs.deregister_task_definition(taskDefinition="app-inactive:1")
    register(ecs, "other")
    register(ecs, "app_x")  # '_' is literal in a prefix, not a wildcard

    fams = ecs.list_task_definition_families()["families"]
    assert fams == ["app-active", "app-inactive", "app-mixed", "app_x", "other"]
    assert ecs.list_task_definition_families(status="ALL")["families"] == fams
    assert ecs.list_task_definition_families(status="ACTIVE")["families"] == \
        ["app-active", "app-mixed", "app_x", "other"]
    assert ecs.list_task_definition_families(status="INACTIVE")["families"] == ["app-inactive"]
    assert ecs.list_task_definition_families(familyPrefix="app-")["families"] == \
        ["app-active", "app-inactive", "app-mixed"]
    assert ecs.list_task_definition_families(familyPrefix="app_")["families"] == ["app_x"]
    assert ecs.list_task_definition_families(familyPrefix="app-", status="ACTIVE")["families"] == \
        ["app-active", "app-mixed"]
    got, n = pages(ecs.list_task_definition_families, maxResults=2)
    assert got == fams and n == 3
    got, n = pages(ecs.list_task_definition_families, maxResults=1, status="ACTIVE")
    assert got == ["app-active", "app-mixed", "app_x", "other"] and n == 4
    # A family whose revisions are all being deleted is still listed (INACTIVE).
    call(fresh_server, "DeleteTaskDefinitions", {"taskDefinitions": ["app-inactive:1"]})
    assert ecs.list_task_definition_families(status="INACTIVE")["families"] == ["app-inactive"]


# --- tags, regions, persistence -------------------------------------------


def test_tags_on_task_definitions(ecs):
    td = register(ecs, "tagged", tags=[{"key": "team", "value": "core"}, {"key": "env", "value": "dev"}])
    arn = td["taskDefinition"]["taskDefinitionArn"]
    assert td["tags"] == [{"key": "env", "value": "dev"}, {"key": "team", "value": "core"}]
    assert "tags" not in ecs.describe_task_definition(taskDefinition="tagged")
    assert ecs.describe_task_definition(taskDefinition="tagged", include=["TAGS"])["tags"] == td["tags"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "owner", "value": "me"}])
    ecs.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "owner", "value": "me"}, {"key": "team", "value": "core"}]
    # Tags belong to one revision.
    arn2 = register(ecs, "tagged")["taskDefinition"]["taskDefinitionArn"]
    assert ecs.list_tags_for_resource(resourceArn=arn2)["tags"] == []
    # Inactive revisions keep theirs.
    ecs.deregister_task_definition(taskDefinition=arn)
    assert len(ecs.list_tags_for_resource(resourceArn=arn)["tags"]) == 2
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.tag_resource(resourceArn=ARN_PREFIX + "tagged:99", tags=[{"key": "a", "value": "b"}])
    assert err_code(e) == "ClientException"


def test_register_is_region_scoped(server, ecs):
    register(ecs, "regional")
    west = berth_proc.client(server.endpoint, region="us-west-2")
    td = register(west, "regional")["taskDefinition"]
    assert td["taskDefinitionArn"] == "arn:aws:ecs:us-west-2:%s:task-definition/regional:1" % ACCOUNT
    assert west.list_task_definitions(familyPrefix="regional")["taskDefinitionArns"] == [td["taskDefinitionArn"]]
    with pytest.raises(botocore.exceptions.ClientError):
        west.describe_task_definition(taskDefinition=ARN_PREFIX + "regional:1")


def test_state_survives_restart(fresh_server):
    ecs = berth_proc.client(fresh_server.endpoint)
    body = dict(RICH_TASK, family="persist", containerDefinitions=[RICH_APP, RICH_DB])
    first = call(fresh_server, "RegisterTaskDefinition", body)["taskDefinition"]
    register(ecs, "persist", tags=[{"key": "k", "value": "v"}])
    register(ecs, "persist")
    ecs.deregister_task_definition(taskDefinition="persist:2")
    ecs.deregister_task_definition(taskDefinition="persist:3")
    call(fresh_server, "DeleteTaskDefinitions", {"taskDefinitions": ["persist:3"]})
    before = {r: call(fresh_server, "DescribeTaskDefinition", {"taskDefinition": "persist:%d" % r,
                                                               "include": ["TAGS"]})
              for r in (1, 2, 3)}

    fresh_server.restart()
    ecs = berth_proc.client(fresh_server.endpoint)
    for r in (1, 2, 3):
        assert call(fresh_server, "DescribeTaskDefinition",
                    {"taskDefinition": "persist:%d" % r, "include": ["TAGS"]}) == before[r]
    assert before[1]["taskDefinition"] == first
    assert before[2]["taskDefinition"]["status"] == "INACTIVE"
    assert before[2]["tags"] == [{"key": "k", "value": "v"}]
    assert before[3]["taskDefinition"]["status"] == "DELETE_IN_PROGRESS"
    assert ecs.list_task_definitions()["taskDefinitionArns"] == [ARN_PREFIX + "persist:1"]
    assert register(ecs, "persist")["taskDefinition"]["revision"] == 4
