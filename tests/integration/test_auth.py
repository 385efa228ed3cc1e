"""Authentication (issue 16): every request but GET /healthz is SigV4-signed,
and the server answers exactly as the contract's table says
(status, __type, message); the root key comes from BERTH_ROOT_* on the first
start or is made into DATA/credentials, and stays the same afterwards."""
import configparser
import datetime
import json
import os
import re
import stat
import subprocess
import urllib.error
import urllib.request

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import berth_proc
from berth_proc import ROOT_KEY, raw_call

MISSING = ("MissingAuthenticationTokenException", "Missing Authentication Token")
UNRECOGNIZED = ("UnrecognizedClientException", "The security token included in the request is invalid.")
MISMATCH = ("InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.")

# One call per protocol berth serves: ECS, CloudWatch Logs, its agent's.
CALLS = [("ListClusters", {}, berth_proc.ECS_TARGET),
         ("DescribeLogGroups", {}, berth_proc.LOGS_TARGET),
         ("PollTasks", {"cluster": "none", "agentId": "none", "since": 0, "waitSeconds": 0},
          berth_proc.AGENT_TARGET)]


def error(status_body):
    status, body = status_body
    assert isinstance(body, dict), body
    return status, body.get("__type"), body.get("message")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def aws_cli(endpoint, env, *args):
    if not os.access(berth_proc.AWS_V2, os.X_OK):
        pytest.skip("AWS CLI v2 is not installed at /usr/bin/aws")
    return subprocess.run([berth_proc.AWS_V2, "ecs", *args, "--endpoint-url", endpoint, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)


# ---- the table ------------------------------------------------------------------

@pytest.mark.parametrize("action,body,prefix", CALLS, ids=["ecs", "logs", "agent"])
def test_unsigned_request_is_403_missing_token(server, action, body, prefix):
    assert error(raw_call(server.endpoint, action, body, target_prefix=prefix, signed=False)) == (403,) + MISSING


def test_a_date_alone_is_no_signature(server):
    now = utcnow().strftime("%Y%m%dT%H%M%SZ")
    got = raw_call(server.endpoint, "ListClusters", {}, signed=False, headers={"X-Amz-Date": now})
    assert error(got) == (403,) + MISSING


def test_basic_authorization_is_400_incomplete_signature(server):
    status, typ, msg = error(raw_call(server.endpoint, "ListClusters", {}, signed=False,
                                      headers={"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}))
    assert (status, typ) == (400, "IncompleteSignatureException")
    assert msg


def test_unparseable_sigv4_authorization_is_400_incomplete_signature(server):
    now = utcnow().strftime("%Y%m%dT%H%M%SZ")
    status, typ, msg = error(raw_call(server.endpoint, "ListClusters", {}, signed=False, headers={
        "Authorization": "AWS4-HMAC-SHA256 garbage", "X-Amz-Date": now}))
    assert (status, typ) == (400, "IncompleteSignatureException")
    assert msg


def test_signature_without_a_date_is_400_incomplete_signature(server):
    headers = {"Content-Type": "application/x-amz-json-1.1",
               "X-Amz-Target": berth_proc.ECS_TARGET + ".ListClusters"}
    _, signed = berth_proc.sign("POST", server.endpoint + "/", headers, b"{}")
    del signed["X-Amz-Date"]
    status, typ, msg = error(raw_call(server.endpoint, None, b"{}", signed=False, only_headers=True,
                                      headers=signed))
    assert (status, typ) == (400, "IncompleteSignatureException")
    assert msg


@pytest.mark.parametrize("action,body,prefix", CALLS, ids=["ecs", "logs", "agent"])
def test_unknown_access_key_is_400_unrecognized_client(server, action, body, prefix):
    got = raw_call(server.endpoint, action, body, target_prefix=prefix, key=berth_proc.new_key())
    assert error(got) == (400,) + UNRECOGNIZED


@pytest.mark.parametrize("action,body,prefix", CALLS, ids=["ecs", "logs", "agent"])
def test_wrong_secret_is_400_invalid_signature(server, action, body, prefix):
    wrong = Credentials(ROOT_KEY.access_key, berth_proc.new_key().secret_key)
    got = raw_call(server.endpoint, action, body, target_prefix=prefix, key=wrong)
    assert error(got) == (400,) + MISMATCH


def test_changed_body_is_400_invalid_signature(server):
    headers = {"Content-Type": "application/x-amz-json-1.1",
               "X-Amz-Target": berth_proc.ECS_TARGET + ".CreateCluster"}
    _, signed = berth_proc.sign("POST", server.endpoint + "/", headers, b'{"clusterName":"signed"}')
    got = raw_call(server.endpoint, None, b'{"clusterName":"sent"}', signed=False, only_headers=True,
                   headers=signed)
    assert error(got) == (400,) + MISMATCH
    assert not any(a.endswith("/sent") for a in berth_proc.client(server.endpoint).list_clusters()["clusterArns"])


def test_signed_20_minutes_ago_is_expired(server):
    status, typ, msg = error(raw_call(server.endpoint, "ListClusters", {},
                                      at=utcnow() - datetime.timedelta(minutes=20)))
    assert (status, typ) == (400, "InvalidSignatureException")
    assert msg.startswith("Signature expired"), msg


def test_signed_20_minutes_ahead_is_not_yet_current(server):
    status, typ, msg = error(raw_call(server.endpoint, "ListClusters", {},
                                      at=utcnow() + datetime.timedelta(minutes=20)))
    assert (status, typ) == (400, "InvalidSignatureException")
    assert msg.startswith("Signature not yet current"), msg


def test_clock_skew_within_15_minutes_is_accepted(server):
    for minutes in (-10, 10):
        status, body = raw_call(server.endpoint, "ListClusters", {},
                                at=utcnow() + datetime.timedelta(minutes=minutes))
        assert status == 200 and "clusterArns" in body, (minutes, body)


# ---- what is accepted ---------------------------------------------------------------

def test_presigned_query_form_is_accepted(server):
    status, body = raw_call(server.endpoint, "ListClusters", {}, presign=True)
    assert status == 200 and "clusterArns" in body, body
    wrong = Credentials(ROOT_KEY.access_key, berth_proc.new_key().secret_key)
    assert error(raw_call(server.endpoint, "ListClusters", {}, presign=True, key=wrong)) == (400,) + MISMATCH


def send(url, headers, body):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_presigned_url_cannot_carry_a_body(server):
    # The URL signs ListClusters with no input; a body sent with it is not
    # covered by the signature, so it is refused rather than obeyed.
    url, headers = berth_proc.sign("POST", server.endpoint + "/", {
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": berth_proc.ECS_TARGET + ".ListClusters"},
        b"", presign=True)
    status, body = send(url, headers, b'{"maxResults": 1}')
    assert status == 400 and body["__type"] == "InvalidSignatureException", body
    assert "presigned" in body["message"]


def test_the_target_header_must_be_signed(server):
    # Signed for ListClusters, then the action swapped: the target must be
    # among SignedHeaders, in both forms.
    for presign in (False, True):
        url, headers = berth_proc.sign("POST", server.endpoint + "/", {
            "Content-Type": "application/x-amz-json-1.1"}, b"" if presign else b"{}", presign=presign)
        headers["X-Amz-Target"] = berth_proc.ECS_TARGET + ".DeleteCluster"
        status, body = send(url, headers, b"" if presign else b"{}")
        assert (status, body["__type"]) == (400, "IncompleteSignatureException"), body
        assert "X-Amz-Target" in body["message"]


def test_an_unsigned_payload_is_refused(server):
    url, headers = berth_proc.sign("POST", server.endpoint + "/", {
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": berth_proc.ECS_TARGET + ".ListClusters",
        "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, b"{}")
    status, body = send(url, headers, b'{"maxResults": 1}')
    assert (status, body["__type"]) == (400, "InvalidSignatureException"), body
    assert "UNSIGNED-PAYLOAD" in body["message"]


def test_healthz_needs_no_signature(server):
    with urllib.request.urlopen(server.endpoint + "/healthz", timeout=10) as r:
        assert r.status == 200


def test_boto3_with_the_root_key(server):
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName="signed")
    assert any(a.endswith(":cluster/signed") for a in ecs.list_clusters()["clusterArns"])
    berth_proc.client(server.endpoint, service="logs").describe_log_groups()
    with pytest.raises(ClientError) as e:
        berth_proc.client(server.endpoint, key=berth_proc.new_key()).list_clusters()
    assert berth_proc.err_code(e) == UNRECOGNIZED[0]


def test_the_region_is_the_credential_scopes(server):
    west = berth_proc.client(server.endpoint, region="us-west-2")
    arn = west.create_cluster(clusterName="auth-west")["cluster"]["clusterArn"]
    assert arn.startswith("arn:aws:ecs:us-west-2:")


def test_aws_cli_with_the_root_key(server, tmp_path):
    p = aws_cli(server.endpoint, berth_proc.aws_cli_env(tmp_path), "list-clusters")
    assert p.returncode == 0, p.stderr
    wrong = Credentials(ROOT_KEY.access_key, berth_proc.new_key().secret_key)
    p = aws_cli(server.endpoint, berth_proc.aws_cli_env(tmp_path, key=wrong), "list-clusters")
    assert p.returncode != 0 and "InvalidSignatureException" in p.stderr, p.stderr


# ---- where the root key comes from ----------------------------------------------------

def generated_key(data_dir):
    """The key in DATA/credentials, checked for the contract's shape."""
    path = os.path.join(data_dir, "credentials")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    cp = configparser.ConfigParser()
    assert cp.read(path) == [path]
    assert cp.sections() == ["berth"]
    kid, secret = cp["berth"]["aws_access_key_id"], cp["berth"]["aws_secret_access_key"]
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", kid), kid
    assert re.fullmatch(r"[A-Za-z0-9/+]{40}", secret)
    return path, Credentials(kid, secret)


def test_without_env_the_server_makes_its_key_into_data_credentials(tmp_path):
    srv = berth_proc.BerthServer(tmp_path / "data", tmp_path / "server.log", root_key=None)
    os.makedirs(srv.data_dir)
    srv.start()
    try:
        path, key = generated_key(srv.data_dir)
        assert key.access_key != ROOT_KEY.access_key
        p = aws_cli(srv.endpoint, berth_proc.aws_cli_env(tmp_path, key=None, AWS_SHARED_CREDENTIALS_FILE=path,
                                                         AWS_PROFILE="berth"), "list-clusters")
        assert p.returncode == 0, p.stderr
        assert berth_proc.client(srv.endpoint, key=key).list_clusters()["clusterArns"] == []
        # The session's root key is not this server's.
        assert error(raw_call(srv.endpoint, "ListClusters", {})) == (400,) + UNRECOGNIZED
    finally:
        srv.stop()


def test_a_restarted_server_keeps_its_generated_key(tmp_path):
    srv = berth_proc.BerthServer(tmp_path / "data", tmp_path / "server.log", root_key=None)
    os.makedirs(srv.data_dir)
    srv.start()
    try:
        path, key = generated_key(srv.data_dir)
        with open(path) as f:
            before = f.read()
        srv.stop()
        other = berth_proc.new_key()
        srv.root_key = other  # ignored: the data dir has its key
        srv.start()
        with open(path) as f:
            assert f.read() == before
        assert raw_call(srv.endpoint, "ListClusters", {}, key=key)[0] == 200
        assert error(raw_call(srv.endpoint, "ListClusters", {}, key=other)) == (400,) + UNRECOGNIZED
    finally:
        srv.stop()


def test_a_restarted_server_keeps_the_key_from_its_first_start(tmp_path):
    first, second = berth_proc.new_key(), berth_proc.new_key()
    srv = berth_proc.BerthServer(tmp_path / "data", tmp_path / "server.log", root_key=first)
    os.makedirs(srv.data_dir)
    srv.start()
    try:
        assert raw_call(srv.endpoint, "ListClusters", {}, key=first)[0] == 200
        srv.stop()
        srv.root_key = second  # ignored on this second start
        srv.start()
        status, body = raw_call(srv.endpoint, "ListClusters", {}, key=first)
        assert status == 200, body
        assert error(raw_call(srv.endpoint, "ListClusters", {}, key=second)) == (400,) + UNRECOGNIZED
    finally:
        srv.stop()


# ---- clients ---------------------------------------------------------------------------

def test_agent_finds_the_shared_credentials_file(tmp_path):
    """`berth agent` with no AWS_* keys takes the profile named by
    AWS_PROFILE from AWS_SHARED_CREDENTIALS_FILE."""
    srv = berth_proc.BerthServer(tmp_path / "data", tmp_path / "server.log", root_key=None)
    os.makedirs(srv.data_dir)
    srv.start()
    agent = None
    try:
        path, key = generated_key(srv.data_dir)
        ecs = berth_proc.client(srv.endpoint, key=key)
        ecs.create_cluster(clusterName="file")
        agent = berth_proc.BerthAgent(srv.endpoint, "file", tmp_path / "agent", tmp_path / "agent.log", hollow=1,
                                      key=None, extra_env={"HOME": str(tmp_path), "AWS_PROFILE": "berth",
                                                           "AWS_SHARED_CREDENTIALS_FILE": path}).start()
        berth_proc.wait_for(lambda: ecs.list_container_instances(cluster="file")["containerInstanceArns"],
                            what="the agent to register")
    finally:
        if agent:
            agent.stop()
        srv.stop()


def test_agent_and_berth_logs_without_credentials_exit_with_an_error(server, tmp_path):
    berth_proc.client(server.endpoint).create_cluster(clusterName="nocreds")
    no_creds = {"HOME": str(tmp_path)}  # no $HOME/.aws/credentials either
    agent = berth_proc.BerthAgent(server.endpoint, "nocreds", tmp_path / "agent", tmp_path / "agent.log",
                                  hollow=1, key=None, extra_env=no_creds).start()
    try:
        rc = agent.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        rc = None
    finally:
        agent.stop(check=False)
    assert rc not in (None, 0), "berth agent ran without credentials; log:\n" + agent.log()
    assert "credential" in agent.log().lower(), agent.log()
    p = subprocess.run([berth_proc.BERTH_BIN, "logs", "0123456789abcdef0123456789abcdef", "--endpoint",
                        server.endpoint, "--cluster", "nocreds"], capture_output=True, text=True, timeout=60,
                       env=dict(berth_proc.client_env(key=None), **no_creds))
    assert p.returncode != 0 and "credential" in p.stderr.lower(), p.stderr
