#!/usr/bin/python3
"""awslogs shipping throughput: one container prints `seq 1 N` as fast as
it can; the figure is lines per second from RunTask until every line is
queryable with GetLogEvents (so it includes pull, start and the drain).
Uses the integration tests' Stack (real registry, server, agent; root).

    /usr/bin/python3 bench/logship_throughput.py [--lines 200000] [--bin build/berth]

Prints a JSON object; asserts nothing about speed."""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))


def count_events(logs, group, stream):
    n, token, last = 0, None, None
    while True:
        kw = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            kw["nextToken"] = token
        try:
            r = logs.get_log_events(**kw)
        except logs.exceptions.ResourceNotFoundException:
            return 0, None
        n += len(r["events"])
        if r["events"]:
            last = r["events"][-1]["message"]
        if r["nextForwardToken"] == token:
            return n, last
        token = r["nextForwardToken"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=200000)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "berth"))
    a = ap.parse_args()
    os.environ["BERTH_BIN"] = os.path.abspath(a.bin)
    import berth_proc
    import stack as stackmod
    tmp = tempfile.mkdtemp(prefix="bench-logship-")
    s = stackmod.Stack(tmp, cluster="bench")
    try:
        logs = berth_proc.client(s.server.endpoint, service="logs")
        s.register("flood", [{"name": "app", "command": ["seq", "1", str(a.lines)], "logConfiguration": {
            "logDriver": "awslogs", "options": {"awslogs-group": "/bench/flood", "awslogs-stream-prefix": "b",
                                                "awslogs-create-group": "true"}}}])
        t0 = time.time()
        arn = s.run("flood")
        stream = "b/app/" + arn.rsplit("/", 1)[1]
        s.wait_status(arn, "STOPPED", timeout=600)
        t_stopped = time.time() - t0
        n, last = count_events(logs, "/bench/flood", stream)
        elapsed = time.time() - t0
        assert n == a.lines and last == str(a.lines), (n, last)
        print(json.dumps({"lines": a.lines, "seconds_to_queryable": round(elapsed, 2),
                          "seconds_to_stopped": round(t_stopped, 2),
                          "lines_per_second": round(a.lines / t_stopped)}, indent=1))
    finally:
        s.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
