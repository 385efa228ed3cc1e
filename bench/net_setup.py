#!/usr/bin/env python3
"""Per-task network setup time in the agent: namespaces, veth, addresses,
routes (netlink) and, for bridge tasks with port mappings, the one
`nft -f -` batch.  Runs N tasks of each kind on a real stack and reads the
agent's "network ready in N us" lines (measured inside the agent, from
planning to the last netlink ack / nft exit).

Usage: bench/net_setup.py [BERTH_BIN] [N]   (root)
Prints median, min and max milliseconds per kind."""
import os
import re
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("BERTH_BIN", os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                                                   else os.path.join(HERE, "..", "build", "berth")))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10

import berth_proc  # noqa: E402
import stack as stackmod  # noqa: E402

KINDS = {
    "bridge, 1 container, 1 dynamic port": dict(containers=[
        {"name": "a", "command": ["sleep", "60"], "portMappings": [{"containerPort": 80}]}]),
    "bridge, 2 containers, no ports": dict(containers=[
        {"name": "a", "command": ["sleep", "60"]}, {"name": "b", "command": ["sleep", "60"]}]),
    "awsvpc, 2 containers": dict(networkMode="awsvpc", run={"networkConfiguration": {
        "awsvpcConfiguration": {"subnets": ["subnet-1"]}}}, containers=[
        {"name": "a", "command": ["sleep", "60"]}, {"name": "b", "command": ["sleep", "60"]}]),
    "none, 1 container": dict(networkMode="none", containers=[{"name": "a", "command": ["sleep", "60"]}]),
}


def main():
    with tempfile.TemporaryDirectory(prefix="berth-net-bench-") as tmp:
        s = stackmod.Stack(tmp, cluster="netbench")
        try:
            for i, (kind, spec) in enumerate(KINDS.items()):
                fam = "nb%d" % i
                kw = {"networkMode": spec["networkMode"]} if "networkMode" in spec else {}
                s.register(fam, [dict(c, stopTimeout=1) for c in spec["containers"]], **kw)
                ids = []
                for _ in range(N):
                    arn = s.run(fam, **spec.get("run", {}))
                    s.wait_status(arn, "RUNNING")
                    s.ecs.stop_task(cluster=s.cluster, task=arn)
                    s.wait_status(arn, "STOPPED")
                    ids.append(arn.rsplit("/", 1)[1])
                log = s.agent.log() if len(s.agent.log()) < 20000 else open(s.agent.log_path).read()
                us = [int(m.group(2)) for m in re.finditer(r"task (\w+): \w+ network ready in (\d+) us", log)
                      if m.group(1) in ids]
                ms = [u / 1000 for u in us]
                print("%-40s n=%d median %.1f ms (min %.1f, max %.1f)" % (
                    kind, len(ms), statistics.median(ms), min(ms), max(ms)))
        finally:
            for a in s.ecs.list_tasks(cluster=s.cluster)["taskArns"]:
                s.ecs.stop_task(cluster=s.cluster, task=a)
            s.close()


if __name__ == "__main__":
    main()
