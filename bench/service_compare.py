#!/usr/bin/python3
"""Placement through CreateService, builds side by side: for each round,
each given berth binary gets a fresh server with N hollow instances in 3
AZs and one CreateService of desiredCount D (bench/run.py's
service_fill()); prints placements/s (until pending + running == desired),
the seconds until running == desired, and the server's CPU per placed task
until all are placed and until all run (the figures that move least on a
shared host), then the medians.
--perf FILE records the server of the last binary with `perf record`.

    /usr/bin/python3 bench/service_compare.py --instances 1000 \\
        --desired 50000 --rounds 3 OLD/berth build/berth

Asserts nothing about speed."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import run as R  # noqa: E402
import berth_proc  # noqa: E402


def one(binary, args, perf_out):
    berth_proc.BERTH_BIN = os.path.abspath(binary)
    res = R.Results()
    strategy = R.PLACEMENT_STRATEGIES[args.strategy]
    with R.hollow_cluster(res, "services", args.instances) as (srv, cli, agents):
        with compare.perf_recording(srv.proc.pid, perf_out, 199):
            c0 = R.proc_stat(srv.proc.pid)[1]
            at_placed = []
            t_placed, t_running, placed, watched = R.service_fill(
                cli, strategy, args.desired, args.seconds,
                on_placed=lambda: at_placed.append(R.proc_stat(srv.proc.pid)[1]))
            c1 = R.proc_stat(srv.proc.pid)[1]
    return {"rate": placed / (t_placed or watched), "running_s": t_running or float("nan"),
            "server_cpu_us_per_task_placing": 1e6 * ((at_placed or [c1])[0] - c0) / max(placed, 1),
            "server_cpu_us_per_task": 1e6 * (c1 - c0) / max(placed, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--desired", type=int, default=50000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=150)
    ap.add_argument("--strategy", default="binpack(memory)", choices=list(R.PLACEMENT_STRATEGIES))
    ap.add_argument("--perf", help="perf record the last binary's server (last round) into this file")
    a = ap.parse_args()
    compare.compare_rounds(a.binaries, a.rounds, lambda b, perf: one(b, a, perf), a.perf)


if __name__ == "__main__":
    main()
