"""SSM Parameter Store against a real berth server, with boto3 and the AWS
CLI v2: parameters of each type, versions, labels and selectors, paths,
filters and pages, tags, each documented error for bad input, and the
database holding no SecureString in plaintext."""
import json
import subprocess

import pytest
from botocore.exceptions import ClientError

import berth_proc


@pytest.fixture(scope="module")
def ssm(server):
    return berth_proc.client(server.endpoint, service="ssm")


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def aws_ssm(server, env, *args):
    p = subprocess.run([berth_proc.AWS_V2, "ssm", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                       env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else {}), p.stderr


def test_put_get_each_type(ssm):
    assert ssm.put_parameter(Name="/app/db/host", Value="db.internal", Type="String")["Version"] == 1
    out = ssm.put_parameter(Name="/app/db/hosts", Value="a,b,c", Type="StringList")
    assert out["Version"] == 1 and out["Tier"] == "Standard"
    ssm.put_parameter(Name="/app/db/password", Value="hunter2-secure", Type="SecureString",
                      Description="the password")
    p = ssm.get_parameter(Name="/app/db/host")["Parameter"]
    assert p["Value"] == "db.internal" and p["Type"] == "String" and p["Version"] == 1
    assert p["ARN"] == "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host"
    assert p["DataType"] == "text"
    assert ssm.get_parameter(Name="/app/db/hosts")["Parameter"]["Value"] == "a,b,c"
    enc = ssm.get_parameter(Name="/app/db/password")["Parameter"]
    assert enc["Type"] == "SecureString" and enc["Value"] != "hunter2-secure"
    dec = ssm.get_parameter(Name="/app/db/password", WithDecryption=True)["Parameter"]
    assert dec["Value"] == "hunter2-secure"
    # By ARN, and a name without a leading slash.
    assert ssm.get_parameter(Name=p["ARN"])["Parameter"]["Name"] == "/app/db/host"
    ssm.put_parameter(Name="plainname", Value="v", Type="String")
    arn = ssm.get_parameter(Name="plainname")["Parameter"]["ARN"]
    assert arn.endswith(":parameter/plainname")
    assert ssm.get_parameter(Name=arn)["Parameter"]["Value"] == "v"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/db/password"]}])
    m = meta["Parameters"][0]
    assert m["KeyId"] == "alias/aws/ssm" and m["Description"] == "the password" and m["Version"] == 1


def test_versions_labels_selectors(ssm):
    ssm.put_parameter(Name="/v/p", Value="one", Type="String")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/v/p", Value="two", Type="String")
    assert code(e) == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name="/v/p", Value="two", Overwrite=True)["Version"] == 2
    assert ssm.put_parameter(Name="/v/p", Value="three", Type="String", Overwrite=True)["Version"] == 3
    assert ssm.get_parameter(Name="/v/p")["Parameter"]["Value"] == "three"
    got = ssm.get_parameter(Name="/v/p:1")["Parameter"]
    assert got["Value"] == "one" and got["Version"] == 1 and got["Selector"] == ":1"
    out = ssm.label_parameter_version(Name="/v/p", ParameterVersion=2, Labels=["stable", "9bad", "awsx"])
    assert out["ParameterVersion"] == 2 and sorted(out["InvalidLabels"]) == ["9bad", "awsx"]
    assert ssm.get_parameter(Name="/v/p:stable")["Parameter"]["Value"] == "two"
    # A label moves to the version it is put on.
    ssm.label_parameter_version(Name="/v/p", Labels=["stable"])
    assert ssm.get_parameter(Name="/v/p:stable")["Parameter"]["Version"] == 3
    hist = ssm.get_parameter_history(Name="/v/p")["Parameters"]
    assert [h["Version"] for h in hist] == [1, 2, 3]
    assert [h["Value"] for h in hist] == ["one", "two", "three"]
    assert hist[2]["Labels"] == ["stable"] and hist[1]["Labels"] == []
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/v/p:9")
    assert code(e) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name="/v/p", ParameterVersion=7, Labels=["x"])
    assert code(e) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as e:
        ssm.label_parameter_version(Name="/v/p", ParameterVersion=1, Labels=["l%d" % i for i in range(10)])
        ssm.label_parameter_version(Name="/v/p", ParameterVersion=1, Labels=["l10"])
    assert code(e) == "ParameterVersionLabelLimitExceeded"
    out = ssm.unlabel_parameter_version(Name="/v/p", ParameterVersion=3, Labels=["stable", "nope"])
    assert out["RemovedLabels"] == ["stable"] and out["InvalidLabels"] == ["nope"]


