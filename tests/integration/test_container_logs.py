"""Container log drivers on a real agent with real containers: awslogs
shipping to the server's CloudWatch Logs API (read back with the AWS CLI v2
and boto3), multi-line joining, exactly-once shipping across an agent
SIGKILL and a server restart, json-file rotation, `none`, and `berth logs`
reading the agent's local files."""
import json
import os
import re
import subprocess
import time

import pytest

import berth_proc
import drop_proxy
import stack as stackmod

from berth_proc import AWS_V2, aws_logs, read_until, task_id


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("logs"), cluster="logs")
    s.logs = berth_proc.client(s.server.endpoint, service="logs")
    yield s
    try:  # a failed test may leave a task running: stop it, do not leak it
        arns = s.ecs.list_tasks(cluster=s.cluster, desiredStatus="RUNNING")["taskArns"]
        for arn in arns:
            s.ecs.stop_task(cluster=s.cluster, task=arn)
        for arn in arns:
            s.wait_status(arn, "STOPPED")
    finally:
        s.close()


def awslogs(group, prefix="app", **extra):
    opts = {"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-create-group": "true"}
    if prefix:
        opts["awslogs-stream-prefix"] = prefix
    opts.update(extra)
    return {"logDriver": "awslogs", "options": opts}


def events(logs, group, stream):
    """Every event of a stream, oldest first (paging forward)."""
    out, token = [], None
    while True:
        kw = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            kw["nextToken"] = token
        try:
            r = logs.get_log_events(**kw)
        except logs.exceptions.ResourceNotFoundException:
            return []
        out += r["events"]
        if r["nextForwardToken"] == token:
            return out
        token = r["nextForwardToken"]


def messages(logs, group, stream):
    return [e["message"] for e in events(logs, group, stream)]


def wait_messages(stack, group, stream, pred, timeout=60, what="log events"):
    return berth_proc.wait_for(lambda: (lambda m: m if pred(m) else None)(messages(stack.logs, group, stream)),
                               timeout=timeout, what=what)


