#!/usr/bin/python3
"""CloudWatch metrics on a real `berth server` (default build/berth), through
boto3: PutMetricData ingestion rate (points/s, batches of 1,000 datapoints
over SERIES series) and, with those series stored, GetMetricData and
GetMetricStatistics latency.

    /usr/bin/python3 bench/bench_metrics.py [--series 10000] [--rounds 3] [--bin build/berth]

Reports figures; asserts nothing about speed."""
import argparse
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import berth_proc  # noqa: E402

BATCH = 1000  # PutMetricData's limit of MetricData entries per request


def timed(fn, n=20):
    xs = []
    for _ in range(n):
        s = time.time()
        fn()
        xs.append((time.time() - s) * 1000)
    return statistics.median(xs), max(xs)


def put_round(cw, series, at):
    """One point for each series, at `at`; the seconds it took."""
    start = time.time()
    for b in range(0, series, BATCH):
        cw.put_metric_data(Namespace="Bench", MetricData=[
            {"MetricName": "latency", "Dimensions": [{"Name": "Series", "Value": str(i)}], "Timestamp": at,
             "Value": float(i % 100), "Unit": "Milliseconds"} for i in range(b, min(series, b + BATCH))])
    return time.time() - start


def stat_query(i, n):
    return {"Id": "q%d" % n, "MetricStat": {"Metric": {
        "Namespace": "Bench", "MetricName": "latency", "Dimensions": [{"Name": "Series", "Value": str(i)}]},
        "Period": 60, "Stat": "Average"}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(berth_proc.ROOT, "build", "berth"))
    ap.add_argument("--series", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3, help="points per series (one a minute, back from now)")
    ap.add_argument("--json", help="also write the figures to this file (bench/run.py reads it)")
    args = ap.parse_args()
    figures = {}
    berth_proc.BERTH_BIN = args.bin
    d = tempfile.mkdtemp(prefix="berth-bench-metrics-")
    srv = berth_proc.BerthServer(os.path.join(d, "data"), os.path.join(d, "server.log"))
    os.makedirs(srv.data_dir)
    srv.start()
    try:
        cw = berth_proc.client(srv.endpoint, service="cloudwatch")
        now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
        spent = 0.0
        for r in range(args.rounds):
            spent += put_round(cw, args.series, now - datetime.timedelta(minutes=args.rounds - r))
        rate = args.series * args.rounds / spent
        print("PutMetricData, batches of %d: %8.0f points/s (%d series x %d points)"
              % (BATCH, rate, args.series, args.rounds))
        figures["PutMetricData batches of %d (points/s)" % BATCH] = rate
        start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(minutes=1)
        mid = args.series // 2
        cases = {
            "GetMetricData 1 series, 1 h": lambda: cw.get_metric_data(
                MetricDataQueries=[stat_query(mid, 0)], StartTime=start, EndTime=end),
            "GetMetricData 100 series, 1 h": lambda: cw.get_metric_data(
                MetricDataQueries=[stat_query(mid + k, k) for k in range(min(100, args.series - mid))],
                StartTime=start, EndTime=end),
            "GetMetricData SUM of 100 series (math)": lambda: cw.get_metric_data(
                MetricDataQueries=[dict(stat_query(mid + k, k), ReturnData=False)
                                   for k in range(min(100, args.series - mid))]
                + [{"Id": "total", "Expression": "SUM([%s])" % ",".join(
                    "q%d" % k for k in range(min(100, args.series - mid)))}],
                StartTime=start, EndTime=end),
            "GetMetricStatistics 1 series, 1 h": lambda: cw.get_metric_statistics(
                Namespace="Bench", MetricName="latency", Dimensions=[{"Name": "Series", "Value": str(mid)}],
                StartTime=start, EndTime=end, Period=60, Statistics=["Average", "Maximum"]),
        }
        for name, fn in cases.items():
            med, worst = timed(fn)
            print("%-45s median %7.1f ms  max %7.1f ms" % (name, med, worst))
            figures[name] = {"median_ms": med, "max_ms": worst}
        figures["series stored"] = args.series
        db = os.path.join(srv.data_dir, "berth.db")
        if os.path.exists(db):  # SQLite's; none when the store is PostgreSQL (BERTH_TEST_STORE=postgres)
            print("database size: %.0f MB" % (os.path.getsize(db) / 1e6))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f)
    finally:
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