def test_get_parameters_reports_invalid(ssm):
    ssm.put_parameter(Name="/gp/a", Value="A", Type="String")
    ssm.put_parameter(Name="/gp/s", Value="S3cret-gp", Type="SecureString")
    out = ssm.get_parameters(Names=["/gp/a", "/gp/missing", "/gp/s", "/gp/a:5"], WithDecryption=True)
    assert sorted(p["Name"] for p in out["Parameters"]) == ["/gp/a", "/gp/s"]
    assert sorted(out["InvalidParameters"]) == ["/gp/a:5", "/gp/missing"]
    assert {p["Name"]: p["Value"] for p in out["Parameters"]}["/gp/s"] == "S3cret-gp"


def test_by_path_recursive_filters_and_pages(ssm):
    for i in range(13):
        ssm.put_parameter(Name="/tree/leaf%02d" % i, Value=str(i), Type="String")
    ssm.put_parameter(Name="/tree/sub/deep", Value="d", Type="SecureString")
    one = ssm.get_parameters_by_path(Path="/tree")
    assert len(one["Parameters"]) == 10 and "NextToken" in one
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path="/tree", PaginationConfig={"PageSize": 4})
    names = [p["Name"] for page in pages for p in page["Parameters"]]
    assert names == ["/tree/leaf%02d" % i for i in range(13)]
    rec = ssm.get_paginator("get_parameters_by_path").paginate(Path="/tree/", Recursive=True, WithDecryption=True)
    params = [p for page in rec for p in page["Parameters"]]
    assert len(params) == 14 and {p["Name"]: p["Value"] for p in params}["/tree/sub/deep"] == "d"
    typed = ssm.get_parameters_by_path(Path="/tree", Recursive=True,
                                       ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
    assert [p["Name"] for p in typed["Parameters"]] == ["/tree/sub/deep"]
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path="/tree", ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert code(e) == "InvalidFilterKey"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path="/tree", NextToken="garbage!")
    assert code(e) == "InvalidNextToken"


def test_describe_filters_and_pages(ssm, server):
    for i in range(7):
        ssm.put_parameter(Name="/desc/p%d" % i, Value="x", Type="String" if i % 2 else "SecureString")
    begins = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith",
                                                        "Values": ["/desc/"]}])
    assert len(begins["Parameters"]) == 7
    eq = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": ["/desc/p3"]}])
    assert [p["Name"] for p in eq["Parameters"]] == ["/desc/p3"]
    old = ssm.describe_parameters(Filters=[{"Key": "Name", "Values": ["/desc/p"]},
                                           {"Key": "Type", "Values": ["SecureString"]}])
    assert [p["Name"] for p in old["Parameters"]] == ["/desc/p0", "/desc/p2", "/desc/p4", "/desc/p6"]
    ssm.put_parameter(Name="/desc/list", Value="a,b", Type="StringList")
    path = {"Key": "Path", "Values": ["/desc"]}
    for prefix, want in (("Secure", ["/desc/p0", "/desc/p2", "/desc/p4", "/desc/p6"]),
                         ("String", ["/desc/list", "/desc/p1", "/desc/p3", "/desc/p5"]),
                         ("StringL", ["/desc/list"])):
        got = ssm.describe_parameters(ParameterFilters=[path, {"Key": "Type", "Option": "BeginsWith",
                                                               "Values": [prefix]}])["Parameters"]
        assert sorted(p["Name"] for p in got) == want, prefix
    ssm.delete_parameter(Name="/desc/list")
    # Parameters other accounts share with this one: berth has none.
    # (Debian's botocore predates the member: sent raw.)
    for shared, count in ((True, 0), (False, 7)):
        status, out = berth_proc.raw_call(server.endpoint, "DescribeParameters",
                                          {"Shared": shared, "ParameterFilters": [path]},
                                          target_prefix="AmazonSSM", service="ssm")
        assert status == 200 and len(out["Parameters"]) == count, out
    pages = ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/desc"]}],
        PaginationConfig={"PageSize": 3})
    sizes = [len(page["Parameters"]) for page in pages]
    assert sum(sizes) == 7 and max(sizes) == 3 and len(sizes) >= 3
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Bogus", "Values": ["x"]}])
    assert code(e) == "InvalidFilterKey"
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "Sideways", "Values": ["/desc"]}])
    assert code(e) == "InvalidFilterOption"