def berth(*args, timeout=60):
    return subprocess.run([berth_proc.BERTH_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env=berth_proc.client_env(os.environ))


# ---- awslogs ---------------------------------------------------------------------

def test_awslogs_stdout_and_stderr_with_the_aws_cli(stack, aws_env):
    stack.register("aws1", [{"name": "web", "logConfiguration": awslogs("/berth/aws1"),
                             "command": ["sh", "-c", "echo hello stdout; echo oops stderr >&2; echo 'bye \"q\"'"]}])
    arn = stack.run("aws1")
    t = stack.wait_status(arn, "STOPPED")
    assert stack.container(t, "web")["exitCode"] == 0
    stream = "app/web/%s" % task_id(arn)
    r = aws_logs(stack.server.endpoint, aws_env, "get-log-events", "--log-group-name", "/berth/aws1", "--log-stream-name", stream,
                 "--start-from-head")
    msgs = [e["message"] for e in r["events"]]
    assert sorted(msgs) == sorted(["hello stdout", "oops stderr", 'bye "q"'])
    # conmon's timestamps, in ms, close to now
    assert all(abs(e["timestamp"] / 1000 - time.time()) < 120 for e in r["events"])
    r = aws_logs(stack.server.endpoint, aws_env, "filter-log-events", "--log-group-name", "/berth/aws1", "--filter-pattern",
                 '"stderr"')
    assert [e["message"] for e in r["events"]] == ["oops stderr"]
    assert r["events"][0]["logStreamName"] == stream
    # the local copy is kept too, for berth logs
    assert "hello stdout" in stack.stdout(arn, "web")


def test_awslogs_without_prefix_uses_the_runtime_id(stack):
    stack.register("aws2", [{"name": "solo", "logConfiguration": awslogs("/berth/aws2", prefix=None),
                             "command": ["sh", "-c", "echo no prefix"]}])
    arn = stack.run("aws2")
    t = stack.wait_status(arn, "STOPPED")
    stream = stack.container(t, "solo")["runtimeId"]
    assert stream == task_id(arn) + "-0"
    assert messages(stack.logs, "/berth/aws2", stream) == ["no prefix"]


def test_awslogs_ships_lines_of_control_characters(stack):
    # Each \x01 is six bytes as JSON (\u0001): a batch CloudWatch counts as
    # 1 MiB would be a 6 MiB request, over the server's body limit, and
    # dropped if batches were sized by message bytes alone.
    n, width = 12000, 200
    stack.register("ctl", [{"name": "app", "logConfiguration": awslogs("/berth/ctl"),
                            "command": ["sh", "-c", "head -c %d /dev/zero | tr '\\000' '\\001' | fold -w %d; echo; "
                                        "echo last" % (n * width, width)]}])
    arn = stack.run("ctl")
    t = stack.wait_status(arn, "STOPPED", timeout=120)
    assert stack.container(t, "app")["exitCode"] == 0
    msgs = messages(stack.logs, "/berth/ctl", "app/app/%s" % task_id(arn))
    assert msgs[-1] == "last"
    assert msgs[:-1] == ["\x01" * width] * n


def test_awslogs_sends_a_line_longer_than_an_event_in_pieces(stack):
    # CloudWatch takes at most 262,118 bytes an event; Docker's awslogs
    # sends a longer line as several events rather than drop the rest.
    n = 600000
    stack.register("longline", [{"name": "app", "logConfiguration": awslogs("/berth/longline"),
                                 "command": ["sh", "-c", "head -c %d /dev/zero | tr '\\000' a; echo; echo end" % n]}])
    arn = stack.run("longline")
    t = stack.wait_status(arn, "STOPPED", timeout=120)
    assert stack.container(t, "app")["exitCode"] == 0
    msgs = messages(stack.logs, "/berth/longline", "app/app/%s" % task_id(arn))
    assert msgs[-1] == "end"
    pieces = msgs[:-1]
    assert len(pieces) >= 3 and all(0 < len(m) <= 262118 for m in pieces), [len(m) for m in pieces]
    assert "".join(pieces) == "a" * n


def test_awslogs_without_create_group(stack):
    # an existing group is used as it is
    stack.logs.create_log_group(logGroupName="/berth/precreated")
    opts = awslogs("/berth/precreated")
    del opts["options"]["awslogs-create-group"]
    stack.register("pre", [{"name": "app", "command": ["sh", "-c", "echo into existing"], "logConfiguration": opts}])
    arn = stack.run("pre")
    stack.wait_status(arn, "STOPPED")
    assert messages(stack.logs, "/berth/precreated", "app/app/%s" % task_id(arn)) == ["into existing"]
    # a missing one is not created, and does not hold the task's stop
    opts = awslogs("/berth/missing")
    del opts["options"]["awslogs-create-group"]
    stack.register("missing", [{"name": "app", "command": ["sh", "-c", "echo lost"], "logConfiguration": opts}])
    t0 = time.time()
    arn = stack.run("missing")
    t = stack.wait_status(arn, "STOPPED", timeout=30)
    assert stack.container(t, "app")["exitCode"] == 0 and time.time() - t0 < 20
    groups = stack.logs.describe_log_groups(logGroupNamePrefix="/berth/missing")["logGroups"]
    assert groups == []
    assert "lost" in stack.stdout(arn, "app")  # still kept on the host


def test_bad_log_options_fail_the_start(stack):
    stack.register("badopt", [{"name": "app", "command": ["sh", "-c", "echo never"], "logConfiguration": awslogs(
        "/berth/bad", **{"awslogs-multiline-pattern": "(["})}])
    arn = stack.run("badopt")
    t = stack.wait_status(arn, "STOPPED")
    c = stack.container(t, "app")
    assert c["reason"].startswith("CannotStartContainerError: awslogs: bad multi-line pattern"), c["reason"]
    stack.register("badsize", [{"name": "app", "command": ["sh", "-c", "echo never"], "logConfiguration": {
        "logDriver": "json-file", "options": {"max-size": "lots"}}}])
    t = stack.wait_status(stack.run("badsize"), "STOPPED")
    assert "max-size" in stack.container(t, "app")["reason"]
    # Docker's options berth does not honour are refused, not ignored.
    for family, config, says in (
            ("badendpoint", awslogs("/berth/bad", **{"awslogs-endpoint": "https://logs.example"}),
             "awslogs: berth does not support the option 'awslogs-endpoint'"),
            ("badbool", awslogs("/berth/bad", **{"awslogs-create-group": "yes"}),
             "awslogs: awslogs-create-group must be true or false"),
            ("badcompress", {"logDriver": "json-file", "options": {"compress": "true"}},
             "json-file: berth does not support the option 'compress'")):
        stack.register(family, [{"name": "app", "command": ["sh", "-c", "echo never"], "logConfiguration": config}])
        t = stack.wait_status(stack.run(family), "STOPPED")
        assert says in stack.container(t, "app")["reason"], stack.container(t, "app")["reason"]
    # Go's spellings of a boolean, as Docker reads them.
    stack.register("truebool", [{"name": "app", "command": ["sh", "-c", "echo yes"],
                                 "logConfiguration": awslogs("/berth/truebool", **{"awslogs-create-group": "True"})}])
    t = stack.wait_status(stack.run("truebool"), "STOPPED")
    assert stack.container(t, "app")["exitCode"] == 0
    assert wait_messages(stack, "/berth/truebool", "app/app/%s" % task_id(t["taskArn"]), lambda m: m == ["yes"])


def test_aws_logs_tail_follow_sees_new_lines(stack, aws_env):
    stack.register("tail", [{"name": "ticker", "logConfiguration": awslogs("/berth/tail"), "command": [
        "sh", "-c", "trap 'exit 0' TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.5; done"]}])
    arn = stack.run("tail")
    stack.wait_status(arn, "RUNNING")
    stream = "app/ticker/%s" % task_id(arn)
    wait_messages(stack, "/berth/tail", stream, lambda m: "tick 1" in m, what="the first ticks")
    proc = subprocess.Popen([AWS_V2, "logs", "tail", "/berth/tail", "--follow", "--since", "5m", "--format",
                             "short", "--endpoint-url", stack.server.endpoint], env=aws_env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.seen = ""
    try:
        read_until(proc, "tick 1", 30)
        # lines printed after tail started arrive while the container runs
        n = len(messages(stack.logs, "/berth/tail", stream))
        read_until(proc, "tick %d\n" % (n + 3), 40)
        assert stack.describe(arn)["lastStatus"] == "RUNNING"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        stack.ecs.stop_task(cluster=stack.cluster, task=arn)
    stack.wait_status(arn, "STOPPED")
    m = messages(stack.logs, "/berth/tail", stream)
    assert m == ["tick %d" % i for i in range(len(m))]


def test_multiline_datetime_format(stack):
    script = ("echo '2026-11-22 10:00:00 first event'; echo '  at line two'; echo '  at line three'; "
              "echo '2026-11-22 10:00:01 second event'; echo 'Traceback tail'; "
              "echo '2026-11-22 10:00:02 third event'")
    stack.register("ml1", [{"name": "app", "command": ["sh", "-c", script], "logConfiguration": awslogs(
        "/berth/ml", prefix="dt", **{"awslogs-datetime-format": "%Y-%m-%d %H:%M:%S"})}])
    arn = stack.run("ml1")
    stack.wait_status(arn, "STOPPED")
    assert messages(stack.logs, "/berth/ml", "dt/app/%s" % task_id(arn)) == [
        "2026-11-22 10:00:00 first event\n  at line two\n  at line three",
        "2026-11-22 10:00:01 second event\nTraceback tail",
        "2026-11-22 10:00:02 third event",
    ]


def test_multiline_docker_documented_datetime_format(stack):
    """Docker's own example value: the format is a regular expression whose
    strftime codes are translated, so its escaped brackets are literal."""
    script = ("echo '[2026-11-22 10:00:00] first'; echo 'a stack line'; "
              "echo '[2026-11-22 10:00:01] second'; echo '2026-11-22 10:00:02 no brackets'; "
              "echo '[May 01, 2017 19:00:01] not this format either'")
    stack.register("ml3", [{"name": "app", "command": ["sh", "-c", script], "logConfiguration": awslogs(
        "/berth/ml", prefix="dock", **{"awslogs-datetime-format": r"\[%Y-%m-%d %H:%M:%S\]"})}])
    arn = stack.run("ml3")
    stack.wait_status(arn, "STOPPED")
    assert messages(stack.logs, "/berth/ml", "dock/app/%s" % task_id(arn)) == [
        "[2026-11-22 10:00:00] first\na stack line",
        "[2026-11-22 10:00:01] second\n2026-11-22 10:00:02 no brackets\n[May 01, 2017 19:00:01] not this format either",
    ]


def test_multiline_pattern(stack):
    script = "echo 'INFO one'; echo ' cont a'; echo 'WARN2 two'; echo ' cont b'; echo ' cont c'"
    # Go (RE2) syntax, as Docker reads it: "(?:" and "\\d" work too
    stack.register("ml2", [{"name": "app", "command": ["sh", "-c", script], "logConfiguration": awslogs(
        "/berth/ml", prefix="pat", **{"awslogs-multiline-pattern": r"^(?:INFO|WARN\d)"})}])
    arn = stack.run("ml2")
    stack.wait_status(arn, "STOPPED")
    assert messages(stack.logs, "/berth/ml", "pat/app/%s" % task_id(arn)) == [
        "INFO one\n cont a", "WARN2 two\n cont b\n cont c"]


SEQ = "trap 'exit 0' TERM; i=1; while [ $i -le %d ]; do echo line-$i; i=$((i+1)); sleep 0.02; done"


def numbered(n):
    return ["line-%d" % i for i in range(1, n + 1)]


def shipping_seq(s, logs, family, group, n, at_least):
    """Run SEQ % n with awslogs to `group` on stack s until at least
    `at_least` lines are stored; returns (task ARN, stream)."""
    s.register(family, [{"name": "app", "command": ["sh", "-c", SEQ % n], "logConfiguration": awslogs(group)}])
    arn = s.run(family)
    stream = "app/app/%s" % task_id(arn)
    berth_proc.wait_for(lambda: len(messages(logs, group, stream)) >= at_least, what="some lines shipped")
    return arn, stream


def test_agent_kill9_mid_stream_loses_and_duplicates_nothing(tmp_path):
    s = stackmod.Stack(tmp_path, cluster="logk9")
    try:
        logs = berth_proc.client(s.server.endpoint, service="logs")
        n = 300
        arn, stream = shipping_seq(s, logs, "k9", "/berth/k9", n, 20)
        s.agent.kill9()
        time.sleep(1.5)
        s.start_agent()
        berth_proc.wait_for(lambda: len(messages(logs, "/berth/k9", stream)) > 100, what="more lines")
        s.agent.kill9()  # again, while it ships (and perhaps between a send and its record)
        s.start_agent()
        berth_proc.wait_for(lambda: len(messages(logs, "/berth/k9", stream)) > 180, what="more lines")
        s.agent.stop()  # and a clean stop: the shipper leaves the rest to the next agent
        s.start_agent()
        s.wait_status(arn, "STOPPED", timeout=120)
        assert messages(logs, "/berth/k9", stream) == numbered(n)
        ts = [e["timestamp"] for e in events(logs, "/berth/k9", stream)]
        assert ts == sorted(ts)
        stackmod.assert_no_leftovers(s.agent_dir, [arn])
        assert not os.listdir(os.path.join(s.agent_dir, "logship"))
    finally:
        s.close()


def test_agent_kill9_mid_long_lines_loses_and_duplicates_nothing(tmp_path):
    """Lines longer than an event go in pieces cut where conmon's records
    meet, so a restart resumes at a piece as at a line."""
    s = stackmod.Stack(tmp_path, cluster="logk9long")
    try:
        logs = berth_proc.client(s.server.endpoint, service="logs")
        letters, n = "abcdef", 300000
        s.register("k9long", [{"name": "app", "logConfiguration": awslogs("/berth/k9long"), "command": [
            "sh", "-c", "for c in %s; do head -c %d /dev/zero | tr '\\000' $c; echo; sleep 1; done; echo end"
            % (" ".join(letters), n)]}])
        arn = s.run("k9long")
        stream = "app/app/%s" % task_id(arn)
        berth_proc.wait_for(lambda: messages(logs, "/berth/k9long", stream), what="a first piece shipped")
        s.agent.kill9()
        s.start_agent()
        berth_proc.wait_for(lambda: any("c" in m for m in messages(logs, "/berth/k9long", stream)),
                            timeout=60, what="the third line shipping")
        s.agent.kill9()
        s.start_agent()
        s.wait_status(arn, "STOPPED", timeout=120)
        msgs = messages(logs, "/berth/k9long", stream)
        assert msgs[-1] == "end"
        assert all(0 < len(m) <= 262118 and len(set(m)) == 1 for m in msgs[:-1]), [len(m) for m in msgs]
        assert "".join(msgs[:-1]) == "".join(c * n for c in letters)
    finally:
        s.close()


def test_batch_resent_after_a_crash_is_stored_once(tmp_path):
    """The agent dies after the server stored a batch but before it
    recorded that: its progress file still says the batch is in flight.
    Simulated exactly by rewinding the file after a SIGKILL."""
    s = stackmod.Stack(tmp_path, cluster="logreplay")
    try:
        logs = berth_proc.client(s.server.endpoint, service="logs")
        n = 200
        arn, stream = shipping_seq(s, logs, "replay", "/berth/replay", n, 30)
        state_path = os.path.join(s.agent_dir, "logship", "%s-0.json" % task_id(arn))

        def recorded():
            # The agent records its progress after the server's answer: a
            # busy host may show the lines before the record is written.
            try:
                with open(state_path) as f:
                    return json.load(f)["offset"] > 0
            except (OSError, ValueError, KeyError):
                return False
        berth_proc.wait_for(recorded, what="the shipped offset recorded")
        s.agent.kill9()
        with open(state_path) as f:
            state = json.load(f)
        assert state["offset"] > 0
        with open(state_path, "w") as f:
            json.dump({"offset": 0, "inflight": state["offset"]}, f)
        s.start_agent()
        s.wait_status(arn, "STOPPED", timeout=120)
        assert messages(logs, "/berth/replay", stream) == numbered(n)
        with open(os.path.join(str(tmp_path), "agent.log")) as f:
            assert "was stored before (resent after a restart" in f.read()
    finally:
        s.close()


def test_batches_resent_to_two_recorded_ends_are_stored_once(tmp_path):
    """The progress file may name two batches in flight (the next one is
    recorded while the one before is out): a restart rebuilds batches
    ending exactly at each, in order, and the server, which has both,
    stores neither again.  Simulated by rewriting the file after a SIGKILL
    with two record boundaries the server has stored."""
    s = stackmod.Stack(tmp_path, cluster="logreplay2")
    try:
        logs = berth_proc.client(s.server.endpoint, service="logs")
        n = 200
        arn, stream = shipping_seq(s, logs, "replay2", "/berth/replay2", n, 30)
        s.agent.kill9()
        stored = len(messages(logs, "/berth/replay2", stream))
        with open(os.path.join(s.agent_dir, "containers", "%s-0" % task_id(arn), "ctr.log"), "rb") as f:
            records = f.read().split(b"\n")
        ends, at = [], 0  # where each of the stored lines ends (a line's last record is flagged F)
        for rec in records:
            at += len(rec) + 1
            if len(ends) < stored and rec.split(b" ", 3)[2:3] == [b"F"]:
                ends.append(at)
        state_path = os.path.join(s.agent_dir, "logship", "%s-0.json" % task_id(arn))
        with open(state_path, "w") as f:
            json.dump({"offset": 0, "inflight": ends[len(ends) // 3], "inflight2": ends[-1]}, f)
        s.start_agent()
        s.wait_status(arn, "STOPPED", timeout=120)
        assert messages(logs, "/berth/replay2", stream) == numbered(n)
        with open(os.path.join(str(tmp_path), "agent.log")) as f:
            assert f.read().count("was stored before (resent after a restart") >= 2
    finally:
        s.close()


def test_lost_answer_is_resent_as_the_same_batch(tmp_path):
    """The server stores a batch but its answer is lost (the connection
    breaks after the work): the shipper must resend exactly that batch,
    which the server answers as stored before, not a longer one that
    stores its events again with the lines queued since."""
    s = stackmod.Stack(tmp_path, cluster="loglost")
    proxy = drop_proxy.DropProxy(s.server.port)
    try:
        s.agent.stop()
        s.agent = berth_proc.BerthAgent(proxy.endpoint, s.cluster, s.agent_dir, os.path.join(str(tmp_path), "agent.log"),
                                        extra_args=s.agent_args, key=None, token=s.token).start()
        logs = berth_proc.client(s.server.endpoint, service="logs")
        n = 300
        arn, stream = shipping_seq(s, logs, "lost", "/berth/lost", n, 20)
        proxy.arm("PutLogEvents")
        s.wait_status(arn, "STOPPED", timeout=120)
        assert proxy.dropped == 1
        assert messages(logs, "/berth/lost", stream) == numbered(n)
        with open(os.path.join(str(tmp_path), "agent.log")) as f:
            assert "was stored before" in f.read()
    finally:
        s.close()
        proxy.close()


def test_server_restart_mid_stream_loses_and_duplicates_nothing(tmp_path):
    s = stackmod.Stack(tmp_path, cluster="logsrv")
    try:
        n = 300
        logs = berth_proc.client(s.server.endpoint, service="logs")
        arn, stream = shipping_seq(s, logs, "srv", "/berth/srv", n, 20)
        s.server.stop()
        time.sleep(3)  # the container goes on printing; the shipper retries
        s.server.start()
        s.wait_status(arn, "STOPPED", timeout=120)
        berth_proc.wait_for(lambda: len(messages(logs, "/berth/srv", stream)) >= n, what="every line")
        assert messages(logs, "/berth/srv", stream) == numbered(n)
    finally:
        s.close()


def test_non_blocking_mode_ships_when_the_server_keeps_up(stack):
    stack.register("nb", [{"name": "app", "command": ["sh", "-c", "seq 1 2000"], "logConfiguration": awslogs(
        "/berth/nb", **{"mode": "non-blocking", "max-buffer-size": "4m"})}])
    arn = stack.run("nb")
    stack.wait_status(arn, "STOPPED")
    assert messages(stack.logs, "/berth/nb", "app/app/%s" % task_id(arn)) == [str(i) for i in range(1, 2001)]


def test_non_blocking_mode_drops_the_oldest_when_the_server_is_away(tmp_path):
    s = stackmod.Stack(tmp_path, cluster="lognb")
    try:
        n = 20000
        s.register("nbdrop", [{"name": "app", "command": ["sh", "-c", "sleep 2; seq 1 %d; sleep 4" % n],
                               "logConfiguration": awslogs("/berth/nbdrop", **{
                                   "mode": "non-blocking", "max-buffer-size": "64k"})}])
        arn = s.run("nbdrop")
        s.wait_status(arn, "RUNNING")
        s.server.stop()  # the container prints all of it while the server is away
        time.sleep(5)
        s.server.start()
        s.wait_status(arn, "STOPPED", timeout=120)
        logs = berth_proc.client(s.server.endpoint, service="logs")
        got = [int(m) for m in messages(logs, "/berth/nbdrop", "app/app/%s" % task_id(arn))]
        # the newest lines survive, in order; the oldest were dropped, not blocked on
        assert 0 < len(got) < n and got[-1] == n and got == sorted(set(got))
        # after the gap: what fitted in the buffer, contiguous up to the end
        gap = max(i for i in range(len(got)) if i == 0 or got[i] != got[i - 1] + 1)
        tail = got[gap:]
        assert tail == list(range(tail[0], n + 1))
        assert len(tail) * (len(str(n)) + 26) <= 64 * 1024
        with open(os.path.join(str(tmp_path), "agent.log")) as f:
            text = f.read()
        assert "non-blocking mode: buffer full" in text
        dropped = int(re.search(r"(\d+) events dropped in all", text).group(1))
        assert dropped == n - len(got)
    finally:
        s.close()


# ---- json-file and none ------------------------------------------------------------

def test_json_file_rotation(stack):
    stack.register("jf", [{"name": "app", "command": ["sh", "-c", "seq 1 300; echo 'tab\there \"quoted\" \\\\'; "
                                                       "echo to-stderr >&2"],
                           "logConfiguration": {"logDriver": "json-file",
                                                "options": {"max-size": "2k", "max-file": "3"}}}])
    arn = stack.run("jf")
    stack.wait_status(arn, "STOPPED")
    d = os.path.join(stack.agent_dir, "logs", task_id(arn))
    base = os.path.join(d, "app-json.log")
    files = sorted(f for f in os.listdir(d) if f.startswith("app-json.log"))
    assert files == ["app-json.log", "app-json.log.1", "app-json.log.2"]
    for f in files:
        assert os.path.getsize(os.path.join(d, f)) <= 2048
    with open(base) as f:
        recs = [json.loads(line) for line in f]
    assert set(recs[0]) == {"log", "stream", "time"}
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", recs[0]["time"]), recs[0]["time"]
    assert recs[-2] == {"log": 'tab\there "quoted" \\\\\n', "stream": "stdout", "time": recs[-2]["time"]}
    assert recs[-1]["log"] == "to-stderr\n" and recs[-1]["stream"] == "stderr"
    # what is kept is the newest lines, in order, across the files
    kept = []
    for f in reversed(files):
        with open(os.path.join(d, f)) as fh:
            kept += [json.loads(line)["log"] for line in fh]
    nums = [int(x) for x in kept if x.strip().isdigit()]
    assert nums == list(range(nums[0], 301)) and nums[0] > 1


def test_json_file_writes_a_long_line_in_pieces(stack):
    # As Docker writes a partial message: pieces without the newline, the
    # last one with it; nothing of the line dropped.
    n = 600000
    stack.register("jflong", [{"name": "app", "command": ["sh", "-c", "head -c %d /dev/zero | tr '\\000' b; echo; "
                                                          "echo end" % n],
                               "logConfiguration": {"logDriver": "json-file"}}])
    arn = stack.run("jflong")
    stack.wait_status(arn, "STOPPED")
    with open(os.path.join(stack.agent_dir, "logs", task_id(arn), "app-json.log")) as f:
        logs = [json.loads(line)["log"] for line in f]
    assert logs[-1] == "end\n"
    assert len(logs) >= 4 and all(not x.endswith("\n") for x in logs[:-2]), [len(x) for x in logs]
    assert "".join(logs[:-1]) == "b" * n + "\n"


def test_none_keeps_nothing(stack):
    # ECS's model has no "none" (Docker's driver); berth accepts it as a
    # documented extension: the container runs, its output is kept nowhere.
    stack.register("nolog", [{"name": "app", "command": ["sh", "-c", "echo secret-output"],
                              "logConfiguration": {"logDriver": "none"}}])
    arn = stack.run("nolog")
    t = stack.wait_status(arn, "STOPPED")
    assert stack.container(t, "app")["exitCode"] == 0
    d = os.path.join(stack.agent_dir, "logs", task_id(arn))
    kept = []
    for root, _, files in os.walk(d):
        for f in files:
            with open(os.path.join(root, f), errors="replace") as fh:
                kept.append(fh.read())
    assert not any("secret-output" in k for k in kept)


# ---- berth logs from local files -------------------------------------------------------

def test_berth_logs_local_running_stopped_and_follow(stack):
    stack.register("local", [{"name": "app", "command": [
        "sh", "-c", "echo first; sleep 0.2; echo to-err >&2; sleep 0.2; printf 'no newline'; sleep 0.3; echo; "
                    "trap 'echo last; exit 0' TERM; i=0; while true; do echo n$i; i=$((i+1)); sleep 0.3; done"]}])
    arn = stack.run("local")
    stack.wait_status(arn, "RUNNING")
    berth_proc.wait_for(lambda: "n1" in stack.stdout(arn, "app"), what="output")
    common = ["--cluster", stack.cluster, "--endpoint", stack.server.endpoint, "--data", stack.agent_dir]
    r = berth("logs", task_id(arn), *common)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:4] == ["first", "to-err", "no newline", "n0"]
    r = berth("logs", task_id(arn), "--timestamps", "--container", "app", *common)
    assert re.match(r"^\d{4}-\d\d-\d\dT\S+ first$", r.stdout.splitlines()[0]), r.stdout
    proc = subprocess.Popen([berth_proc.BERTH_BIN, "logs", task_id(arn), "--follow", *common],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=berth_proc.client_env(os.environ))
    proc.seen = ""
    try:
        n = len(stack.stdout(arn, "app"))
        read_until(proc, "n%d\n" % (n + 2), 30)
        stack.ecs.stop_task(cluster=stack.cluster, task=arn)
        read_until(proc, "last\n", 60)  # followed across the move to DATA/logs
        assert proc.wait(timeout=30) == 0  # and it ends with the task, as docker logs -f does
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
    stack.wait_status(arn, "STOPPED")
    r = berth("logs", task_id(arn), *common)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == ["first", "to-err", "no newline"] and lines[-1] == "last"
