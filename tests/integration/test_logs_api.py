"""The CloudWatch Logs API on berth's listener: boto3, the real AWS CLI v2
(/usr/bin/aws, including `aws logs tail --follow`), berth's idempotent
PutLogEvents for its agent, retention applied by the maintenance loop, and a
restart.  Every test talks to a real `berth server`."""
import json
import subprocess
import time
import uuid

import pytest
from botocore.exceptions import ClientError

import berth_proc

from berth_proc import AWS_V2, aws_logs, read_until
BERTH_AGENT = "BerthAgent_20261122"
DAY_MS = 86400 * 1000


def now_ms():
    return int(time.time() * 1000)


def uniq(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


@pytest.fixture(scope="module")
def logs(server):
    return berth_proc.client(server.endpoint, service="logs")


@pytest.fixture(scope="module")
def logs_raw(server):
    return berth_proc.client(server.endpoint, service="logs", validate=False)


def error_of(exc_info):
    e = exc_info.value.response["Error"]
    return e["Code"], e["Message"]


def make_stream(logs, group=None, stream="s1"):
    group = group or uniq("/berth/test")
    try:
        logs.create_log_group(logGroupName=group)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return group, stream


def put(logs, group, stream, events):
    return logs.put_log_events(logGroupName=group, logStreamName=stream,
                               logEvents=[{"timestamp": t, "message": m} for t, m in events])


# ---- groups ---------------------------------------------------------------------

def test_log_group_lifecycle(logs):
    name = uniq("/ecs/app")
    before = now_ms()
    logs.create_log_group(logGroupName=name, tags={"team": "core"})
    with pytest.raises(ClientError) as ei:
        logs.create_log_group(logGroupName=name)
    assert error_of(ei) == ("ResourceAlreadyExistsException", "The specified log group already exists")

    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert len(groups) == 1
    g = groups[0]
    assert g["logGroupName"] == name
    assert before - 1000 <= g["creationTime"] <= now_ms() + 1000
    assert g["metricFilterCount"] == 0
    assert g["storedBytes"] == 0
    assert g["arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:%s:*" % name
    assert "retentionInDays" not in g
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"team": "core"}

    logs.delete_log_group(logGroupName=name)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []
    with pytest.raises(ClientError) as ei:
        logs.delete_log_group(logGroupName=name)
    assert error_of(ei) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_log_group_raw_answer_has_log_group_arn(server):
    name = uniq("rawarn")
    st, _ = berth_proc.raw_call(server.endpoint, "CreateLogGroup", {"logGroupName": name},
                                target_prefix="Logs_20140328")
    assert st == 200
    st, body = berth_proc.raw_call(server.endpoint, "DescribeLogGroups", {"logGroupNamePrefix": name},
                                   target_prefix="Logs_20140328")
    assert st == 200
    assert body["logGroups"][0]["logGroupArn"] == "arn:aws:logs:us-east-1:000000000000:log-group:" + name


def test_describe_log_groups_prefix_and_pagination(logs):
    base = uniq("/page")
    names = sorted("%s/g%02d" % (base, i) for i in range(7))
    for n in names:
        logs.create_log_group(logGroupName=n)
    first = logs.describe_log_groups(logGroupNamePrefix=base, limit=3)
    assert [g["logGroupName"] for g in first["logGroups"]] == names[:3]
    assert "nextToken" in first
    seen = []
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=base,
                                                                   PaginationConfig={"PageSize": 2}):
        seen += [g["logGroupName"] for g in page["logGroups"]]
    assert seen == names
    with pytest.raises(ClientError) as ei:
        logs.describe_log_groups(nextToken="garbage")
    assert error_of(ei)[0] == "InvalidParameterException"


@pytest.mark.parametrize("bad", ["has space", "star*", "colon:x", "x" * 513])
def test_log_group_name_rules(logs_raw, bad):
    with pytest.raises(ClientError) as ei:
        logs_raw.create_log_group(logGroupName=bad)
    assert error_of(ei)[0] == "InvalidParameterException"


def test_log_group_name_allowed_characters(logs):
    name = uniq("/a.b-c_d/#e")
    logs.create_log_group(logGroupName=name)
    logs.create_log_group(logGroupName="x" * 512)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupName"] == name


# ---- streams --------------------------------------------------------------------

