"""Benchmark: `berth image pull` of busybox:1 from a local docker-registry,
cold (empty store: download, verify, unpack) and warm (already stored).

    /usr/bin/python3 bench/image_pull.py [--runs N] [--berth build/berth]

Prints a small JSON object; the figures go into BENCHMARKS.md by hand."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import registry as regmod  # noqa: E402
import testimages  # noqa: E402


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--berth", default=os.path.join(ROOT, "build", "berth"))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="berth-bench-")
    reg = regmod.Registry(os.path.join(work, "registry")).start()
    try:
        t0 = time.perf_counter()
        testimages.push_all(reg.hostport)
        push = time.perf_counter() - t0
        ref = reg.hostport + "/busybox:1"
        cold, warm = [], []
        for i in range(args.runs):
            data = os.path.join(work, "data%d" % i)
            cold.append(timed([args.berth, "image", "--data", data, "pull", ref]))
            warm.append(timed([args.berth, "image", "--data", data, "pull", ref]))
            shutil.rmtree(data)
        ms = lambda v: round(v * 1000, 1)  # noqa: E731
        print(json.dumps({
            "image": "busybox:1 (1 layer, %d bytes gzip)" % len(regmod.compress(testimages.base_layer(), "gzip")[0]),
            "runs": args.runs,
            "push_test_images_ms": ms(push),
            "cold_pull_ms": {"median": ms(statistics.median(cold)), "min": ms(min(cold)), "max": ms(max(cold))},
            "warm_pull_ms": {"median": ms(statistics.median(warm)), "min": ms(min(warm)), "max": ms(max(warm))},
        }, indent=2))
    finally:
        reg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
