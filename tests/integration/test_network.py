"""Task network modes with real containers: none, host, bridge (static and
dynamic host ports, TCP and UDP, links), awsvpc (a shared namespace per task,
an ENI attachment), port placement, two hosts simulated with network
namespaces, and nothing left behind after a stop or an agent kill -9."""
import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

import berth_proc
import stack as stackmod

HTTPD = ["httpd", "-f", "-p", "80", "-h", "/var/www"]
QUICK = 2  # stopTimeout: httpd as pid 1 ignores SIGTERM
HELLO = "hello from busybox\n"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("net"), cluster="net")
    yield s
    s.close()


def sh(*argv, check=True):
    return subprocess.run(list(argv), capture_output=True, text=True, check=check).stdout


def links():
    return {l.split(":")[1].strip().split("@")[0] for l in sh("ip", "-o", "link").splitlines()}


def table_name(agent_dir):
    h = 2166136261
    for b in os.fsencode(agent_dir):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return "berth_%08x" % h


def nft_table(agent_dir):
    return sh("nft", "list", "table", "ip", table_name(agent_dir), check=False)


def fetch(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait_fetch(url, timeout=20):
    last = []

    def attempt():
        try:
            return fetch(url)
        except OSError as e:
            last[:] = [e]
            return None
    try:
        return berth_proc.wait_for(attempt, timeout=timeout, interval=0.2, what="GET " + url)
    except AssertionError:
        raise AssertionError("GET %s: %s" % (url, last))


def task_id(arn):
    return arn.rsplit("/", 1)[1]


def host_veths(arn):
    return {l for l in links() if l.startswith("bv" + task_id(arn)[:10])}


def test_bridge_static_and_dynamic_ports_from_localhost(stack):
    stack.register("web", [
        {"name": "static", "command": HTTPD, "stopTimeout": QUICK, "portMappings": [{"containerPort": 80, "hostPort": 18080}]},
        {"name": "dynamic", "command": HTTPD, "stopTimeout": QUICK, "portMappings": [{"containerPort": 80}]},
    ])
    arn = stack.run("web")
    t = stack.wait_status(arn, "RUNNING")
    t = berth_proc.wait_for(lambda: (lambda d: d if all(c.get("networkBindings") for c in d["containers"]) else None)(
        stack.describe(arn)), what="networkBindings")
    s = stack.container(t, "static")["networkBindings"]
    assert s == [{"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 18080, "protocol": "tcp"}]
    d = stack.container(t, "dynamic")["networkBindings"]
    assert len(d) == 1 and 49153 <= d[0]["hostPort"] <= 65535 and d[0]["containerPort"] == 80
    assert wait_fetch("http://127.0.0.1:18080/index.html") == HELLO
    assert wait_fetch("http://127.0.0.1:%d/index.html" % d[0]["hostPort"]) == HELLO
    assert len(host_veths(arn)) == 2
    stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    stack.wait_status(arn, "STOPPED")
    stackmod.assert_no_leftovers(stack.agent_dir, [arn])
    assert not host_veths(arn)
    assert "18080" not in nft_table(stack.agent_dir)
