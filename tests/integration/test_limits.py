"""Bad or huge input never hurts others: connection caps, the request
deadline, running out of fds, ambiguous framing, filter regexes that would
backtrack for ever, forged log lines, and ECS's quotas.  Every test talks to
a real `berth server`; no assertion is about speed beyond generous bounds
that prove "no hang"."""
import json
import os
import resource
import socket
import subprocess
import threading
import time

import botocore.exceptions
import pytest

import berth_proc

from berth_proc import err_code, err_msg

HANG = 10  # seconds: any answer slower than this is a hang


def start(tmp_path, *args):
    srv = berth_proc.BerthServer(tmp_path / "data", tmp_path / "server.log", extra_args=list(args))
    os.makedirs(srv.data_dir, exist_ok=True)
    return srv.start()


@pytest.fixture
def make_server(tmp_path):
    started = []

    def make(*args):
        d = tmp_path / ("s%d" % len(started))
        d.mkdir()
        started.append(start(d, *args))
        return started[-1]
    yield make
    for srv in started:
        srv.stop()


def addr(srv):
    host, port = srv.endpoint[len("http://"):].split(":")
    return host, int(port)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def closed_or_refused(sock):
    """True when the server closed (or reset) the connection rather than
    answering; a timeout (a hang) is a failure."""
    sock.settimeout(HANG)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        return sock.recv(100) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def test_2000_idle_connections_do_not_stop_a_client(make_server):
    if raise_nofile() < 2200:
        pytest.skip("this process cannot open 2,000 sockets")
    srv = make_server()
    idle = []
    try:
        for _ in range(2000):
            idle.append(socket.create_connection(addr(srv), timeout=HANG))
        ecs = berth_proc.client(srv.endpoint)
        ecs.create_cluster(clusterName="busy")
        assert ecs.describe_clusters(clusters=["busy"])["clusters"][0]["status"] == "ACTIVE"
        # The idle ones are still open: a request on one is answered.
        s = idle[-1]
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        for s in idle:
            s.close()
    assert srv.alive()


def served(sock):
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        return sock.recv(100).startswith(b"HTTP/1.1 200")
    except ConnectionResetError:
        return False


def test_connections_per_address_are_capped(make_server):
    srv = make_server("--max-connections-per-ip", "5")
    host, port = addr(srv)
    # libmicrohttpd forgets a closed connection (the start-up health check)
    # a moment after it closes.
    time.sleep(0.5)
    held = [socket.create_connection((host, port), timeout=HANG) for _ in range(5)]
    try:
        time.sleep(0.5)
        extra = socket.create_connection((host, port), timeout=HANG)
        assert closed_or_refused(extra)
        extra.close()
        # Another address (127.0.0.2 reaches the same loopback listener) is served.
        other = socket.create_connection((host, port), timeout=HANG, source_address=("127.0.0.2", 0))
        assert served(other)
        other.close()
        # The five were taken, not refused.
        assert all(served(s) for s in held)
    finally:
        for s in held:
            s.close()


def test_slow_client_is_cut_off_while_others_are_served(make_server):
    srv = make_server("--request-timeout", "3")
    s = socket.create_connection(addr(srv), timeout=HANG)
    req = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
    result = {}

    def drip():
        t0 = time.monotonic()
        try:
            for b in req:  # one byte a second: the whole request would take ~50 s
                s.sendall(bytes([b]))
                time.sleep(1)
            result["answer"] = s.recv(100)
        except OSError as e:
            result["error"] = e
        result["after"] = time.monotonic() - t0
    t = threading.Thread(target=drip)
    t.start()
    ecs = berth_proc.client(srv.endpoint)
    for i in range(5):
        ecs.create_cluster(clusterName="while-slow-%d" % i)
        time.sleep(0.3)
    t.join(timeout=60)
    assert not t.is_alive()
    assert "error" in result or result.get("answer") == b"", result
    assert result["after"] < 3 + HANG
    s.close()
    assert "sent no whole request within 3s" in srv.log()