def test_log_stream_lifecycle_and_errors(logs, logs_raw):
    group = uniq("streams")
    with pytest.raises(ClientError) as ei:
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert error_of(ei) == ("ResourceNotFoundException", "The specified log group does not exist.")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web/app/1234")
    with pytest.raises(ClientError) as ei:
        logs.create_log_stream(logGroupName=group, logStreamName="web/app/1234")
    assert error_of(ei)[0] == "ResourceAlreadyExistsException"
    for bad in ["a:b", "a*b", ""]:
        with pytest.raises(ClientError) as ei:
            logs_raw.create_log_stream(logGroupName=group, logStreamName=bad)
        assert error_of(ei)[0] == "InvalidParameterException"

    s = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert s["logStreamName"] == "web/app/1234"
    assert s["arn"] == ("arn:aws:logs:us-east-1:000000000000:log-group:%s:log-stream:web/app/1234" % group)
    assert s["storedBytes"] == 0
    assert "firstEventTimestamp" not in s and "lastEventTimestamp" not in s

    t = now_ms()
    put(logs, group, "web/app/1234", [(t - 10, "a"), (t - 5, "b")])
    s = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert s["firstEventTimestamp"] == t - 10
    assert s["lastEventTimestamp"] == t - 5
    assert abs(s["lastIngestionTime"] - now_ms()) < 5000
    assert s["uploadSequenceToken"]

    logs.delete_log_stream(logGroupName=group, logStreamName="web/app/1234")
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []
    with pytest.raises(ClientError) as ei:
        logs.delete_log_stream(logGroupName=group, logStreamName="web/app/1234")
    assert error_of(ei) == ("ResourceNotFoundException", "The specified log stream does not exist.")
    # A stream re-created under the same name starts empty.
    logs.create_log_stream(logGroupName=group, logStreamName="web/app/1234")
    ev = logs.get_log_events(logGroupName=group, logStreamName="web/app/1234")["events"]
    assert ev == []


def test_describe_log_streams_order_and_paging(logs):
    group = uniq("order")
    logs.create_log_group(logGroupName=group)
    t = now_ms()
    # Names in one order, last event times in another.
    last = {"a": t - 3000, "b": t - 1000, "c": t - 2000, "d": None}
    for name, ts in last.items():
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        if ts:
            put(logs, group, name, [(ts - 10, "x"), (ts, "y")])
    by_name = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    assert by_name == ["a", "b", "c", "d"]
    desc = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)
    assert [s["logStreamName"] for s in desc["logStreams"]] == ["b", "c", "a", "d"]
    asc = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime")
    assert [s["logStreamName"] for s in asc["logStreams"]] == ["d", "a", "c", "b"]
    paged = []
    for page in logs.get_paginator("describe_log_streams").paginate(
            logGroupName=group, orderBy="LastEventTime", descending=True, PaginationConfig={"PageSize": 1}):
        paged += [s["logStreamName"] for s in page["logStreams"]]
    assert paged == ["b", "c", "a", "d"]
    paged = []
    for page in logs.get_paginator("describe_log_streams").paginate(
            logGroupName=group, descending=True, PaginationConfig={"PageSize": 3}):
        paged += [s["logStreamName"] for s in page["logStreams"]]
    assert paged == ["d", "c", "b", "a"]
    pre = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="c")["logStreams"]
    assert [s["logStreamName"] for s in pre] == ["c"]
    with pytest.raises(ClientError) as ei:
        logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a")
    assert error_of(ei)[0] == "InvalidParameterException"


# ---- PutLogEvents ---------------------------------------------------------------

def test_put_log_events_unknown_group_or_stream(logs):
    t = now_ms()
    with pytest.raises(ClientError) as ei:
        put(logs, uniq("nogroup"), "s", [(t, "x")])
    assert error_of(ei) == ("ResourceNotFoundException", "The specified log group does not exist.")
    group, _ = make_stream(logs)
    with pytest.raises(ClientError) as ei:
        put(logs, group, "nostream", [(t, "x")])
    assert error_of(ei) == ("ResourceNotFoundException", "The specified log stream does not exist.")


