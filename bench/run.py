#!/usr/bin/python3
"""`make bench`: every berth benchmark, each beside its reference in the
same run, written to bench/results/latest.json and the generated table in
BENCHMARKS.md.

    /usr/bin/python3 bench/run.py [--smoke | --quick] [--only NAME[,NAME]] [--bin build/berth]
                                  [--out FILE] [--no-markdown]

Benchmarks (NAME): task_start, placement, services, network, scale, api,
logs, dns, elb, metrics, store (RunTask on SQLite vs PostgreSQL), failover (leader
failover on PostgreSQL vs a SQLite restart, RunTask through 1 and 2 servers); footprint figures are measured inside task_start, placement and
scale.  Everything talks to loopback or network namespaces it creates, is
bounded in time and count, and removes what it started.  The host is shared
(other builds and tests run beside it), so absolute numbers are noisy:
berth and its reference are always measured interleaved in one run, and the
ratio is the figure to read.  --smoke runs each with tiny sizes (the test
suite does, so the benchmarks cannot rot).  Reports figures; asserts nothing
about speed."""
import argparse
import contextlib
import datetime
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, HERE)
import berth_proc  # noqa: E402
import plot  # noqa: E402

ECS = "AmazonEC2ContainerServiceV20141113"
AGENT = "BerthAgent_20261122"
MD_BEGIN = "<!-- bench/run.py: generated below, do not edit by hand -->"
MD_END = "<!-- bench/run.py: end -->"


# ---- small helpers ----------------------------------------------------------

