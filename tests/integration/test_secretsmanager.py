"""Secrets Manager against a real berth server, with boto3 and the AWS CLI
v2: secrets, versions and staging labels, lookups by name, ARN and partial
ARN, filters and pages, deletion with a recovery window and restore, tags,
the documented errors for bad input, and the database holding no secret in
plaintext."""
import json
import re
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

import berth_proc


@pytest.fixture(scope="module")
def sm(server):
    return berth_proc.client(server.endpoint, service="secretsmanager")


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def aws_sm(server, env, *args):
    p = subprocess.run([berth_proc.AWS_V2, "secretsmanager", *args, "--endpoint-url", server.endpoint,
                        "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else {}), p.stderr


def test_create_get_and_lookups(sm):
    out = sm.create_secret(Name="app/db", SecretString='{"user":"u","password":"p"}', Description="db creds")
    arn = out["ARN"]
    assert re.fullmatch(r"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-[A-Za-z0-9]{6}", arn)
    assert out["Name"] == "app/db" and out["VersionId"]
    for sid in ("app/db", arn, arn[:-7]):
        got = sm.get_secret_value(SecretId=sid)
        assert got["SecretString"] == '{"user":"u","password":"p"}' and got["ARN"] == arn, sid
        assert got["VersionStages"] == ["AWSCURRENT"] and got["VersionId"] == out["VersionId"]
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=arn[:-6] + "ZZZZZZ")
    assert code(e) == "ResourceNotFoundException"
    b = sm.create_secret(Name="bin", SecretBinary=b"\x00\x01binary\xff")
    assert sm.get_secret_value(SecretId=b["ARN"])["SecretBinary"] == b"\x00\x01binary\xff"
    d = sm.describe_secret(SecretId="app/db")
    assert d["Description"] == "db creds" and d["VersionIdsToStages"] == {out["VersionId"]: ["AWSCURRENT"]}
    assert d["Name"] == "app/db" and "CreatedDate" in d


def test_versions_and_stages(sm):
    v1 = sm.create_secret(Name="rot", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="rot", SecretString="two")
    assert v2["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId="rot")["SecretString"] == "two"
    prev = sm.get_secret_value(SecretId="rot", VersionStage="AWSPREVIOUS")
    assert prev["SecretString"] == "one" and prev["VersionId"] == v1
    assert sm.get_secret_value(SecretId="rot", VersionId=v1)["SecretString"] == "one"
    v3 = sm.update_secret(SecretId="rot", SecretString="three", Description="rotated")["VersionId"]
    stages = sm.describe_secret(SecretId="rot")["VersionIdsToStages"]
    assert stages == {v3: ["AWSCURRENT"], v2["VersionId"]: ["AWSPREVIOUS"]}
    # A version with a custom stage leaves AWSCURRENT where it is.
    v4 = sm.put_secret_value(SecretId="rot", SecretString="four", VersionStages=["PENDING"])["VersionId"]
    assert sm.get_secret_value(SecretId="rot")["SecretString"] == "three"
    assert sm.get_secret_value(SecretId="rot", VersionStage="PENDING")["VersionId"] == v4
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="rot", VersionStage="NOPE")
    assert code(e) == "ResourceNotFoundException"
    # Idempotency: the same token and value is the same version; another value is refused.
    tok = "a" * 32
    assert sm.put_secret_value(SecretId="rot", SecretString="five", ClientRequestToken=tok)["VersionId"] == tok
    assert sm.put_secret_value(SecretId="rot", SecretString="five", ClientRequestToken=tok)["VersionId"] == tok
    with pytest.raises(ClientError) as e:
        sm.put_secret_value(SecretId="rot", SecretString="six", ClientRequestToken=tok)
    assert code(e) == "ResourceExistsException"


def test_create_idempotent_and_errors(sm):
    tok = "b" * 36
    first = sm.create_secret(Name="idem", SecretString="x", ClientRequestToken=tok)
    again = sm.create_secret(Name="idem", SecretString="x", ClientRequestToken=tok)
    assert again["ARN"] == first["ARN"] and again["VersionId"] == tok
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name="idem", SecretString="y")
    assert code(e) == "ResourceExistsException"
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name="both", SecretString="x", SecretBinary=b"y")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name="bad name!", SecretString="x")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="never-made")
    assert code(e) == "ResourceNotFoundException"
    empty = sm.create_secret(Name="novalue")
    assert "VersionId" not in empty
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="novalue")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        sm.rotate_secret(SecretId="novalue")
    assert code(e) == "InvalidRequestException"
    assert "does not implement" in e.value.response["Error"]["Message"]


