#!/usr/bin/env python3
"""Rolling deployment time with real containers: a 3-task service on a
cached busybox image, `update-service` to a new revision, until the
service is steady again (one deployment, running == desired), as
`aws ecs wait services-stable` judges it.  Real registry, server, agent.

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


def steady(ecs, cluster, service):
    s = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    return len(s["deployments"]) == 1 and s["runningCount"] == s["desiredCount"], s


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
            ecs = s.ecs
            for rev in range(args.runs + 1):
                s.register("web", [{"name": "app", "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
                                    "environment": [{"name": "REV", "value": str(rev)}], "stopTimeout": 5}])
            ecs.create_service(cluster="bench", serviceName="web", taskDefinition="web:1", desiredCount=3)
            deadline = time.time() + 120
            while not steady(ecs, "bench", "web")[0]:
                assert time.time() < deadline, "service never steady"
                time.sleep(0.05)
            times = []
            for rev in range(2, args.runs + 2):
                t0 = time.time()
                ecs.update_service(cluster="bench", service="web", taskDefinition="web:%d" % rev)
                while True:
                    ok, svc = steady(ecs, "bench", "web")
                    if ok and svc["taskDefinition"].endswith(":%d" % rev):
                        break
                    assert time.time() - t0 < 180, "rollout did not finish"
                    time.sleep(0.02)
                times.append(time.time() - t0)
                print("revision %d: %.2f s" % (rev, times[-1]), flush=True)
            print("update-service -> steady, 3 real tasks: median %.2f s, min %.2f s, max %.2f s (%d runs)"
                  % (statistics.median(times), min(times), max(times), len(times)))
            ecs.update_service(cluster="bench", service="web", desiredCount=0)
            ecs.delete_service(cluster="bench", service="web", force=True)
        finally:
            s.close()


if __name__ == "__main__":
    main()