def test_put_log_events_batch_rules(logs, logs_raw):
    group, stream = make_stream(logs)
    t = now_ms()
    with pytest.raises(ClientError) as ei:
        put(logs, group, stream, [(t, "b"), (t - 1, "a")])
    assert error_of(ei)[0] == "InvalidParameterException"
    assert "chronological" in error_of(ei)[1]
    # 5 x 256,000 bytes is over 1,048,576 even before the 26-byte overheads.
    big = "x" * 256000
    with pytest.raises(ClientError) as ei:
        put(logs, group, stream, [(t, big)] * 5)
    assert error_of(ei)[0] == "InvalidParameterException"
    # The overhead counts: 4 x (262,118 + 26) = 1,048,576 exactly fits...
    near = "y" * 262118
    put(logs, group, stream, [(t, near)] * 4)
    # ...and one more byte does not.
    with pytest.raises(ClientError) as ei:
        put(logs, group, stream, [(t, near)] * 4 + [(t, "a")])
    assert error_of(ei)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as ei:
        put(logs_raw, group, stream, [(t, "m")] * 10001)
    assert error_of(ei)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as ei:
        put(logs_raw, group, stream, [])
    assert error_of(ei)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as ei:
        put(logs, group, stream, [(t - 25 * 3600 * 1000, "a"), (t, "b")])
    assert error_of(ei)[0] == "InvalidParameterException"
    assert "24 hours" in error_of(ei)[1]
    # 10,000 small events are fine.
    r = put(logs, group, stream, [(t, "e%d" % i) for i in range(10000)])
    assert "rejectedLogEventsInfo" not in r
    assert r["nextSequenceToken"]


def test_put_log_events_too_old_and_too_new_are_rejected_not_errors(logs):
    group, stream = make_stream(logs)
    t = now_ms()
    old = t - 14 * DAY_MS - 3600 * 1000
    new = t + 3 * 3600 * 1000
    # A batch spans at most 24 hours, so old and new go in separate batches.
    r = put(logs, group, stream, [(old, "old0"), (old + 1, "old1"), (t - 14 * DAY_MS + 3600 * 1000, "ok-old")])
    assert r["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    r = put(logs, group, stream, [(t, "ok-now"), (new, "new0"), (new + 1, "new1")])
    assert r["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    msgs = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=stream,
                                                       startFromHead=True)["events"]]
    assert msgs == ["ok-old", "ok-now"]
    # With a retention, events older than it are "expired".
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    exp = t - DAY_MS - 3600 * 1000
    r = put(logs, group, stream, [(exp, "exp"), (exp + 1, "exp2"), (t - 2 * 3600 * 1000, "fine")])
    assert r["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}


def test_sequence_token_accepted_and_ignored(logs):
    group, stream = make_stream(logs)
    t = now_ms()
    r1 = put(logs, group, stream, [(t, "a")])
    r2 = logs.put_log_events(logGroupName=group, logStreamName=stream, sequenceToken="bogus",
                             logEvents=[{"timestamp": t, "message": "b"}])
    assert r1["nextSequenceToken"] != r2["nextSequenceToken"]
    s = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert s["uploadSequenceToken"] == r2["nextSequenceToken"]


# ---- GetLogEvents ---------------------------------------------------------------

def test_get_log_events_tokens(logs):
    group, stream = make_stream(logs)
    t = now_ms() - 100000
    put(logs, group, stream, [(t + i, "m%d" % i) for i in range(10)])

    # Default (startFromHead false): the newest events, oldest first.
    r = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=3)
    assert [e["message"] for e in r["events"]] == ["m7", "m8", "m9"]
    assert r["nextForwardToken"].startswith("f/") and r["nextBackwardToken"].startswith("b/")
    e = r["events"][0]
    assert set(e) == {"timestamp", "message", "ingestionTime"}

    # Forward at the end: nothing, and the same token back.
    fwd = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=r["nextForwardToken"],
                              startFromHead=True)
    assert fwd["events"] == []
    assert fwd["nextForwardToken"] == r["nextForwardToken"]

    # Backward to the beginning, 3 at a time, until the token repeats.
    got, token = [], r["nextBackwardToken"]
    while True:
        b = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=token, limit=3)
        got = [e["message"] for e in b["events"]] + got
        if b["nextBackwardToken"] == token:
            assert b["events"] == []
            break
        token = b["nextBackwardToken"]
    assert got == ["m%d" % i for i in range(7)]

    # From the head, forward 4 at a time, until the token repeats.
    got = []
    r = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, limit=4)
    got += [e["message"] for e in r["events"]]
    assert got == ["m0", "m1", "m2", "m3"]
    token = r["nextForwardToken"]
    while True:
        f = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=token, startFromHead=True,
                                limit=4)
        got += [e["message"] for e in f["events"]]
        if f["nextForwardToken"] == token:
            break
        token = f["nextForwardToken"]
    assert got == ["m%d" % i for i in range(10)]

    # A follower's token sees what arrives later.
    put(logs, group, stream, [(t + 20, "late")])
    f = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=token, startFromHead=True)
    assert [e["message"] for e in f["events"]] == ["late"]
    assert f["nextForwardToken"] != token

    # A backward token from a forward page goes back over that page's start.
    b = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=f["nextBackwardToken"], limit=2)
    assert [e["message"] for e in b["events"]] == ["m8", "m9"]

    with pytest.raises(ClientError) as ei:
        logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken="f/nonsense")
    assert error_of(ei)[0] == "InvalidParameterException"


