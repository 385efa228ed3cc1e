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
                       "footprint"}, benches
    for f in data["figures"]:
        assert f["median"] is not None and f["median"] >= 0, f
    start = [f for f in data["figures"] if f["bench"] == "task_start"]
    assert start and all(f["reference"]["median"] > 0 for f in start)
    assert data["machine"]["nproc"] >= 1 and data["machine"]["commit"]
