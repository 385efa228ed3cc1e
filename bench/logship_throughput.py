#!/usr/bin/python3
"""awslogs shipping throughput: one container prints `seq 1 N` as fast as
it can; the figure is lines per second from RunTask until the task is
STOPPED (createdAt to stoppedAt, as the server records them), which
implies every line has been shipped (all N are then checked
queryable with GetLogEvents; this includes pull-free start and the drain).
The reference, run the same way, is the same task with no log driver:
conmon writes the lines to the agent's local log file only.
Uses the integration tests' Stack (real registry, server, agent; root).
bench/run.py runs seconds_to_stopped() as part of `make bench`.

    /usr/bin/python3 bench/logship_throughput.py [--lines 200000] [--bin build/berth]

Prints a JSON object; asserts nothing about speed."""
import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))

GROUP = "/bench/flood"
AWSLOGS = {"logDriver": "awslogs", "options": {"awslogs-group": GROUP, "awslogs-stream-prefix": "b",
                                               "awslogs-create-group": "true"}}


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


def local_lines(s, arn):
    """The container's stdout lines from conmon's file, partial records
    (flag P, where a read split a line) joined."""
    lines, part = [], ""
    for rec in s.log(arn, "app"):
        if len(rec) < 3 or rec[1] != "stdout":
            continue
        part += rec[3] if len(rec) > 3 else ""
        if rec[2] != "P":
            lines.append(part)
            part = ""
    return lines


def register(s, lines):
    """Task definitions "flood-awslogs" and "flood-local" on stack s."""
    for name, log_config in (("awslogs", AWSLOGS), ("local", None)):
        c = {"name": "app", "command": ["seq", "1", str(lines)]}
        if log_config:
            c["logConfiguration"] = log_config
        s.register("flood-" + name, [c])


def cpu_seconds(proc):
    """User + system CPU time of a process (all its threads) so far."""
    with open("/proc/%d/stat" % proc.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seconds_to_stopped(s, logs, driver, lines, at_stop=None):
    """RunTask of flood-DRIVER until STOPPED, in seconds; then (after
    calling at_stop, if given) checks that every line arrived (CloudWatch
    Logs for awslogs, the local file otherwise) and raises if not."""
    import berth_proc
    arn = s.run("flood-" + driver)
    # The server's own times: polling DescribeTasks every 0.1 s made the
    # figure a multiple of 0.1 s (0.11 or 0.21 s for the same run).
    task = berth_proc.wait_for(lambda: (lambda t: t if t["lastStatus"] == "STOPPED" else None)(s.describe(arn)),
                               timeout=600, interval=0.02, what="flood-%s STOPPED" % driver)
    elapsed = (task["stoppedAt"] - task["createdAt"]).total_seconds()
    if at_stop:
        at_stop()
    if driver == "awslogs":
        n, last = count_events(logs, GROUP, "b/app/" + arn.rsplit("/", 1)[1])
    else:
        out = local_lines(s, arn)
        n, last = len(out), out[-1] if out else None
    if n != lines or last != str(lines):
        raise RuntimeError("%s: %d lines, last %r; expected %d" % (driver, n, last, lines))
    return elapsed


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
        register(s, a.lines)
        out = {"lines": a.lines}
        for driver in ("awslogs", "local"):
            # CPU time, RunTask to STOPPED: what a busy shared host moves least.
            cpu0 = (cpu_seconds(s.server.proc), cpu_seconds(s.agent.proc))
            cpu1 = []
            t = seconds_to_stopped(s, logs, driver, a.lines, at_stop=lambda: cpu1.extend(
                (cpu_seconds(s.server.proc), cpu_seconds(s.agent.proc))))
            out[driver] = {"seconds_to_stopped": round(t, 2), "lines_per_second": round(a.lines / t),
                           "server_cpu_us_per_line": round((cpu1[0] - cpu0[0]) * 1e6 / a.lines, 2),
                           "agent_cpu_us_per_line": round((cpu1[1] - cpu0[1]) * 1e6 / a.lines, 2)}
        print(json.dumps(out, indent=1))
    finally:
        s.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
