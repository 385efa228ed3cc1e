"""IAM and STS (issue 16) on the AWS query protocol, against a real server:
boto3's iam/sts clients and `/usr/bin/aws iam|sts` unchanged.  Users and
their access keys (a new key signs at once; an inactive or deleted one is
refused), inline and managed policies, roles with trust policies,
AssumeRole credentials with a session token, paging with Marker, and the
errors IAM documents (NoSuchEntity, EntityAlreadyExists, LimitExceeded,
MalformedPolicyDocument, DeleteConflict) in the query protocol's XML."""
import json
import os
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import berth_proc
from berth_proc import ROOT_KEY, err_code

ACCOUNT = "000000000000"
ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def trust(*principals):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def iam(server):
    return berth_proc.client(server.endpoint, service="iam")


def sts_for(server, key=ROOT_KEY, token=None):
    c = berth_proc.client(server.endpoint, service="sts", key=key)
    if token:
        c = session_client(server, "sts", key, token)
    return c


def session_client(server, service, key, token):
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url=server.endpoint, region_name=berth_proc.REGION,
                        aws_access_key_id=key.access_key, aws_secret_access_key=key.secret_key,
                        aws_session_token=token, config=Config(retries={"max_attempts": 1}))


def new_user_key(iam, name):
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(k["AccessKeyId"], k["SecretAccessKey"])


def query_call(endpoint, params, service="iam", key=ROOT_KEY, signed=True):
    """POST a form body as the query protocol does; (status, XML root)."""
    body = urllib.parse.urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    status, _, text = berth_proc.post(endpoint, body, headers, signed=signed, key=key, service=service)
    return status, ET.fromstring(text)


def xml_error(root):
    ns = {"": root.tag[1:].split("}")[0]} if root.tag.startswith("{") else {}
    e = root.find("Error", ns)
    return e.find("Type", ns).text, e.find("Code", ns).text, e.find("Message", ns).text


def aws(server, tmp_path, *args, key=ROOT_KEY, check=True):
    if not os.access(berth_proc.AWS_V2, os.X_OK):
        pytest.skip("AWS CLI v2 is not installed at /usr/bin/aws")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    p = subprocess.run([berth_proc.AWS_V2, *args, "--endpoint-url", server.endpoint, "--output", "json"],
                       env=berth_proc.aws_cli_env(home, key=key), capture_output=True, text=True, timeout=60)
    if check:
        assert p.returncode == 0, "aws %s: %s" % (" ".join(args), p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else {}
    return p


# ---- users and access keys -------------------------------------------------------------

def test_a_new_users_key_signs_at_once(server, iam):
    user = iam.create_user(UserName="alice", Path="/team/")["User"]
    assert user["Arn"] == "arn:aws:iam::%s:user/team/alice" % ACCOUNT
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert user["Path"] == "/team/" and user["CreateDate"].year >= 2024
    k = iam.create_access_key(UserName="alice")["AccessKey"]
    assert k["AccessKeyId"].startswith("AKIA") and len(k["AccessKeyId"]) == 20 and len(k["SecretAccessKey"]) == 40
    assert k["Status"] == "Active" and k["UserName"] == "alice"
    key = Credentials(k["AccessKeyId"], k["SecretAccessKey"])
    # Accepted: the key is known (authorisation may still say no).
    try:
        berth_proc.client(server.endpoint, key=key).list_clusters()
    except ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDeniedException"
    me = sts_for(server, key).get_caller_identity()
    assert me["Arn"] == user["Arn"] and me["UserId"] == user["UserId"] and me["Account"] == ACCOUNT
    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [m["AccessKeyId"] for m in listed] == [k["AccessKeyId"]]
    assert "SecretAccessKey" not in listed[0]


def test_inactive_and_deleted_keys_are_refused(server, iam):
    key = new_user_key(iam, "bob")
    sts = sts_for(server, key)
    assert sts.get_caller_identity()["Arn"].endswith(":user/bob")
    iam.update_access_key(UserName="bob", AccessKeyId=key.access_key, Status="Inactive")
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err_code(e) == "InvalidClientTokenId"
    with pytest.raises(ClientError) as e:
        berth_proc.client(server.endpoint, key=key).list_clusters()
    assert err_code(e) == "UnrecognizedClientException"
    assert iam.list_access_keys(UserName="bob")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    iam.update_access_key(UserName="bob", AccessKeyId=key.access_key, Status="Active")
    assert sts.get_caller_identity()["Arn"].endswith(":user/bob")
    iam.delete_access_key(UserName="bob", AccessKeyId=key.access_key)
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err_code(e) == "InvalidClientTokenId"
    with pytest.raises(ClientError) as e:
        iam.delete_access_key(UserName="bob", AccessKeyId=key.access_key)
    assert err_code(e) == "NoSuchEntity"


def test_a_third_key_exceeds_the_limit(iam):
    iam.create_user(UserName="carol")
    iam.create_access_key(UserName="carol")
    iam.create_access_key(UserName="carol")
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="carol")
    assert err_code(e) == "LimitExceeded"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_no_such_entity_and_already_exists(iam):
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="nobody")
    assert err_code(e) == "NoSuchEntity"
    assert e.value.response["Error"]["Message"] == "The user with name nobody cannot be found."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    iam.create_user(UserName="dave")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="DAVE")  # IAM names ignore case
    assert err_code(e) == "EntityAlreadyExists"
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="bad/name")
    assert err_code(e) == "ValidationError"


