"""CloudWatch metric alarms against a real berth server started with
--time-scale 10 (a 10-second period lasts one second, alarms are
evaluated every second): PutMetricAlarm, the state moving to ALARM and OK
as data is put, StateReason and history worded as CloudWatch words them,
missing data treatment, metric math alarms, DescribeAlarms filters and
pages, SetAlarmState, actions on and off, the AWS CLI (query protocol) and
the model's errors."""
import datetime
import json
import re
import subprocess
import time

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import berth_proc

SCALE = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("alarms")
    srv = berth_proc.BerthServer(d / "data", d / "server.log", extra_args=["--time-scale", str(SCALE)])
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def cw(server):
    return berth_proc.client(server.endpoint, service="cloudwatch")


@pytest.fixture(scope="module")
def cw_raw(server):
    return berth_proc.client(server.endpoint, service="cloudwatch", validate=False)


def put(cw, ns, name, value, dims=()):
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": name, "Value": value, "StorageResolution": 1,
                                                  "Dimensions": list(dims)}])


def alarm(cw, name):
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def wait_state(cw, name, state, feed=None, timeout=20):
    """Until the alarm is in state, calling feed() (putting data) meanwhile."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if feed:
            feed()
        a = alarm(cw, name)
        if a["StateValue"] == state:
            return a
        time.sleep(0.3)
    raise AssertionError("alarm %s never reached %s: %s" % (name, state, alarm(cw, name)))


def simple_alarm(cw, name, ns, **extra):
    args = dict(AlarmName=name, Namespace=ns, MetricName="Load", Statistic="Average", Period=10,
                EvaluationPeriods=1, Threshold=50, ComparisonOperator="GreaterThanThreshold",
                TreatMissingData="ignore")
    args.update(extra)
    cw.put_metric_alarm(**args)


def test_alarm_and_ok_on_data(cw):
    simple_alarm(cw, "load-high", "A1", AlarmDescription="load above 50")
    a = alarm(cw, "load-high")
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    assert a["StateReason"] == "Unchecked: Initial alarm creation"
    assert a["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:%s:alarm:load-high" % a["AlarmArn"].split(":")[4]
    assert a["ActionsEnabled"] is True and a["AlarmActions"] == [] and a["Dimensions"] == []
    assert a["Period"] == 10 and a["Threshold"] == 50.0 and a["TreatMissingData"] == "ignore"
    a = wait_state(cw, "load-high", "ALARM", feed=lambda: put(cw, "A1", "Load", 80))
    assert a["StateReason"].startswith("Threshold Crossed: 1 datapoint [80.0 (")
    assert a["StateReason"].endswith(")] was greater than the threshold (50.0).")
    data = json.loads(a["StateReasonData"])
    assert data["version"] == "1.0" and data["recentDatapoints"] == [80.0] and data["threshold"] == 50.0
    assert data["statistic"] == "Average" and data["evaluatedDatapoints"][0]["value"] == 80.0
    a = wait_state(cw, "load-high", "OK", feed=lambda: put(cw, "A1", "Load", 20))
    # On a loaded machine the first 20s can share a period with the last 80s
    # (one second at this time scale), so the OK datapoint is their average.
    m = re.match(r"Threshold Crossed: 1 datapoint \[([0-9.]+) \(\d\d/\d\d/\d\d \d\d:\d\d:\d\d\)\] "
                 r"was not greater than the threshold \(50\.0\)\.$", a["StateReason"])
    assert m, a["StateReason"]
    assert 20.0 <= float(m.group(1)) <= 50.0
    assert json.loads(a["StateReasonData"])["recentDatapoints"] == [float(m.group(1))]
    hist = cw.describe_alarm_history(AlarmName="load-high")["AlarmHistoryItems"]
    summaries = [h["HistorySummary"] for h in hist]
    assert summaries[:2] == ["Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM"]
    assert summaries[-1] == 'Alarm "load-high" created'
    assert hist[-1]["HistoryItemType"] == "ConfigurationUpdate" and hist[0]["HistoryItemType"] == "StateUpdate"
    asc = cw.describe_alarm_history(AlarmName="load-high", ScanBy="TimestampAscending",
                                    HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in asc] == list(reversed(summaries[:2]))
    assert json.loads(asc[-1]["HistoryData"])["newState"]["stateValue"] == "OK"


def test_datapoints_to_alarm_and_missing_data(cw):
    # 2 of 3 periods breaching, no data: treated as the alarm says.
    simple_alarm(cw, "m-of-n", "A2", EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="missing")
    a = wait_state(cw, "m-of-n", "ALARM", feed=lambda: put(cw, "A2", "Load", 99), timeout=25)
    assert "out of the last 3 datapoints" in a["StateReason"]
    assert a["StateReason"].endswith("(minimum 2 datapoints for OK -> ALARM transition).")
    # Data stops: missing data makes INSUFFICIENT_DATA.
    a = wait_state(cw, "m-of-n", "INSUFFICIENT_DATA", timeout=25)
    assert a["StateReason"] == "Insufficient Data: 3 datapoints were unknown."
    simple_alarm(cw, "missing-breaches", "A2-none", TreatMissingData="breaching")
    a = wait_state(cw, "missing-breaches", "ALARM")
    assert a["StateReason"] == ("Threshold Crossed: no datapoints were received for 1 period and 1 missing "
                                "datapoint was treated as [Breaching].")
    simple_alarm(cw, "missing-ok", "A2-none", TreatMissingData="notBreaching")
    wait_state(cw, "missing-ok", "OK")


def test_metric_math_alarm(cw):
    cw.put_metric_alarm(AlarmName="sum-of-two", EvaluationPeriods=1, Threshold=100,
                        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="ignore", Metrics=[
                            {"Id": "a", "MetricStat": {"Metric": {"Namespace": "A3", "MetricName": "x"},
                                                       "Period": 10, "Stat": "Sum"}, "ReturnData": False},
                            {"Id": "b", "MetricStat": {"Metric": {"Namespace": "A3", "MetricName": "y"},
                                                       "Period": 10, "Stat": "Sum"}, "ReturnData": False},
                            {"Id": "e", "Expression": "a + b", "Label": "total"}])

    def feed():
        put(cw, "A3", "x", 60)
        put(cw, "A3", "y", 50)
    a = wait_state(cw, "sum-of-two", "ALARM", feed=feed)
    assert "greater than or equal to the threshold (100.0)" in a["StateReason"]
    assert [m["Id"] for m in a["Metrics"]] == ["a", "b", "e"] and "MetricName" not in a


def test_describe_filters_and_pages(cw):
    for i in range(5):
        simple_alarm(cw, "page-%d" % i, "A4", Dimensions=[{"Name": "N", "Value": str(i % 2)}])
    pages = list(cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix="page-",
                                                              PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert [a["AlarmName"] for p in pages for a in p["MetricAlarms"]] == ["page-%d" % i for i in range(5)]
    out = cw.describe_alarms(AlarmNames=["page-1", "page-3", "nope"])
    assert [a["AlarmName"] for a in out["MetricAlarms"]] == ["page-1", "page-3"]
    assert "CompositeAlarms" not in out or out["CompositeAlarms"] == []
    out = cw.describe_alarms(AlarmNamePrefix="page-", StateValue="ALARM")
    assert out["MetricAlarms"] == []
    out = cw.describe_alarms_for_metric(Namespace="A4", MetricName="Load", Dimensions=[{"Name": "N", "Value": "1"}])
    assert sorted(a["AlarmName"] for a in out["MetricAlarms"]) == ["page-1", "page-3"]
    out = cw.describe_alarms_for_metric(Namespace="A4", MetricName="Load", Period=60)
    assert out["MetricAlarms"] == []
    cw.delete_alarms(AlarmNames=["page-0", "page-1"])
    assert [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="page-")["MetricAlarms"]] == \
        ["page-2", "page-3", "page-4"]
    assert cw.describe_alarm_history(AlarmName="page-0")["AlarmHistoryItems"] == []


def test_set_state_and_actions(cw):
    simple_alarm(cw, "manual", "A5", TreatMissingData="ignore")
    cw.set_alarm_state(AlarmName="manual", StateValue="ALARM", StateReason="testing",
                       StateReasonData='{"why": "test"}')
    a = alarm(cw, "manual")
    assert a["StateValue"] == "ALARM" and a["StateReason"] == "testing"
    assert json.loads(a["StateReasonData"]) == {"why": "test"}
    hist = cw.describe_alarm_history(AlarmName="manual", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert hist[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    cw.disable_alarm_actions(AlarmNames=["manual"])
    assert alarm(cw, "manual")["ActionsEnabled"] is False
    cw.enable_alarm_actions(AlarmNames=["manual"])
    assert alarm(cw, "manual")["ActionsEnabled"] is True
    # A replaced alarm keeps its state; its configuration changes.
    simple_alarm(cw, "manual", "A5", Threshold=70, TreatMissingData="ignore")
    a = alarm(cw, "manual")
    assert a["StateValue"] == "ALARM" and a["Threshold"] == 70.0
    assert cw.describe_alarm_history(AlarmName="manual", HistoryItemType="ConfigurationUpdate",
                                     MaxRecords=1)["AlarmHistoryItems"][0]["HistorySummary"] == \
        'Alarm "manual" updated'


def code(e):
    return e.value.response["Error"]["Code"]


def test_errors(cw, cw_raw):
    base = dict(AlarmName="bad", Namespace="E", MetricName="m", Statistic="Average", Period=10,
                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    cases = [
        (dict(Period=15), "InvalidParameterValue", "10, 20, 30 or a multiple of 60"),
        (dict(Threshold=None), "MissingParameter", "Threshold"),
        (dict(Statistic=None), "MissingParameter", "Statistic"),
        (dict(EvaluationPeriods=2, DatapointsToAlarm=3), "InvalidParameterValue", "DatapointsToAlarm"),
        (dict(Period=86400, EvaluationPeriods=2), "InvalidParameterValue", "one day"),
        (dict(TreatMissingData="sometimes"), "InvalidParameterValue", "TreatMissingData"),
        (dict(AlarmActions=["arn:aws:sns:us-east-1:000000000000:topic"]), "InvalidParameterValue",
         "Application Auto Scaling"),
        (dict(ExtendedStatistic="p99", Statistic=None), "InvalidAction", "ExtendedStatistic"),
        (dict(ComparisonOperator="LessThanLowerThreshold"), "InvalidAction", "anomaly detection"),
        (dict(Metrics=[{"Id": "m", "MetricStat": {"Metric": {"Namespace": "E", "MetricName": "m"}, "Period": 10,
                                                  "Stat": "Sum"}}]), "InvalidParameterCombination", "Metrics"),
    ]
    for change, want, words in cases:
        args = dict(base, **change)
        args = {k: v for k, v in args.items() if v is not None}
        with pytest.raises(ClientError) as e:
            cw_raw.put_metric_alarm(**args)
        assert code(e) == want, (change, e.value.response)
        assert words in e.value.response["Error"]["Message"], (change, e.value.response)
    with pytest.raises(ClientError) as e:
        cw_raw.put_metric_alarm(AlarmName="two", EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold", Metrics=[
                                    {"Id": "a", "MetricStat": {"Metric": {"Namespace": "E", "MetricName": "m"},
                                                               "Period": 10, "Stat": "Sum"}},
                                    {"Id": "b", "Expression": "a * 2"}])
    assert "Exactly one element of the metrics list should return data" in e.value.response["Error"]["Message"]
    assert cw.describe_alarms(AlarmNames=["bad", "two"])["MetricAlarms"] == []
    simple_alarm(cw, "kept", "E")
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=["kept", "missing-alarm"])
    assert code(e) == "ResourceNotFound" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert len(cw.describe_alarms(AlarmNames=["kept"])["MetricAlarms"]) == 1  # none deleted
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="kept", StateValue="OK", StateReason="x", StateReasonData="{not json")
    assert code(e) == "InvalidFormat"
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    assert code(e) == "ResourceNotFound"
    with pytest.raises(ClientError) as e:
        cw.describe_alarms(NextToken="garbage")
    assert code(e) == "InvalidNextToken"
    with pytest.raises(ClientError) as e:
        cw.describe_alarms(ChildrenOfAlarmName="x")
    assert code(e) == "InvalidAction"


def test_aws_cli_query_protocol(server, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = berth_proc.aws_cli_env(home)

    def aws(*args):
        p = subprocess.run([berth_proc.AWS_V2, "cloudwatch", *args, "--endpoint-url", server.endpoint, "--output",
                            "json"], env=env, capture_output=True, text=True, timeout=60)
        return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else {}), p.stderr
    rc, _, err = aws("put-metric-alarm", "--alarm-name", "cli-alarm", "--namespace", "C", "--metric-name", "m",
                     "--statistic", "Maximum", "--period", "60", "--evaluation-periods", "2", "--threshold", "5",
                     "--comparison-operator", "LessThanThreshold", "--dimensions", "Name=K,Value=v")
    assert rc == 0, err
    rc, out, err = aws("describe-alarms", "--alarm-names", "cli-alarm")
    assert rc == 0, err
    a = out["MetricAlarms"][0]
    assert a["ComparisonOperator"] == "LessThanThreshold" and a["Dimensions"] == [{"Name": "K", "Value": "v"}]
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    assert datetime.datetime.fromisoformat(a["StateUpdatedTimestamp"].replace("Z", "+00:00")).year >= 2024
    rc, out, err = aws("set-alarm-state", "--alarm-name", "cli-alarm", "--state-value", "OK", "--state-reason", "r")
    assert rc == 0, err
    rc, out, err = aws("describe-alarm-history", "--alarm-name", "cli-alarm")
    # (the next evaluation may already have moved it back: it has no data)
    assert rc == 0 and "Alarm updated from INSUFFICIENT_DATA to OK" in [
        h["HistorySummary"] for h in out["AlarmHistoryItems"]]
    rc, out, err = aws("delete-alarms", "--alarm-names", "no-such")
    assert rc != 0 and "ResourceNotFound" in err
    rc, out, err = aws("delete-alarms", "--alarm-names", "cli-alarm")
    assert rc == 0, err


def test_authorisation(server, cw):
    iam = berth_proc.client(server.endpoint, service="iam")
    iam.create_user(UserName="alarm-reader")
    iam.put_user_policy(UserName="alarm-reader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "cloudwatch:Describe*", "Resource": "*"},
            {"Effect": "Allow", "Action": "cloudwatch:PutMetricAlarm",
             "Resource": "arn:aws:cloudwatch:*:*:alarm:team-*"}]}))
    k = iam.create_access_key(UserName="alarm-reader")["AccessKey"]
    c = berth_proc.client(server.endpoint, service="cloudwatch", key=Credentials(k["AccessKeyId"], k["SecretAccessKey"]))

    def try_put(name):
        try:
            simple_alarm(c, name, "Z")
            return True
        except ClientError as e:
            if e.response["Error"]["Code"] != "AccessDenied":
                raise
            return False
    berth_proc.wait_for(lambda: try_put("team-a"), timeout=10, what="the new key to work")
    assert not try_put("other")
    c.describe_alarms()
    with pytest.raises(ClientError) as e:
        c.delete_alarms(AlarmNames=["team-a"])
    assert code(e) == "AccessDenied"