def pct(xs, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(q / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def med(xs):
    return pct(xs, 50)


class Client:
    """One keep-alive HTTP connection speaking the ECS JSON protocol, kept
    cheap: bodies may be prebuilt bytes.  Every request is SigV4-signed
    with key (default: the session's root key, berth_proc.ROOT_KEY) by a
    small signer of its own, for this one request shape, with the signing
    key kept per day: botocore's signer costs several times more client CPU
    per request, and the client must not be what is measured.
    tests/integration/test_bench_smoke.py checks it signs as botocore does."""

    def __init__(self, endpoint, timeout=120, key=None, region=berth_proc.REGION):
        u = urllib.parse.urlparse(endpoint)
        self.host, self.port = u.hostname, u.port
        self.host_header = u.netloc
        self.timeout = timeout
        self.conn = None
        self.key = key or berth_proc.ROOT_KEY
        self.region = region
        self._signing_keys = {}  # (day, service) -> key

    def _signing_key(self, day, service):
        k = self._signing_keys.get((day, service))
        if k is None:
            k = ("AWS4" + self.key.secret_key).encode()
            for part in (day, self.region, service, "aws4_request"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            self._signing_keys = {(day, service): k}
        return k

    def headers(self, action, body, prefix=ECS, now=None):
        """The signed headers of a POST / of body as action (now: a time.time()
        to sign at)."""
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        day = amz_date[:8]
        service = berth_proc.service_of(prefix)
        target = "%s.%s" % (prefix, action)
        ctype = "application/x-amz-json-1.1"
        signed = "content-type;host;x-amz-date;x-amz-target"
        canonical = "POST\n/\n\ncontent-type:%s\nhost:%s\nx-amz-date:%s\nx-amz-target:%s\n\n%s\n%s" % (
            ctype, self.host_header, amz_date, target, signed, hashlib.sha256(body).hexdigest())
        scope = "%s/%s/%s/aws4_request" % (day, self.region, service)
        to_sign = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz_date, scope,
                                                      hashlib.sha256(canonical.encode()).hexdigest())
        sig = hmac.new(self._signing_key(day, service), to_sign.encode(), hashlib.sha256).hexdigest()
        return {"Host": self.host_header, "Content-Type": ctype, "X-Amz-Target": target, "X-Amz-Date": amz_date,
                "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                                 % (self.key.access_key, scope, signed, sig)}

    def call(self, action, body, prefix=ECS, check=True):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        headers = self.headers(action, body, prefix)
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", "/", body, headers)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        out = json.loads(data) if data else {}
        if check and r.status != 200:
            raise RuntimeError("%s: HTTP %d %s" % (action, r.status, data[:300]))
        return out

    def close(self):
        if self.conn:
            self.conn.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_stat(pid):
    """(rss bytes, cpu seconds user+system) of a process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return rss, cpu


def rss_private(pid):
    """Private (anonymous) resident bytes: RSS without the database pages
    SQLite maps (mmap_size), which the page cache holds once however many
    connections map them."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def dir_size(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(d, f)).st_size
            except OSError:
                pass
    return total


def wait_until(fn, timeout, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    return None


class Results:
    def __init__(self):
        self.figures = []
        self.notes = []

    def add(self, bench, name, unit, xs=None, value=None, ref_name=None, ref_xs=None, ref_value=None,
            lower_is_better=True, note=None, keep=False):
        """A figure: samples xs (median and p99 reported) or one value; with
        its reference measured in the same run, and berth/reference.  keep:
        the samples go into the results too (bench/plot.py draws them)."""
        f = {"bench": bench, "name": name, "unit": unit}
        if xs:
            f.update(median=med(xs), p99=pct(xs, 99), n=len(xs))
        elif value is not None:
            f.update(median=value, p99=None, n=1)
        else:
            return
        if ref_name and (ref_xs or ref_value is not None):
            f["reference"] = {"name": ref_name}
            if ref_xs:
                f["reference"].update(median=med(ref_xs), p99=pct(ref_xs, 99), n=len(ref_xs))
            else:
                f["reference"].update(median=ref_value, p99=None, n=1)
            if f["reference"]["median"]:
                f["ratio"] = f["median"] / f["reference"]["median"]
                f["berth_behind"] = f["ratio"] > 1.0 if lower_is_better else f["ratio"] < 1.0
        if note:
            f["note"] = note
        if keep and xs:
            f["samples"] = [round(x, 3) for x in xs]
            if ref_xs:
                f["reference"]["samples"] = [round(x, 3) for x in ref_xs]
        self.figures.append(f)
        fmt = lambda v: "-" if v is None else ("%.4g" % v)  # noqa: E731
        line = "  %-58s %10s %10s %s" % (name, fmt(f["median"]), fmt(f["p99"]), unit)
        if "reference" in f:
            line += "   ref %s %s, ratio %.2f" % (f["reference"]["name"], fmt(f["reference"]["median"]),
                                                 f.get("ratio", 0))
        print(line, flush=True)

    def note(self, bench, text):
        self.notes.append({"bench": bench, "note": text})
        print("  note: " + text, flush=True)


# ---- real stacks ----------------------------------------------------------------

@contextlib.contextmanager
def real_stack(name, cluster, extra_agents=None, agent_args=(), server_args=()):
    """The integration tests' Stack (real registry with the test images,
    server, agent running real containers) in a temporary directory, plus
    one more real agent per cluster in extra_agents ({cluster: extra args}),
    each with its own bridge and task subnet as agents sharing a host need.
    On exit every task is stopped and everything removed."""
    import stack as stackmod
    # ExitStack: every later step still runs when an earlier one raises.
    with contextlib.ExitStack() as cleanup:
        tmp = tempfile.mkdtemp(prefix="berth-bench-%s-" % name)
        cleanup.callback(shutil.rmtree, tmp, ignore_errors=True)
        cleanup.callback(berth_proc.unmount_under, tmp)
        st = stackmod.Stack(tmp, cluster=cluster, agent_args=agent_args, server_args=server_args)
        cleanup.callback(st.close)
        for c, extra in (extra_agents or {}).items():
            st.ecs.create_cluster(clusterName=c)
            agent = berth_proc.BerthAgent(st.server.endpoint, c, os.path.join(tmp, "agent-" + c),
                                          os.path.join(tmp, "agent-%s.log" % c),
                                          extra_args=list(extra) + stackmod.net_args()).start()
            cleanup.callback(agent.stop, check=False)
            berth_proc.wait_for(lambda: st.ecs.list_container_instances(cluster=c)["containerInstanceArns"],
                                what="the %s agent to register" % c)
        cleanup.callback(stop_all_tasks, st, [cluster] + list(extra_agents or {}))
        yield st


def stop_all_tasks(st, clusters, timeout=60):
    """Stop every service and task in the clusters and wait until the
    agents report every task STOPPED: an agent that exits leaves its
    containers running (it re-adopts them on restart)."""
    for c in clusters:
        arns = st.ecs.list_services(cluster=c)["serviceArns"]
        for svc in st.ecs.describe_services(cluster=c, services=arns)["services"] if arns else []:
            if svc["status"] == "ACTIVE":
                st.ecs.delete_service(cluster=c, service=svc["serviceArn"], force=True)
        for a in st.ecs.list_tasks(cluster=c)["taskArns"]:
            st.ecs.stop_task(cluster=c, task=a)

    def all_stopped():
        for c in clusters:
            for page in st.ecs.get_paginator("list_tasks").paginate(cluster=c, desiredStatus="STOPPED"):
                if page["taskArns"] and any(t["lastStatus"] != "STOPPED" for t in st.ecs.describe_tasks(
                        cluster=c, tasks=page["taskArns"])["tasks"]):
                    return False
        return not any(st.ecs.list_tasks(cluster=c)["taskArns"] for c in clusters)
    if not wait_until(all_stopped, timeout, 0.2):
        raise RuntimeError("tasks still running %d s after StopTask" % timeout)


# ---- task start ---------------------------------------------------------------

@contextlib.contextmanager
def podman_reference(cfg, runtimes):
    """podman (bench/podman_start.py) beside berth's task start, warmed up
    (the first start of each kind creates its network), or None without it."""
    import podman_start
    if not cfg["podman_modes"] or not podman_start.available():
        yield None
        return
    pod = podman_start.Podman()
    try:
        for rt in runtimes:
            for pmode in cfg["podman_modes"]:
                pod.start(rt, pmode, 0)
        yield pod
    finally:
        pod.close()


def add_podman_figures(res, samples, runtimes, modes):
    """berth beside podman: networkMode none against podman's none, awsvpc
    (a namespace of its own on a bridge) against podman's default bridge;
    podman's published port on its own (berth's task start has no port)."""
    pairs = (("none", "none"), ("awsvpc", "bridge"))
    for rt in runtimes:
        for mode, pmode in pairs:
            pod = samples.get("podman %s %s" % (rt, pmode))
            if mode in modes and pod:
                res.add("task_start", "RunTask -> RUNNING, %s, networkMode %s, beside podman" % (rt, mode), "ms",
                        samples["%s %s" % (rt, mode)], ref_name="podman run -d until running, network %s" % pmode,
                        ref_xs=pod)
        port = samples.get("podman %s port" % rt)
        if port:
            res.add("task_start", "podman run -d until running, %s, published port (no berth counterpart here)" % rt,
                    "ms", port)


def bench_task_start(args, res, cfg):
    """RunTask -> RUNNING (DescribeTasks) on a real agent with a cached
    busybox image, networkMode none and awsvpc, runc and crun; beside it the
    bare runtime's create+start of an equivalent bundle.  Also the agent's
    RSS with 0 and 50 running tasks."""
    import runtime_start
    import task_start_breakdown as breakdown
    n = cfg["task_start_n"]
    debug = ["--log-level", "debug"]  # the reporter's timings feed the breakdown
    with real_stack("start", "runc", extra_agents={"crun": ["--runtime", "crun"] + debug},
                    agent_args=debug) as st:
        tmp = st.tmp
        cli = Client(st.server.endpoint)
        # TERM ends it at once: the task's stop is not what is measured.
        cmd = ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
        for mode in ("none", "awsvpc"):
            st.ecs.register_task_definition(family="start-" + mode, networkMode=mode, containerDefinitions=[
                {"name": "app", "image": st.image, "memory": 32, "command": cmd}])
        rootfs, bundle = runtime_start.make_bundle(os.path.join(tmp, "bare"))

        records = {}  # (cluster, family) -> run_and_time records, for the breakdown

        def run_one(cluster, family):
            extra = None
            if family.endswith("awsvpc"):
                extra = {"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-bench"]}}}
            r = breakdown.run_and_time(cli, cluster, family, extra)
            records.setdefault((cluster, family), []).append(r)
            return r["running"] - r["sent"]

        # Warm-up: pull the image into each agent's cache, create each
        # agent's bridge (not measured).
        modes, runtimes = cfg["start_modes"], cfg["start_runtimes"]
        for rt in runtimes:
            for mode in modes:
                run_one(rt, "start-" + mode)
        samples = {}
        with podman_reference(cfg, runtimes) as pod:
            for i in range(n):
                for rt in runtimes:
                    samples.setdefault("bare " + rt, []).append(
                        runtime_start.bare(rt, bundle, os.path.join(tmp, "state-" + rt), i) * 1000)
                    for mode in modes:
                        samples.setdefault("%s %s" % (rt, mode), []).append(run_one(rt, "start-" + mode) * 1000)
                    for pmode in (cfg["podman_modes"] if pod else []):
                        samples.setdefault("podman %s %s" % (rt, pmode), []).append(pod.start(rt, pmode, i + 1))
        for rt in runtimes:
            for mode in modes:
                res.add("task_start", "RunTask -> RUNNING, %s, networkMode %s" % (rt, mode), "ms",
                        samples["%s %s" % (rt, mode)], ref_name="bare %s create+start" % rt,
                        ref_xs=samples["bare " + rt], keep=True)
        add_podman_figures(res, samples, runtimes, modes)
        agent_logs = {"runc": os.path.join(tmp, "agent.log"), "crun": os.path.join(tmp, "agent-crun.log")}
        for rt in runtimes:  # the first start of each was the warm-up
            if "none" in modes:
                breakdown.add_figures(res, "task_start_steps", rt + " none", records[(rt, "start-none")][1:],
                                      agent_logs[rt])
        if not cfg["agent_tasks"]:
            cli.close()
            return

        # Footprint of a real agent: idle, then with 50 running tasks.
        pid = st.agent.proc.pid
        rss0, _ = proc_stat(pid)
        n_run = cfg["agent_tasks"]
        arns = []
        while len(arns) < n_run:
            out = cli.call("RunTask", {"cluster": "runc", "taskDefinition": "start-none",
                                       "count": min(10, n_run - len(arns))})
            arns += [t["taskArn"] for t in out["tasks"]]

        def all_running():
            ok = 0
            for k in range(0, len(arns), 100):
                ts = cli.call("DescribeTasks", {"cluster": "runc", "tasks": arns[k:k + 100]})["tasks"]
                ok += sum(t["lastStatus"] == "RUNNING" for t in ts)
            return ok == len(arns)

        wait_until(all_running, 180, 0.5)
        time.sleep(1)
        rss1, _ = proc_stat(pid)
        res.add("footprint", "agent RSS, 0 tasks", "MB", value=rss0 / 1e6)
        res.add("footprint", "agent RSS, %d running tasks (real containers)" % n_run, "MB", value=rss1 / 1e6,
                note="the agent process only; each container also has a conmon (~1 MB RSS)")
        for a in arns:
            cli.call("StopTask", {"cluster": "runc", "task": a})
        wait_until(lambda: not cli.call("ListTasks", {"cluster": "runc"})["taskArns"], 60, 0.5)
        cli.close()


# ---- placement, scale and server footprint ------------------------------------

# The services benchmark fills one service with tens of thousands of tasks,
# past ECS's (and berth's default) 5,000 tasks-per-service quota.
BENCH_SERVER_ARGS = ("--max-service-tasks", "1000000")


def start_server(tmp, name, store_args=()):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    return berth_proc.BerthServer(d, os.path.join(tmp, name + ".log"),
                                  extra_args=BENCH_SERVER_ARGS + tuple(store_args)).start(timeout=60)


def start_hollow(srv, tmp, cluster, n_inst, zones=("az-a", "az-b", "az-c"), expect=None):
    """One hollow agent per zone; returns them once all instances (expect:
    all in the cluster) are registered."""
    expect = expect or n_inst
    agents = []
    per = [n_inst // len(zones) + (1 if k < n_inst % len(zones) else 0) for k in range(len(zones))]
    for z, cnt in zip(zones, per):
        if cnt == 0:
            continue
        agents.append(berth_proc.BerthAgent(
            srv.endpoint, cluster, os.path.join(tmp, "hollow-%s-%s" % (cluster, z)),
            os.path.join(tmp, "hollow-%s-%s.log" % (cluster, z)), hollow=cnt,
            extra_args=["--availability-zone", z, "--hollow-cpu", "4096", "--hollow-memory", "8192"]).start())
    cli = Client(srv.endpoint)
    ok = wait_until(lambda: cli.call("DescribeClusters", {"clusters": [cluster]})["clusters"][0]
                    ["registeredContainerInstancesCount"] == expect, 300, 0.2)
    cli.close()
    if not ok:
        raise RuntimeError("hollow instances did not register")
    return agents


def _placer(endpoint, body, calls, deadline, out_q):
    """One client process: `calls` RunTask calls with a prebuilt body over
    one keep-alive connection, or until the deadline (time.time());
    reports latencies and tasks placed."""
    cli = Client(endpoint)
    lat, placed, failures = [], 0, 0
    for _ in range(calls):
        if time.time() > deadline:
            break
        t0 = time.perf_counter()
        out = cli.call("RunTask", body)
        lat.append((time.perf_counter() - t0) * 1000)
        placed += len(out.get("tasks", []))
        failures += len(out.get("failures", []))
    cli.close()
    out_q.put((lat, placed, failures))


def place(endpoint, cluster, family, strategy, total, clients, max_seconds):
    """Place `total` tasks with RunTask count 10 from `clients` processes
    (processes, not threads: the client must not be what is measured),
    stopping after max_seconds.  endpoint may be a list of servers on one
    store: client k sends to endpoint[k % len]."""
    endpoints = endpoint if isinstance(endpoint, (list, tuple)) else [endpoint]
    body = json.dumps({"cluster": cluster, "taskDefinition": family, "count": 10,
                       "placementStrategy": strategy}).encode()
    calls = total // 10
    q = multiprocessing.Queue()
    deadline = time.time() + max_seconds
    procs = [multiprocessing.Process(target=_placer, args=(endpoints[k % len(endpoints)], body, calls // clients +
                                                           (1 if k < calls % clients else 0), deadline, q))
             for k in range(clients)]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    lat, placed, failures = [], 0, 0
    for _ in procs:
        lt, pl, fl = q.get(timeout=1800)
        lat += lt
        placed += pl
        failures += fl
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    return lat, placed, failures, wall


def place_c(api_load, endpoint, cli, cluster, family, strategy, clients, seconds):
    """RunTask count 10 from bench/api_load.c's `clients` C threads for
    `seconds` (one keep-alive connection each, requests signed before the
    clock starts): on 2 cores, Python client processes queue beside the
    server and add their own waits to the latency they measure.  Returns
    (tasks placed per second, latencies ms)."""
    def placed():
        c = cli.call("DescribeClusters", {"clusters": [cluster]})["clusters"][0]
        return c["pendingTasksCount"] + c["runningTasksCount"]
    body = json.dumps({"cluster": cluster, "taskDefinition": family, "count": 10, "placementStrategy": strategy})
    argv = [api_load, "127.0.0.1", endpoint.rsplit(":", 1)[1], str(seconds), str(clients), "ecs",
            "%s.RunTask" % ECS, body]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=berth_proc.ROOT_KEY.access_key,
               AWS_SECRET_ACCESS_KEY=berth_proc.ROOT_KEY.secret_key, AWS_DEFAULT_REGION=berth_proc.REGION)
    before = placed()
    out = json.loads(subprocess.run(argv, env=env, stdout=subprocess.PIPE, check=True,
                                    timeout=seconds + 120).stdout)
    if out["errors"]:
        raise RuntimeError("api_load: %d errors, the first: %s" % (out["errors"], out["first_error"]))
    # Each client's first request goes before the clock starts: not timed.
    timed = placed() - before - 10 * clients
    return max(timed, 0) / out["seconds"], [x / 1000.0 for xs in out["latency_us"].values() for x in xs]


def read_latencies(cli, cluster, reps):
    """Median latency (ms) of the reads that must stay flat as tables grow."""
    arns = cli.call("ListTasks", {"cluster": cluster, "maxResults": 100})["taskArns"]
    insts = cli.call("ListContainerInstances", {"cluster": cluster, "maxResults": 100})["containerInstanceArns"]
    calls = {
        "ListTasks (100)": ("ListTasks", {"cluster": cluster, "maxResults": 100}),
        "DescribeTasks (100)": ("DescribeTasks", {"cluster": cluster, "tasks": arns or ["none"]}),
        "DescribeContainerInstances (100)": ("DescribeContainerInstances",
                                             {"cluster": cluster, "containerInstances": insts or ["none"]}),
        "DescribeClusters (with counts)": ("DescribeClusters", {"clusters": [cluster]}),
    }
    out = {}
    for name, (action, body) in calls.items():
        b = json.dumps(body).encode()
        xs = []
        for _ in range(reps):
            t0 = time.perf_counter()
            cli.call(action, b)
            xs.append((time.perf_counter() - t0) * 1000)
        out[name] = xs
    return out


PLACEMENT_STRATEGIES = {
    "binpack(memory)": [{"type": "binpack", "field": "memory"}],
    "spread(AZ)": [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
}


@contextlib.contextmanager
def hollow_cluster(res, bench, n_inst, store_args=()):
    """A fresh server (on the store store_args name, default SQLite) with
    cluster "p", task definition "hollow" and n_inst hollow instances in 3
    AZs (their registration rate is a figure); yields (server, client,
    agents) and removes all of it on exit."""
    tmp = tempfile.mkdtemp(prefix="berth-bench-place-")
    srv, agents, cli = None, [], None
    try:
        srv = start_server(tmp, "server", store_args)
        cli = Client(srv.endpoint)
        cli.call("CreateCluster", {"clusterName": "p"})
        cli.call("RegisterTaskDefinition", {"family": "hollow", "containerDefinitions": [
            {"name": "app", "image": "busybox", "cpu": 64, "memory": 128}]})
        t0 = time.perf_counter()
        agents = start_hollow(srv, tmp, "p", n_inst)
        res.add(bench, "register %d hollow instances (3 agents)" % n_inst, "instances/s",
                value=n_inst / (time.perf_counter() - t0), lower_is_better=False)
        yield srv, cli, agents
    finally:
        if cli:
            cli.close()
        for a in agents:
            a.stop(check=False)
        if srv:
            srv.stop(check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def wait_all_running(res, cli, label, placed, timeout):
    """Hollow agents acknowledge every task: how long until all `placed`
    report RUNNING."""
    t1 = time.perf_counter()
    ok = wait_until(lambda: cli.call("DescribeClusters", {"clusters": ["p"]})["clusters"][0]
                    ["runningTasksCount"] >= placed, timeout, 0.2)
    if ok:
        res.add("placement", "all RUNNING after placement ends, " + label, "s", value=time.perf_counter() - t1)
    else:
        res.note("placement", "%s: not all tasks RUNNING within %ds" % (label, timeout))


def bench_store(args, res, cfg):
    """RunTask throughput and the API mix on each store backend, in one run:
    the placement benchmark's RunTask (count 10, binpack) on hollow
    instances, then bench_api's request mix on the same server, on SQLite
    and on a throwaway PostgreSQL 15 (tests/integration/pgserver.py: unix
    socket, fsync off, as the tests run it), alternating, each on a fresh
    server."""
    from pgserver import PgServer
    pg = PgServer().start()
    try:
        n_inst, strategy = cfg["store_instances"], PLACEMENT_STRATEGIES["binpack(memory)"]
        for rnd in range(cfg["store_rounds"]):
            for backend in ("SQLite", "PostgreSQL"):
                store_args = ()
                if backend == "PostgreSQL":
                    db = "bench%d" % rnd
                    pg.createdb(db)
                    store_args = ("--store", "postgresql://berth@/%s?host=%s" % (db, pg.sock))
                with hollow_cluster(res, "store", n_inst, store_args) as (srv, cli, agents):
                    lat, placed, failures, wall = place(srv.endpoint, "p", "hollow", strategy,
                                                        cfg["placement_tasks"], cfg["clients"],
                                                        cfg["place_seconds"])
                    label = "%s, %d instances, binpack(memory)" % (backend, n_inst)
                    res.add("store", "RunTask placements/s, " + label, "tasks/s", value=placed / wall,
                            lower_is_better=False,
                            note="%d placed in %.0f s, %d failures, %d clients x RunTask count 10"
                                 % (placed, wall, failures, cfg["clients"]))
                    res.add("store", "RunTask (count 10) latency, " + label, "ms", lat)
                    # The API mix (writes and reads, as bench_api's) on the same server.
                    cli.call("CreateCluster", {"clusterName": "api"})
                    rate, mix_lat = run_mix(srv.endpoint, cfg["clients"], cfg["api_seconds"])
                    res.add("store", "API mix requests/s, %s" % backend, "req/s", value=rate, lower_is_better=False,
                            note="%d keep-alive clients, mix %s, %d s" % (cfg["clients"], "/".join(MIX),
                                                                          cfg["api_seconds"]))
                    res.add("store", "API mix latency, %s" % backend, "ms", mix_lat)
    finally:
        pg.stop()


def _healthz(srv):
    """GET /healthz's answer ("ok leader", "ok follower", ...) or None."""
    try:
        with urllib.request.urlopen(srv.endpoint + "/healthz", timeout=2) as r:
            return r.read().decode().strip()
    except OSError:
        return None


def _run_ok(endpoint):
    """One RunTask (count 1) of "hollow" in "p": placed, answered 200?"""
    cli = Client(endpoint, timeout=10)
    try:
        out = cli.call("RunTask", {"cluster": "p", "taskDefinition": "hollow"}, check=False)
        return bool(out.get("tasks")) and not out.get("failures")
    except (OSError, http.client.HTTPException, ValueError):
        return False
    finally:
        cli.close()


def _recovery(res, label, kill, live, rounds):
    """rounds times: kill() a server (returns when it is dead) at t0; then
    the time until live() names a leader (a server), and until a RunTask
    through it succeeds."""
    to_leader, to_run = [], []
    for _ in range(rounds):
        t0 = kill()
        leader = None
        while leader is None and time.monotonic() - t0 < 60:
            leader = next((srv for srv in live() if _healthz(srv) == "ok leader"), None)
            if leader is None:
                time.sleep(0.01)
        if leader is None:
            res.note("failover", "%s: no leader within 60 s" % label)
            continue
        to_leader.append(time.monotonic() - t0)
        while not _run_ok(leader.endpoint) and time.monotonic() - t0 < 60:
            time.sleep(0.01)
        to_run.append(time.monotonic() - t0)
    if to_leader:
        res.add("failover", "kill -9 -> a leader, " + label, "s", to_leader,
                note="%d runs: %s" % (len(to_leader), " ".join("%.2f" % x for x in to_leader)))
        res.add("failover", "kill -9 -> a RunTask through it succeeds, " + label, "s", to_run,
                note="%d runs: %s" % (len(to_run), " ".join("%.2f" % x for x in to_run)))


def bench_failover(args, res, cfg):
    """Leader failover on PostgreSQL beside a restart on SQLite, and RunTask
    throughput through one and two servers on one PostgreSQL.

    Three servers on one throwaway PostgreSQL 15 (unix socket, fsync off),
    cfg["failover_instances"] hollow instances whose agent has all three
    URLs: kill -9 the leader, time until another server's /healthz says
    leader and until a RunTask through it succeeds; the killed server is
    started again before the next round.  The SQLite figure: one server,
    kill -9, started again at once (as systemd's Restart=always would), the
    same two times.  Then RunTask placements/s (count 10, binpack, as
    "store") from cfg["clients"] clients through one server and through two,
    alternating, on the same cluster."""
    from pgserver import PgServer
    rounds = cfg["failover_rounds"]
    tmp = tempfile.mkdtemp(prefix="berth-bench-failover-")
    pg = PgServer().start()
    servers, agents = [], []
    try:
        # SQLite: one server, restarted after each kill.
        sq = start_server(tmp, "sqlite")
        servers.append(sq)
        cli = Client(sq.endpoint)
        cli.call("CreateCluster", {"clusterName": "p"})
        cli.call("RegisterTaskDefinition", {"family": "hollow", "containerDefinitions": [
            {"name": "app", "image": "busybox", "cpu": 64, "memory": 128}]})
        cli.close()
        agents += start_hollow(sq, tmp, "p", 3, zones=("az-a",))

        def kill_sqlite():
            sq.kill9()
            t0 = time.monotonic()
            sq.start(timeout=60)
            return t0
        _recovery(res, "SQLite, 1 server restarted", kill_sqlite, lambda: [sq], rounds)
        for a in agents:
            a.stop(check=False)
        agents = []
        sq.stop(check=False)
        servers.remove(sq)

        # PostgreSQL: three servers, one database, one master key.
        pg.createdb("failover")
        url = "postgresql://berth@/failover?host=%s" % pg.sock
        for k in range(3):
            d = os.path.join(tmp, "pg%d" % k)
            os.makedirs(d)
            if k:
                shutil.copy2(os.path.join(tmp, "pg0", "master.key"), os.path.join(d, "master.key"))
            servers.append(berth_proc.BerthServer(d, os.path.join(tmp, "pg%d.log" % k),
                                                  extra_args=BENCH_SERVER_ARGS + ("--store", url)).start(timeout=60))
        cli = Client(servers[0].endpoint)
        cli.call("CreateCluster", {"clusterName": "p"})
        cli.call("RegisterTaskDefinition", {"family": "hollow", "containerDefinitions": [
            {"name": "app", "image": "busybox", "cpu": 64, "memory": 128}]})
        cli.close()
        n_inst = cfg["failover_instances"]
        agent = berth_proc.BerthAgent(
            ",".join(s.endpoint for s in servers), "p", os.path.join(tmp, "hollow-pg"),
            os.path.join(tmp, "hollow-pg.log"), hollow=n_inst,
            extra_args=["--availability-zone", "az-a", "--hollow-cpu", "4096", "--hollow-memory", "8192"]).start()
        agents.append(agent)
        check = Client(servers[0].endpoint)
        if not wait_until(lambda: check.call("DescribeClusters", {"clusters": ["p"]})["clusters"][0]
                          ["registeredContainerInstancesCount"] == n_inst, 300, 0.2):
            raise RuntimeError("hollow instances did not register")
        check.close()
        dead = []

        def kill_leader():
            if dead:  # the last round's victim is back as a follower first
                dead.pop().start(timeout=60)
            leader = None
            while leader is None:
                leader = next((srv for srv in servers if _healthz(srv) == "ok leader"), None)
                time.sleep(0.05)
            leader.kill9()
            dead.append(leader)
            return time.monotonic()
        _recovery(res, "PostgreSQL, 3 servers", kill_leader, lambda: [s for s in servers if s.alive()], rounds)
        if dead:
            dead.pop().start(timeout=60)

        # RunTask throughput through one server and through two.
        strategy = PLACEMENT_STRATEGIES["binpack(memory)"]
        for rnd in range(cfg["store_rounds"]):
            for n in (1, 2):
                lat, placed, failures, wall = place([s.endpoint for s in servers[:n]], "p", "hollow", strategy,
                                                    cfg["failover_tasks"], cfg["clients"], cfg["place_seconds"])
                label = "PostgreSQL, %d server%s, %d instances, binpack(memory)" % (n, "s" if n > 1 else "", n_inst)
                res.add("failover", "RunTask placements/s, " + label, "tasks/s", value=placed / wall,
                        lower_is_better=False,
                        note="%d placed in %.0f s, %d failures, %d clients x RunTask count 10"
                             % (placed, wall, failures, cfg["clients"]))
    finally:
        for a in agents:
            a.stop(check=False)
        for s in servers:
            s.stop(check=False)
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def bench_placement(args, res, cfg):
    """Placement throughput through RunTask on hollow instances in 3 AZs,
    binpack and spread, each on a fresh server."""
    for n_inst in cfg["placement_instances"]:
        for sname, strategy in PLACEMENT_STRATEGIES.items():
            if sname not in cfg["placement_strategies"]:
                continue
            with hollow_cluster(res, "placement", n_inst) as (srv, cli, agents):
                total = cfg["placement_tasks"]
                lat, placed, failures, wall = place(srv.endpoint, "p", "hollow", strategy, total, cfg["clients"],
                                                    cfg["place_seconds"])
                label = "%d instances, %s" % (n_inst, sname)
                res.add("placement", "RunTask placements/s, " + label, "tasks/s", value=placed / wall,
                        lower_is_better=False,
                        note="%d placed in %.0f s (bounded at %d s), %d failures, %d clients x RunTask count 10"
                             % (placed, wall, cfg["place_seconds"], failures, cfg["clients"]))
                res.add("placement", "RunTask (count 10) latency, " + label, "ms", lat)
                if not cfg["running_timeout"]:
                    continue
                wait_all_running(res, cli, label, placed, cfg["running_timeout"])
                if n_inst == max(cfg["placement_instances"]):
                    rss_a = sum(proc_stat(a.proc.pid)[0] for a in agents)
                    res.add("footprint", "hollow agents RSS, %d instances (3 processes)" % n_inst, "MB",
                            value=rss_a / 1e6)
    # The conditions (16 clients) from C clients: the server's latency.
    api_load = api_load_bin(args)
    for n_inst in cfg["placement_instances"] if api_load and cfg["place_c_seconds"] else []:
        with hollow_cluster(res, "placement", n_inst) as (srv, cli, agents):
            rate, lat = place_c(api_load, srv.endpoint, cli, "p", "hollow", PLACEMENT_STRATEGIES["binpack(memory)"],
                                cfg["place_c_clients"], cfg["place_c_seconds"])
            label = "%d instances, binpack(memory), %d C clients (bench/api_load.c)" % (n_inst, cfg["place_c_clients"])
            res.add("placement", "RunTask placements/s, " + label, "tasks/s", value=rate, lower_is_better=False,
                    note="RunTask count 10 for %g s" % cfg["place_c_seconds"])
            res.add("placement", "RunTask (count 10) latency, " + label, "ms", lat)
    if not cfg["idle_seconds"]:
        return
    # The server alone, empty and idle.
    tmp = tempfile.mkdtemp(prefix="berth-bench-idle-")
    try:
        srv = start_server(tmp, "server")
        time.sleep(1)
        rss, c0 = proc_stat(srv.proc.pid)
        time.sleep(cfg["idle_seconds"])
        _, c1 = proc_stat(srv.proc.pid)
        res.add("footprint", "server RSS, empty", "MB", value=rss / 1e6)
        res.add("footprint", "server CPU idle, empty", "% of a core", value=100 * (c1 - c0) / cfg["idle_seconds"])
        srv.stop(check=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def service_fill(cli, strategy, desired, max_seconds, on_placed=None):
    """CreateService "fill" with `desired` tasks on cluster "p"; polls
    DescribeServices until runningCount == desired or max_seconds.  Returns
    (seconds until every task was placed (pending + running == desired) or
    None, seconds until all RUNNING or None, tasks placed at the end,
    seconds watched); on_placed() is called when all are placed."""
    body = json.dumps({"cluster": "p", "services": ["fill"]}).encode()
    t0 = time.perf_counter()
    cli.call("CreateService", {"cluster": "p", "serviceName": "fill", "taskDefinition": "hollow",
                               "desiredCount": desired, "placementStrategy": strategy})
    t_placed = None
    while True:
        svc = cli.call("DescribeServices", body)["services"][0]
        now = time.perf_counter() - t0
        placed = svc["pendingCount"] + svc["runningCount"]
        if t_placed is None and placed >= desired:
            t_placed = now
            if on_placed:
                on_placed()
        if svc["runningCount"] >= desired:
            return t_placed, now, placed, now
        if now > max_seconds:
            return t_placed, None, placed, now
        # Placement may be one scheduler round: poll finely until it is done.
        time.sleep(0.01 if t_placed is None else 0.2)


def bench_services(args, res, cfg):
    """Placement through a service's desired count on the placement
    benchmark's hollow clusters (fresh server each), then a rolling
    deployment of real containers."""
    for n_inst in cfg["placement_instances"]:
        for sname, strategy in PLACEMENT_STRATEGIES.items():
            with hollow_cluster(res, "services", n_inst) as (srv, cli, agents):
                desired = cfg["service_tasks"][str(n_inst)]
                t_placed, t_running, placed, watched = service_fill(cli, strategy, desired,
                                                                    cfg["service_seconds"])
                label = "%d instances, %s" % (n_inst, sname)
                bound = "CreateService desiredCount %d, bounded at %d s" % (desired, cfg["service_seconds"])
                if t_placed is None:
                    res.add("services", "placements/s through desiredCount, " + label, "tasks/s",
                            value=placed / watched, lower_is_better=False,
                            note="%d of %d placed in %.0f s; %s" % (placed, desired, watched, bound))
                    res.note("services", "%s: %d of %d tasks placed within %d s"
                             % (label, placed, desired, cfg["service_seconds"]))
                    continue
                res.add("services", "placements/s through desiredCount, " + label, "tasks/s",
                        value=desired / t_placed, lower_is_better=False,
                        note="all placed (pending + running = desired) after %.1f s; %s" % (t_placed, bound))
                if t_running is None:
                    res.note("services", "%s: runningCount did not reach %d within %d s"
                             % (label, desired, cfg["service_seconds"]))
                else:
                    res.add("services", "CreateService -> runningCount == desiredCount, " + label, "s",
                            value=t_running, note=bound)
    # Rolling deployment: real agent and containers, cached image.
    import service_rollout
    with real_stack("rollout", "rollout") as st:
        times = service_rollout.rollout_times(st, cfg["rollout_runs"])
    res.add("services", "UpdateService -> steady, %d real busybox tasks, rolling 100/200" % service_rollout.TASKS,
            "s", times, note="%d runs; steady as services-stable judges it: one deployment, running == desired"
                             % len(times))


def bench_scale(args, res, cfg):
    """Reads that must stay flat as the tables grow: ListTasks,
    DescribeTasks, DescribeContainerInstances, DescribeClusters at several
    task counts, then with 5,000 instances; and the server's footprint with
    all of it stored.  The tasks are placed while the cluster has 100 large
    instances, whose hollow agent is stopped once they are registered (the
    server's agent timeout is long, so they stay connected): the tasks stay
    PENDING and the fill is RunTask's writes alone (the placement figures
    cover reporting).  The rest of the instances register after, with
    running hollow agents."""
    tmp = tempfile.mkdtemp(prefix="berth-bench-scale-")
    srv, agents = None, []
    try:
        d = os.path.join(tmp, "server")
        os.makedirs(d)
        srv = berth_proc.BerthServer(d, os.path.join(tmp, "server.log"),
                                     # ECS allows 5,000 instances a cluster; issue 23's scale
                                     # goal is 10,000 in one.
                                     extra_args=["--agent-timeout", "3600", "--max-cluster-instances",
                                                 str(max(5000, cfg["scale_instances"]))]).start(timeout=60)
        cli = Client(srv.endpoint)
        cli.call("CreateCluster", {"clusterName": "s"})
        cli.call("RegisterTaskDefinition", {"family": "hollow", "containerDefinitions": [
            {"name": "app", "image": "busybox", "cpu": 1, "memory": 6}]})
        big = berth_proc.BerthAgent(
            srv.endpoint, "s", os.path.join(tmp, "hollow-big"), os.path.join(tmp, "hollow-big.log"),
            hollow=cfg["scale_big_instances"],
            extra_args=["--hollow-cpu", "10000000", "--hollow-memory", "10000000"]).start()
        wait_until(lambda: cli.call("DescribeClusters", {"clusters": ["s"]})["clusters"][0]
                   ["registeredContainerInstancesCount"] == cfg["scale_big_instances"], 120, 0.2)
        time.sleep(1)  # its first bulk poll has marked them connected
        big.stop(check=False)
        strategy = [{"type": "spread", "field": "instanceId"}]
        sizes = {}
        placed = 0
        n_inst = cfg["scale_big_instances"]
        sizes[(n_inst, 0)] = read_latencies(cli, "s", cfg["read_reps"])
        fill_deadline = time.time() + cfg["scale_fill_seconds"]
        for target in cfg["scale_steps"]:
            if time.time() > fill_deadline:
                break
            _, got, _, _ = place(srv.endpoint, "s", "hollow", strategy, target - placed, cfg["clients"],
                                 max(1, fill_deadline - time.time()))
            placed += got
            sizes[(n_inst, placed)] = read_latencies(cli, "s", cfg["read_reps"])
        if placed < cfg["scale_steps"][-1]:
            res.note("scale", "filling reached %d of %d tasks in its %d s bound"
                     % (placed, cfg["scale_steps"][-1], cfg["scale_fill_seconds"]))
        # Then the rest of the instances (scale_instances in all).
        more = cfg["scale_instances"] - n_inst
        if more > 0:
            agents += start_hollow(srv, tmp, "s", more, expect=cfg["scale_instances"])
            n_inst = cfg["scale_instances"]
            time.sleep(3)  # let the new agents' first polls settle
            sizes[(n_inst, placed)] = read_latencies(cli, "s", cfg["read_reps"])
        for name in sizes[(cfg["scale_big_instances"], 0)]:
            for (ni, nt), lats in sorted(sizes.items()):
                res.add("scale", "%s, %d instances, %d tasks" % (name, ni, nt), "ms", lats[name])
        # Footprint with all of it stored: idle CPU over a few seconds (the
        # hollow agents' long-polls are open).
        time.sleep(2)
        rss, c0 = proc_stat(srv.proc.pid)
        time.sleep(cfg["idle_seconds"])
        _, c1 = proc_stat(srv.proc.pid)
        res.add("footprint", "server RSS, %d instances + %d tasks stored" % (n_inst, placed), "MB",
                value=rss / 1e6, note="counts the database file once per pooled connection that maps it")
        res.add("footprint", "server private memory (RssAnon), %d instances + %d tasks stored" % (n_inst, placed),
                "MB", value=rss_private(srv.proc.pid) / 1e6)
        res.add("footprint", "server CPU idle, %d instances + %d tasks stored" % (n_inst, placed),
                "% of a core", value=100 * (c1 - c0) / cfg["idle_seconds"])
        wal = os.path.join(srv.data_dir, "berth.db-wal")
        res.add("footprint", "server data dir, %d instances + %d tasks" % (n_inst, placed), "MB",
                value=dir_size(srv.data_dir) / 1e6,
                note="of which WAL %.0f MB" % ((os.path.getsize(wal) if os.path.exists(wal) else 0) / 1e6))
        cli.close()
    finally:
        for a in agents:
            a.stop(check=False)
        if srv:
            srv.stop(check=False)
        shutil.rmtree(tmp, ignore_errors=True)


# ---- network setup ------------------------------------------------------------

def bench_network(args, res, cfg):
    """Per-task network setup inside a real agent (bench/net_setup.py), one
    task of each kind at a time; beside it, interleaved, the same bridge
    setup as `ip`/`nft` invocations in scratch namespaces."""
    import net_setup
    with real_stack("net", "net") as st:
        kinds, ref = net_setup.measure(st, cfg["net_tasks"])
    ref_name = "%d ip + 1 nft invocations" % net_setup.IpReference.IP_INVOCATIONS
    for kind, ms in kinds.items():
        with_ref = kind == net_setup.BRIDGE_PORT
        res.add("network", "network setup per task, " + kind, "ms", ms, ref_name=with_ref and ref_name,
                ref_xs=with_ref and ref, note="inside the agent: planning to the last netlink ack / nft exit")


# ---- API throughput against moto -----------------------------------------------

MIX = ("RegisterTaskDefinition", "DescribeTaskDefinition", "ListTasks", "DescribeTasks")


def _mix_worker(endpoint, wid, seconds, out_q):
    """Round-robin through the request mix for `seconds` on one keep-alive
    connection, with prebuilt bodies."""
    cli = Client(endpoint)
    fam = "mix%d" % wid
    bodies = {
        "RegisterTaskDefinition": json.dumps({"family": fam, "containerDefinitions": [
            {"name": "app", "image": "busybox", "memory": 64, "command": ["sleep", "1"]}]}).encode(),
        "DescribeTaskDefinition": json.dumps({"taskDefinition": fam}).encode(),
        "ListTasks": json.dumps({"cluster": "api"}).encode(),
        "DescribeTasks": json.dumps({"cluster": "api", "tasks": [
            "arn:aws:ecs:us-east-1:000000000000:task/api/0123456789abcdef0123456789abcdef"]}).encode(),
    }
    cli.call("RegisterTaskDefinition", bodies["RegisterTaskDefinition"])
    lat = []
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        a = MIX[i % len(MIX)]
        t0 = time.perf_counter()
        cli.call(a, bodies[a])
        lat.append((time.perf_counter() - t0) * 1000)
        i += 1
    cli.close()
    out_q.put(lat)


def run_mix(endpoint, clients, seconds):
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_mix_worker, args=(endpoint, k, seconds, q)) for k in range(clients)]
    for p in procs:
        p.start()
    lat = []
    for _ in procs:
        lat += q.get(timeout=seconds + 120)
    for p in procs:
        p.join()
    return len(lat) / seconds, lat


def api_load_bin(args):
    """bench/api_load.c's binary beside the berth binary (make bench builds
    it), or None."""
    path = os.path.join(os.path.dirname(args.bin), "api_load")
    return path if os.access(path, os.X_OK) else None


def run_mix_c(api_load, endpoint, clients, seconds):
    """The MIX through api_load: one keep-alive connection per client thread,
    requests signed once before the clock starts, so the server is what is
    measured.  Returns (req/s, latencies ms, read latencies ms, errors)."""
    fam = {"family": "mix{client}", "containerDefinitions": [
        {"name": "app", "image": "busybox", "memory": 64, "command": ["sleep", "1"]}]}
    bodies = {"RegisterTaskDefinition": fam, "DescribeTaskDefinition": {"taskDefinition": "mix{client}"},
              "ListTasks": {"cluster": "api"},
              "DescribeTasks": {"cluster": "api", "tasks": [
                  "arn:aws:ecs:us-east-1:000000000000:task/api/0123456789abcdef0123456789abcdef"]}}
    argv = [api_load, "127.0.0.1", endpoint.rsplit(":", 1)[1], str(seconds), str(clients), "ecs"]
    for a in MIX:
        argv += ["%s.%s" % (ECS, a), json.dumps(bodies[a])]
    env = dict(os.environ, AWS_ACCESS_KEY_ID=berth_proc.ROOT_KEY.access_key,
               AWS_SECRET_ACCESS_KEY=berth_proc.ROOT_KEY.secret_key, AWS_DEFAULT_REGION=berth_proc.REGION)
    out = json.loads(subprocess.run(argv, env=env, stdout=subprocess.PIPE, check=True,
                                    timeout=seconds + 120).stdout)
    if out["errors"]:
        raise RuntimeError("api_load: %d errors, the first: %s" % (out["errors"], out["first_error"]))
    lat = {a: [x / 1000.0 for x in xs] for a, xs in out["latency_us"].items()}
    reads = [x for a, xs in lat.items() if a != "RegisterTaskDefinition" for x in xs]
    return out["requests"] / out["seconds"], [x for xs in lat.values() for x in xs], reads


def run_mix_boto3(endpoint, threads, seconds):
    c = berth_proc.client(endpoint)
    c.create_cluster(clusterName="api")
    lat = []
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def worker(k):
        fam = "boto%d" % k
        cd = [{"name": "app", "image": "busybox", "memory": 64}]
        c.register_task_definition(family=fam, containerDefinitions=cd)
        calls = [lambda: c.register_task_definition(family=fam, containerDefinitions=cd),
                 lambda: c.describe_task_definition(taskDefinition=fam),
                 lambda: c.list_tasks(cluster="api"),
                 lambda: c.describe_tasks(cluster="api", tasks=["0123456789abcdef0123456789abcdef"])]
        mine, i = [], 0
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            calls[i % 4]()
            mine.append((time.perf_counter() - t0) * 1000)
            i += 1
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return len(lat) / seconds, lat


def moto_python():
    for cand in [shutil.which("python3", path=os.environ.get("PATH", "")), "/root/.pyenv/shims/python3",
                 shutil.which("python3.11")]:
        if cand and subprocess.run([cand, "-c", "import moto.server"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL).returncode == 0:
            return cand
    return None


def bench_api(args, res, cfg):
    """The same request mix against berth and moto's standalone server,
    alternating rounds so both see the same host load."""
    py = moto_python()
    tmp = tempfile.mkdtemp(prefix="berth-bench-api-")
    srv, moto = None, None
    try:
        srv = start_server(tmp, "server")
        Client(srv.endpoint).call("CreateCluster", {"clusterName": "api"})
        targets = {"berth": srv.endpoint}
        if py:
            port = free_port()
            log = open(os.path.join(tmp, "moto.log"), "wb")
            moto = subprocess.Popen([py, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                    stdout=log, stderr=log)
            log.close()
            ep = "http://127.0.0.1:%d" % port

            def moto_up():
                try:
                    Client(ep, timeout=2).call("CreateCluster", {"clusterName": "api"})
                    return True
                except (OSError, RuntimeError, ValueError):
                    return False
            if wait_until(moto_up, 60, 0.2):
                targets["moto"] = ep
        if "moto" not in targets:
            res.note("api", "moto's standalone server is not available: berth measured alone")
        mix = "/".join(MIX)
        ref = "moto" if "moto" in targets else None
        api_load = api_load_bin(args)
        if api_load:
            # The C client first: the server's figure, then the Python one.
            rates = {k: [] for k in targets}
            lats = {k: [] for k in targets}
            reads = {k: [] for k in targets}
            for _ in range(cfg["api_rounds"]):
                for name, ep in targets.items():
                    rate, lat, rlat = run_mix_c(api_load, ep, cfg["clients"], cfg["api_seconds"])
                    rates[name].append(rate)
                    lats[name] += lat
                    reads[name] += rlat
            res.add("api", "requests/s, %d keep-alive clients (bench/api_load.c), mix %s" % (cfg["clients"], mix),
                    "req/s", rates["berth"], ref_name=ref and "moto", ref_xs=ref and rates["moto"],
                    lower_is_better=False,
                    note="median/p99 over %d rounds of %ds; C client, requests signed before the clock starts"
                    % (cfg["api_rounds"], cfg["api_seconds"]))
            res.add("api", "latency, same mix (bench/api_load.c)", "ms", lats["berth"], ref_name=ref and "moto",
                    ref_xs=ref and lats["moto"])
            res.add("api", "latency of the mix's reads (bench/api_load.c)", "ms", reads["berth"],
                    ref_name=ref and "moto", ref_xs=ref and reads["moto"])
        rates = {k: [] for k in targets}
        lats = {k: [] for k in targets}
        for _ in range(cfg["api_rounds"]):
            for name, ep in targets.items():
                rate, lat = run_mix(ep, cfg["clients"], cfg["api_seconds"])
                rates[name].append(rate)
                lats[name] += lat
        res.add("api", "requests/s, %d keep-alive clients, mix %s" % (cfg["clients"], mix), "req/s",
                rates["berth"], ref_name=ref and "moto", ref_xs=ref and rates["moto"], lower_is_better=False,
                note="median/p99 over %d rounds of %ds; Python http.client, client-bound on 2 cores"
                % (cfg["api_rounds"], cfg["api_seconds"]))
        res.add("api", "latency, same mix", "ms", lats["berth"], ref_name=ref and "moto",
                ref_xs=ref and lats["moto"])
        if not cfg["api_boto3"]:
            return
        # boto3 as the client: what an SDK user sees (client-bound).
        b = {}
        for name, ep in targets.items():
            b[name] = run_mix_boto3(ep, 4, cfg["api_seconds"])
        res.add("api", "requests/s through boto3 (4 threads, one process)", "req/s", value=b["berth"][0],
                ref_name=ref and "moto", ref_value=ref and b["moto"][0], lower_is_better=False,
                note="client-bound: botocore's per-call work dominates")
        res.add("api", "latency through boto3", "ms", b["berth"][1], ref_name=ref and "moto",
                ref_xs=ref and b["moto"][1])
    finally:
        if moto:
            moto.terminate()
            try:
                moto.wait(10)
            except subprocess.TimeoutExpired:
                moto.kill()
                moto.wait()
        if srv:
            srv.stop(check=False)
        shutil.rmtree(tmp, ignore_errors=True)


# ---- CloudWatch metrics ---------------------------------------------------------

def bench_metrics(args, res, cfg):
    """bench/bench_metrics.py: PutMetricData points/s and GetMetricData /
    GetMetricStatistics latency with cfg["metric_series"] series stored."""
    tmp = tempfile.mkdtemp(prefix="berth-bench-metrics-")
    try:
        out = os.path.join(tmp, "metrics.json")
        subprocess.run([sys.executable, os.path.join(HERE, "bench_metrics.py"), "--bin", args.bin,
                        "--series", str(cfg["metric_series"]), "--rounds", str(cfg["metric_rounds"]),
                        "--json", out], check=True, stdout=subprocess.DEVNULL, timeout=900)
        with open(out) as f:
            figs = json.load(f)
        for name, v in figs.items():
            if isinstance(v, dict):
                res.add("metrics", name + " (%d series stored)" % figs["series stored"], "ms",
                        value=v["median_ms"], note="median of 20; max %.1f ms" % v["max_ms"])
            elif name.startswith("PutMetricData"):
                res.add("metrics", name.replace(" (points/s)", ""), "points/s", value=v, lower_is_better=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    bench_metric_shipping(args, res, cfg)


def bench_metric_shipping(args, res, cfg):
    """bench/metrics_shipping.py: what a real agent sends for metrics with
    cfg["shipping_tasks"] running tasks at its default --metrics-interval,
    per 100 containers, beside the same requests with gzip'd bodies."""
    import metrics_shipping
    n, interval, window = cfg["shipping_tasks"], cfg["shipping_interval"], cfg["shipping_window"]
    figs = metrics_shipping.measure(n, interval, window)
    res.add("metrics", "agent metric shipping, %d one-container tasks, --metrics-interval %d, %d s window"
            % (n, interval, window), "bytes/s per 100 containers", value=figs["bytes/s per 100 containers"],
            ref_name="the same requests with gzip'd bodies", ref_value=figs["gzip'd bodies"],
            note="%d ReportMetrics in the window" % figs["reports in the window"])


# ---- logs -----------------------------------------------------------------------

def bench_logs(args, res, cfg):
    """bench/bench_logs.py (CloudWatch Logs API on the server), then awslogs
    shipping from a real container beside the same task logging locally."""
    tmp = tempfile.mkdtemp(prefix="berth-bench-logs-")
    try:
        out = os.path.join(tmp, "logs.json")
        subprocess.run([sys.executable, os.path.join(HERE, "bench_logs.py"), "--bin", args.bin,
                        "--events", str(cfg["log_events"]), "--put-events", str(cfg["log_put_events"]),
                        "--json", out], check=True, stdout=subprocess.DEVNULL, timeout=900)
        with open(out) as f:
            figs = json.load(f)
        for name, v in figs.items():
            if isinstance(v, dict):
                res.add("logs", name + " (%d events)" % figs["events in the big stream"], "ms",
                        value=v["median_ms"], note="median of 20; max %.1f ms" % v["max_ms"])
            elif name.startswith("PutLogEvents"):
                res.add("logs", name.replace(" (events/s)", ""), "events/s", value=v, lower_is_better=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # Shipping from a real container, beside the same task with no log driver.
    import logship_throughput
    lines = cfg["logship_lines"]
    with real_stack("logship", "logship") as st:
        logs = berth_proc.client(st.server.endpoint, service="logs")
        logship_throughput.register(st, lines)
        rates = {"awslogs": [], "local": []}
        for _ in range(cfg["logship_runs"]):
            for driver, xs in rates.items():
                xs.append(lines / logship_throughput.seconds_to_stopped(st, logs, driver, lines))
    res.add("logs", "awslogs shipping, one container printing seq 1 %d" % lines, "lines/s", rates["awslogs"],
            ref_name="same task, no log driver (conmon's local file)", ref_xs=rates["local"],
            lower_is_better=False,
            note="RunTask -> STOPPED, which implies every line shipped; %d runs, all lines checked"
                 % cfg["logship_runs"])


def bench_dns(args, res, cfg):
    """berth's DNS responder (--dns-listen) answering a Cloud Map name from
    the store, beside the host's own resolver (resolv.conf's first
    nameserver) answering the same client for a name it knows nothing
    about; one Python client keeping 32 queries in flight."""
    import dns_qps
    tmp = tempfile.mkdtemp(prefix="berth-bench-dns-")
    port = free_port()
    d = os.path.join(tmp, "server")
    os.makedirs(d)
    srv = berth_proc.BerthServer(d, os.path.join(tmp, "server.log"),
                                 extra_args=("--dns-listen", "127.0.0.1:%d" % port)).start(timeout=60)
    try:
        sd = berth_proc.client(srv.endpoint, service="servicediscovery")
        op = sd.create_private_dns_namespace(Name="bench.local", Vpc="vpc-1")["OperationId"]
        ns = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        svc = sd.create_service(Name="api", NamespaceId=ns,
                                DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]
        for i in range(cfg["dns_instances"]):
            sd.register_instance(ServiceId=svc["Id"], InstanceId="i%d" % i,
                                 Attributes={"AWS_INSTANCE_IPV4": "10.9.%d.%d" % (i // 250, i % 250 + 1)})
        upstream = None
        with open("/etc/resolv.conf") as f:
            for line in f:
                if line.split()[:1] == ["nameserver"] and "." in line.split()[1]:
                    upstream = line.split()[1]
                    break
        ours, ref = [], []
        for _ in range(cfg["dns_rounds"]):
            ours.append(dns_qps.qps("127.0.0.1", port, "api.bench.local", cfg["dns_seconds"])[0])
            if upstream:
                ref.append(dns_qps.qps(upstream, 53, "berth-bench.invalid", cfg["dns_seconds"])[0])
        res.add("dns", "A query for a service of %d instances (MULTIVALUE, %d answered)"
                % (cfg["dns_instances"], min(8, cfg["dns_instances"])),
                "queries/s", ours, ref_name="host resolver %s, NXDOMAIN" % upstream if upstream else None,
                ref_xs=ref, lower_is_better=False,
                note="one store read transaction per query, no cache; Python client, 32 in flight")
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if cfg.get("dns_tasks"):
        import dns_discovery
        dns_discovery.bench(args, res, cfg, real_stack)


def bench_elb(args, res, cfg):
    import elb_bench
    elb_bench.bench(args, res, cfg, start_server, real_stack)


# ---- report ---------------------------------------------------------------------

def machine():
    def first(path, key):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(key):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "memory": first("/proc/meminfo", "MemTotal"),
            "kernel": platform.release(), "cpu": first("/proc/cpuinfo", "model name"),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit + ("+dirty" if dirty else "")}


def markdown(data):
    m = data["machine"]
    fmt = lambda v: "" if v is None else ("%.3g" % v if abs(v) < 100 else "%.0f" % v)  # noqa: E731
    lines = [MD_BEGIN, "", "## All figures (`make bench`)", "",
             "Generated by `bench/run.py`%s on %s, commit %s: %s CPUs (%s), %s RAM, kernel %s.  The host is "
             "shared with other builds and tests, so absolute figures are noisy; each reference was measured "
             "in the same run, interleaved with berth, and the ratio (berth / reference) is the figure to "
             "compare.  Raw data: `bench/results/latest.json`."
             % (" --smoke" if data["smoke"] else "", m["date"], m["commit"], m["nproc"], m["cpu"], m["memory"],
                m["kernel"]), ""]
    bench = None
    for f in data["figures"]:
        if f["bench"] != bench:
            bench = f["bench"]
            lines += ["", "### " + bench, "",
                      "| figure | unit | berth median | berth p99 | reference | ref median | ref p99 | ratio |",
                      "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |"]
        r = f.get("reference", {})
        name = f["name"] + (" (%s)" % f["note"] if f.get("note") else "")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, f["unit"], fmt(f["median"]), fmt(f["p99"]), r.get("name", ""), fmt(r.get("median")),
            fmt(r.get("p99")), "%.2f" % f["ratio"] if "ratio" in f else ""))
    if data["notes"]:
        lines += ["", "Notes:", ""] + ["* %s: %s" % (n["bench"], n["note"]) for n in data["notes"]]
    lines += ["", MD_END]
    return "\n".join(lines) + "\n"


def write_markdown(path, block):
    with open(path) as f:
        text = f.read()
    if MD_BEGIN in text and MD_END in text:
        head, rest = text.split(MD_BEGIN, 1)
        tail = rest.split(MD_END, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)


FULL = {"task_start_n": 100, "agent_tasks": 50,
        "placement_instances": [1000, 5000], "placement_tasks": 50000, "place_seconds": 150,
        "service_tasks": {"1000": 50000, "5000": 50000}, "service_seconds": 150, "rollout_runs": 5,
        "net_tasks": 20,
        "scale_big_instances": 100, "scale_instances": 10000, "scale_steps": [10000, 50000, 100000],
        "scale_fill_seconds": 200,
        "clients": 8, "read_reps": 20, "running_timeout": 300, "idle_seconds": 5,
        "place_c_clients": 16, "place_c_seconds": 6,
        "api_rounds": 3, "api_seconds": 8, "log_events": 200000, "log_put_events": 100000,
        "logship_lines": 200000, "logship_runs": 3, "metric_series": 10000, "metric_rounds": 3,
        "shipping_tasks": 100, "shipping_interval": 20, "shipping_window": 60,
        "dns_instances": 50, "dns_rounds": 3, "dns_seconds": 3, "dns_tasks": 10,
        "elb_rounds": 3, "elb_requests": 20000, "elb_clients": 16, "elb_tasks": 5,
        "store_instances": 250, "store_rounds": 2, "failover_rounds": 5, "failover_instances": 500,
        "failover_tasks": 5000}
# Every configuration runs these unless it says otherwise.
DEFAULTS = {"start_runtimes": ["runc", "crun"], "start_modes": ["none", "awsvpc"],
            "podman_modes": ["none", "bridge", "port"],
            "placement_strategies": list(PLACEMENT_STRATEGIES), "api_boto3": True}
# `make bench-quick` (--quick): the figures to check on every change, in
# under 2 minutes: task start (crun, none) beside bare crun, placement at
# 250 and 1,000 hollow instances, the API mix beside moto.
QUICK = {"task_start_n": 20, "agent_tasks": 0, "start_runtimes": ["crun"], "start_modes": ["none"], "podman_modes": [],
         "placement_instances": [250, 1000], "placement_strategies": ["binpack(memory)"],
         "placement_tasks": 10000, "place_seconds": 15, "clients": 8, "running_timeout": 0, "idle_seconds": 0,
         "place_c_seconds": 0,
         "api_rounds": 2, "api_seconds": 4, "api_boto3": False, "store_instances": 250, "store_rounds": 1,
         "failover_rounds": 3, "failover_instances": 250, "failover_tasks": 3000}
QUICK_BENCHES = ["task_start", "placement", "api"]
SMOKE = {"task_start_n": 2, "agent_tasks": 3, "podman_modes": ["none"],
         "placement_instances": [30], "placement_tasks": 200, "place_seconds": 30,
         "service_tasks": {"30": 100}, "service_seconds": 30, "rollout_runs": 1,
         "net_tasks": 2,
         "scale_big_instances": 5, "scale_instances": 20, "scale_steps": [100, 300], "scale_fill_seconds": 60,
         "clients": 2, "read_reps": 3, "running_timeout": 60, "idle_seconds": 1,
         "place_c_clients": 2, "place_c_seconds": 1,
         "api_rounds": 1, "api_seconds": 1, "log_events": 2000, "log_put_events": 20000,
         "logship_lines": 2000, "logship_runs": 1, "metric_series": 200, "metric_rounds": 1,
         "shipping_tasks": 2, "shipping_interval": 1, "shipping_window": 3,
         "dns_instances": 3, "dns_rounds": 1, "dns_seconds": 0.5, "dns_tasks": 1,
         "elb_rounds": 1, "elb_requests": 200, "elb_clients": 2, "elb_tasks": 1,
         "store_instances": 30, "store_rounds": 1, "failover_rounds": 1, "failover_instances": 10,
         "failover_tasks": 100}
BENCHES = {"task_start": bench_task_start, "placement": bench_placement, "services": bench_services,
           "network": bench_network, "scale": bench_scale, "api": bench_api, "logs": bench_logs,
           "dns": bench_dns, "elb": bench_elb, "metrics": bench_metrics, "store": bench_store,
           "failover": bench_failover}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: checks that every benchmark still runs")
    ap.add_argument("--quick", action="store_true", help="make bench-quick: " + ",".join(QUICK_BENCHES) +
                    " with small sizes, results to results/latest-quick.json, no BENCHMARKS.md table")
    ap.add_argument("--only", help="comma-separated: " + ",".join(BENCHES))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "berth"))
    ap.add_argument("--out", help="default results/latest.json (latest-quick.json with --quick); every run "
                    "also keeps a copy named by date and commit beside it, the history")
    ap.add_argument("--plots", default=os.path.join(HERE, "plots"),
                    help="where bench/plot.py writes its SVGs (not with --smoke; needs gnuplot)")
    ap.add_argument("--no-markdown", action="store_true", help="do not touch BENCHMARKS.md")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a size")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    berth_proc.BERTH_BIN = args.bin
    cfg = dict(DEFAULTS)
    cfg.update(SMOKE if args.smoke else QUICK if args.quick else FULL)
    if args.quick:
        args.no_markdown = True
    args.out = args.out or os.path.join(HERE, "results", "latest-quick.json" if args.quick else "latest.json")
    for kv in args.set:
        k, v = kv.split("=", 1)
        cfg[k] = json.loads(v)
    names = args.only.split(",") if args.only else QUICK_BENCHES if args.quick else list(BENCHES)
    res = Results()
    started = time.time()
    for name in names:
        print("== %s" % name, flush=True)
        t0 = time.time()
        BENCHES[name](args, res, cfg)
        print("   (%.0f s)" % (time.time() - t0), flush=True)
    data = {"machine": machine(), "smoke": args.smoke, "quick": args.quick, "config": cfg,
            "seconds": time.time() - started, "figures": res.figures, "notes": res.notes}
    history = plot.save(data, args.out)
    print("kept %s" % history)
    if not args.smoke:
        for svg in plot.draw(data, os.path.join(os.path.dirname(os.path.abspath(args.out))), args.plots):
            print("plotted %s" % svg)
    if not args.no_markdown:
        write_markdown(os.path.join(ROOT, "BENCHMARKS.md"), markdown(data))
    print("wrote %s (%.0f s)" % (args.out, data["seconds"]))


if __name__ == "__main__":
    main()