def test_get_log_events_empty_stream_and_errors(server, logs):
    group, stream = make_stream(logs)
    for head in (True, False):
        r = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=head)
        assert r["events"] == []
        again = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=r["nextForwardToken"])
        assert again["nextForwardToken"] == r["nextForwardToken"]
    # The forward token of an empty stream picks up the first events.
    put(logs, group, stream, [(now_ms(), "first")])
    r2 = logs.get_log_events(logGroupName=group, logStreamName=stream, nextToken=r["nextForwardToken"])
    assert [e["message"] for e in r2["events"]] == ["first"]
    with pytest.raises(ClientError) as ei:
        logs.get_log_events(logGroupName=group, logStreamName="missing")
    assert error_of(ei) == ("ResourceNotFoundException", "The specified log stream does not exist.")
    with pytest.raises(ClientError) as ei:
        logs.get_log_events(logGroupName=uniq("missing"), logStreamName="s")
    assert error_of(ei) == ("ResourceNotFoundException", "The specified log group does not exist.")
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:%s" % group
    # boto3 1.26 predates logGroupIdentifier: send it raw.
    st, r3 = berth_proc.raw_call(server.endpoint, "GetLogEvents", {"logGroupIdentifier": arn,
                                                                   "logStreamName": stream},
                                 target_prefix="Logs_20140328")
    assert st == 200 and [e["message"] for e in r3["events"]] == ["first"]
    st, r4 = berth_proc.raw_call(server.endpoint, "GetLogEvents", {"logGroupIdentifier": arn, "logGroupName": group,
                                                                   "logStreamName": stream},
                                 target_prefix="Logs_20140328")
    assert st == 400 and r4["__type"] == "InvalidParameterException"


def test_get_log_events_time_window(logs):
    group, stream = make_stream(logs)
    t = now_ms() - 60000
    put(logs, group, stream, [(t + i * 1000, "s%d" % i) for i in range(10)])
    for head in (True, False):
        r = logs.get_log_events(logGroupName=group, logStreamName=stream, startTime=t + 2000, endTime=t + 5000,
                                startFromHead=head)
        # startTime inclusive, endTime exclusive.
        assert [e["message"] for e in r["events"]] == ["s2", "s3", "s4"]
    r = logs.get_log_events(logGroupName=group, logStreamName=stream, startTime=t + 2000, endTime=t + 5000,
                            startFromHead=True, limit=2)
    assert [e["message"] for e in r["events"]] == ["s2", "s3"]
    r = logs.get_log_events(logGroupName=group, logStreamName=stream, startTime=t + 2000, endTime=t + 5000,
                            nextToken=r["nextForwardToken"])
    assert [e["message"] for e in r["events"]] == ["s4"]


# ---- FilterLogEvents ------------------------------------------------------------

@pytest.fixture(scope="module")
def filter_group(logs):
    group = uniq("filter")
    logs.create_log_group(logGroupName=group)
    t = now_ms() - 100000
    lines = {
        "app/a": [(t + 1, "INFO started"), (t + 4, "ERROR disk full"), (t + 7, "WARN slow request")],
        "app/b": [(t + 2, "ERROR ARGUMENTS missing"), (t + 5, "INFO BAD REQUEST from 1.2.3.4"),
                  (t + 8, "ERROR timeout")],
        "other": [(t + 3, "ERROR elsewhere"), (t + 6, "INFO fine")],
    }
    for stream, ev in lines.items():
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        put(logs, group, stream, ev)
    return group, t


def messages(resp):
    return [e["message"] for e in resp["events"]]