def test_delete_restore_force(sm, server):
    arn = sm.create_secret(Name="doomed", SecretString="bye")["ARN"]
    with pytest.raises(ClientError) as e:
        sm.delete_secret(SecretId="doomed", RecoveryWindowInDays=3)
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        sm.delete_secret(SecretId="doomed", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert code(e) == "InvalidParameterException"
    out = sm.delete_secret(SecretId="doomed", RecoveryWindowInDays=7)
    assert out["ARN"] == arn
    assert 6.9 * 86400 < out["DeletionDate"].timestamp() - time.time() < 7.1 * 86400
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="doomed")
    assert code(e) == "InvalidRequestException" and "marked for deletion" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name="doomed", SecretString="again")
    assert code(e) == "InvalidRequestException"
    assert "DeletedDate" in sm.describe_secret(SecretId="doomed")
    assert "doomed" not in [s["Name"] for s in sm.list_secrets()["SecretList"]]
    # Debian's botocore predates IncludePlannedDeletion: send it raw.
    status, listed = berth_proc.raw_call(server.endpoint, "ListSecrets", {"IncludePlannedDeletion": True},
                                         target_prefix="secretsmanager", service="secretsmanager")
    assert status == 200 and "doomed" in [s["Name"] for s in listed["SecretList"]]
    assert sm.restore_secret(SecretId="doomed")["ARN"] == arn
    assert sm.get_secret_value(SecretId="doomed")["SecretString"] == "bye"
    sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as e:
        sm.describe_secret(SecretId=arn)
    assert code(e) == "ResourceNotFoundException"


def test_purge_after_window(fresh_server):
    """The maintenance pass purges a secret once its window has ended: the
    window is moved into the past in the database while the server is
    stopped, as time passing would."""
    sm = berth_proc.client(fresh_server.endpoint, service="secretsmanager")
    sm.create_secret(Name="expiring", SecretString="old")
    sm.delete_secret(SecretId="expiring", RecoveryWindowInDays=7)
    fresh_server.stop()
    fresh_server.store_exec("UPDATE secrets SET purge_at = 1")
    fresh_server.start()
    sm = berth_proc.client(fresh_server.endpoint, service="secretsmanager")

    def gone():
        try:
            sm.describe_secret(SecretId="expiring")
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "ResourceNotFoundException"
    berth_proc.wait_for(gone, timeout=90, interval=1, what="the maintenance pass to purge the secret")
    sm.create_secret(Name="expiring", SecretString="new")


def test_members_berth_cannot_honour_are_refused(sm, server):
    sm.create_secret(Name="refuse/one", SecretString="v")
    # (Debian's botocore predates the members: sent raw.)
    for action, body in (("CreateSecret", {"Name": "refuse/two", "SecretString": "v", "Type": "partner"}),
                         ("UpdateSecret", {"SecretId": "refuse/one", "Type": "partner"}),
                         ("PutSecretValue", {"SecretId": "refuse/one", "SecretString": "w",
                                             "RotationToken": "t" * 36})):
        status, out = berth_proc.raw_call(server.endpoint, action, body, target_prefix="secretsmanager",
                                          service="secretsmanager")
        assert status == 400 and out["__type"] == "InvalidRequestException", (action, out)
    assert sm.get_secret_value(SecretId="refuse/one")["SecretString"] == "v"
    with pytest.raises(ClientError) as e:
        sm.describe_secret(SecretId="refuse/two")
    assert code(e) == "ResourceNotFoundException"


