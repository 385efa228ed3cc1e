#!/usr/bin/python3
"""The API mix, builds side by side: for each round, each given berth
binary gets a fresh server and bench/api_load.c's C client runs the mix
(bench/run.py's MIX and run_mix_c()) for S seconds; prints requests/s,
latency, the reads' p99 and the server's CPU per request (the figure that
moves least on a shared host), then the medians.  --perf FILE records the
server of the last binary with `perf record`.

    make build/api_load
    /usr/bin/python3 bench/api_compare.py --rounds 3 OLD/berth build/berth

Asserts nothing about speed."""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import run as R  # noqa: E402
import berth_proc  # noqa: E402


class _Args:
    def __init__(self, binary):
        self.bin = binary


def one(binary, args, api_load, perf_out):
    berth_proc.BERTH_BIN = os.path.abspath(binary)
    tmp = tempfile.mkdtemp(prefix="berth-api-compare-")
    srv = R.start_server(tmp, "server")
    try:
        R.Client(srv.endpoint).call("CreateCluster", {"clusterName": "api"})
        with compare.perf_recording(srv.proc.pid, perf_out, 499):
            c0 = R.proc_stat(srv.proc.pid)[1]
            rate, lat, reads = R.run_mix_c(api_load, srv.endpoint, args.clients, args.seconds)
            c1 = R.proc_stat(srv.proc.pid)[1]
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"rate": rate, "p50": R.pct(lat, 50), "reads_p99": R.pct(reads, 99),
            "server_cpu_us_per_request": 1e6 * (c1 - c0) / max(rate * args.seconds, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--api-load", help="the load generator (default: build/api_load beside the first binary)")
    ap.add_argument("--perf", help="perf record the last binary's server (last round) into this file")
    a = ap.parse_args()
    api_load = a.api_load or R.api_load_bin(_Args(a.binaries[0]))
    if not api_load:
        sys.exit("no api_load binary: make build/api_load, or give --api-load")
    compare.compare_rounds(a.binaries, a.rounds, lambda b, perf: one(b, a, api_load, perf), a.perf)


if __name__ == "__main__":
    main()
