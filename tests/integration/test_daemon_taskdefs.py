"""Daemon task definitions (RegisterDaemonTaskDefinition, Describe, List,
Delete) through raw JSON calls: Debian's boto3 and AWS CLI predate the Daemon
API.  The daemons that run them are tested in test_daemons.py."""
import berth_proc

ACCOUNT_ARN = "arn:aws:ecs:us-east-1:000000000000:daemon-task-definition/"


def call(server, action, body):
    return berth_proc.raw_call(server.endpoint, action, body)


def ok(server, action, body):
    status, out = call(server, action, body)
    assert status == 200, (action, out)
    return out


def error(server, action, body):
    status, out = call(server, action, body)
    assert status == 400, (action, out)
    return out["__type"], out["message"]


def register(server, family, **kw):
    body = {"family": family, "containerDefinitions": [{"name": "agent", "image": "busybox", "memory": 32}]}
    body.update(kw)
    return ok(server, "RegisterDaemonTaskDefinition", body)["daemonTaskDefinitionArn"]


def test_register_describe_revisions(server):
    arn1 = register(server, "dd-log", cpu="256", memory="512", taskRoleArn="arn:aws:iam::000000000000:role/r",
                    tags=[{"key": "team", "value": "obs"}])
    arn2 = register(server, "dd-log")
    assert arn1.endswith(":daemon-task-definition/dd-log:1") and arn2.endswith("dd-log:2")
    assert arn1.startswith("arn:aws:ecs:us-east-1:")
    d = ok(server, "DescribeDaemonTaskDefinition", {"daemonTaskDefinition": "dd-log:1"})["daemonTaskDefinition"]
    assert d["daemonTaskDefinitionArn"] == arn1 and d["family"] == "dd-log" and d["revision"] == 1
    assert d["status"] == "ACTIVE" and d["cpu"] == "256" and d["memory"] == "512"
    assert d["containerDefinitions"] == [{"name": "agent", "image": "busybox", "memory": 32}]
    assert d["taskRoleArn"] == "arn:aws:iam::000000000000:role/r" and isinstance(d["registeredAt"], (int, float))
    assert d["registeredBy"]
    # A family alone is its latest ACTIVE revision; an ARN names one.
    assert ok(server, "DescribeDaemonTaskDefinition",
              {"daemonTaskDefinition": "dd-log"})["daemonTaskDefinition"]["revision"] == 2
    assert ok(server, "DescribeDaemonTaskDefinition",
              {"daemonTaskDefinition": arn1})["daemonTaskDefinition"]["revision"] == 1
    tags = ok(server, "ListTagsForResource", {"resourceArn": arn1})["tags"]
    assert tags == [{"key": "team", "value": "obs"}]
    # Not a task definition: the ordinary API does not see it.
    assert call(server, "DescribeTaskDefinition", {"taskDefinition": "dd-log"})[0] == 400
    for ref in ("dd-log:9", "nope", "dd-log:0", ACCOUNT_ARN + "dd-log:x"):
        assert error(server, "DescribeDaemonTaskDefinition", {"daemonTaskDefinition": ref}) == (
            "ClientException", "Unable to describe daemon task definition."), ref


def test_delete(server):
    arn1 = register(server, "dd-del")
    arn2 = register(server, "dd-del")
    assert error(server, "DeleteDaemonTaskDefinition", {"daemonTaskDefinition": "dd-del"})[0] == "ClientException"
    out = ok(server, "DeleteDaemonTaskDefinition", {"daemonTaskDefinition": arn2})
    assert out == {"daemonTaskDefinitionArn": arn2}
    d = ok(server, "DescribeDaemonTaskDefinition", {"daemonTaskDefinition": "dd-del:2"})["daemonTaskDefinition"]
    # As ECS answers first (berth makes it DELETED a minute later).
    assert d["status"] == "DELETE_IN_PROGRESS" and "deleteRequestedAt" in d
    listed = ok(server, "ListDaemonTaskDefinitions", {"family": "dd-del", "status": "DELETE_IN_PROGRESS"})
    assert [(s["arn"], s["status"]) for s in listed["daemonTaskDefinitions"]] == [(arn2, "DELETE_IN_PROGRESS")]
    assert [s["arn"] for s in ok(server, "ListDaemonTaskDefinitions", {"family": "dd-del"})[
        "daemonTaskDefinitions"]] == [arn1]
    # The family's latest ACTIVE is revision 1 now; a deleted one stays deleted.
    assert ok(server, "DescribeDaemonTaskDefinition",
              {"daemonTaskDefinition": "dd-del"})["daemonTaskDefinition"]["daemonTaskDefinitionArn"] == arn1
    assert error(server, "DeleteDaemonTaskDefinition", {"daemonTaskDefinition": "dd-del:2"})[0] == "ClientException"
    # Revision numbers are never reused.
    assert register(server, "dd-del").endswith("dd-del:3")