def test_delete(ssm):
    ssm.put_parameter(Name="/del/a", Value="a", Type="String")
    ssm.put_parameter(Name="/del/b", Value="b", Type="String")
    ssm.delete_parameter(Name="/del/a")
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/del/a")
    assert code(e) == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        ssm.delete_parameter(Name="/del/a")
    assert code(e) == "ParameterNotFound"
    out = ssm.delete_parameters(Names=["/del/b", "/del/nope"])
    assert out["DeletedParameters"] == ["/del/b"] and out["InvalidParameters"] == ["/del/nope"]


def test_tags(ssm):
    ssm.put_parameter(Name="/tags/p", Value="v", Type="String", Tags=[{"Key": "team", "Value": "core"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/tags/p", Tags=[{"Key": "env", "Value": "dev"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tags/p")["TagList"]
    assert tags == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "core"}]
    tagged = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:team", "Values": ["core"]}])
    assert [p["Name"] for p in tagged["Parameters"]] == ["/tags/p"]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/tags/p", TagKeys=["team"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tags/p")["TagList"] == \
        [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tags/none")
    assert code(e) == "InvalidResourceId"
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Document", ResourceId="/tags/p")
    assert code(e) == "InvalidResourceType"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/tags/p", Value="w", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}])
    assert code(e) == "ValidationException"


def test_bad_input(ssm, server):
    raw = berth_proc.client(server.endpoint, service="ssm", validate=False)
    for name in ("awsbad", "/ssm/x", "a/b", "/bad//x", "/has space"):
        with pytest.raises(ClientError) as e:
            ssm.put_parameter(Name=name, Value="v", Type="String")
        assert code(e) == "ValidationException", name
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/big", Value="x" * 4097, Type="String")
    assert code(e) == "ValidationException"
    assert ssm.put_parameter(Name="/big", Value="x" * 4097, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    with pytest.raises(ClientError) as e:
        raw.put_parameter(Name="/t", Value="v", Type="Binary")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/notype", Value="v")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/keyed", Value="v", Type="String", KeyId="alias/mine")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/pat", Value="abc", Type="String", AllowedPattern="^[0-9]+$")
    assert code(e) == "ParameterPatternMismatchException"
    assert ssm.put_parameter(Name="/pat", Value="123", Type="String", AllowedPattern="^[0-9]+$")["Version"] == 1
    # The pattern stays with the parameter until a version replaces it.
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/pat", Value="12a", Overwrite=True)
    assert code(e) == "ParameterPatternMismatchException"
    assert ssm.put_parameter(Name="/pat", Value="125", Overwrite=True, AllowedPattern=r"^\d{3}$")["Version"] == 2
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/pat2", Value="x", Type="String", AllowedPattern="(a")
    assert code(e) == "InvalidAllowedPatternException"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/nothing/here")
    assert code(e) == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        raw.get_parameters_by_path(Path="/x", MaxResults=11)
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.list_documents()
    assert code(e) == "UnsupportedOperationException"
    assert "does not implement" in e.value.response["Error"]["Message"]


def test_expiration_policy(ssm):
    """An Expiration policy is honoured: until then the policy shows (and
    carries over to new versions); after it, the parameter is gone, as
    Parameter Store deletes it."""
    import datetime
    import time
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)
    policy = {"Type": "Expiration", "Version": "1.0",
              "Attributes": {"Timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}}
    ssm.put_parameter(Name="/exp/soon", Value="v1", Type="String", Tier="Advanced", Policies=json.dumps([policy]))
    # Without a Tier an overwrite keeps Advanced, and the policy with it.
    assert ssm.put_parameter(Name="/exp/soon", Value="v2", Type="String", Overwrite=True)["Tier"] == "Advanced"
    ssm.put_parameter(Name="/exp/kept", Value="k", Type="String", Tier="Advanced", Policies=json.dumps([policy]))
    ssm.put_parameter(Name="/exp/kept", Value="k2", Type="String", Tier="Advanced", Overwrite=True, Policies="[]")
    assert ssm.get_parameter(Name="/exp/soon")["Parameter"]["Value"] == "v2"
    meta = {p["Name"]: p for p in ssm.describe_parameters(
        ParameterFilters=[{"Key": "Path", "Values": ["/exp"]}])["Parameters"]}
    pol = meta["/exp/soon"]["Policies"]
    assert [(x["PolicyType"], x["PolicyStatus"]) for x in pol] == [("Expiration", "Pending")], pol
    assert json.loads(pol[0]["PolicyText"]) == policy
    assert meta["/exp/kept"]["Policies"] == []
    assert [h["Policies"] for h in ssm.get_parameter_history(Name="/exp/soon")["Parameters"]] == [pol, pol]
    deadline = time.time() + 30
    while time.time() < deadline and ssm.get_parameters(Names=["/exp/soon"])["Parameters"]:
        time.sleep(0.25)
    for call in (lambda: ssm.get_parameter(Name="/exp/soon"), lambda: ssm.get_parameter(Name="/exp/soon:1"),
                 lambda: ssm.get_parameter_history(Name="/exp/soon")):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/exp/soon")
    assert code(e) == "InvalidResourceId"
    assert [p["Name"] for p in ssm.get_parameters_by_path(Path="/exp")["Parameters"]] == ["/exp/kept"]
    assert [p["Name"] for p in ssm.describe_parameters(
        ParameterFilters=[{"Key": "Path", "Values": ["/exp"]}])["Parameters"]] == ["/exp/kept"]
    with pytest.raises(ClientError) as e:
        ssm.delete_parameter(Name="/exp/soon")
    assert code(e) == "ParameterNotFound"
    assert ssm.delete_parameters(Names=["/exp/soon"])["InvalidParameters"] == ["/exp/soon"]
    # Gone: the name is free again, without Overwrite, from version 1.
    assert ssm.put_parameter(Name="/exp/soon", Value="again", Type="String")["Version"] == 1


def test_intelligent_tiering_picks_the_tier(ssm):
    policy = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2099-01-01T00:00:00Z"}}]
    out = ssm.put_parameter(Name="/it/small", Value="v", Type="String", Tier="Intelligent-Tiering")
    assert out["Tier"] == "Standard"
    out = ssm.put_parameter(Name="/it/big", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")
    assert out["Tier"] == "Advanced"
    out = ssm.put_parameter(Name="/it/policy", Value="v", Type="String", Tier="Intelligent-Tiering",
                            Policies=json.dumps(policy))
    assert out["Tier"] == "Advanced"
    tiers = {p["Name"]: p["Tier"] for p in ssm.describe_parameters(
        ParameterFilters=[{"Key": "Path", "Values": ["/it"]}])["Parameters"]}
    assert tiers == {"/it/small": "Standard", "/it/big": "Advanced", "/it/policy": "Advanced"}


@pytest.mark.parametrize("policies, tier, error", [
    ([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "30", "Unit": "Days"}}],
     "Advanced", "InvalidPolicyTypeException"),
    ([{"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "15", "Unit": "Days"}}],
     "Advanced", "InvalidPolicyTypeException"),
    ([{"Type": "Rotation", "Version": "1.0"}], "Advanced", "InvalidPolicyTypeException"),
    ([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2020-01-01T00:00:00Z"}}],
     "Advanced", "InvalidPolicyAttributeException"),
    ([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "soon"}}],
     "Advanced", "InvalidPolicyAttributeException"),
    ([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2099-01-01T00:00:00Z"}}] * 2,
     "Advanced", "IncompatiblePolicyException"),
    ([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2099-01-01T00:00:00Z"}}] * 11,
     "Advanced", "PoliciesLimitExceededException"),
    ("not json", "Advanced", "InvalidPolicyAttributeException"),
    ([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2099-01-01T00:00:00Z"}}],
     "Standard", "ValidationException"),
])
def test_bad_policies(ssm, policies, tier, error):
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name="/badpol/p", Value="v", Type="String", Tier=tier,
                          Policies=policies if isinstance(policies, str) else json.dumps(policies))
    assert code(e) == error, e.value
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/badpol/p")
    assert code(e) == "ParameterNotFound"


def test_cli(server, aws_env):
    rc, out, err = aws_ssm(server, aws_env, "put-parameter", "--name", "/cli/token", "--value", "cli-s3cr3t",
                           "--type", "SecureString", "--key-id", "alias/custom")
    assert rc == 0, err
    assert out["Version"] == 1
    rc, out, err = aws_ssm(server, aws_env, "get-parameter", "--name", "/cli/token", "--with-decryption")
    assert rc == 0 and out["Parameter"]["Value"] == "cli-s3cr3t", err
    rc, out, err = aws_ssm(server, aws_env, "get-parameters-by-path", "--path", "/cli", "--with-decryption")
    assert rc == 0 and [p["Value"] for p in out["Parameters"]] == ["cli-s3cr3t"], err
    rc, out, err = aws_ssm(server, aws_env, "describe-parameters", "--parameter-filters",
                           "Key=Name,Values=/cli/token")
    assert rc == 0 and out["Parameters"][0]["KeyId"] == "alias/custom", err
    rc, out, err = aws_ssm(server, aws_env, "put-parameter", "--name", "/cli/token", "--value", "x",
                           "--type", "String")
    assert rc != 0 and "ParameterAlreadyExists" in err
    rc, out, err = aws_ssm(server, aws_env, "get-parameter", "--name", "/cli/missing")
    assert rc != 0 and "ParameterNotFound" in err


def test_database_holds_no_plaintext(server, ssm):
    plain = "Pl4intext-SecureString-Marker-7781"
    ssm.put_parameter(Name="/leak/check", Value=plain, Type="SecureString")
    ssm.put_parameter(Name="/leak/check", Value=plain + "-v2", Type="SecureString", Overwrite=True)
    assert ssm.get_parameter(Name="/leak/check", WithDecryption=True)["Parameter"]["Value"] == plain + "-v2"
    assert server.store_holds(plain.encode()) is None
    with open(server.log_path, errors="replace") as fh:
        assert plain not in fh.read()


def test_authorisation_denied(server, ssm):
    """A principal without a policy allowing it (here a container
    instance's own key) is refused before the handler runs, in AWS's words,
    on the parameter's ARN."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName="ssm-authz")
    token, _ = berth_proc.create_token(server.endpoint, "ssm-authz")
    status, out = berth_proc.register_with_token(server.endpoint, "ssm-authz", token)
    assert status == 200, out
    who = out["containerInstance"]["containerInstanceArn"]
    key = berth_proc.instance_key(out)
    ssm.put_parameter(Name="/authz/p", Value="v", Type="SecureString")
    arn = "arn:aws:ssm:us-east-1:000000000000:parameter/authz/p"
    status, out = berth_proc.raw_call(server.endpoint, "GetParameter", {"Name": "/authz/p:1"},
                                      target_prefix="AmazonSSM", service="ssm", key=key)
    assert (status, out["__type"]) == (400, "AccessDeniedException"), out
    assert out["message"] == ("User: %s is not authorized to perform: ssm:GetParameter on resource: %s because no "
                              "identity-based policy allows the ssm:GetParameter action" % (who, arn))
    status, out = berth_proc.raw_call(server.endpoint, "PutParameter",
                                      {"Name": "/authz/p", "Value": "w", "Overwrite": True},
                                      target_prefix="AmazonSSM", service="ssm", key=key)
    assert (status, out["__type"]) == (400, "AccessDeniedException"), out
    assert ssm.get_parameter(Name="/authz/p", WithDecryption=True)["Parameter"]["Value"] == "v"


def iam_user(server, name, statements):
    """An IAM user whose one inline policy has statements: its key."""
    from botocore.credentials import Credentials
    iam = berth_proc.client(server.endpoint, service="iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def test_policies_scope_parameters(server, ssm):
    """A user allowed ssm:GetParameter* on /team/* reads those, by name,
    selector or path, and nothing else; PutParameter needs its own grant."""
    for name in ("/team/a", "/other/b"):
        ssm.put_parameter(Name=name, Value="v-" + name, Type="SecureString", Tags=[{"Key": "owner", "Value": "x"}])
    prefix = "arn:aws:ssm:us-east-1:000000000000:parameter/"
    key = iam_user(server, "ssm-reader", [
        {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
         "Resource": prefix + "team/*"},
        {"Effect": "Allow", "Action": "ssm:GetParametersByPath", "Resource": prefix + "team"}])
    mine = berth_proc.client(server.endpoint, service="ssm", key=key)
    assert mine.get_parameter(Name="/team/a:1", WithDecryption=True)["Parameter"]["Value"] == "v-/team/a"
    assert [p["Name"] for p in mine.get_parameters_by_path(Path="/team")["Parameters"]] == ["/team/a"]
    with pytest.raises(ClientError) as e:
        mine.get_parameter(Name="/other/b")
    assert code(e) == "AccessDeniedException"
    assert prefix + "other/b" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        mine.get_parameters(Names=["/team/a", "/other/b"])
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        mine.put_parameter(Name="/team/a", Value="w", Overwrite=True)
    assert code(e) == "AccessDeniedException"
