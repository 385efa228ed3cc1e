"""`bench/run.py --smoke`: every benchmark runs end to end with tiny sizes,
so `make bench` cannot rot between real runs.  Asserts only that each
benchmark produced its figures, never how fast anything was."""
import json
import os
import subprocess
import sys

import berth_proc


def test_bench_smoke(tmp_path):
    out = tmp_path / "latest.json"
    r = subprocess.run([sys.executable, os.path.join(berth_proc.ROOT, "bench", "run.py"), "--smoke",
                        "--bin", berth_proc.BERTH_BIN, "--out", str(out), "--no-markdown"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    data = json.loads(out.read_text())
    benches = {f["bench"] for f in data["figures"]}
    assert benches >= {"task_start", "placement", "services", "network", "scale", "api", "logs",
                       "metrics", "elb", "footprint", "failover"}, benches
    for f in data["figures"]:
        assert f["median"] is not None and f["median"] >= 0, f
    start = [f for f in data["figures"] if f["bench"] == "task_start"]
    assert start and all(f["reference"]["median"] > 0 for f in start)
    assert data["machine"]["nproc"] >= 1 and data["machine"]["commit"]


def test_bench_client_signs_as_botocore_does():
    """bench/run.py's Client signs with a small signer of its own (cheap per
    request): its headers are the ones botocore's SigV4Auth makes."""
    import datetime
    sys.path.insert(0, os.path.join(berth_proc.ROOT, "bench"))
    import run as benchrun
    at = datetime.datetime(2026, 12, 3, 14, 43, 8)
    cli = benchrun.Client("http://127.0.0.1:7480")
    body = b'{"cluster":"a b","count":10}'
    for prefix, action in ((benchrun.ECS, "RunTask"), (benchrun.AGENT, "PollTasks"),
                           (berth_proc.LOGS_TARGET, "PutLogEvents")):
        mine = cli.headers(action, body, prefix, now=at.replace(tzinfo=datetime.timezone.utc).timestamp())
        _, theirs = berth_proc.sign("POST", "http://127.0.0.1:7480/", {
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "%s.%s" % (prefix, action)}, body,
            service=berth_proc.service_of(prefix), at=at)
        assert mine["X-Amz-Date"] == theirs["X-Amz-Date"] == "20261203T144308Z"
        assert mine["Authorization"] == theirs["Authorization"], (mine, theirs)
