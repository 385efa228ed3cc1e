#!/usr/bin/env python3
"""Rolling deployment time with real containers: a 3-task service on a
cached busybox image, `update-service` to a new revision, until the
service is steady again (one deployment, running == desired), as
`aws ecs wait services-stable` judges it.  Real registry, server, agent.
bench/run.py runs rollout_times() as part of `make bench`.

    /usr/bin/python3 bench/service_rollout.py [--runs 5] [--berth build/berth]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

TASKS = 3


def steady(ecs, cluster, service):
    s = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    return len(s["deployments"]) == 1 and s["runningCount"] == s["desiredCount"], s


def rollout_times(s, runs, log=None):
    """Seconds from UpdateService (a new revision) to steady, `runs` times,
    on stack s (tests' Stack); the service is deleted afterwards."""
    ecs, cluster = s.ecs, s.cluster
    for rev in range(runs + 1):
        s.register("web", [{"name": "app", "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
                            "environment": [{"name": "REV", "value": str(rev)}], "stopTimeout": 5}])
    ecs.create_service(cluster=cluster, serviceName="web", taskDefinition="web:1", desiredCount=TASKS)
    deadline = time.time() + 120
    while not steady(ecs, cluster, "web")[0]:
        if time.time() > deadline:
            raise RuntimeError("service never steady")
        time.sleep(0.05)
    times = []
    for rev in range(2, runs + 2):
        t0 = time.time()
        ecs.update_service(cluster=cluster, service="web", taskDefinition="web:%d" % rev)
        while True:
            ok, svc = steady(ecs, cluster, "web")
            if ok and svc["taskDefinition"].endswith(":%d" % rev):
                break
            if time.time() - t0 > 180:
                raise RuntimeError("rollout did not finish")
            time.sleep(0.02)
        times.append(time.time() - t0)
        if log:
            log("revision %d: %.2f s" % (rev, times[-1]))
    ecs.update_service(cluster=cluster, service="web", desiredCount=0)
    ecs.delete_service(cluster=cluster, service="web", force=True)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--berth", default=os.path.join(ROOT, "build", "berth"))
    args = ap.parse_args()
    os.environ["BERTH_BIN"] = os.path.abspath(args.berth)
    import stack as stackmod  # after BERTH_BIN is set
    with tempfile.TemporaryDirectory() as tmp:
        s = stackmod.Stack(tmp, cluster="bench")
        try:
            times = rollout_times(s, args.runs, log=lambda m: print(m, flush=True))
            print("update-service -> steady, %d real tasks: median %.2f s, min %.2f s, max %.2f s (%d runs)"
                  % (TASKS, statistics.median(times), min(times), max(times), len(times)))
        finally:
            s.close()


if __name__ == "__main__":
    main()
