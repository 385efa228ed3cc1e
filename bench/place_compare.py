#!/usr/bin/python3
"""Placement through RunTask, builds side by side: for each round, each
given berth binary gets a fresh server with N hollow instances in 3 AZs
and C client processes issuing RunTask count 10 (bench/run.py's place());
prints placements/s, RunTask latency and the server's CPU per placed task
(the figure that moves least on a shared host), then the medians.
--api-load PATH runs the clients as bench/api_load.c's C threads for
--seconds instead (run.py's place_c(): the issue's 16-client figure).
--perf FILE records the server of the last binary with `perf record`.

    /usr/bin/python3 bench/place_compare.py --instances 1000 --tasks 8000 \\
        --clients 16 --rounds 3 OLD/berth build/berth

Asserts nothing about speed."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import run as R  # noqa: E402
import berth_proc  # noqa: E402


def written(pid):
    """Bytes the process has had written to disk (WAL, checkpoints)."""
    with open("/proc/%d/io" % pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("write_bytes:"))


def one(binary, args, perf_out):
    berth_proc.BERTH_BIN = os.path.abspath(binary)
    res = R.Results()
    strategy = R.PLACEMENT_STRATEGIES[args.strategy]
    with R.hollow_cluster(res, "placement", args.instances) as (srv, cli, agents):
        with compare.perf_recording(srv.proc.pid, perf_out, 199):
            c0, w0 = R.proc_stat(srv.proc.pid)[1], written(srv.proc.pid)
            if args.api_load:
                rate, lat = R.place_c(args.api_load, srv.endpoint, cli, "p", "hollow", strategy, args.clients,
                                      args.seconds)
                placed, failures, wall = rate * args.seconds, 0, args.seconds
            else:
                lat, placed, failures, wall = R.place(srv.endpoint, "p", "hollow", strategy, args.tasks,
                                                      args.clients, args.seconds)
            c1, w1 = R.proc_stat(srv.proc.pid)[1], written(srv.proc.pid)
    lat.sort()
    return {"rate": placed / wall, "p50": R.pct(lat, 50), "p99": R.pct(lat, 99), "failures": failures,
            "server_cpu_ms_per_task": 1000 * (c1 - c0) / max(placed, 1),
            "server_kb_written_per_task": (w1 - w0) / 1024 / max(placed, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--tasks", type=int, default=8000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--strategy", default="binpack(memory)", choices=list(R.PLACEMENT_STRATEGIES))
    ap.add_argument("--api-load", help="bench/api_load's binary: C client threads for --seconds")
    ap.add_argument("--perf", help="perf record the last binary's server (last round) into this file")
    a = ap.parse_args()
    compare.compare_rounds(a.binaries, a.rounds, lambda b, perf: one(b, a, perf), a.perf)


if __name__ == "__main__":
    main()
