"""Application Auto Scaling for a real ECS service on a real agent, with
berth server --time-scale 60 (a one-minute period lasts one second,
cooldowns of 60 s one second): target tracking on a custom metric fed by
PutMetricData scales the service out to its maximum, then back in to its
minimum, through the alarms the policy owns; a step scaling policy on a
user's alarm sets the desired count by step; scaling activities explain
each change; the API's errors and pages."""
import datetime
import time
import zoneinfo

import pytest
from botocore.exceptions import ClientError

import berth_proc
import stack as stackmod


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("autoscaling"), server_args=["--time-scale", "60"])
    s.register("sleeper", [{"name": "app", "command": ["sleep", "3600"], "stopTimeout": 1}])
    yield s
    s.close()


@pytest.fixture(scope="module")
def aas(stack):
    return berth_proc.client(stack.server.endpoint, service="application-autoscaling")


@pytest.fixture(scope="module")
def cw(stack):
    return berth_proc.client(stack.server.endpoint, service="cloudwatch")


def service(stack, name):
    return stack.ecs.describe_services(cluster=stack.cluster, services=[name])["services"][0]


def resource(stack, name):
    return "service/%s/%s" % (stack.cluster, name)


def put(cw, ns, value):
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Depth", "Value": value, "StorageResolution": 1}])