def test_long_poll_outlives_the_request_timeout(make_server):
    srv = make_server("--request-timeout", "2")
    berth_proc.client(srv.endpoint).create_cluster(clusterName="default")
    t0 = time.monotonic()
    status, body = berth_proc.raw_call(srv.endpoint, "PollTasks", json.dumps(
        {"cluster": "default", "agentId": "a1", "since": 0, "waitSeconds": 5}), target_prefix=berth_proc.AGENT_TARGET)
    assert status == 200 and body["tasks"] == []
    assert time.monotonic() - t0 >= 4  # it waited, and was not cut at 2 s


def test_fd_exhaustion_refuses_then_recovers(make_server):
    raise_nofile()
    srv = make_server()
    pid = srv.proc.pid
    base = len(os.listdir("/proc/%d/fd" % pid))
    limit = base + 40
    subprocess.run(["prlimit", "--pid", str(pid), "--nofile=%d:%d" % (limit, limit)], check=True)
    held = []
    try:
        for _ in range(120):
            held.append(socket.create_connection(addr(srv), timeout=HANG))
        time.sleep(1)
        late = socket.create_connection(addr(srv), timeout=HANG)
        assert closed_or_refused(late)
        late.close()
        time.sleep(1.5)  # a second line, if the refusals were logged one by one
    finally:
        for s in held:
            s.close()
    time.sleep(1)
    ecs = berth_proc.client(srv.endpoint)
    ecs.create_cluster(clusterName="after-exhaustion")
    assert ecs.describe_clusters(clusters=["after-exhaustion"])["clusters"][0]["status"] == "ACTIVE"
    lines = [ln for ln in srv.log().splitlines() if "out of file descriptors" in ln]
    assert 1 <= len(lines) <= 10, lines  # one line a second at most, not one per refusal


FRAMING = {
    "two Content-Length": b"Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}",
    "two equal Content-Length": b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
    "Content-Length and chunked": b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "gzip": b"Transfer-Encoding: gzip\r\n\r\n{}",
    "gzip, chunked": b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "identity": b"Transfer-Encoding: identity\r\n\r\n{}",
    "two Transfer-Encoding": b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(FRAMING))
def test_ambiguous_framing_is_400_at_once(server, case):
    s = socket.create_connection(addr(server), timeout=HANG)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters\r\n"
              + FRAMING[case])
    got = b""
    while True:
        chunk = s.recv(4096)  # a hang raises socket.timeout
        if not chunk:
            break
        got += chunk
    s.close()
    assert got.startswith(b"HTTP/1.1 400"), got[:100]
    assert b"Ambiguous request framing" in got


