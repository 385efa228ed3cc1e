"""Certificate Manager against a real berth server, with boto3 and the AWS
CLI v2: ImportCertificate (checked with OpenSSL: one certificate, a key
that matches it, a chain), re-import into the same ARN, Describe/Get (the
private key never comes back), ListCertificates with statuses, key types
and pages, tags, DeleteCertificate, the documented errors, the refusal of
RequestCertificate, authorisation, and no private key in plaintext in the
database or the log."""
import base64
import json
import os
import re
import subprocess

import pytest
from botocore.exceptions import ClientError

import berth_proc


@pytest.fixture(scope="module")
def acm(server):
    return berth_proc.client(server.endpoint, service="acm")


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def make_cert(tmp, name, cn, sans=(), ec=False):
    """A self-signed certificate and its key (PEM bytes) made by openssl."""
    key, crt = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".crt")
    alg = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] if ec else ["-newkey", "rsa:2048"]
    ext = ["-addext", "subjectAltName=" + ",".join("DNS:" + s for s in sans)] if sans else []
    subprocess.run(["openssl", "req", "-x509", *alg, "-nodes", "-keyout", key, "-out", crt, "-days", "30",
                    "-subj", "/CN=%s/O=berth test" % cn, *ext], check=True, capture_output=True, timeout=60)
    return open(crt, "rb").read(), open(key, "rb").read()


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("acm"))
    return {
        "a": make_cert(tmp, "a", "a.example.test", ["a.example.test", "www.a.example.test"]),
        "b": make_cert(tmp, "b", "b.example.test"),
        "ec": make_cert(tmp, "ec", "ec.example.test", ec=True),
        "dir": tmp,
    }


def test_import_describe_get(acm, certs):
    crt, key = certs["a"]
    chain, _ = certs["b"]
    arn = acm.import_certificate(Certificate=crt, PrivateKey=key, CertificateChain=chain,
                                 Tags=[{"Key": "env", "Value": "dev"}])["CertificateArn"]
    assert re.fullmatch(r"arn:aws:acm:us-east-1:000000000000:certificate/[0-9a-f-]{36}", arn)
    d = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert d["DomainName"] == "a.example.test" and d["Type"] == "IMPORTED" and d["Status"] == "ISSUED"
    assert d["SubjectAlternativeNames"] == ["a.example.test", "www.a.example.test"]
    assert d["KeyAlgorithm"] == "RSA_2048"
    assert "CN=a.example.test" in d["Subject"] and d["InUseBy"] == []
    assert d["NotAfter"] > d["NotBefore"] and "ImportedAt" in d
    got = acm.get_certificate(CertificateArn=arn)
    assert got["Certificate"].encode() == crt and got["CertificateChain"].encode() == chain
    assert "PrivateKey" not in got
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    # Re-import into the same ARN replaces the certificate.
    crt2, key2 = certs["b"]
    assert acm.import_certificate(CertificateArn=arn, Certificate=crt2, PrivateKey=key2)["CertificateArn"] == arn
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainName"] == "b.example.test"
    acm.delete_certificate(CertificateArn=arn)
    with pytest.raises(ClientError) as e:
        acm.describe_certificate(CertificateArn=arn)
    assert code(e) == "ResourceNotFoundException"


def test_import_errors(acm, certs):
    crt_a, key_a = certs["a"]
    crt_b, key_b = certs["b"]
    for kwargs, want in [
        ({"Certificate": crt_a, "PrivateKey": key_b}, "does not match"),
        ({"Certificate": crt_a + crt_b, "PrivateKey": key_a}, "more than one certificate"),
        ({"Certificate": b"not a certificate", "PrivateKey": key_a}, "exactly one PEM-encoded certificate"),
        ({"Certificate": crt_a, "PrivateKey": b"garbage"}, "private key"),
        ({"Certificate": crt_a, "PrivateKey": key_a, "CertificateChain": b"nope"}, "chain"),
    ]:
        with pytest.raises(ClientError) as e:
            acm.import_certificate(**kwargs)
        assert code(e) == "ValidationException" and want in str(e.value), e.value
        assert b"PRIVATE KEY" not in str(e.value).encode()
    with pytest.raises(ClientError) as e:
        acm.describe_certificate(CertificateArn="not-an-arn-but-long-enough")
    assert code(e) == "InvalidArnException"
    with pytest.raises(ClientError) as e:
        acm.get_certificate(CertificateArn="arn:aws:acm:us-east-1:000000000000:certificate/"
                                           "00000000-0000-4000-8000-000000000000")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        acm.request_certificate(DomainName="example.test", ValidationMethod="DNS")
    assert code(e) == "ValidationException" and "ImportCertificate" in str(e.value)


