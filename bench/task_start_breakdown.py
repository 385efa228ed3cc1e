#!/usr/bin/python3
"""Where RunTask -> RUNNING goes: one task at a time, each split into the
steps between the client's RunTask and the DescribeTasks that sees RUNNING.

    /usr/bin/python3 bench/task_start_breakdown.py [--bin build/berth] [-n 30] [--runtime runc|crun]
                                                   [--keep-log PATH]

Sources, all on one host so CLOCK_MONOTONIC lines them up (Python's
time.monotonic() is the same clock):
  * the client: when RunTask was sent and answered, when DescribeTasks
    (polled every 2 ms) first said RUNNING;
  * the agent's "start timing" line (task_runner.c, info level): when the
    long-poll handed it the task, then each step up to queueing RUNNING;
  * the agent's reporter line (debug level): how long the RUNNING
    SubmitTaskStateChange waited behind earlier reports, and its call.
The steps add up to the total; bench/run.py's task_start uses this module
for its breakdown figures."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Agent-side steps, in the order task_runner.c marks them.
AGENT_STEPS = ("thread", "persist", "cgroup", "network", "images", "bundle", "create", "start", "report")
STEP_LABELS = {
    "runtask": "RunTask sent -> agent has the task (commit + long-poll wake)",
    "thread": "agent: runner thread running",
    "persist": "agent: task.json written (re-adoption record)",
    "cgroup": "agent: task cgroup and volumes",
    "network": "agent: network setup",
    "images": "agent: image check, the part not hidden by the steps above",
    "bundle": "agent: overlay, /etc files, bundle written",
    "create": "agent: conmon + runtime create (run --detach: and start)",
    "start": "agent: runtime start (none after run --detach)",
    "report": "agent: RUNNING queued",
    "queued": "RUNNING report waiting behind earlier reports",
    "seen": "RUNNING report sent -> DescribeTasks sees RUNNING (server commit, client poll)",
    # Group commit makes a report visible before its fdatasync and answer.
    "call": "(RUNNING report round trip incl. fdatasync; overlaps the step above)",
    "pull": "(agent: image check, whole: registry manifest request; beside persist..network)",
}
STEPS = ("runtask",) + AGENT_STEPS + ("queued", "seen")
EXTRA = ("pull", "call")  # overlap the steps: not part of the sum

START_RE = re.compile(r"task ([0-9a-f]{32}): start timing \(ms\): received=(\d+) (.*)")
REPORT_RE = re.compile(r"reporter: SubmitTaskStateChange \S+/([0-9a-f]{32}) RUNNING: acked=(\d+) "
                       r"queued_ms=([\d.]+) call_ms=([\d.]+)")


def run_and_time(cli, cluster, family, request_extra=None):
    """RunTask, poll DescribeTasks every 2 ms until RUNNING, then stop the
    task and wait for STOPPED (not timed).  Returns a record of monotonic
    seconds: sent, answered, running, and the task ARN."""
    req = dict(request_extra or {}, cluster=cluster, taskDefinition=family)
    sent = time.monotonic()
    out = cli.call("RunTask", req)
    answered = time.monotonic()
    if not out.get("tasks"):
        raise RuntimeError("RunTask %s: %s" % (family, out.get("failures")))
    arn = out["tasks"][0]["taskArn"]
    body = json.dumps({"cluster": cluster, "tasks": [arn]}).encode()
    while True:
        t = cli.call("DescribeTasks", body)["tasks"][0]
        if t["lastStatus"] == "RUNNING":
            running = time.monotonic()
            break
        if t["lastStatus"] == "STOPPED" or time.monotonic() - sent > 60:
            raise RuntimeError("task did not start: %s" % t.get("stoppedReason"))
        time.sleep(0.002)
    cli.call("StopTask", {"cluster": cluster, "task": arn})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and cli.call("DescribeTasks", body)["tasks"][0]["lastStatus"] != "STOPPED":
        time.sleep(0.02)
    return {"sent": sent, "answered": answered, "running": running, "arn": arn}


def parse_agent_log(path):
    """{task id: {"received": s, step: ms, ..., "acked": s, "queued": ms, "call": ms}}."""
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = START_RE.search(line)
            if m:
                rec = out.setdefault(m.group(1), {})
                rec["received"] = int(m.group(2)) / 1e6
                for kv in m.group(3).split():
                    k, v = kv.split("=", 1)
                    rec[k] = float(v)
                continue
            m = REPORT_RE.search(line)
            if m:
                rec = out.setdefault(m.group(1), {})
                rec.update(acked=int(m.group(2)) / 1e6, queued=float(m.group(3)), call=float(m.group(4)))
    return out


def breakdown(records, agent_log):
    """{step: [ms per task]} for the tasks the agent's log fully explains."""
    agent = parse_agent_log(agent_log)
    steps = {s: [] for s in STEPS + EXTRA}
    for r in records:
        a = agent.get(r["arn"].rsplit("/", 1)[1])
        if not a or "received" not in a or "acked" not in a:
            continue
        steps["runtask"].append((a["received"] - r["sent"]) * 1000)
        for s in AGENT_STEPS + ("queued",):
            steps[s].append(a[s])
        steps["seen"].append((r["running"] - (a["acked"] - a["call"] / 1000)) * 1000)
        for s in EXTRA:
            if s in a:
                steps[s].append(a[s])
    return steps