def test_list_orders(sm, server):
    """As AWS lists: by CreatedDate unless SortBy says otherwise, SortOrder
    asc or desc, the name breaking ties; pages keep the order."""
    for n in ("sort/c", "sort/b", "sort/a"):
        sm.create_secret(Name=n, SecretString="v")
    sm.put_secret_value(SecretId="sort/c", SecretString="changed")
    flt = [{"Key": "name", "Values": ["sort/"]}]

    def listed(**kw):
        # (Debian's botocore predates SortBy: sent raw.)
        status, out = berth_proc.raw_call(server.endpoint, "ListSecrets", dict(Filters=flt, **kw),
                                          target_prefix="secretsmanager", service="secretsmanager")
        assert status == 200, out
        return [x["Name"] for x in out["SecretList"]], out.get("NextToken")

    assert listed()[0] == ["sort/c", "sort/b", "sort/a"]
    assert listed(SortOrder="desc")[0] == ["sort/a", "sort/b", "sort/c"]
    assert listed(SortBy="name")[0] == ["sort/a", "sort/b", "sort/c"]
    assert listed(SortBy="name", SortOrder="desc")[0] == ["sort/c", "sort/b", "sort/a"]
    assert listed(SortBy="last-changed-date")[0] == ["sort/b", "sort/a", "sort/c"]
    first, token = listed(SortBy="name", SortOrder="desc", MaxResults=2)
    assert first == ["sort/c", "sort/b"] and token
    assert listed(SortBy="name", SortOrder="desc", MaxResults=2, NextToken=token) == (["sort/a"], None)
    pages = list(sm.get_paginator("list_secrets").paginate(Filters=flt, SortOrder="desc",
                                                           PaginationConfig={"PageSize": 2}))
    assert [x["Name"] for p in pages for x in p["SecretList"]] == ["sort/a", "sort/b", "sort/c"]
    status, out = berth_proc.raw_call(server.endpoint, "ListSecrets", {"SortBy": "last-accessed-date"},
                                      target_prefix="secretsmanager", service="secretsmanager")
    assert status == 400 and "LastAccessedDate" in out["message"], out


def test_list_filters_and_pages(sm):
    for i in range(7):
        sm.create_secret(Name="list/s%d" % i, SecretString="v", Description="even" if i % 2 == 0 else "odd",
                         Tags=[{"Key": "idx", "Value": str(i)}] + ([{"Key": "group", "Value": "g"}] if i < 3 else []))
    names = lambda out: [s["Name"] for s in out["SecretList"]]  # noqa: E731
    assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["list/"]}])) == ["list/s%d" % i for i in range(7)]
    with pytest.raises(ClientError) as e:  # Key is optional in the model; a filter without one is refused
        sm.list_secrets(Filters=[{"Values": ["list/"]}])
    assert "needs a Key" in e.value.response["Error"]["Message"]
    assert names(sm.list_secrets(Filters=[{"Key": "description", "Values": ["odd"]}])) == ["list/s1", "list/s3",
                                                                                              "list/s5"]
    assert names(sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["group"]}])) == ["list/s0", "list/s1",
                                                                                            "list/s2"]
    assert names(sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["4"]}])) == ["list/s4"]
    assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["list/"]},
                                          {"Key": "description", "Values": ["!even"]}])) == ["list/s1", "list/s3",
                                                                                             "list/s5"]
    pages = list(sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": ["list/"]}],
                                                           PaginationConfig={"PageSize": 3}))
    assert [len(p["SecretList"]) for p in pages] == [3, 3, 1]
    entry = pages[0]["SecretList"][0]
    assert entry["Tags"] and list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]
    with pytest.raises(ClientError) as e:
        sm.list_secrets(NextToken="not-a-token")
    assert code(e) == "InvalidNextTokenException"


