"""CloudWatch metrics against a real berth server: PutMetricData, then
GetMetricStatistics, GetMetricData and ListMetrics with boto3 (JSON 1.0)
and the AWS CLI v2 (AWS query protocol), statistics checked against the
values put, dimension filters, pages, and the model's errors for bad
input."""
import datetime
import json
import subprocess
import time

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import berth_proc

CW_TARGET = "GraniteServiceVersion20100801"


@pytest.fixture(scope="module")
def cw(server):
    return berth_proc.client(server.endpoint, service="cloudwatch")


@pytest.fixture(scope="module")
def cw_raw(server):
    return berth_proc.client(server.endpoint, service="cloudwatch", validate=False)


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def aws_cw(server, env, *args):
    p = subprocess.run([berth_proc.AWS_V2, "cloudwatch", *args, "--endpoint-url", server.endpoint, "--output",
                        "json"], env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, (json.loads(p.stdout) if p.stdout.strip() else {}), p.stderr


def minute_ago(n=1):
    now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    return now - datetime.timedelta(minutes=n)


def test_put_then_statistics(cw):
    at = minute_ago(2)
    dims = [{"Name": "Host", "Value": "a"}]
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "Latency", "Dimensions": dims, "Value": 10, "Unit": "Milliseconds", "Timestamp": at},
        {"MetricName": "Latency", "Dimensions": dims, "Values": [20, 30], "Counts": [1, 2], "Unit": "Milliseconds",
         "Timestamp": at + datetime.timedelta(seconds=10)},
        {"MetricName": "Latency", "Dimensions": dims, "Unit": "Milliseconds", "Timestamp": at,
         "StatisticValues": {"SampleCount": 2, "Sum": 8, "Minimum": 3, "Maximum": 5}},
    ])
    out = cw.get_metric_statistics(Namespace="App", MetricName="Latency", Dimensions=dims,
                                   StartTime=at - datetime.timedelta(minutes=1),
                                   EndTime=at + datetime.timedelta(minutes=2), Period=60,
                                   Statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"])
    assert out["Label"] == "Latency"
    assert len(out["Datapoints"]) == 1
    dp = out["Datapoints"][0]
    # 10; 20 + 30 * 2; the set (2, 8, 3, 5): 6 samples summing 98.
    assert dp["SampleCount"] == 6 and dp["Sum"] == 98
    assert dp["Minimum"] == 3 and dp["Maximum"] == 30
    assert abs(dp["Average"] - 98 / 6) < 1e-9
    assert dp["Unit"] == "Milliseconds" and dp["Timestamp"] == at
    # Another dimension set is another metric; a unit filter selects.
    out = cw.get_metric_statistics(Namespace="App", MetricName="Latency", StartTime=at,
                                   EndTime=at + datetime.timedelta(minutes=1), Period=60, Statistics=["Sum"])
    assert out["Datapoints"] == []
    out = cw.get_metric_statistics(Namespace="App", MetricName="Latency", Dimensions=dims, StartTime=at,
                                   EndTime=at + datetime.timedelta(minutes=1), Period=60, Statistics=["Sum"],
                                   Unit="Seconds")
    assert out["Datapoints"] == []


def test_periods_and_high_resolution(cw):
    at = minute_ago(5)
    for k in range(4):
        cw.put_metric_data(Namespace="Periods", MetricData=[
            {"MetricName": "M", "Value": k, "Timestamp": at + datetime.timedelta(seconds=30 * k + 1),
             "StorageResolution": 1}])
    out = cw.get_metric_statistics(Namespace="Periods", MetricName="M", StartTime=at,
                                   EndTime=at + datetime.timedelta(minutes=2), Period=60, Statistics=["Sum"])
    sums = sorted((d["Timestamp"], d["Sum"]) for d in out["Datapoints"])
    assert sums == [(at, 1.0), (at + datetime.timedelta(minutes=1), 5.0)]
    out = cw.get_metric_statistics(Namespace="Periods", MetricName="M", StartTime=at,
                                   EndTime=at + datetime.timedelta(minutes=2), Period=30, Statistics=["Maximum"])
    assert sorted(d["Maximum"] for d in out["Datapoints"]) == [0, 1, 2, 3]


def test_get_metric_data_and_pages(cw):
    at = minute_ago(10)
    cw.put_metric_data(Namespace="Data", MetricData=[
        {"MetricName": "Req", "Dimensions": [{"Name": "Svc", "Value": "x"}], "Value": v,
         "Timestamp": at + datetime.timedelta(minutes=v)} for v in range(5)])
    q = {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Data", "MetricName": "Req",
                                               "Dimensions": [{"Name": "Svc", "Value": "x"}]},
                                    "Period": 60, "Stat": "Sum"}}
    out = cw.get_metric_data(MetricDataQueries=[q], StartTime=at, EndTime=at + datetime.timedelta(minutes=5))
    r = out["MetricDataResults"][0]
    assert r["Id"] == "m1" and r["Label"] == "Req" and r["StatusCode"] == "Complete"
    assert r["Values"] == [4, 3, 2, 1, 0]  # newest first by default
    out = cw.get_metric_data(MetricDataQueries=[q], StartTime=at, EndTime=at + datetime.timedelta(minutes=5),
                             ScanBy="TimestampAscending")
    assert out["MetricDataResults"][0]["Values"] == [0, 1, 2, 3, 4]
    assert out["MetricDataResults"][0]["Timestamps"][0] == at
    # Pages of two points, walked by the paginator.
    pages = cw.get_paginator("get_metric_data").paginate(
        MetricDataQueries=[q], StartTime=at, EndTime=at + datetime.timedelta(minutes=5),
        ScanBy="TimestampAscending", MaxDatapoints=2)
    values = [v for p in pages for r in p["MetricDataResults"] for v in r["Values"]]
    assert values == [0, 1, 2, 3, 4]


