"""The JSON 1.1 protocol edge: targets, bodies, errors, limits."""
import json
import socket

import berth_proc


def test_healthz(server):
    import urllib.request
    with urllib.request.urlopen(server.endpoint + "/healthz") as r:
        assert r.status == 200


def test_unknown_operation(server):
    status, body = berth_proc.raw_call(server.endpoint, "NoSuchAction", {})
    assert status == 400 and body["__type"] == "UnknownOperationException"
    status, body = berth_proc.raw_call(server.endpoint, None, {})
    assert status == 400 and body["__type"] == "UnknownOperationException"
    status, body = berth_proc.raw_call(server.endpoint, "ListClusters", {}, target_prefix="Bogus_2020")
    assert status == 400 and body["__type"] == "UnknownOperationException"


def test_malformed_json(server):
    for bad in [b"{", b"[1,2]", b"nul", b"{\"a\":1,\"a\":2}", b"\xff\xfe", b"\"str\""]:
        status, body = berth_proc.raw_call(server.endpoint, "ListClusters", bad)
        assert status == 400 and body["__type"] == "SerializationException", bad


def test_wrong_types_name_the_field(server):
    status, body = berth_proc.raw_call(server.endpoint, "ListClusters", {"maxResults": "ten"})
    assert status == 400 and body["__type"] == "InvalidParameterException"
    assert "maxResults" in body["message"]
    status, body = berth_proc.raw_call(server.endpoint, "DescribeClusters", {"include": ["NOPE"]})
    assert status == 400 and "include[0]" in body["message"]
    status, body = berth_proc.raw_call(server.endpoint, "TagResource", {"resourceArn": "x"})
    assert status == 400 and "tags" in body["message"]


def test_huge_body_refused(server):
    big = json.dumps({"clusterName": "x" * (3 * 1024 * 1024)})
    status, body = berth_proc.raw_call(server.endpoint, "CreateCluster", big)
    assert status == 400 and body["__type"] == "SerializationException"
    assert "limit" in body["message"]
    assert server.alive()


def test_deep_nesting_refused(server):
    deep = '{"clusterName":"d","settings":' + "[" * 5000 + "]" * 5000 + "}"
    status, body = berth_proc.raw_call(server.endpoint, "CreateCluster", deep)
    assert status == 400
    assert server.alive()


def test_keepalive_many_requests_one_connection(server):
    host, port = server.endpoint[len("http://"):].split(":")
    s = socket.create_connection((host, int(port)))
    # One signed request, sent 20 times (well within the 15 minutes a
    # signature is good for).
    _, signed = berth_proc.sign("POST", server.endpoint + "/", {
        "Host": "x", "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
        "Content-Type": "application/x-amz-json-1.1"}, b"{}")
    req = ("POST / HTTP/1.1\r\n" + "".join("%s: %s\r\n" % kv for kv in signed.items())
           + "Content-Length: 2\r\n\r\n{}").encode()
    f = s.makefile("rb")
    for _ in range(20):
        s.sendall(req)
        status = f.readline()
        assert b"200" in status
        length = 0
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        assert json.loads(f.read(length))["clusterArns"] is not None
    s.close()


def test_request_id_header(server):
    status, _, headers = berth_proc.raw_call(server.endpoint, "ListClusters", {}, response_headers=True)
    assert status == 200
    assert len(headers["x-amzn-RequestId"]) == 36