def test_list_filters_and_pages(acm, certs):
    arns = [acm.import_certificate(Certificate=certs["b"][0], PrivateKey=certs["b"][1])["CertificateArn"]
            for _ in range(5)]
    ec = acm.import_certificate(Certificate=certs["ec"][0], PrivateKey=certs["ec"][1])["CertificateArn"]
    pages = list(acm.get_paginator("list_certificates").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) >= 3
    listed = [c["CertificateArn"] for p in pages for c in p["CertificateSummaryList"]]
    assert set(arns) <= set(listed) and ec not in listed  # ACM lists RSA keys unless keyTypes says
    only_ec = acm.list_certificates(Includes={"keyTypes": ["EC_prime256v1"]})["CertificateSummaryList"]
    assert [c["CertificateArn"] for c in only_ec] == [ec]
    assert only_ec[0]["KeyAlgorithm"] == "EC_prime256v1" and only_ec[0]["InUse"] is False
    assert acm.list_certificates(CertificateStatuses=["EXPIRED"])["CertificateSummaryList"] == []
    with pytest.raises(ClientError) as e:
        acm.list_certificates(Includes={"extendedKeyUsage": ["CODE_SIGNING"]})
    assert code(e) == "ValidationException"
    for a in arns + [ec]:
        acm.delete_certificate(CertificateArn=a)


def test_tags(acm, certs):
    arn = acm.import_certificate(Certificate=certs["b"][0], PrivateKey=certs["b"][1])["CertificateArn"]
    acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    acm.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": "a", "Value": "other"}, {"Key": "b"}])
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    with pytest.raises(ClientError) as e:
        acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
    assert code(e) == "TooManyTagsException"
    acm.delete_certificate(CertificateArn=arn)


def test_cli(server, aws_env, certs):
    crt = os.path.join(certs["dir"], "a.crt")
    key = os.path.join(certs["dir"], "a.key")

    def aws(*args):
        p = subprocess.run([berth_proc.AWS_V2, "acm", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                           env=aws_env, capture_output=True, text=True, timeout=60)
        return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else {}), p.stderr

    rc, out, err = aws("import-certificate", "--certificate", "fileb://" + crt, "--private-key", "fileb://" + key)
    assert rc == 0, err
    arn = out["CertificateArn"]
    rc, out, err = aws("describe-certificate", "--certificate-arn", arn)
    assert rc == 0 and out["Certificate"]["DomainName"] == "a.example.test", err
    rc, out, err = aws("list-certificates")
    assert rc == 0 and arn in [c["CertificateArn"] for c in out["CertificateSummaryList"]], err
    rc, out, err = aws("delete-certificate", "--certificate-arn", arn)
    assert rc == 0, err


def test_private_key_not_stored_or_logged(server, acm, certs):
    crt, key = certs["a"]
    arn = acm.import_certificate(Certificate=crt, PrivateKey=key)["CertificateArn"]
    body = b"".join(l for l in key.splitlines()[1:-1])
    marker = body[10:60]
    for needle in (marker, base64.b64encode(key)[20:80]):
        assert server.store_holds(needle) is None
    with open(server.log_path, "rb") as fh:
        assert marker not in fh.read()
    acm.delete_certificate(CertificateArn=arn)


def test_authorisation_denied(server, acm, certs):
    """A principal without a policy allowing it (a container instance's own
    key) is refused, on the certificate's ARN."""
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName="acm-authz")
    token, _ = berth_proc.create_token(server.endpoint, "acm-authz")
    status, out = berth_proc.register_with_token(server.endpoint, "acm-authz", token)
    assert status == 200, out
    who = out["containerInstance"]["containerInstanceArn"]
    key = berth_proc.instance_key(out)
    arn = acm.import_certificate(Certificate=certs["b"][0], PrivateKey=certs["b"][1])["CertificateArn"]
    status, out = berth_proc.raw_call(server.endpoint, "DeleteCertificate", {"CertificateArn": arn},
                                      target_prefix="CertificateManager", service="acm", key=key)
    assert (status, out["__type"]) == (400, "AccessDeniedException"), out
    assert out["message"] == ("User: %s is not authorized to perform: acm:DeleteCertificate on resource: %s "
                              "because no identity-based policy allows the acm:DeleteCertificate action" % (who, arn))
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["CertificateArn"] == arn
    acm.delete_certificate(CertificateArn=arn)