def wait_counts(stack, name, want, feed, timeout=60):
    """Until desired and running counts are want, feeding the metric."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        feed()
        s = service(stack, name)
        if s["desiredCount"] == want and s["runningCount"] == want:
            return s
        time.sleep(0.3)
    raise AssertionError("%s never ran %d tasks: %s" % (name, want, service(stack, name)))


def code(e):
    return e.value.response["Error"]["Code"]


def test_target_tracking_scales_out_and_in(stack, aas, cw):
    stack.ecs.create_service(cluster=stack.cluster, serviceName="tt", taskDefinition="sleeper", desiredCount=1)
    rid = resource(stack, "tt")
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension="ecs:service:DesiredCount",
                                 MinCapacity=1, MaxCapacity=3)
    # (Debian's botocore 1.29 does not know ScalableTargetARN: ask raw.)
    status, out = berth_proc.raw_call(stack.server.endpoint, "DescribeScalableTargets", {
        "ServiceNamespace": "ecs", "ResourceIds": [rid]}, target_prefix="AnyScaleFrontendService",
        service="application-autoscaling")
    assert status == 200 and out["ScalableTargets"][0]["ScalableTargetARN"].startswith(
        "arn:aws:application-autoscaling:us-east-1:")
    out = aas.put_scaling_policy(
        PolicyName="queue-depth", ServiceNamespace="ecs", ResourceId=rid, ScalableDimension="ecs:service:DesiredCount",
        PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50, "ScaleOutCooldown": 60, "ScaleInCooldown": 60,
            "CustomizedMetricSpecification": {"Namespace": "TT", "MetricName": "Depth", "Statistic": "Average"}})
    names = [a["AlarmName"] for a in out["Alarms"]]
    assert len(names) == 2 and names[0].startswith("TargetTracking-%s-AlarmHigh-" % rid)
    assert names[1].startswith("TargetTracking-%s-AlarmLow-" % rid)
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    high, low = alarms[names[0]], alarms[names[1]]
    assert high["AlarmActions"] == [out["PolicyARN"]] and high["Threshold"] == 50.0
    assert high["EvaluationPeriods"] == 3 and high["ComparisonOperator"] == "GreaterThanThreshold"
    assert low["EvaluationPeriods"] == 15 and low["Threshold"] == 45.0
    assert high["AlarmDescription"].startswith("DO NOT EDIT OR DELETE. For TargetTrackingScaling policy")

    # Load four times the target: out to the maximum (3), not beyond.
    wait_counts(stack, "tt", 3, lambda: put(cw, "TT", 200))
    # The load falls: back in to the minimum.
    wait_counts(stack, "tt", 1, lambda: put(cw, "TT", 10))
    acts = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=rid)["ScalingActivities"]
    assert [a["Description"] for a in acts] == ["Setting desired count to 1.", "Setting desired count to 3."]
    assert acts[1]["Cause"].startswith("monitor alarm %s in state ALARM triggered policy queue-depth" % names[0])
    assert acts[0]["Cause"].startswith("monitor alarm %s in state ALARM" % names[1])
    assert acts[0]["StatusCode"] == "Successful"
    assert acts[0]["StatusMessage"] == "Successfully set desired count to 1. Change successfully fulfilled by ecs."
    pol = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=rid)["ScalingPolicies"]
    assert [p["PolicyName"] for p in pol] == ["queue-depth"] and pol[0]["Alarms"] == out["Alarms"]

    # Deleting the policy deletes its alarms; deregistering the target, the rest.
    aas.delete_scaling_policy(PolicyName="queue-depth", ServiceNamespace="ecs", ResourceId=rid,
                              ScalableDimension="ecs:service:DesiredCount")
    assert cw.describe_alarms(AlarmNames=names)["MetricAlarms"] == []
    aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=rid,
                                   ScalableDimension="ecs:service:DesiredCount")
    assert aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[rid])["ScalableTargets"] == []


def test_step_scaling_on_a_users_alarm(stack, aas, cw):
    stack.ecs.create_service(cluster=stack.cluster, serviceName="steps", taskDefinition="sleeper", desiredCount=1)
    rid = resource(stack, "steps")
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension="ecs:service:DesiredCount",
                                 MinCapacity=1, MaxCapacity=4)
    arn = aas.put_scaling_policy(
        PolicyName="by-step", ServiceNamespace="ecs", ResourceId=rid, ScalableDimension="ecs:service:DesiredCount",
        PolicyType="StepScaling", StepScalingPolicyConfiguration={
            "AdjustmentType": "ExactCapacity", "Cooldown": 60, "MetricAggregationType": "Average",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 50,
                                 "ScalingAdjustment": 2},
                                {"MetricIntervalLowerBound": 50, "ScalingAdjustment": 3}]})["PolicyARN"]
    cw.put_metric_alarm(AlarmName="steps-high", Namespace="ST", MetricName="Depth", Statistic="Average", Period=60,
                        EvaluationPeriods=1, Threshold=100, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        AlarmActions=[arn])
    # 120 is 20 above the threshold: the first step, 2 tasks; 200 is 100 above: 3.
    wait_counts(stack, "steps", 2, lambda: put(cw, "ST", 120))
    wait_counts(stack, "steps", 3, lambda: put(cw, "ST", 200))
    acts = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=rid)["ScalingActivities"]
    assert [a["Description"] for a in acts][:2] == ["Setting desired count to 3.", "Setting desired count to 2."]
    assert "monitor alarm steps-high in state ALARM triggered policy by-step" in acts[0]["Cause"]
    hist = cw.describe_alarm_history(AlarmName="steps-high", HistoryItemType="Action")["AlarmHistoryItems"]
    assert hist and hist[-1]["HistorySummary"] == "Successfully executed action %s" % arn
    # Raising the minimum moves the desired count into range at once.
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension="ecs:service:DesiredCount",
                                 MinCapacity=4)
    assert service(stack, "steps")["desiredCount"] == 4
    acts = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=rid)["ScalingActivities"]
    assert acts[0]["Description"] == "Setting desired count to 4."
    assert acts[0]["Cause"] == "minimum capacity was set to 4"
    cw.delete_alarms(AlarmNames=["steps-high"])
    aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=rid,
                                   ScalableDimension="ecs:service:DesiredCount")
    stack.ecs.update_service(cluster=stack.cluster, service="steps", desiredCount=0)


def test_api_errors_and_pages(stack, aas):
    dim = "ecs:service:DesiredCount"
    with pytest.raises(ClientError) as e:
        aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource(stack, "nope"),
                                     ScalableDimension=dim, MinCapacity=1, MaxCapacity=2)
    assert code(e) == "ValidationException" and "ECS service doesn't exist" in str(e.value)
    with pytest.raises(ClientError) as e:
        aas.register_scalable_target(ServiceNamespace="dynamodb", ResourceId="table/t",
                                     ScalableDimension="dynamodb:table:ReadCapacityUnits", MinCapacity=1,
                                     MaxCapacity=2)
    assert code(e) == "ValidationException"
    for i in range(3):
        stack.ecs.create_service(cluster=stack.cluster, serviceName="p%d" % i, taskDefinition="sleeper",
                                 desiredCount=0)
    with pytest.raises(ClientError) as e:
        aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource(stack, "p0"), ScalableDimension=dim,
                                     MinCapacity=3, MaxCapacity=2)
    assert code(e) == "ValidationException" and "Minimum capacity cannot be greater" in str(e.value)
    with pytest.raises(ClientError) as e:
        aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource(stack, "p0"), ScalableDimension=dim)
    assert code(e) == "ValidationException"
    for i in range(3):
        aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource(stack, "p%d" % i),
                                     ScalableDimension=dim, MinCapacity=0, MaxCapacity=5)
    pages = list(aas.get_paginator("describe_scalable_targets").paginate(
        ServiceNamespace="ecs", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 2 and sum(len(p["ScalableTargets"]) for p in pages) == 3
    t = pages[0]["ScalableTargets"][0]
    assert t["SuspendedState"] == {"DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": False,
                                   "ScheduledScalingSuspended": False}
    assert t["RoleARN"].endswith("AWSServiceRoleForApplicationAutoScaling_ECSService")
    with pytest.raises(ClientError) as e:
        aas.put_scaling_policy(PolicyName="x", ServiceNamespace="ecs", ResourceId=resource(stack, "tt-none"),
                               ScalableDimension=dim, PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration={"TargetValue": 50, "PredefinedMetricSpecification": {
                                   "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
    assert code(e) == "ObjectNotFoundException"
    with pytest.raises(ClientError) as e:
        aas.put_scaling_policy(PolicyName="x", ServiceNamespace="ecs", ResourceId=resource(stack, "p0"),
                               ScalableDimension=dim, PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration={"TargetValue": 50, "PredefinedMetricSpecification": {
                                   "PredefinedMetricType": "ALBRequestCountPerTarget"}})
    assert code(e) == "ValidationException" and "ResourceLabel" in str(e.value)
    with pytest.raises(ClientError) as e:
        aas.put_scaling_policy(PolicyName="x", ServiceNamespace="ecs", ResourceId=resource(stack, "p0"),
                               ScalableDimension=dim, PolicyType="StepScaling",
                               StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [
                                   {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1},
                                   {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2}]})
    assert code(e) == "ValidationException" and "overlap" in str(e.value)
    out = aas.put_scaling_policy(PolicyName="cpu", ServiceNamespace="ecs", ResourceId=resource(stack, "p0"),
                                 ScalableDimension=dim, PolicyType="TargetTrackingScaling",
                                 TargetTrackingScalingPolicyConfiguration={
                                     "TargetValue": 70, "DisableScaleIn": True, "PredefinedMetricSpecification": {
                                         "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
    assert len(out["Alarms"]) == 1  # no scale-in: no AlarmLow
    cw = berth_proc.client(stack.server.endpoint, service="cloudwatch")
    a = cw.describe_alarms(AlarmNames=[out["Alarms"][0]["AlarmName"]])["MetricAlarms"][0]
    assert a["Namespace"] == "AWS/ECS" and a["MetricName"] == "CPUUtilization"
    assert {d["Name"]: d["Value"] for d in a["Dimensions"]} == {"ClusterName": stack.cluster, "ServiceName": "p0"}
    with pytest.raises(ClientError) as e:
        aas.delete_scaling_policy(PolicyName="nope", ServiceNamespace="ecs", ResourceId=resource(stack, "p0"),
                                  ScalableDimension=dim)
    assert code(e) == "ObjectNotFoundException"
    with pytest.raises(ClientError) as e:
        aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=resource(stack, "nope"),
                                       ScalableDimension=dim)
    assert code(e) == "ObjectNotFoundException"
    with pytest.raises(ClientError) as e:
        aas.describe_scalable_targets(ServiceNamespace="ecs", NextToken="bogus")
    assert code(e) == "InvalidNextTokenException"
    with pytest.raises(ClientError) as e:
        aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="s", ResourceId=resource(stack, "p0"),
                                 ScalableDimension=dim, Schedule="cron(0 * * * *)",
                                 ScalableTargetAction={"MinCapacity": 1})
    assert code(e) == "ValidationException" and "cron" in str(e.value)
    with pytest.raises(ClientError) as e:
        aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="s", ResourceId=resource(stack, "p0"),
                                 ScalableDimension=dim, Schedule="cron(0 9 * * ? *)", Timezone="Mars/Olympus_Mons",
                                 ScalableTargetAction={"MinCapacity": 1})
    assert code(e) == "ValidationException" and "Timezone" in str(e.value)
    with pytest.raises(ClientError) as e:
        aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="s", ResourceId=resource(stack, "p0"),
                                 ScalableDimension=dim, Schedule="rate(2 minute)",
                                 ScalableTargetAction={"MinCapacity": 1})
    assert code(e) == "ValidationException"
    # No Schedule (optional in the model): refused, not a crash; the server still answers after.
    with pytest.raises(ClientError) as e:
        aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="s", ResourceId=resource(stack, "p0"),
                                 ScalableDimension=dim, ScalableTargetAction={"MinCapacity": 1})
    assert code(e) == "ValidationException" and "Schedule is required" in str(e.value)
    # An at() time before its StartTime would never run.
    with pytest.raises(ClientError) as e:
        aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="s", ResourceId=resource(stack, "p0"),
                                 ScalableDimension=dim, Schedule="at(2030-01-01T00:00:00)",
                                 StartTime=datetime.datetime(2031, 1, 1),
                                 ScalableTargetAction={"MinCapacity": 1})
    assert code(e) == "ValidationException" and "StartTime" in str(e.value)
    with pytest.raises(ClientError) as e:
        aas.delete_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="nope",
                                    ResourceId=resource(stack, "p0"), ScalableDimension=dim)
    assert code(e) == "ObjectNotFoundException"
    status, out = berth_proc.raw_call(stack.server.endpoint, "TagResource", {
        "ResourceARN": "arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/x", "Tags": {"a": "b"}},
        target_prefix="AnyScaleFrontendService", service="application-autoscaling")
    assert status == 400 and out["__type"] == "ValidationException" and "does not implement" in out["message"]


def test_scheduled_action_fires(stack, aas):
    dim = "ecs:service:DesiredCount"
    stack.ecs.create_service(cluster=stack.cluster, serviceName="sched", taskDefinition="sleeper", desiredCount=0)
    rid = resource(stack, "sched")
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=dim, MinCapacity=0,
                                 MaxCapacity=3)
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="morning", ResourceId=rid,
                             ScalableDimension=dim, Schedule="at(%s)" % at.strftime("%Y-%m-%dT%H:%M:%S"),
                             ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 3})
    got = aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=rid)["ScheduledActions"]
    assert [a["ScheduledActionName"] for a in got] == ["morning"]
    assert got[0]["ScalableTargetAction"] == {"MinCapacity": 1, "MaxCapacity": 3}
    berth_proc.wait_for(lambda: service(stack, "sched")["desiredCount"] == 1, timeout=20, what="the action to fire")
    t = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[rid])["ScalableTargets"][0]
    assert t["MinCapacity"] == 1
    acts = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=rid)["ScalingActivities"]
    assert acts[0]["Cause"] == "scheduled action name morning was triggered"
    assert acts[0]["Description"] == "Setting desired count to 1."
    aas.delete_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="morning", ResourceId=rid,
                                ScalableDimension=dim)
    assert aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=rid)["ScheduledActions"] == []
    aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=dim)
    stack.ecs.update_service(cluster=stack.cluster, service="sched", desiredCount=0)


def test_cron_scheduled_action_fires_in_its_time_zone(stack, aas):
    """cron() names a wall-clock minute in Timezone: the next minute in
    Kolkata (UTC+05:30), which in UTC is a different hour, fires now."""
    dim = "ecs:service:DesiredCount"
    stack.ecs.create_service(cluster=stack.cluster, serviceName="cron", taskDefinition="sleeper", desiredCount=0)
    rid = resource(stack, "cron")
    aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=dim, MinCapacity=0,
                                 MaxCapacity=3)
    zone = zoneinfo.ZoneInfo("Asia/Kolkata")
    if datetime.datetime.now(zone).second > 50:
        time.sleep(11)  # the minute named must still lie ahead when the server reads it
    at = (datetime.datetime.now(zone) + datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)
    schedule = "cron(%d %d %d %d ? %d)" % (at.minute, at.hour, at.day, at.month, at.year)
    aas.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="kolkata", ResourceId=rid,
                             ScalableDimension=dim, Schedule=schedule, Timezone="Asia/Kolkata",
                             ScalableTargetAction={"MinCapacity": 2, "MaxCapacity": 3})
    got = aas.describe_scheduled_actions(ServiceNamespace="ecs", ResourceId=rid)["ScheduledActions"][0]
    assert got["Schedule"] == schedule and got["Timezone"] == "Asia/Kolkata"
    berth_proc.wait_for(lambda: service(stack, "cron")["desiredCount"] == 2, timeout=90, what="the cron action")
    assert datetime.datetime.now(zone) >= at
    acts = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=rid)["ScalingActivities"]
    assert acts[0]["Cause"] == "scheduled action name kolkata was triggered"
    aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=dim)
    stack.ecs.update_service(cluster=stack.cluster, service="cron", desiredCount=0)