def test_get_metric_data_expressions(cw):
    at = minute_ago(20)
    cw.put_metric_data(Namespace="Math", MetricData=[
        {"MetricName": name, "Value": v * k, "Timestamp": at + datetime.timedelta(minutes=k)}
        for k in range(1, 4) for name, v in (("A", 1), ("B", 10))])
    # C has a point only in the second minute.
    cw.put_metric_data(Namespace="Math", MetricData=[
        {"MetricName": "C", "Value": 100, "Timestamp": at + datetime.timedelta(minutes=2)}])

    def q(i, name, **kw):
        d = {"Id": i, "MetricStat": {"Metric": {"Namespace": "Math", "MetricName": name}, "Period": 60,
                                     "Stat": "Sum"}, "ReturnData": False}
        d.update(kw)
        return d
    out = cw.get_metric_data(MetricDataQueries=[
        q("a", "A"), q("b", "B"), q("c", "C"),
        {"Id": "s", "Expression": "SUM(METRICS())"},
        {"Id": "avg", "Expression": "AVG([a, b])", "Label": "mean"},
        {"Id": "mx", "Expression": "MAX([a, c])"},
        {"Id": "ratio", "Expression": "(b - a) / a * 100"},
        {"Id": "both", "Expression": "a + c"},
        {"Id": "total", "Expression": "SUM(b)"},
        {"Id": "neg", "Expression": "-a * 2 + s"},
    ], StartTime=at, EndTime=at + datetime.timedelta(minutes=5), ScanBy="TimestampAscending")
    r = {x["Id"]: x for x in out["MetricDataResults"]}
    assert set(r) == {"s", "avg", "mx", "ratio", "both", "total", "neg"}
    assert r["s"]["Values"] == [11, 122, 33]
    assert r["avg"]["Values"] == [5.5, 11, 16.5] and r["avg"]["Label"] == "mean"
    assert r["mx"]["Values"] == [1, 100, 3]
    assert r["ratio"]["Values"] == [900, 900, 900]
    assert r["both"]["Values"] == [102] and r["both"]["Timestamps"] == [at + datetime.timedelta(minutes=2)]
    assert r["total"]["Values"] == [60, 60, 60]  # a number, at every timestamp
    assert r["neg"]["Values"] == [9, 118, 27]
    for bad in ("a +", "nope * 2", "PERCENTILE(a)", "x", "(a"):
        with pytest.raises(ClientError) as e:
            cw.get_metric_data(MetricDataQueries=[q("a", "A"), {"Id": "x", "Expression": bad}],
                               StartTime=at, EndTime=at + datetime.timedelta(minutes=5))
        assert code(e) == "InvalidParameterValue", bad
    with pytest.raises(ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[{"Id": "x", "Expression": "a", "MetricStat": q("a", "A")["MetricStat"]}],
                           StartTime=at, EndTime=at + datetime.timedelta(minutes=5))
    assert code(e) == "InvalidParameterCombination"