def test_filter_log_events_patterns(logs, filter_group):
    group, t = filter_group
    all_ = logs.filter_log_events(logGroupName=group)
    assert messages(all_) == ["INFO started", "ERROR ARGUMENTS missing", "ERROR elsewhere", "ERROR disk full",
                              "INFO BAD REQUEST from 1.2.3.4", "INFO fine", "WARN slow request", "ERROR timeout"]
    e = all_["events"][0]
    assert set(e) >= {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
    assert e["logStreamName"] == "app/a"
    assert "nextToken" not in all_
    assert messages(logs.filter_log_events(logGroupName=group, filterPattern="ERROR")) == [
        "ERROR ARGUMENTS missing", "ERROR elsewhere", "ERROR disk full", "ERROR timeout"]
    assert messages(logs.filter_log_events(logGroupName=group, filterPattern="error")) == []
    assert messages(logs.filter_log_events(logGroupName=group, filterPattern="ERROR -ARGUMENTS -elsewhere")) == [
        "ERROR disk full", "ERROR timeout"]
    assert messages(logs.filter_log_events(logGroupName=group, filterPattern='"BAD REQUEST"')) == [
        "INFO BAD REQUEST from 1.2.3.4"]
    assert messages(logs.filter_log_events(logGroupName=group, filterPattern="?WARN ?timeout")) == [
        "WARN slow request", "ERROR timeout"]
    assert messages(logs.filter_log_events(logGroupName=group, filterPattern="ERROR disk")) == ["ERROR disk full"]
    with pytest.raises(ClientError) as ei:
        logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "error" }')
    assert error_of(ei)[0] == "InvalidParameterException"
    assert "unsupported" in error_of(ei)[1]


@pytest.mark.parametrize("pattern", ["%((a{1,30000}){1,30000})%", "%(\\227|)(\\1\\1|t1|\\2537)+%"])
def test_filter_log_events_regex_bombs_are_refused(server, filter_group, pattern):
    group, _ = filter_group
    st, body = berth_proc.raw_call(server.endpoint, "FilterLogEvents",
                                   {"logGroupName": group, "filterPattern": pattern},
                                   target_prefix="Logs_20140328")
    assert st == 400
    assert body["__type"] == "InvalidParameterException"
    st, _ = berth_proc.raw_call(server.endpoint, "DescribeLogGroups", {"logGroupNamePrefix": group},
                                target_prefix="Logs_20140328")
    assert st == 200


def test_filter_log_events_streams_and_window(logs, filter_group):
    group, t = filter_group
    r = logs.filter_log_events(logGroupName=group, logStreamNames=["app/a", "other"], filterPattern="ERROR")
    assert messages(r) == ["ERROR elsewhere", "ERROR disk full"]
    assert sorted(s["logStreamName"] for s in r["searchedLogStreams"]) == ["app/a", "other"]
    r = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="app/", interleaved=True)
    assert [e["logStreamName"] for e in r["events"]] == ["app/a", "app/b", "app/a", "app/b", "app/a", "app/b"]
    r = logs.filter_log_events(logGroupName=group, startTime=t + 3, endTime=t + 5)
    assert messages(r) == ["ERROR elsewhere", "ERROR disk full", "INFO BAD REQUEST from 1.2.3.4"]
    r = logs.filter_log_events(logGroupName=group, logStreamNames=["nope"])
    assert r["events"] == []
    with pytest.raises(ClientError) as ei:
        logs.filter_log_events(logGroupName=group, logStreamNames=["app/a"], logStreamNamePrefix="app")
    assert error_of(ei)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as ei:
        logs.filter_log_events(logGroupName=uniq("nogroup"))
    assert error_of(ei)[0] == "ResourceNotFoundException"


def test_filter_log_events_pagination(logs, filter_group):
    group, _ = filter_group
    first = logs.filter_log_events(logGroupName=group, limit=3)
    assert len(first["events"]) == 3 and "nextToken" in first
    pages, got = 0, []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group,
                                                                 PaginationConfig={"PageSize": 3}):
        pages += 1
        got += messages(page)
    assert pages == 3
    assert got == messages(logs.filter_log_events(logGroupName=group))
    got = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group, logStreamNamePrefix="app",
                                                                 filterPattern="ERROR",
                                                                 PaginationConfig={"PageSize": 1}):
        got += messages(page)
    assert got == ["ERROR ARGUMENTS missing", "ERROR disk full", "ERROR timeout"]


# ---- retention, tags, deletion ---------------------------------------------------

def test_retention_policy_values(logs, logs_raw):
    group, _ = make_stream(logs)
    for bad in (0, 2, 4000, -1):
        with pytest.raises(ClientError) as ei:
            logs_raw.put_retention_policy(logGroupName=group, retentionInDays=bad)
        assert error_of(ei)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as ei:
        logs.put_retention_policy(logGroupName=uniq("none"), retentionInDays=1)
    assert error_of(ei)[0] == "ResourceNotFoundException"
    logs.put_retention_policy(logGroupName=group, retentionInDays=3653)
    g = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert g["retentionInDays"] == 3653
    logs.delete_retention_policy(logGroupName=group)
    g = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert "retentionInDays" not in g


