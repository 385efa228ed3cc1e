#!/usr/bin/python3
"""PutLogEvents throughput and GetLogEvents / FilterLogEvents latency
against a real `berth server` (default build/berth), through boto3.

    /usr/bin/python3 bench/bench_logs.py [--events 1000000] [--bin build/berth]

Reports figures; asserts nothing about speed."""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import berth_proc  # noqa: E402


def put_batches(logs, group, stream, total, batch, t0, payload):
    start = time.time()
    for b in range(total // batch):
        base = t0 + b * batch
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": base + i, "message": "%s %09d" % (payload, b * batch + i)}
                                       for i in range(batch)])
    return total / (time.time() - start)


def timed(fn, n=20):
    xs = []
    for _ in range(n):
        s = time.time()
        fn()
        xs.append((time.time() - s) * 1000)
    return statistics.median(xs), max(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(berth_proc.ROOT, "build", "berth"))
    ap.add_argument("--events", type=int, default=1000000, help="events in the big stream")
    ap.add_argument("--put-events", type=int, default=200000, help="events per PutLogEvents rate run")
    ap.add_argument("--json", help="also write the figures to this file (bench/run.py reads it)")
    args = ap.parse_args()
    figures = {}
    berth_proc.BERTH_BIN = args.bin
    d = tempfile.mkdtemp(prefix="berth-bench-logs-")
    srv = berth_proc.BerthServer(os.path.join(d, "data"), os.path.join(d, "server.log"))
    os.makedirs(srv.data_dir)
    srv.start()
    try:
        logs = berth_proc.client(srv.endpoint, service="logs")
        logs.create_log_group(logGroupName="bench")
        payload = "GET /api/v1/items 200 12ms user=alice request-id=4f1c2a"  # ~60-byte lines
        t0 = int(time.time() * 1000) - 12 * 3600 * 1000
        for batch in (1000, 10000):
            stream = "put-%d" % batch
            logs.create_log_stream(logGroupName="bench", logStreamName=stream)
            rate = put_batches(logs, "bench", stream, args.put_events, batch, t0, payload)
            print("PutLogEvents, batches of %5d: %8.0f events/s (%d events, ~70-byte messages)"
                  % (batch, rate, args.put_events))
            figures["PutLogEvents batches of %d (events/s)" % batch] = rate
        logs.create_log_stream(logGroupName="bench", logStreamName="big")
        s = time.time()
        put_batches(logs, "bench", "big", args.events, 10000, t0, payload)
        print("loaded %d events into one stream in %.1fs" % (args.events, time.time() - s))
        mid = t0 + args.events // 2
        cases = {
            "GetLogEvents newest 100": lambda: logs.get_log_events(logGroupName="bench", logStreamName="big",
                                                                   limit=100),
            "GetLogEvents head 100": lambda: logs.get_log_events(logGroupName="bench", logStreamName="big",
                                                                 limit=100, startFromHead=True),
            "GetLogEvents 1s window mid-stream (1000 ev)": lambda: logs.get_log_events(
                logGroupName="bench", logStreamName="big", startTime=mid, endTime=mid + 1000, startFromHead=True),
            "GetLogEvents default (10,000 ev / 1 MB)": lambda: logs.get_log_events(logGroupName="bench",
                                                                                   logStreamName="big"),
            "FilterLogEvents term, 10s window": lambda: logs.filter_log_events(
                logGroupName="bench", startTime=mid, endTime=mid + 10000, filterPattern="000500123"),
            "FilterLogEvents one stream, limit 100": lambda: logs.filter_log_events(
                logGroupName="bench", logStreamNames=["big"], startTime=mid, limit=100),
        }
        for name, fn in cases.items():
            med, worst = timed(fn)
            print("%-45s median %7.1f ms  max %7.1f ms" % (name, med, worst))
            figures[name] = {"median_ms": med, "max_ms": worst}
        db = os.path.join(srv.data_dir, "berth.db")
        if os.path.exists(db):  # SQLite's; none when the store is PostgreSQL (BERTH_TEST_STORE=postgres)
            print("database size: %.0f MB" % (os.path.getsize(db) / 1e6))
        figures["events in the big stream"] = args.events
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f)
    finally:
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