def test_list_metrics_filters_and_pages(cw):
    data = [{"MetricName": "L%d" % i, "Dimensions": [{"Name": "Kind", "Value": "odd" if i % 2 else "even"}],
             "Value": 1} for i in range(6)]
    cw.put_metric_data(Namespace="List", MetricData=data)
    out = cw.list_metrics(Namespace="List")
    assert sorted(m["MetricName"] for m in out["Metrics"]) == ["L%d" % i for i in range(6)]
    out = cw.list_metrics(Namespace="List", Dimensions=[{"Name": "Kind", "Value": "odd"}])
    assert sorted(m["MetricName"] for m in out["Metrics"]) == ["L1", "L3", "L5"]
    out = cw.list_metrics(Namespace="List", MetricName="L2", Dimensions=[{"Name": "Kind"}])
    assert out["Metrics"] == [{"Namespace": "List", "MetricName": "L2",
                               "Dimensions": [{"Name": "Kind", "Value": "even"}]}]
    assert cw.list_metrics(Namespace="List", Dimensions=[{"Name": "Nope"}])["Metrics"] == []
    out = cw.list_metrics(Namespace="List", RecentlyActive="PT3H")
    assert len(out["Metrics"]) == 6
    # One account: every metric is its own, another account owns none.
    out = cw.list_metrics(Namespace="List", IncludeLinkedAccounts=True)
    assert len(out["Metrics"]) == 6 and out["OwningAccounts"] == ["000000000000"] * 6
    out = cw.list_metrics(Namespace="List", IncludeLinkedAccounts=True, OwningAccount="000000000000")
    assert len(out["Metrics"]) == 6
    out = cw.list_metrics(Namespace="List", IncludeLinkedAccounts=True, OwningAccount="111111111111")
    assert out["Metrics"] == [] and out["OwningAccounts"] == []
    # 501 metrics: two pages.
    for k in range(0, 501, 100):
        cw.put_metric_data(Namespace="Many", MetricData=[{"MetricName": "m%d" % i, "Value": 1}
                                                          for i in range(k, min(k + 100, 501))])
    pages = list(cw.get_paginator("list_metrics").paginate(Namespace="Many"))
    assert [len(p["Metrics"]) for p in pages] == [500, 1]
    with pytest.raises(ClientError) as e:
        cw.list_metrics(NextToken="garbage")
    assert code(e) == "InvalidNextToken"


def test_bad_input(cw, cw_raw):
    now = datetime.datetime.now(datetime.timezone.utc)
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "x", "Value": 1}])
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="B", MetricData=[{"MetricName": "x", "Value": 1,
                                                       "StatisticValues": {"SampleCount": 1, "Sum": 1,
                                                                           "Minimum": 1, "Maximum": 1}}])
    assert code(e) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="B", MetricData=[{"MetricName": "x"}])
    assert code(e) == "MissingParameter"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="B", MetricData=[{"MetricName": "x", "Values": [1, 2], "Counts": [1]}])
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="B", MetricData=[{"MetricName": "x", "Value": 1,
                                                       "Timestamp": now - datetime.timedelta(days=20)}])
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace="B", MetricName="x", StartTime=now, EndTime=now - datetime.timedelta(
            hours=1), Period=60, Statistics=["Sum"])
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace="B", MetricName="x", StartTime=now - datetime.timedelta(hours=1),
                                 EndTime=now, Period=61, Statistics=["Sum"])
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace="B", MetricName="x", StartTime=now - datetime.timedelta(days=2),
                                 EndTime=now, Period=60, Statistics=["Sum"])
    assert code(e) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        cw.get_metric_statistics(Namespace="B", MetricName="x", StartTime=now - datetime.timedelta(hours=1),
                                 EndTime=now, Period=60, ExtendedStatistics=["p99"])
    assert "percentiles" in str(e.value)
    with pytest.raises(ClientError) as e:
        cw_raw.get_metric_statistics(Namespace="B", MetricName="x", StartTime=now - datetime.timedelta(hours=1),
                                     EndTime=now, Period=60)
    assert code(e) == "MissingParameter"
    with pytest.raises(ClientError) as e:
        cw_raw.get_metric_statistics(Namespace="B", MetricName="x", StartTime=now, EndTime=now, Period=60,
                                     Statistics=["Median"])
    assert code(e) == "InvalidParameterValue"
    # Dashboards are not berth's: refused by name.
    with pytest.raises(ClientError) as e:
        cw.list_dashboards()
    assert "does not implement" in str(e.value)