def test_delete_user_conflicts_while_it_has_keys_or_policies(iam):
    iam.create_user(UserName="erin")
    k = iam.create_access_key(UserName="erin")["AccessKey"]
    iam.put_user_policy(UserName="erin", PolicyName="p", PolicyDocument=ALLOW_ALL)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="erin")
    assert err_code(e) == "DeleteConflict"
    iam.delete_access_key(UserName="erin", AccessKeyId=k["AccessKeyId"])
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="erin")
    assert err_code(e) == "DeleteConflict"
    iam.delete_user_policy(UserName="erin", PolicyName="p")
    iam.delete_user(UserName="erin")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="erin")
    assert err_code(e) == "NoSuchEntity"


def test_list_users_pages_with_marker(iam):
    for i in range(5):
        iam.create_user(UserName="page-%d" % i, Path="/paged/")
    pages = list(iam.get_paginator("list_users").paginate(PathPrefix="/paged/", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert pages[0]["IsTruncated"] and pages[0]["Marker"]
    assert [u["UserName"] for p in pages for u in p["Users"]] == ["page-%d" % i for i in range(5)]


# ---- policies ----------------------------------------------------------------------------

def test_inline_user_policy_round_trip_and_malformed(iam):
    iam.create_user(UserName="frank")
    iam.put_user_policy(UserName="frank", PolicyName="all", PolicyDocument=ALLOW_ALL)
    got = iam.get_user_policy(UserName="frank", PolicyName="all")
    assert got["PolicyDocument"] == json.loads(ALLOW_ALL)  # botocore decodes IAM's URL-encoded document
    assert iam.list_user_policies(UserName="frank")["PolicyNames"] == ["all"]
    for bad in ("{not json", json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]})):
        with pytest.raises(ClientError) as e:
            iam.put_user_policy(UserName="frank", PolicyName="bad", PolicyDocument=bad)
        assert err_code(e) == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName="frank", PolicyName="missing")
    assert err_code(e) == "NoSuchEntity"


