"""GET /metrics (issue 20): the Prometheus text format, checked by
promtool; a bearer token from DATA/metrics.token by default; berth's own
counters move with the calls a user makes."""
import os
import subprocess

import pytest

import berth_proc

ECS = "AmazonEC2ContainerServiceV20141113"


def promtool_check(text):
    if not os.access(berth_proc.PROMTOOL, os.X_OK):
        pytest.fail("promtool is missing: scripts/install-deps.sh fetches it to " + berth_proc.PROMTOOL)
    p = subprocess.run([berth_proc.PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_metrics_need_the_token(server):
    token_file = os.path.join(server.data_dir, "metrics.token")
    assert os.stat(token_file).st_mode & 0o777 == 0o600
    assert berth_proc.scrape_metrics(server, token=None)[0] == 401
    assert berth_proc.scrape_metrics(server, token="0" * 64)[0] == 401
    status, text = berth_proc.scrape_metrics(server)
    assert status == 200 and "berth_api_requests_total" in text
    # The secret of a SigV4 key is no bearer token.
    assert berth_proc.scrape_metrics(server, token=berth_proc.ROOT_KEY.secret_key)[0] == 401


def test_counters_follow_the_calls(server):
    ecs = berth_proc.client(server.endpoint)
    ecs.create_cluster(clusterName="prom")
    for _ in range(3):
        ecs.list_clusters()
    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.describe_services(cluster="nope", services=["x"])
    status, text = berth_proc.scrape_metrics(server)
    assert status == 200
    promtool_check(text)
    calls = berth_proc.metric_samples(text, "berth_api_requests_total")
    assert calls[frozenset({("service", ECS), ("action", "ListClusters"), ("code", "2xx")})] >= 3
    assert calls[frozenset({("service", ECS), ("action", "DescribeServices"), ("code", "4xx")})] >= 1
    count = berth_proc.metric_samples(text, "berth_api_request_duration_seconds_count")
    inf = berth_proc.metric_samples(text, "berth_api_request_duration_seconds_bucket")
    key = frozenset({("service", ECS), ("action", "ListClusters"), ("code", "2xx")})
    assert inf[key | {("le", "+Inf")}] == count[key] >= 3
    assert berth_proc.metric_samples(text, "berth_api_commits_total")[frozenset()] >= 1
    clusters = berth_proc.metric_samples(text, "berth_cluster_active_services")
    assert clusters[frozenset({("region", berth_proc.REGION), ("cluster", "prom")})] == 0


def test_metrics_auth_none(tmp_path):
    srv = berth_proc.BerthServer(tmp_path / "data", tmp_path / "server.log",
                                 extra_args=["--metrics-auth", "none"]).start()
    try:
        status, text = berth_proc.scrape_metrics(srv, token=None)
        assert status == 200
        promtool_check(text)
        assert not os.path.exists(os.path.join(srv.data_dir, "metrics.token"))
    finally:
        srv.stop()