def arns(out):
    return [s["arn"].rsplit("/", 1)[1] for s in out["daemonTaskDefinitions"]]


def test_list_filters_sort_and_pages(server):
    for fam in ("ls-a", "ls-a", "ls-a", "ls-b", "ls-ab"):
        register(server, fam)
    ok(server, "DeleteDaemonTaskDefinition", {"daemonTaskDefinition": "ls-a:2"})
    out = ok(server, "ListDaemonTaskDefinitions", {"familyPrefix": "ls-"})
    assert arns(out) == ["ls-a:1", "ls-a:3", "ls-ab:1", "ls-b:1"]
    s = out["daemonTaskDefinitions"][0]
    assert s["status"] == "ACTIVE" and "registeredAt" in s and "registeredBy" in s
    assert arns(ok(server, "ListDaemonTaskDefinitions", {"family": "ls-a"})) == ["ls-a:1", "ls-a:3"]
    assert arns(ok(server, "ListDaemonTaskDefinitions", {"family": "ls-a", "status": "ALL"})) == [
        "ls-a:1", "ls-a:2", "ls-a:3"]
    assert arns(ok(server, "ListDaemonTaskDefinitions", {"familyPrefix": "ls-", "sort": "DESC"})) == [
        "ls-b:1", "ls-ab:1", "ls-a:3", "ls-a:1"]
    assert arns(ok(server, "ListDaemonTaskDefinitions", {"familyPrefix": "ls-", "revision": "LAST_REGISTERED"})) == [
        "ls-a:3", "ls-ab:1", "ls-b:1"]
    # Pages of one, both directions.
    for sort, want in (("ASC", ["ls-a:1", "ls-a:3", "ls-ab:1", "ls-b:1"]),
                       ("DESC", ["ls-b:1", "ls-ab:1", "ls-a:3", "ls-a:1"])):
        got, token = [], None
        while True:
            body = {"familyPrefix": "ls-", "maxResults": 1, "sort": sort}
            if token:
                body["nextToken"] = token
            out = ok(server, "ListDaemonTaskDefinitions", body)
            got += arns(out)
            token = out.get("nextToken")
            if not token:
                break
        assert got == want, sort
    assert error(server, "ListDaemonTaskDefinitions", {"family": "a", "familyPrefix": "a"})[0] == (
        "InvalidParameterException")
    assert error(server, "ListDaemonTaskDefinitions", {"status": "INACTIVE"})[0] == "InvalidParameterException"


def test_register_refusals(server):
    good = [{"name": "a", "image": "busybox"}]
    for body in ({"family": "bad family", "containerDefinitions": good},
                 {"family": "x" * 256, "containerDefinitions": good},
                 {"family": "f", "containerDefinitions": []},
                 {"family": "f", "containerDefinitions": [{"image": "busybox"}]},
                 {"family": "f", "containerDefinitions": good * 2},
                 {"family": "f", "containerDefinitions": good, "cpu": "lots"},
                 {"family": "f", "containerDefinitions": good, "memory": "-1"}):
        assert error(server, "RegisterDaemonTaskDefinition", body)[0] in (
            "ClientException", "InvalidParameterException"), body
    # An empty image, as RegisterTaskDefinition says.
    assert error(server, "RegisterDaemonTaskDefinition", {"family": "f", "containerDefinitions": [
        {"name": "a", "image": ""}]}) == ("ClientException", "Container.image should not be null or empty.")
    # The model's own checks: image is required.
    assert error(server, "RegisterDaemonTaskDefinition",
                 {"family": "f", "containerDefinitions": [{"name": "a"}]})[0] == "InvalidParameterException"
    assert call(server, "DescribeDaemonTaskDefinition", {"daemonTaskDefinition": "f"})[0] == 400