def test_managed_policy_versions_and_attachments(iam):
    arn = iam.create_policy(PolicyName="ecs-read", Path="/app/", PolicyDocument=ALLOW_ALL)["Policy"]["Arn"]
    assert arn == "arn:aws:iam::%s:policy/app/ecs-read" % ACCOUNT
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="ecs-read", PolicyDocument=ALLOW_ALL)
    assert err_code(e) == "EntityAlreadyExists"
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_ALL)
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_ALL)
    assert err_code(e) == "LimitExceeded"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v1"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert got["IsDefaultVersion"] and got["Document"] == json.loads(ALLOW_ALL)
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert err_code(e) == "DeleteConflict"
    iam.create_user(UserName="gina")
    iam.attach_user_policy(UserName="gina", PolicyArn=arn)
    assert iam.list_attached_user_policies(UserName="gina")["AttachedPolicies"] == [
        {"PolicyName": "ecs-read", "PolicyArn": arn}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["gina"]
    assert entities["PolicyRoles"] == [] and entities["PolicyGroups"] == []
    assert [p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]] == [arn]
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert err_code(e) == "DeleteConflict"
    iam.detach_user_policy(UserName="gina", PolicyArn=arn)
    for v in ("v1", "v2", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert err_code(e) == "NoSuchEntity"


def test_groups_members_and_policies(iam):
    iam.create_group(GroupName="devs")
    iam.create_user(UserName="hank")
    iam.add_user_to_group(GroupName="devs", UserName="hank")
    assert [u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]] == ["hank"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="hank")["Groups"]] == ["devs"]
    iam.put_group_policy(GroupName="devs", PolicyName="all", PolicyDocument=ALLOW_ALL)
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="devs")
    assert err_code(e) == "DeleteConflict"


# ---- roles and STS --------------------------------------------------------------------------

def test_assume_role_as_root_gives_working_session_credentials(server, iam):
    role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % ACCOUNT),
                           Description="deploys")["Role"]
    assert role["RoleId"].startswith("AROA") and role["MaxSessionDuration"] == 3600
    assert iam.get_role(RoleName="deployer")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == \
        "sts:AssumeRole"
    out = sts_for(server).assume_role(RoleArn=role["Arn"], RoleSessionName="ci", DurationSeconds=900)
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and c["SessionToken"]
    assert out["AssumedRoleUser"] == {"Arn": "arn:aws:sts::%s:assumed-role/deployer/ci" % ACCOUNT,
                                      "AssumedRoleId": role["RoleId"] + ":ci"}
    key = Credentials(c["AccessKeyId"], c["SecretAccessKey"])
    me = session_client(server, "sts", key, c["SessionToken"]).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"] and me["UserId"] == role["RoleId"] + ":ci"
    try:
        session_client(server, "ecs", key, c["SessionToken"]).list_clusters()
    except ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        session_client(server, "sts", key, c["SessionToken"][:-4] + "AAAA").get_caller_identity()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
    with pytest.raises(ClientError) as e:
        sts_for(server, key).get_caller_identity()  # the token is part of the credentials
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)


def test_assume_role_needs_trust_and_identity_policy(server, iam):
    ivan = new_user_key(iam, "ivan")
    judy = new_user_key(iam, "judy")
    arn = iam.create_role(RoleName="only-ivan",
                          AssumeRolePolicyDocument=trust("arn:aws:iam::%s:user/ivan" % ACCOUNT))["Role"]["Arn"]
    # Trusted, but ivan's own policies do not allow sts:AssumeRole yet.
    with pytest.raises(ClientError) as e:
        sts_for(server, ivan).assume_role(RoleArn=arn, RoleSessionName="s1")
    assert err_code(e) == "AccessDenied"
    for user in ("ivan", "judy"):
        iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn}]}))
    assert sts_for(server, ivan).assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]["SessionToken"]
    with pytest.raises(ClientError) as e:
        sts_for(server, judy).assume_role(RoleArn=arn, RoleSessionName="s1")
    assert err_code(e) == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as e:
        sts_for(server).assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=7200)
    assert err_code(e) == "AccessDenied"  # root is not named by this trust policy
    with pytest.raises(ClientError) as e:
        sts_for(server).assume_role(RoleArn="arn:aws:iam::%s:role/none" % ACCOUNT, RoleSessionName="s1")
    assert err_code(e) == "AccessDenied"