def add_figures(res, bench, label, records, agent_log):
    """Breakdown figures (median, p99) into run.py's Results, after the total."""
    steps = breakdown(records, agent_log)
    res.add(bench, "%s: RunTask round trip (client)" % label, "ms",
            [(r["answered"] - r["sent"]) * 1000 for r in records])
    for s in STEPS + EXTRA:
        res.add(bench, "%s step: %s" % (label, STEP_LABELS[s]), "ms", steps[s])
    if not steps["runtask"]:
        res.note(bench, "%s: no breakdown: the agent's log has no start timing (needs --log-level debug)" % label)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "berth"))
    ap.add_argument("-n", type=int, default=30)
    ap.add_argument("--runtime", default="runc", choices=("runc", "crun"))
    ap.add_argument("--keep-log", metavar="PATH", help="copy the agent's log there")
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    sys.path.insert(0, HERE)
    import berth_proc
    import run as benchrun
    import stack as stackmod
    berth_proc.BERTH_BIN = os.path.abspath(args.bin)
    tmp = tempfile.mkdtemp(prefix="berth-bench-breakdown-")
    st = None
    try:
        st = stackmod.Stack(tmp, cluster="bd", agent_args=["--runtime", args.runtime, "--log-level", "debug"])
        st.ecs.register_task_definition(family="bd", networkMode="none", containerDefinitions=[
            {"name": "app", "image": st.image, "memory": 32,
             "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]}])
        cli = benchrun.Client(st.server.endpoint)
        run_and_time(cli, "bd", "bd")  # warm-up: pulls the image
        records = [run_and_time(cli, "bd", "bd") for _ in range(args.n)]
        total = [(r["running"] - r["sent"]) * 1000 for r in records]
        steps = breakdown(records, os.path.join(tmp, "agent.log"))
        print("RunTask -> RUNNING, %s, networkMode none, n=%d: median %.1f ms, p99 %.1f ms"
              % (args.runtime, len(total), benchrun.med(total), benchrun.pct(total, 99)))
        for s in STEPS + EXTRA:
            if steps[s]:
                print("  %-66s %7.2f %7.2f" % (STEP_LABELS[s], benchrun.med(steps[s]), benchrun.pct(steps[s], 99)))
        print("  %-66s %7.2f" % ("sum of step medians", sum(benchrun.med(steps[s]) for s in STEPS if steps[s])))
        cli.close()
        if args.keep_log:
            shutil.copy(os.path.join(tmp, "agent.log"), args.keep_log)
    finally:
        if st:
            st.close()
        berth_proc.unmount_under(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