def test_tags(sm):
    arn = sm.create_secret(Name="tagged", SecretString="v", Tags=[{"Key": "a", "Value": "1"}])["ARN"]
    sm.tag_resource(SecretId=arn, Tags=[{"Key": "b", "Value": "2"}])
    assert sm.describe_secret(SecretId="tagged")["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    sm.untag_resource(SecretId="tagged", TagKeys=["a"])
    assert sm.describe_secret(SecretId="tagged")["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        sm.tag_resource(SecretId="tagged", Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code(e) == "InvalidParameterException"


def test_cli(server, aws_env):
    rc, out, err = aws_sm(server, aws_env, "create-secret", "--name", "cli/secret", "--secret-string", "cli-v1")
    assert rc == 0, err
    arn = out["ARN"]
    rc, out, err = aws_sm(server, aws_env, "put-secret-value", "--secret-id", arn, "--secret-string", "cli-v2")
    assert rc == 0, err
    rc, out, err = aws_sm(server, aws_env, "get-secret-value", "--secret-id", "cli/secret")
    assert rc == 0 and out["SecretString"] == "cli-v2", err
    rc, out, err = aws_sm(server, aws_env, "get-secret-value", "--secret-id", "cli/secret",
                          "--version-stage", "AWSPREVIOUS")
    assert rc == 0 and out["SecretString"] == "cli-v1", err
    rc, out, err = aws_sm(server, aws_env, "list-secrets", "--filters", "Key=name,Values=cli/")
    assert rc == 0 and [s["Name"] for s in out["SecretList"]] == ["cli/secret"], err
    rc, out, err = aws_sm(server, aws_env, "delete-secret", "--secret-id", "cli/secret")
    assert rc == 0, err
    rc, out, err = aws_sm(server, aws_env, "get-secret-value", "--secret-id", "cli/secret")
    assert rc != 0 and "InvalidRequestException" in err and "marked for deletion" in err


def test_database_holds_no_plaintext(server, sm):
    plain = "Pl4intext-Secret-Marker-99217"
    sm.create_secret(Name="leak/check", SecretString=plain)
    sm.put_secret_value(SecretId="leak/check", SecretString=plain + "-v2")
    sm.update_secret(SecretId="leak/check", SecretString=plain + "-v3")
    assert sm.get_secret_value(SecretId="leak/check", VersionStage="AWSPREVIOUS")["SecretString"] == plain + "-v2"
    assert server.store_holds(plain.encode()) is None
    with open(server.log_path, errors="replace") as fh:
        assert plain not in fh.read()


def test_authorisation_denied(server, sm):
    """A principal without a policy allowing it (here a container
    instance's own key) is refused before the handler runs, in AWS's words,
    on the secret's full ARN even when named by its name."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName="sm-authz")
    token, _ = berth_proc.create_token(server.endpoint, "sm-authz")
    status, out = berth_proc.register_with_token(server.endpoint, "sm-authz", token)
    assert status == 200, out
    who = out["containerInstance"]["containerInstanceArn"]
    key = berth_proc.instance_key(out)
    arn = sm.create_secret(Name="authz/s", SecretString="v")["ARN"]
    status, out = berth_proc.raw_call(server.endpoint, "GetSecretValue", {"SecretId": "authz/s"},
                                      target_prefix="secretsmanager", service="secretsmanager", key=key)
    assert (status, out["__type"]) == (400, "AccessDeniedException"), out
    assert out["message"] == ("User: %s is not authorized to perform: secretsmanager:GetSecretValue on resource: %s "
                              "because no identity-based policy allows the secretsmanager:GetSecretValue action"
                              % (who, arn))
    status, out = berth_proc.raw_call(server.endpoint, "DeleteSecret", {"SecretId": arn},
                                      target_prefix="secretsmanager", service="secretsmanager", key=key)
    assert (status, out["__type"]) == (400, "AccessDeniedException"), out
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "v"


def test_versions_without_labels_are_bounded(sm):
    """A secret keeps at most 100 versions: those without a staging label
    go, oldest first; labelled ones stay."""
    first = sm.create_secret(Name="many", SecretString="v0")["VersionId"]
    pending = sm.put_secret_value(SecretId="many", SecretString="keep", VersionStages=["KEEP"])["VersionId"]
    for i in range(1, 104):
        sm.put_secret_value(SecretId="many", SecretString="v%d" % i)
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId="many", VersionId=first)
    assert code(e) == "ResourceNotFoundException"
    assert sm.get_secret_value(SecretId="many", VersionId=pending)["SecretString"] == "keep"
    assert sm.get_secret_value(SecretId="many")["SecretString"] == "v103"
    assert sm.get_secret_value(SecretId="many", VersionStage="AWSPREVIOUS")["SecretString"] == "v102"


def test_policies_scope_secrets(server, sm):
    """A user allowed secretsmanager:GetSecretValue on app/* secrets tagged
    env=dev reads those (by name or ARN) and no other."""
    from botocore.credentials import Credentials
    iam = berth_proc.client(server.endpoint, service="iam")
    dev = sm.create_secret(Name="scoped/dev", SecretString="d", Tags=[{"Key": "env", "Value": "dev"}])["ARN"]
    sm.create_secret(Name="scoped/prod", SecretString="p", Tags=[{"Key": "env", "Value": "prod"}])
    iam.create_user(UserName="sm-reader")
    iam.put_user_policy(UserName="sm-reader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
            "Resource": "arn:aws:secretsmanager:us-east-1:000000000000:secret:scoped/*",
            "Condition": {"StringEquals": {"secretsmanager:ResourceTag/env": "dev"}}}]}))
    k = iam.create_access_key(UserName="sm-reader")["AccessKey"]
    mine = berth_proc.client(server.endpoint, service="secretsmanager",
                             key=Credentials(k["AccessKeyId"], k["SecretAccessKey"]))
    assert mine.get_secret_value(SecretId="scoped/dev")["SecretString"] == "d"
    assert mine.get_secret_value(SecretId=dev)["SecretString"] == "d"
    with pytest.raises(ClientError) as e:
        mine.get_secret_value(SecretId="scoped/prod")
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        mine.put_secret_value(SecretId="scoped/dev", SecretString="x")
    assert code(e) == "AccessDeniedException"