def test_trust_policy_conditions(server, iam):
    """A trust policy's Condition is evaluated (sts:ExternalId, as a third
    party's role asks for it); an operator berth cannot evaluate is refused
    when the policy is written, not ignored."""
    doc = json.loads(trust("arn:aws:iam::%s:root" % ACCOUNT))
    doc["Statement"][0]["Condition"] = {"StringEquals": {"sts:ExternalId": "ext-7f3a"},
                                        "StringLike": {"sts:RoleSessionName": "ci-*"}}
    arn = iam.create_role(RoleName="third-party", AssumeRolePolicyDocument=json.dumps(doc))["Role"]["Arn"]
    out = sts_for(server).assume_role(RoleArn=arn, RoleSessionName="ci-1", ExternalId="ext-7f3a")
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::%s:assumed-role/third-party/ci-1" % ACCOUNT
    for kwargs in ({"RoleSessionName": "ci-1"}, {"RoleSessionName": "ci-1", "ExternalId": "ext-0000"},
                   {"RoleSessionName": "dev-1", "ExternalId": "ext-7f3a"}):
        with pytest.raises(ClientError) as e:
            sts_for(server).assume_role(RoleArn=arn, **kwargs)
        assert err_code(e) == "AccessDenied", kwargs
    doc["Statement"][0]["Condition"] = {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName="third-party", PolicyDocument=json.dumps(doc))
    assert err_code(e) == "MalformedPolicyDocument" and "NumericLessThan" in str(e.value)