def test_chunked_alone_still_works(server):
    _, signed = berth_proc.sign("POST", server.endpoint + "/", {
        "Host": "x", "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
        "Content-Type": "application/x-amz-json-1.1"}, b"{}")
    s = socket.create_connection(addr(server), timeout=HANG)
    s.sendall(b"POST / HTTP/1.1\r\n" + "".join("%s: %s\r\n" % kv for kv in signed.items()).encode()
              + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 200")
    s.close()


def test_pathological_regex_is_linear(server):
    logs = berth_proc.client(server.endpoint, service="logs")
    logs.create_log_group(logGroupName="re")
    logs.create_log_stream(logGroupName="re", logStreamName="s")
    now = int(time.time() * 1000)
    line = "a" * 100000
    logs.put_log_events(logGroupName="re", logStreamName="s", logEvents=[
        {"timestamp": now, "message": line}, {"timestamp": now + 1, "message": line + "!"}])
    hit = logs.filter_log_events(logGroupName="re", filterPattern="%(a+)+$%")["events"]
    assert [len(e["message"]) for e in hit] == [100000]
    assert logs.filter_log_events(logGroupName="re", filterPattern="%(a|aa)*b%")["events"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        logs.filter_log_events(logGroupName="re", filterPattern="%((a{1,100}){1,100})%")
    assert err_code(e) == "InvalidParameterException"
    assert "1000" in err_msg(e)


def test_control_characters_in_input_do_not_forge_log_lines(server):
    ecs = berth_proc.client(server.endpoint, validate=False)
    ecs.create_cluster(clusterName="inject")
    forged = "x\n2030-01-01T00:00:00.000Z error api: FORGED\r\x1b[2K\x7f"
    target = "f" * 32
    with pytest.raises(botocore.exceptions.ClientError):
        ecs.put_attributes(cluster="inject", attributes=[{"name": forged, "value": "v", "targetId": target}])
    # An unknown action name with an escape sequence in it, sent raw.
    status, _ = berth_proc.raw_call(server.endpoint, "Nope\x1b[31mFORGED", "{}")
    assert status == 400
    log = server.log()
    assert "FORGED" in log
    for line in log.splitlines():
        if "FORGED" in line:
            assert not line.startswith("2030"), line
            assert "\x1b" not in line and "\r" not in line and "\x7f" not in line, repr(line)
    assert "\\n2030-01-01T00:00:00.000Z error api: FORGED\\r\\x1b[2K\\x7f" in log


def test_ecs_quotas(make_server):
    srv = make_server("--max-cluster-services", "2", "--max-cluster-instances", "1")
    ecs = berth_proc.client(srv.endpoint)
    ecs.create_cluster(clusterName="q")
    ecs.register_task_definition(family="q", containerDefinitions=[
        {"name": "app", "image": "busybox", "memory": 64, "essential": True}])
    for i in range(2):
        ecs.create_service(cluster="q", serviceName="s%d" % i, taskDefinition="q", desiredCount=0)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.create_service(cluster="q", serviceName="s2", taskDefinition="q", desiredCount=0)
    assert err_code(e) == "ClientException" and "2 services per cluster" in err_msg(e)
    # Another cluster has its own quota.
    ecs.create_cluster(clusterName="q2")
    ecs.create_service(cluster="q2", serviceName="s0", taskDefinition="q", desiredCount=0)

    res = [{"name": "CPU", "type": "INTEGER", "integerValue": 1024},
           {"name": "MEMORY", "type": "INTEGER", "integerValue": 1024}]
    ci = ecs.register_container_instance(cluster="q", totalResources=res)["containerInstance"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.register_container_instance(cluster="q", totalResources=res)
    assert err_code(e) == "ClientException" and "1 container instances per cluster" in err_msg(e)
    # Re-registering the one there is keeps working.
    ecs.register_container_instance(cluster="q", totalResources=res,
                                    containerInstanceArn=ci["containerInstanceArn"])
    # Custom attributes: 10 per resource, at registration too (ECS's own don't count).
    own = [{"name": "ecs.os-type", "value": "linux"}, {"name": "com.amazonaws.ecs.capability.x"}]
    ten = [{"name": "c%d" % i, "value": "v"} for i in range(10)]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.register_container_instance(cluster="q2", totalResources=res,
                                        attributes=own + ten + [{"name": "c10", "value": "v"}])
    assert err_code(e) == "ClientException" and "10 custom attributes" in err_msg(e)
    ecs.register_container_instance(cluster="q2", totalResources=res, attributes=own + ten)

    # containerOverrides: 8 KiB of JSON at most, on RunTask and StartTask.
    big = [{"name": "app", "environment": [{"name": "E", "value": "v" * 8200}]}]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.run_task(cluster="q", taskDefinition="q", overrides={"containerOverrides": big})
    assert err_code(e) == "InvalidParameterException"
    assert err_msg(e) == "Container Overrides length must be at most 8192"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.start_task(cluster="q", taskDefinition="q", containerInstances=[ci["containerInstanceArn"]],
                       overrides={"containerOverrides": big})
    assert err_code(e) == "InvalidParameterException"
    small = [{"name": "app", "environment": [{"name": "E", "value": "v" * 7000}]}]
    ecs.run_task(cluster="q", taskDefinition="q", overrides={"containerOverrides": small})

    # Tags: 50 per resource, counting those it has.
    arn = ecs.describe_clusters(clusters=["q"])["clusters"][0]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "k%d" % i, "value": "v"} for i in range(50)])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "one-more", "value": "v"}])
    assert err_code(e) == "InvalidParameterException" and "50" in err_msg(e)