def test_retention_is_applied_by_maintenance(fresh_server):
    logs = berth_proc.client(fresh_server.endpoint, service="logs")
    group, stream = make_stream(logs, "retained")
    t = now_ms()
    put(logs, group, stream, [(t - 2 * DAY_MS + i, "old%d" % i) for i in range(5)])
    put(logs, group, stream, [(t - 1000, "new")])
    before = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"]
    assert before == 5 * 4 + 3
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)

    def only_new():
        ev = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
        return [e["message"] for e in ev] == ["new"]

    berth_proc.wait_for(only_new, timeout=30, interval=0.5, what="retention to delete old events")
    g = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert g["storedBytes"] == 3
    s = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert s["firstEventTimestamp"] == t - 1000
    assert messages(logs.filter_log_events(logGroupName=group)) == ["new"]


def test_tags(logs):
    group, _ = make_stream(logs)
    logs.tag_log_group(logGroupName=group, tags={"a": "1", "b": "2"})
    logs.untag_log_group(logGroupName=group, tags=["a"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"b": "2"}
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:%s" % group
    logs.tag_resource(resourceArn=arn, tags={"c": "3"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2", "c": "3"}
    logs.untag_resource(resourceArn=arn, tagKeys=["b"])
    assert logs.list_tags_for_resource(resourceArn=arn + ":*")["tags"] == {"c": "3"}
    with pytest.raises(ClientError) as ei:
        logs.list_tags_for_resource(resourceArn="arn:aws:logs:us-east-1:000000000000:log-group:nope-x")
    assert error_of(ei)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as ei:
        logs.tag_log_group(logGroupName=group, tags={"aws:x": "1"})
    assert error_of(ei)[0] == "InvalidParameterException"
    # Tags go with the group.
    logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {}


def test_delete_log_group_removes_streams_and_events(logs):
    group, stream = make_stream(logs)
    put(logs, group, stream, [(now_ms(), "gone")])
    logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []
    assert logs.filter_log_events(logGroupName=group)["events"] == []
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == 0
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    assert logs.get_log_events(logGroupName=group, logStreamName=stream)["events"] == []


# ---- berth's idempotent PutLogEvents ----------------------------------------------

def berth_put(server, body):
    return berth_proc.raw_call(server.endpoint, "PutLogEvents", body, target_prefix=BERTH_AGENT)


def test_berth_idempotent_put_log_events(server, logs):
    group, stream = make_stream(logs)
    t = now_ms()
    body = {"logGroupName": group, "logStreamName": stream, "shipperId": "agent-1/container-x", "offset": 100,
            "logEvents": [{"timestamp": t, "message": "once"}]}
    st, r1 = berth_put(server, body)
    assert st == 200 and r1["nextSequenceToken"]
    st, r2 = berth_put(server, body)
    assert st == 200 and r2.get("duplicate") is True
    body["offset"] = 50  # older than what was stored: also a duplicate
    assert berth_put(server, body)[1].get("duplicate") is True
    body["offset"] = 101
    body["logEvents"] = [{"timestamp": t + 1, "message": "twice"}]
    st, r3 = berth_put(server, body)
    assert st == 200 and "duplicate" not in r3
    # Another shipper has its own offsets.
    body["shipperId"] = "agent-2"
    body["offset"] = 0
    body["logEvents"] = [{"timestamp": t + 2, "message": "other"}]
    assert berth_put(server, body)[0] == 200
    msgs = messages(logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True))
    assert msgs == ["once", "twice", "other"]

    for bad in ({"logGroupName": group, "logStreamName": stream, "logEvents": [], "shipperId": "a", "offset": 1},
                {"logGroupName": group, "logStreamName": stream, "logEvents": [{"timestamp": t, "message": "x"}],
                 "offset": 1},
                {"logGroupName": group, "logStreamName": stream, "logEvents": [{"timestamp": t, "message": "x"}],
                 "shipperId": "a", "offset": -1},
                {"logGroupName": group, "logStreamName": stream, "logEvents": [{"timestamp": "x", "message": 1}],
                 "shipperId": "a", "offset": 1},
                ["not", "an", "object"]):
        st, r = berth_put(server, bad)
        assert st == 400, (bad, r)
        assert r["__type"] in ("InvalidParameterException", "SerializationException")
    st, r = berth_put(server, {"logGroupName": group, "logStreamName": "nostream", "shipperId": "a", "offset": 1,
                               "logEvents": [{"timestamp": t, "message": "x"}]})
    assert st == 400 and r["__type"] == "ResourceNotFoundException"


# ---- the AWS CLI v2 ---------------------------------------------------------------

def test_aws_cli_get_and_filter(server, logs, aws_env):
    group = uniq("/cli/group")
    aws_logs(server.endpoint, aws_env, "create-log-group", "--log-group-name", group)
    aws_logs(server.endpoint, aws_env, "create-log-stream", "--log-group-name", group, "--log-stream-name", "s")
    t = now_ms()
    events = json.dumps([{"timestamp": t + i, "message": "cli line %d" % i} for i in range(3)])
    aws_logs(server.endpoint, aws_env, "put-log-events", "--log-group-name", group, "--log-stream-name", "s",
             "--log-events", events)
    r = aws_logs(server.endpoint, aws_env, "get-log-events", "--log-group-name", group, "--log-stream-name", "s",
                 "--start-from-head")
    assert [e["message"] for e in r["events"]] == ["cli line 0", "cli line 1", "cli line 2"]
    r = aws_logs(server.endpoint, aws_env, "filter-log-events", "--log-group-name", group, "--filter-pattern", '"line 1"')
    assert [e["message"] for e in r["events"]] == ["cli line 1"]
    r = aws_logs(server.endpoint, aws_env, "describe-log-groups", "--log-group-name-prefix", group)
    assert r["logGroups"][0]["logGroupName"] == group


def test_aws_logs_tail_follow(server, logs, aws_env):
    group, stream = make_stream(logs, uniq("/tail"), "web/app/1")
    put(logs, group, stream, [(now_ms() - 1000, "before tail")])
    # `aws logs tail` without --follow prints what is there and exits.
    p = subprocess.run([AWS_V2, "logs", "tail", group, "--since", "5m", "--endpoint-url", server.endpoint],
                       env=aws_env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "before tail" in p.stdout and "web/app/1" in p.stdout

    proc = subprocess.Popen([AWS_V2, "logs", "tail", group, "--follow", "--since", "5m", "--format", "short",
                             "--endpoint-url", server.endpoint], env=aws_env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    proc.seen = ""
    try:
        read_until(proc, "before tail", 30)
        put(logs, group, stream, [(now_ms(), "followed line 1")])
        read_until(proc, "followed line 1", 30)
        put(logs, group, stream, [(now_ms(), "followed line 2"), (now_ms() + 1, "followed line 3")])
        text = read_until(proc, "followed line 3", 30)
        assert "followed line 2" in text
        assert text.count("before tail") == 1 and text.count("followed line 1") == 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_aws_logs_tail_stream_names(server, logs, aws_env):
    group, _ = make_stream(logs, uniq("/tail2"), "a")
    logs.create_log_stream(logGroupName=group, logStreamName="b")
    put(logs, group, "a", [(now_ms(), "from a")])
    put(logs, group, "b", [(now_ms(), "from b")])
    p = subprocess.run([AWS_V2, "logs", "tail", group, "--log-stream-names", "b", "--endpoint-url",
                        server.endpoint], env=aws_env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "from b" in p.stdout and "from a" not in p.stdout


# ---- durability and volume ------------------------------------------------------

def test_restart_keeps_everything(fresh_server):
    logs = berth_proc.client(fresh_server.endpoint, service="logs")
    group, stream = make_stream(logs, "/durable", "s")
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    logs.tag_log_group(logGroupName=group, tags={"k": "v"})
    t = now_ms()
    put(logs, group, stream, [(t + i, "line %d" % i) for i in range(100)])
    before = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    fresh_server.restart()
    logs = berth_proc.client(fresh_server.endpoint, service="logs")
    after = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert after["events"] == before["events"]
    assert after["nextForwardToken"] == before["nextForwardToken"]
    g = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert g["retentionInDays"] == 30 and g["storedBytes"] == sum(len("line %d" % i) for i in range(100))
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"k": "v"}
    s = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert s["firstEventTimestamp"] == t and s["lastEventTimestamp"] == t + 99


def test_volume_200k_events_one_stream(fresh_server, capsys):
    logs = berth_proc.client(fresh_server.endpoint, service="logs")
    group, stream = make_stream(logs, "/volume", "big")
    t0 = now_ms() - 3600 * 1000
    total, batch = 200000, 10000
    start = time.time()
    for b in range(total // batch):
        base = t0 + b * batch
        r = put(logs, group, stream, [(base + i, "volume event %07d some payload text" % (b * batch + i))
                                      for i in range(batch)])
        assert "rejectedLogEventsInfo" not in r
    put_s = time.time() - start
    timings = {}
    start = time.time()
    r = logs.get_log_events(logGroupName=group, logStreamName=stream, startTime=t0 + 150000,
                            endTime=t0 + 150100, startFromHead=True)
    timings["window_100"] = time.time() - start
    assert len(r["events"]) == 100
    assert r["events"][0]["message"] == "volume event 0150000 some payload text"
    start = time.time()
    r = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=100)
    timings["newest_100"] = time.time() - start
    assert r["events"][-1]["message"] == "volume event 0199999 some payload text"
    start = time.time()
    r = logs.filter_log_events(logGroupName=group, startTime=t0 + 100000, endTime=t0 + 100999,
                               filterPattern="0100500")
    timings["filter_window"] = time.time() - start
    assert messages(r) == ["volume event 0100500 some payload text"]
    with capsys.disabled():
        print("\n[logs volume] put %d events in %.1fs (%.0f events/s, batches of %d); %s" % (
            total, put_s, total / put_s, batch,
            ", ".join("%s %.1fms" % (k, v * 1000) for k, v in timings.items())))


# ---- `berth logs` -----------------------------------------------------------------

LOGGED_TASKDEF = {
    "family": "logged",
    "containerDefinitions": [
        {"name": "web", "image": "busybox", "memory": 64, "essential": True,
         "logConfiguration": {"logDriver": "awslogs",
                              "options": {"awslogs-group": "/berth/logged", "awslogs-region": "us-east-1",
                                          "awslogs-stream-prefix": "svc"}}},
        {"name": "plain", "image": "busybox", "memory": 64, "essential": False},
    ],
}


@pytest.fixture
def logged_task(fresh_server, tmp_path):
    ecs = berth_proc.client(fresh_server.endpoint)
    logs = berth_proc.client(fresh_server.endpoint, service="logs")
    ecs.create_cluster(clusterName="logs")
    ecs.register_task_definition(**LOGGED_TASKDEF)
    agent = berth_proc.BerthAgent(fresh_server.endpoint, "logs", tmp_path / "agent", tmp_path / "agent.log",
                                  hollow=1).start()
    inst = berth_proc.wait_for(lambda: ecs.list_container_instances(cluster="logs")["containerInstanceArns"],
                               what="the hollow instance")[0]
    task = ecs.start_task(cluster="logs", taskDefinition="logged", containerInstances=[inst])["tasks"][0]
    task_id = task["taskArn"].rsplit("/", 1)[1]
    logs.create_log_group(logGroupName="/berth/logged")
    stream = "svc/web/" + task_id
    logs.create_log_stream(logGroupName="/berth/logged", logStreamName=stream)
    yield fresh_server, logs, task_id, stream
    agent.stop()


def berth_logs(server, *args, **kw):
    return subprocess.run([berth_proc.BERTH_BIN, "logs", *args, "--endpoint", server.endpoint, "--cluster", "logs"],
                          capture_output=True, text=True, timeout=60, env=berth_proc.client_env(),
                          **kw)


def test_berth_logs_prints_task_logs(logged_task):
    server, logs, task_id, stream = logged_task
    t = now_ms()
    put(logs, "/berth/logged", stream, [(t - 3600 * 1000, "an hour ago"), (t - 1000, "hello"), (t, "world")])
    p = berth_logs(server, task_id)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "an hour ago\nhello\nworld\n"
    assert "plain" in p.stderr and "awslogs" in p.stderr
    p = berth_logs(server, task_id, "--container", "web", "--since", "10m")
    assert p.returncode == 0 and p.stdout == "hello\nworld\n"
    assert p.stderr == ""
    p = berth_logs(server, task_id, "--container", "nope")
    assert p.returncode != 0 and "no container named nope" in p.stderr
    p = berth_logs(server, "0123456789abcdef0123456789abcdef")
    assert p.returncode != 0 and "not found" in p.stderr
    p = berth_logs(server, task_id, "--since", "soon")
    assert p.returncode == 2


def test_berth_logs_follow(logged_task):
    server, logs, task_id, stream = logged_task
    put(logs, "/berth/logged", stream, [(now_ms(), "first line")])
    proc = subprocess.Popen([berth_proc.BERTH_BIN, "logs", task_id, "--follow", "--container", "web",
                             "--endpoint", server.endpoint, "--cluster", "logs"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=berth_proc.client_env())
    proc.seen = ""
    try:
        read_until(proc, "first line", 20)
        put(logs, "/berth/logged", stream, [(now_ms(), "second line")])
        read_until(proc, "second line", 20)
        put(logs, "/berth/logged", stream, [(now_ms(), "third line")])
        text = read_until(proc, "third line", 20)
        assert text == "first line\nsecond line\nthird line\n"
    finally:
        proc.send_signal(2)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    assert rc == 0, proc.stderr.read()