def test_role_delete_conflict_and_trust_update(iam):
    iam.create_role(RoleName="r1", AssumeRolePolicyDocument=trust(ACCOUNT))
    iam.put_role_policy(RoleName="r1", PolicyName="p", PolicyDocument=ALLOW_ALL)
    assert iam.list_role_policies(RoleName="r1")["PolicyNames"] == ["p"]
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName="r1")
    assert err_code(e) == "DeleteConflict"
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName="r1", PolicyDocument=json.dumps({"Statement": [{"Effect": "Allow"}]}))
    assert err_code(e) == "MalformedPolicyDocument"
    iam.update_assume_role_policy(RoleName="r1", PolicyDocument=trust("*"))
    iam.update_role(RoleName="r1", MaxSessionDuration=7200)
    role = iam.update_role_description(RoleName="r1", Description="build things")["Role"]
    assert role["MaxSessionDuration"] == 7200 and role["Description"] == "build things"
    assert iam.get_role(RoleName="r1")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": ["*"]}
    iam.delete_role_policy(RoleName="r1", PolicyName="p")
    iam.delete_role(RoleName="r1")
    assert "r1" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_get_session_token(server, iam):
    key = new_user_key(iam, "kate")
    c = sts_for(server, key).get_session_token(DurationSeconds=900)["Credentials"]
    me = session_client(server, "sts", Credentials(c["AccessKeyId"], c["SecretAccessKey"]),
                        c["SessionToken"]).get_caller_identity()
    assert me["Arn"].endswith(":user/kate")
    # Session credentials cannot mint more sessions (STS refuses the same).
    sts = session_client(server, "sts", Credentials(c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"])
    with pytest.raises(ClientError) as e:
        sts.get_session_token(DurationSeconds=900)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert "session credentials" in e.value.response["Error"]["Message"]


# ---- the protocol ------------------------------------------------------------------------------

def test_unknown_and_unimplemented_actions(server):
    status, root = query_call(server.endpoint, {"Action": "FlyToTheMoon", "Version": "2010-05-08"})
    assert status == 400 and xml_error(root)[:2] == ("Sender", "InvalidAction")
    status, root = query_call(server.endpoint, {"Action": "ListAccountAliases", "Version": "2010-05-08"})
    assert status == 400 and xml_error(root)[1] == "NotImplemented"
    status, root = query_call(server.endpoint, {"Action": "GetUser", "Version": "2010-05-08", "UserName": "x"},
                              signed=False)
    assert status == 403 and xml_error(root)[1] == "MissingAuthenticationToken"


def test_authentication_errors_use_query_codes(server):
    status, root = query_call(server.endpoint, {"Action": "ListUsers", "Version": "2010-05-08"},
                              key=berth_proc.new_key())
    assert (status, xml_error(root)[1]) == (403, "InvalidClientTokenId")
    wrong = Credentials(ROOT_KEY.access_key, berth_proc.new_key().secret_key)
    status, root = query_call(server.endpoint, {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                              service="sts", key=wrong)
    assert (status, xml_error(root)[1]) == (403, "SignatureDoesNotMatch")


def test_aws_cli_iam_and_sts(server, tmp_path):
    user = aws(server, tmp_path, "iam", "create-user", "--user-name", "cli-user")["User"]
    assert user["Arn"].endswith(":user/cli-user")
    assert "cli-user" in [u["UserName"] for u in aws(server, tmp_path, "iam", "list-users")["Users"]]
    k = aws(server, tmp_path, "iam", "create-access-key", "--user-name", "cli-user")["AccessKey"]
    key = Credentials(k["AccessKeyId"], k["SecretAccessKey"])
    assert aws(server, tmp_path, "sts", "get-caller-identity", key=key)["Arn"] == user["Arn"]
    p = aws(server, tmp_path, "iam", "get-user", "--user-name", "missing", check=False)
    assert p.returncode != 0 and "NoSuchEntity" in p.stderr
    p = aws(server, tmp_path, "iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "x",
            "--policy-document", "{}", check=False)
    assert p.returncode != 0 and "MalformedPolicyDocument" in p.stderr


def test_keys_and_identities_survive_a_restart(fresh_server):
    iam = berth_proc.client(fresh_server.endpoint, service="iam")
    key = new_user_key(iam, "lasting")
    fresh_server.restart()
    assert sts_for(fresh_server, key).get_caller_identity()["Arn"].endswith(":user/lasting")


def test_group_and_role_policies_authorise_requests(server, iam):
    """identity_policies_load end to end: a group's attached managed policy
    lets its member call ECS, until detached; a role session has its
    role's policies."""
    key = new_user_key(iam, "mallory")
    ecs = berth_proc.client(server.endpoint, key=key)
    with pytest.raises(ClientError) as e:
        ecs.list_clusters()
    assert err_code(e) == "AccessDeniedException"
    arn = iam.create_policy(PolicyName="list-clusters", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ecs:ListClusters", "sts:AssumeRole"], "Resource": "*"}]}))[
        "Policy"]["Arn"]
    iam.create_group(GroupName="listers")
    iam.add_user_to_group(GroupName="listers", UserName="mallory")
    iam.attach_group_policy(GroupName="listers", PolicyArn=arn)
    assert "clusterArns" in ecs.list_clusters()
    role = iam.create_role(RoleName="lister", AssumeRolePolicyDocument=trust(ACCOUNT))["Role"]
    iam.attach_role_policy(RoleName="lister", PolicyArn=arn)
    c = sts_for(server, key).assume_role(RoleArn=role["Arn"], RoleSessionName="m1")["Credentials"]
    session = session_client(server, "ecs", Credentials(c["AccessKeyId"], c["SecretAccessKey"]), c["SessionToken"])
    assert "clusterArns" in session.list_clusters()
    iam.detach_group_policy(GroupName="listers", PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        ecs.list_clusters()
    assert err_code(e) == "AccessDeniedException"
    iam.detach_role_policy(RoleName="lister", PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        session.list_clusters()
    assert err_code(e) == "AccessDeniedException"


def test_policies_name_users_by_their_path(server, iam):
    """A policy on arn:...:user/team/* covers a user created under /team/."""
    iam.create_user(UserName="nina", Path="/team/")
    iam.create_user(UserName="oscar")
    key = new_user_key(iam, "pat")
    iam.put_user_policy(UserName="pat", PolicyName="team-keys", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListAccessKeys",
                                                "Resource": "arn:aws:iam::%s:user/team/*" % ACCOUNT}]}))
    pat = berth_proc.client(server.endpoint, service="iam", key=key)
    assert pat.list_access_keys(UserName="nina")["AccessKeyMetadata"] == []
    with pytest.raises(ClientError) as e:
        pat.list_access_keys(UserName="oscar")
    assert err_code(e) == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
