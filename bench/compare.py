"""Rounds of builds side by side, for bench/*_compare.py: each round runs
every binary once, in the order given, so that all of them see the same
host load; prints each run as a JSON line, then each binary's medians."""
import contextlib
import json
import statistics
import subprocess
import time


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


@contextlib.contextmanager
def perf_recording(pid, out, freq):
    """`perf record` of process pid into out while the block runs (nothing
    when out is None)."""
    if not out:
        yield
        return
    rec = subprocess.Popen(["perf", "record", "--call-graph", "dwarf,16384", "-F", str(freq), "-o", out,
                            "-p", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        yield
    finally:
        rec.send_signal(2)
        rec.wait()
