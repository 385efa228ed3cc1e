"""Rounds of builds side by side, for bench/*_compare.py: each round runs
every binary once, in the order given, so that all of them see the same
host load; prints each run as a JSON line, then each binary's medians."""
import json
import statistics


def compare_rounds(binaries, rounds, run_one, perf=None):
    """run_one(binary, perf_out) -> {figure: value}; perf (a file) is
    passed for the last binary's last round only."""
    runs = {b: [] for b in binaries}
    for k in range(rounds):
        for b in binaries:
            perf_out = perf if perf and k == rounds - 1 and b == binaries[-1] else None
            r = run_one(b, perf_out)
            runs[b].append(r)
            print(json.dumps({"binary": b, "round": k + 1, **{x: round(y, 3) for x, y in r.items()}}), flush=True)
    for b, rs in runs.items():
        print(json.dumps({"binary": b, "median": {x: round(statistics.median(r[x] for r in rs), 3) for x in rs[0]}}))