def test_aws_cli_query_protocol(server, aws_env, cw):
    at = minute_ago(3)
    rc, out, err = aws_cw(server, aws_env, "put-metric-data", "--namespace", "Cli", "--metric-name", "Hits",
                          "--dimensions", "Site=web", "--value", "7", "--unit", "Count", "--timestamp",
                          at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert rc == 0, err
    rc, out, err = aws_cw(server, aws_env, "put-metric-data", "--namespace", "Cli", "--metric-name", "Hits",
                          "--dimensions", "Site=web", "--statistic-values",
                          "SampleCount=2,Sum=5,Minimum=1,Maximum=4", "--unit", "Count", "--timestamp",
                          at.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert rc == 0, err
    rc, out, err = aws_cw(server, aws_env, "get-metric-statistics", "--namespace", "Cli", "--metric-name", "Hits",
                          "--dimensions", "Name=Site,Value=web", "--start-time",
                          (at - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "--end-time", (at + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "--period", "60", "--statistics", "Sum", "Maximum", "SampleCount")
    assert rc == 0, err
    assert len(out["Datapoints"]) == 1
    dp = out["Datapoints"][0]
    assert dp["Sum"] == 12 and dp["Maximum"] == 7 and dp["SampleCount"] == 3 and dp["Unit"] == "Count"
    rc, out, err = aws_cw(server, aws_env, "list-metrics", "--namespace", "Cli")
    assert rc == 0, err
    assert out["Metrics"] == [{"Namespace": "Cli", "MetricName": "Hits", "Dimensions": [{"Name": "Site",
                                                                                          "Value": "web"}]}]
    rc, out, err = aws_cw(server, aws_env, "get-metric-data", "--metric-data-queries", json.dumps([
        {"Id": "h", "MetricStat": {"Metric": {"Namespace": "Cli", "MetricName": "Hits",
                                              "Dimensions": [{"Name": "Site", "Value": "web"}]},
                                   "Period": 60, "Stat": "Average"}}]),
        "--start-time", (at - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--end-time", (at + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert rc == 0, err
    assert out["MetricDataResults"][0]["Values"] == [4.0]
    # Errors in the query protocol's shape.
    rc, out, err = aws_cw(server, aws_env, "put-metric-data", "--namespace", "AWS/X", "--metric-name", "m",
                          "--value", "1")
    assert rc != 0 and "InvalidParameterValue" in err
    # The JSON client sees what the CLI put.
    out = cw.list_metrics(Namespace="Cli")
    assert len(out["Metrics"]) == 1


def test_authorisation(server):
    iam = berth_proc.client(server.endpoint, service="iam")
    iam.create_user(UserName="cw-user")
    iam.put_user_policy(UserName="cw-user", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
             "Condition": {"StringEquals": {"cloudwatch:namespace": "Mine"}}},
            {"Effect": "Allow", "Action": "cloudwatch:ListMetrics", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="cw-user")["AccessKey"]
    key = Credentials(k["AccessKeyId"], k["SecretAccessKey"])
    user = berth_proc.client(server.endpoint, service="cloudwatch", key=key)
    berth_proc.wait_for(lambda: _can_list(user), what="the new key to work")
    user.put_metric_data(Namespace="Mine", MetricData=[{"MetricName": "x", "Value": 1}])
    with pytest.raises(ClientError) as e:
        user.put_metric_data(Namespace="Other", MetricData=[{"MetricName": "x", "Value": 1}])
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        user.get_metric_statistics(Namespace="Mine", MetricName="x", StartTime=minute_ago(5), EndTime=minute_ago(0),
                                   Period=60, Statistics=["Sum"])
    assert code(e) == "AccessDenied"


def _can_list(c):
    try:
        c.list_metrics()
        return True
    except ClientError:
        return False



# --- AWS JSON 1.0 (what boto3 1.43 sends) and Smithy RPC v2 CBOR, raw ------

def json10(server, action, body):
    return berth_proc.raw_call(server.endpoint, action, body, target_prefix=CW_TARGET, service="monitoring",
                               headers={"Content-Type": "application/x-amz-json-1.0"})


def test_json_1_0(server):
    at = int(minute_ago(3).timestamp())
    status, out = json10(server, "PutMetricData", {"Namespace": "J", "MetricData": [
        {"MetricName": "m", "Value": 2, "Timestamp": at}, {"MetricName": "m", "Value": 4, "Timestamp": at + 1.5}]})
    assert status == 200, out
    status, out = json10(server, "GetMetricStatistics", {"Namespace": "J", "MetricName": "m", "StartTime": at,
                                                         "EndTime": at + 60, "Period": 60,
                                                         "Statistics": ["Average", "Maximum"]})
    assert status == 200 and out["Datapoints"] == [{"Timestamp": at, "Average": 3, "Maximum": 4, "Unit": "None"}]
    status, out = json10(server, "GetMetricStatistics", {"Namespace": "J", "MetricName": "m", "StartTime": at,
                                                         "EndTime": at + 60, "Period": 60})
    assert status == 400 and out["__type"] == "MissingParameter"
    status, out = json10(server, "GetMetricStatistics", {"Namespace": "J", "StartTime": at, "EndTime": at + 60,
                                                         "Period": 60, "Statistics": ["Sum"]})
    assert status == 400 and out["__type"] == "InvalidParameterValue"
    status, out = json10(server, "ListDashboards", {})
    assert status == 400 and "does not implement" in out["message"]


def cbor_enc(v):
    """A minimal CBOR encoder for the tests (maps, lists, text, ints, floats, bools)."""
    import struct

    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
            if n < 1 << (8 * struct.calcsize(fmt)):
                return bytes([major << 5 | info]) + struct.pack(fmt, n)
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor_enc(e) for e in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor_enc(k) + cbor_enc(e) for k, e in v.items())
    if isinstance(v, tuple) and v[0] == "ts":  # tag 1, epoch seconds
        return b"\xc1" + cbor_enc(v[1])
    raise TypeError(v)


def cbor_dec(b):
    """The matching decoder: returns (value, rest); tag 1 gives ("ts", n)."""
    import struct
    major, info, b = b[0] >> 5, b[0] & 31, b[1:]
    if major == 7:
        if info in (20, 21):
            return info == 21, b
        if info == 22:
            return None, b
        size = {25: 2, 26: 4, 27: 8}[info]
        return struct.unpack({2: ">e", 4: ">f", 8: ">d"}[size], b[:size])[0], b[size:]
    if info < 24:
        n = info
    else:
        size = 1 << (info - 24)
        n, b = int.from_bytes(b[:size], "big"), b[size:]
    if major == 0:
        return n, b
    if major == 1:
        return -1 - n, b
    if major in (2, 3):
        return (b[:n].decode() if major == 3 else b[:n]), b[n:]
    if major == 4:
        out = []
        for _ in range(n):
            e, b = cbor_dec(b)
            out.append(e)
        return out, b
    if major == 5:
        out = {}
        for _ in range(n):
            k, b = cbor_dec(b)
            out[k], b = cbor_dec(b)
        return out, b
    v, b = cbor_dec(b)
    return ("ts", v), b


def cbor_call(server, action, body):
    status, headers, out = berth_proc.post(
        server.endpoint, cbor_enc(body) if body is not None else b"",
        {"Content-Type": "application/cbor", "Accept": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
        service="monitoring", path="/service/%s/operation/%s" % (CW_TARGET, action))
    assert headers["smithy-protocol"] == "rpc-v2-cbor" and headers["Content-Type"] == "application/cbor"
    value, rest = cbor_dec(out)
    assert rest == b""
    return status, value


def test_rpc_v2_cbor(server):
    at = int(minute_ago(4).timestamp())
    status, out = cbor_call(server, "PutMetricData", {"Namespace": "Cbor", "MetricData": [
        {"MetricName": "M", "Dimensions": [{"Name": "K", "Value": "v"}], "Values": [1.5, 2.5], "Unit": "Bytes",
         "Timestamp": ("ts", at)}]})
    assert status == 200, out
    status, out = cbor_call(server, "GetMetricStatistics", {
        "Namespace": "Cbor", "MetricName": "M", "Dimensions": [{"Name": "K", "Value": "v"}],
        "StartTime": ("ts", at), "EndTime": ("ts", float(at + 60)), "Period": 60, "Statistics": ["Sum", "SampleCount"]})
    assert status == 200 and out == {"Label": "M", "Datapoints": [
        {"Timestamp": ("ts", at), "Sum": 4.0, "SampleCount": 2.0, "Unit": "Bytes"}]}
    status, out = cbor_call(server, "GetMetricData", {"MetricDataQueries": [{"Id": "m", "MetricStat": {
        "Metric": {"Namespace": "Cbor", "MetricName": "M", "Dimensions": [{"Name": "K", "Value": "v"}]},
        "Period": 60, "Stat": "Maximum"}}], "StartTime": ("ts", at), "EndTime": ("ts", at + 60)})
    assert status == 200 and out["MetricDataResults"][0]["Values"] == [2.5]
    assert out["MetricDataResults"][0]["Timestamps"] == [("ts", at)]
    status, out = cbor_call(server, "ListMetrics", {"Namespace": "Cbor"})
    assert status == 200 and out["Metrics"] == [{"Namespace": "Cbor", "MetricName": "M",
                                                 "Dimensions": [{"Name": "K", "Value": "v"}]}]
    status, out = cbor_call(server, "ListMetrics", None)  # an empty body is {}
    assert status == 200 and "Metrics" in out
    status, out = cbor_call(server, "PutMetricData", {"Namespace": "AWS/X", "MetricData": [
        {"MetricName": "m", "Value": 1}]})
    assert status == 400 and out["__type"] == "InvalidParameterValue"
    status, out = cbor_call(server, "PutDashboard", {"DashboardName": "d", "DashboardBody": "{}"})
    assert status == 400 and "does not implement" in out["message"]
    status, out = cbor_call(server, "PutMetricAlarm", {
        "AlarmName": "cbor-alarm", "Namespace": "Cbor", "MetricName": "M", "Statistic": "Sum", "Period": 60,
        "EvaluationPeriods": 1, "Threshold": 1.5, "ComparisonOperator": "GreaterThanThreshold"})
    assert status == 200, out
    status, out = cbor_call(server, "DescribeAlarms", {"AlarmNames": ["cbor-alarm"]})
    assert status == 200 and out["MetricAlarms"][0]["Threshold"] == 1.5
    assert out["MetricAlarms"][0]["StateUpdatedTimestamp"][0] == "ts"  # tag 1


def test_rpc_v2_cbor_malformed(server):
    for body in (b"\xff", b"\xa1\x01\x02", b"\x9f\x01", b"\xbf\x61a\x01", b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff",
                 b"\x01", b"\xa0\x00", b"\xc2\x01", b"\x81" * 100 + b"\x01"):
        status, headers, out = berth_proc.post(
            server.endpoint, body, {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
            service="monitoring", path="/service/%s/operation/ListMetrics" % CW_TARGET)
        assert status == 400 and headers["smithy-protocol"] == "rpc-v2-cbor", (body, status)
        assert cbor_dec(out)[0]["__type"] == "SerializationException", (body, out)
    status, _, out = berth_proc.post(
        server.endpoint, b"\xa0", {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
        service="monitoring", path="/service/Nope/operation/ListMetrics")
    assert status == 400


def test_non_finite_values_refused(server, aws_env, cw):
    """NaN and the infinities are refused in every protocol, naming the
    member as CloudWatch does; nothing of the request is stored."""
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ClientError) as e:
            cw.put_metric_data(Namespace="NonFinite", MetricData=[{"MetricName": "m", "Value": bad}])
        assert code(e) == "InvalidParameterValue"
        assert "for parameter MetricData.member.1.Value is invalid" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="NonFinite", MetricData=[
            {"MetricName": "m", "Value": 1}, {"MetricName": "m", "Values": [1.0, float("nan")]}])
    # (the value as the client spelt it: "nan" in the query protocol, "NaN" in JSON)
    assert e.value.response["Error"]["Message"].lower() == \
        "the value nan for parameter metricdata.member.2.values.member.2 is invalid."
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="NonFinite", MetricData=[{"MetricName": "m", "StatisticValues": {
            "SampleCount": 1, "Sum": float("inf"), "Minimum": 1, "Maximum": 1}}])
    assert "MetricData.member.1.StatisticValues.Sum" in e.value.response["Error"]["Message"]
    # AWS JSON 1.0 carries them as text, as botocore's serializer writes them.
    for text in ("NaN", "Infinity", "-Infinity"):
        status, out = json10(server, "PutMetricData", {"Namespace": "NonFinite", "MetricData": [
            {"MetricName": "m", "Values": [text]}]})
        assert status == 400 and out["__type"] == "InvalidParameterValue", out
        assert out["message"] == "The value %s for parameter MetricData.member.1.Values.member.1 is invalid." % text
    # The AWS query protocol (the CLI's), raw: "nan" once made a 500.
    for text in ("nan", "NaN", "inf", "-Infinity"):
        body = "Action=PutMetricData&Version=2010-08-01&Namespace=NonFinite&MetricData.member.1.MetricName=m&" \
               "MetricData.member.1.Value=%s" % text
        status, _, out = berth_proc.post(server.endpoint, body.encode(),
                                         {"Content-Type": "application/x-www-form-urlencoded"}, service="monitoring")
        assert status == 400, out
        assert b"<Code>InvalidParameterValue</Code>" in out
        assert ("The value %s for parameter MetricData.member.1.Value is invalid." % text).encode() in out
    rc, out, err = aws_cw(server, aws_env, "put-metric-data", "--namespace", "NonFinite", "--metric-name", "m",
                          "--value", "NaN")
    assert rc != 0 and "InvalidParameterValue" in err, err
    # Smithy RPC v2 CBOR: a double NaN and a half infinity.
    status, out = cbor_call(server, "PutMetricData", {"Namespace": "NonFinite", "MetricData": [
        {"MetricName": "m", "Value": float("nan")}]})
    assert status == 400 and out["__type"] == "InvalidParameterValue", out
    assert out["message"] == "The value NaN for parameter MetricData.member.1.Value is invalid."
    status, out = cbor_call(server, "PutMetricData", {"Namespace": "NonFinite", "MetricData": [
        {"MetricName": "m", "Values": [float("-inf")]}]})
    assert status == 400 and "-Infinity for parameter MetricData.member.1.Values.member.1" in out["message"], out
    assert cw.list_metrics(Namespace="NonFinite")["Metrics"] == []


def test_math_non_finite_points_left_out(cw):
    """x / 0 makes no number: the point is left out, Timestamps and Values
    stay the same length."""
    at = minute_ago(3)
    cw.put_metric_data(Namespace="Div", MetricData=[
        {"MetricName": "a", "Value": 6, "Timestamp": at}, {"MetricName": "b", "Value": 0, "Timestamp": at},
        {"MetricName": "a", "Value": 8, "Timestamp": at + datetime.timedelta(minutes=1)},
        {"MetricName": "b", "Value": 2, "Timestamp": at + datetime.timedelta(minutes=1)}])
    stat = {"Period": 60, "Stat": "Sum"}
    out = cw.get_metric_data(MetricDataQueries=[
        {"Id": "a", "MetricStat": dict(stat, Metric={"Namespace": "Div", "MetricName": "a"}), "ReturnData": False},
        {"Id": "b", "MetricStat": dict(stat, Metric={"Namespace": "Div", "MetricName": "b"}), "ReturnData": False},
        {"Id": "r", "Expression": "a / b"}], StartTime=at, EndTime=at + datetime.timedelta(minutes=2),
        ScanBy="TimestampAscending")
    r = out["MetricDataResults"][0]
    assert r["Values"] == [4.0] and r["Timestamps"] == [at + datetime.timedelta(minutes=1)]


def test_cbor_duplicate_map_key_refused(server):
    # {"Namespace": "a", "Namespace": "b"}
    body = b"\xa2\x69Namespace\x61a\x69Namespace\x61b"
    status, headers, out = berth_proc.post(
        server.endpoint, body, {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
        service="monitoring", path="/service/%s/operation/ListMetrics" % CW_TARGET)
    assert status == 400 and cbor_dec(out)[0]["__type"] == "SerializationException"
