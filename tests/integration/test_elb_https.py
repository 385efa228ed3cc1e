"""HTTPS listeners on berth's load balancers, with real TLS through HAProxy:
certificates imported into ACM (self-signed, made by openssl), the default
one and an SNI one, security policies (DescribeSSLPolicies, the protocol
versions a policy allows), an HTTP->HTTPS redirect, a re-import served
without touching the listener, a certificate in use not deletable, and
the private key written only 0600 for HAProxy, never logged."""
import glob
import os
import stat
import subprocess

import pytest
from botocore.exceptions import ClientError

import berth_proc
from berth_proc import free_port
from test_elbv2 import Httpd, lb_address


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def make_cert(tmp, name, cn):
    key, crt = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "30", "-subj", "/CN=" + cn, "-addext", "subjectAltName=DNS:" + cn],
                   check=True, capture_output=True, timeout=60)
    return crt, open(crt, "rb").read(), open(key, "rb").read()


def curl(url, *args):
    """(exit code, stdout) of curl; -k is never given: the CA file decides."""
    r = subprocess.run(["curl", "-sS", "--max-time", "5", *args, url], capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout


def https(name, addr, port, cafile, path="/", *args):
    return curl("https://%s:%d%s" % (name, port, path), "--cacert", cafile, "--resolve",
                "%s:%d:%s" % (name, port, addr), *args)


@pytest.fixture(scope="module")
def clients(server):
    return (berth_proc.client(server.endpoint, service="elbv2"), berth_proc.client(server.endpoint, service="acm"))


def test_https_listener(server, clients, tmp_path):
    elb, acm = clients
    tmp = str(tmp_path)
    a_crt, a_pem, a_key = make_cert(tmp, "a", "app.example.test")
    b_crt, b_pem, b_key = make_cert(tmp, "b", "api.example.test")
    a = acm.import_certificate(Certificate=a_pem, PrivateKey=a_key)["CertificateArn"]
    b = acm.import_certificate(Certificate=b_pem, PrivateKey=b_key)["CertificateArn"]
    web_port = free_port()
    web = Httpd(tmp_path, web_port, {"index.html": "hello over tls"})
    try:
        lb = elb.create_load_balancer(Name="tls-lb")["LoadBalancers"][0]
        addr, lba = lb_address(lb), lb["LoadBalancerArn"]
        tg = elb.create_target_group(Name="tls-tg", Protocol="HTTP", Port=web_port, VpcId="vpc-1", TargetType="ip",
                                     HealthCheckEnabled=False)["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}])
        fwd = [{"Type": "forward", "TargetGroupArn": tg}]
        port, hport = free_port(), free_port()

        # What AWS refuses, berth refuses with AWS's codes.
        with pytest.raises(ClientError) as e:
            elb.create_listener(LoadBalancerArn=lba, Protocol="HTTPS", Port=port, DefaultActions=fwd)
        assert code(e) == "ValidationError" and "certificate" in str(e.value)
        with pytest.raises(ClientError) as e:
            elb.create_listener(LoadBalancerArn=lba, Protocol="HTTPS", Port=port, DefaultActions=fwd,
                                Certificates=[{"CertificateArn": a[:-4] + "0000"}])
        assert code(e) == "CertificateNotFound"
        with pytest.raises(ClientError) as e:
            elb.create_listener(LoadBalancerArn=lba, Protocol="HTTPS", Port=port, DefaultActions=fwd,
                                Certificates=[{"CertificateArn": a}], SslPolicy="ELBSecurityPolicy-Nope")
        assert code(e) == "SSLPolicyNotFound"
        with pytest.raises(ClientError) as e:
            elb.create_listener(LoadBalancerArn=lba, Protocol="HTTP", Port=port, DefaultActions=fwd,
                                Certificates=[{"CertificateArn": a}])
        assert code(e) == "ValidationError"
        listener = elb.create_listener(LoadBalancerArn=lba, Protocol="HTTPS", Port=port, DefaultActions=fwd,
                                       Certificates=[{"CertificateArn": a}])["Listeners"][0]
        assert listener["SslPolicy"] == "ELBSecurityPolicy-2016-08"
        assert listener["Certificates"] == [{"CertificateArn": a}]
        larn = listener["ListenerArn"]
        elb.create_listener(LoadBalancerArn=lba, Protocol="HTTP", Port=hport, DefaultActions=[
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": str(port),
                                                    "StatusCode": "HTTP_301"}}])
        elb.add_listener_certificates(ListenerArn=larn, Certificates=[{"CertificateArn": b}])
        got = elb.describe_listener_certificates(ListenerArn=larn)["Certificates"]
        assert got == [{"CertificateArn": a, "IsDefault": True}, {"CertificateArn": b, "IsDefault": False}]
        # As ELB takes certificates: IsDefault is output only (even false), one certificate per call.
        for call in (elb.add_listener_certificates, elb.remove_listener_certificates, elb.modify_listener):
            for certs in ([{"CertificateArn": b, "IsDefault": False}], [{"CertificateArn": a, "IsDefault": True}],
                          [{"CertificateArn": b}, {"CertificateArn": a}], []):
                with pytest.raises(ClientError) as e:
                    call(ListenerArn=larn, Certificates=certs)
                assert code(e) == "ValidationError", (call, certs, str(e.value))
        # The default may be in the list too: then it is described twice, once per role.
        elb.add_listener_certificates(ListenerArn=larn, Certificates=[{"CertificateArn": a}])
        elb.add_listener_certificates(ListenerArn=larn, Certificates=[{"CertificateArn": a}])  # not twice
        pages, marker = [], None
        while True:
            page = elb.describe_listener_certificates(ListenerArn=larn, PageSize=1, **(
                {"Marker": marker} if marker else {}))
            pages += page["Certificates"]
            marker = page.get("NextMarker")
            if not marker:
                break
            assert len(pages) < 10, pages
        assert pages == [{"CertificateArn": a, "IsDefault": True}, {"CertificateArn": b, "IsDefault": False},
                         {"CertificateArn": a, "IsDefault": False}]
        elb.remove_listener_certificates(ListenerArn=larn, Certificates=[{"CertificateArn": a}])
        assert elb.describe_listener_certificates(ListenerArn=larn)["Certificates"] == got

        # Real TLS: the default certificate for its name, the SNI one for the other.
        berth_proc.wait_for(lambda: https("app.example.test", addr, port, a_crt) == (0, "hello over tls"),
                            timeout=20, what="the HTTPS listener")
        berth_proc.wait_for(lambda: https("api.example.test", addr, port, b_crt) == (0, "hello over tls"),
                            timeout=20, what="the SNI certificate")
        assert https("app.example.test", addr, port, b_crt)[0] != 0  # a's certificate is not b's
        rc, out = curl("http://app.example.test:%d/x?y=1" % hport, "--resolve", "app.example.test:%d:%s" % (hport, addr),
                       "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}")
        assert (rc, out) == (0, "301 https://app.example.test:%d/x?y=1" % port)
        rc, out = curl("http://app.example.test:%d/" % hport, "--resolve", "app.example.test:%d:%s" % (hport, addr),
                       "-L", "--cacert", a_crt, "--resolve", "app.example.test:%d:%s" % (port, addr))
        assert (rc, out) == (0, "hello over tls")

        # A policy is what the listener offers: TLS 1.3 only refuses a TLS 1.2 client.
        assert https("app.example.test", addr, port, a_crt, "/", "--tls-max", "1.2")[0] == 0
        elb.modify_listener(ListenerArn=larn, SslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06")
        berth_proc.wait_for(lambda: https("app.example.test", addr, port, a_crt, "/", "--tls-max", "1.2")[0] != 0,
                            timeout=20, what="the TLS 1.3 policy")
        assert https("app.example.test", addr, port, a_crt, "/", "--tlsv1.3") == (0, "hello over tls")
        pol = elb.describe_ssl_policies(Names=["ELBSecurityPolicy-TLS13-1-3-2021-06"])["SslPolicies"][0]
        assert pol["SslProtocols"] == ["TLSv1.3"] and pol["Ciphers"][0] == {"Name": "TLS_AES_128_GCM_SHA256",
                                                                             "Priority": 1}
        assert len(elb.describe_ssl_policies()["SslPolicies"]) > 5
        with pytest.raises(ClientError) as e:
            elb.describe_ssl_policies(Names=["nope"])
        assert code(e) == "SSLPolicyNotFound"

        # In use: not deletable, and ACM says by whom; the default cannot be removed.
        with pytest.raises(ClientError) as e:
            acm.delete_certificate(CertificateArn=a)
        assert code(e) == "ResourceInUseException"
        assert acm.describe_certificate(CertificateArn=b)["Certificate"]["InUseBy"] == [larn]
        with pytest.raises(ClientError) as e:
            elb.remove_listener_certificates(ListenerArn=larn, Certificates=[{"CertificateArn": a}])
        assert code(e) == "OperationNotPermitted"

        # A re-import into the same ARN is served without touching the listener.
        c_crt, c_pem, c_key = make_cert(tmp, "c", "app.example.test")
        acm.import_certificate(CertificateArn=a, Certificate=c_pem, PrivateKey=c_key)
        berth_proc.wait_for(lambda: https("app.example.test", addr, port, c_crt)[0] == 0, timeout=20,
                            what="the re-imported certificate")
        assert https("app.example.test", addr, port, a_crt)[0] != 0

        # The key is on disk only for HAProxy: 0600 in a 0700 directory; never in the log.
        pems = glob.glob(os.path.join(server.data_dir, "elb", "*", "cert-*.pem"))
        assert len(pems) == 2, pems  # the old file of a is gone
        for p in pems:
            assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
            assert stat.S_IMODE(os.stat(os.path.dirname(p)).st_mode) == 0o700
        marker = b"".join(c_key.splitlines()[1:-1])[10:60]
        with open(server.log_path, "rb") as fh:
            assert marker not in fh.read()

        elb.remove_listener_certificates(ListenerArn=larn, Certificates=[{"CertificateArn": b}])
        assert acm.describe_certificate(CertificateArn=b)["Certificate"]["InUseBy"] == []
        # Back to HTTP: the certificates go with the protocol.
        out = elb.modify_listener(ListenerArn=larn, Protocol="HTTP")["Listeners"][0]
        assert "Certificates" not in out and "SslPolicy" not in out
        berth_proc.wait_for(lambda: curl("http://%s:%d/" % (addr, port)) == (0, "hello over tls"), timeout=20,
                            what="the listener as HTTP")
        elb.delete_load_balancer(LoadBalancerArn=lba)
        acm.delete_certificate(CertificateArn=a)
        acm.delete_certificate(CertificateArn=b)
    finally:
        web.stop()


def test_dns_name_resolves(tmp_path_factory):
    """A load balancer's DNSName is answered by berth's DNS server (the one
    tasks use through their agent, and the host can ask) with its address."""
    import dnsclient
    from berth_proc import free_dns_port as free_udp_port
    port = free_udp_port()
    d = tmp_path_factory.mktemp("elbdns")
    srv = berth_proc.BerthServer(d / "data", d / "server.log", extra_args=["--dns-listen", "127.0.0.1:%d" % port])
    os.makedirs(srv.data_dir, exist_ok=True)
    srv.start()
    try:
        elb = berth_proc.client(srv.endpoint, service="elbv2")
        lb = elb.create_load_balancer(Name="dns-lb")["LoadBalancers"][0]
        ans = dnsclient.ask("127.0.0.1", port, lb["DNSName"])
        assert ans["rcode"] == 0 and dnsclient.values(ans, "A") == [lb_address(lb)], ans
        ans = dnsclient.ask("127.0.0.1", port, lb["DNSName"].upper())
        assert dnsclient.values(ans, "A") == [lb_address(lb)], ans
        ans = dnsclient.ask("127.0.0.1", port, "nope-0123456789." + lb["DNSName"].split(".", 1)[1])
        assert ans["rcode"] == 3, ans  # NXDOMAIN
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        assert dnsclient.ask("127.0.0.1", port, lb["DNSName"])["rcode"] == 3
    finally:
        srv.stop()
