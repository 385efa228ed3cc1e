"""AWS/ApplicationELB metrics from the HAProxy berth runs for a load
balancer (berth server --time-scale 60): RequestCount,
RequestCountPerTarget, HTTPCode_Target_5XX_Count and TargetResponseTime
for real HTTP requests to a real target (busybox httpd), read with boto3;
and a target tracking policy on ALBRequestCountPerTarget whose alarm
raises an ECS service's desired count under load."""
import datetime
import os

import pytest
from botocore.exceptions import ClientError

import berth_proc
from berth_proc import free_port
from test_elbv2 import Httpd, get, lb_address

NS = "AWS/ApplicationELB"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    d = tmp_path_factory.mktemp("alb-metrics")
    s = berth_proc.BerthServer(d / "data", d / "server.log", extra_args=["--time-scale", "60"])
    os.makedirs(s.data_dir, exist_ok=True)
    s.start()
    yield s
    s.stop()


def total(cw, name, dims, statistic="Sum"):
    now = datetime.datetime.now(datetime.timezone.utc)
    out = cw.get_metric_statistics(Namespace=NS, MetricName=name, Dimensions=dims, Statistics=[statistic],
                                   StartTime=now - datetime.timedelta(minutes=10),
                                   EndTime=now + datetime.timedelta(minutes=1), Period=600)
    return sum(p[statistic] for p in out["Datapoints"])


def test_request_metrics_and_target_tracking(srv, tmp_path):
    elb = berth_proc.client(srv.endpoint, service="elbv2")
    cw = berth_proc.client(srv.endpoint, service="cloudwatch")
    port = free_port()
    cgi = "#!/bin/sh\nprintf 'Status: 503 Service Unavailable\\r\\nContent-Type: text/plain\\r\\n\\r\\nbusy\\n'\n"
    web = Httpd(tmp_path, port, {"index.html": "hello", "health": "ok", "cgi-bin/fail": cgi})
    os.chmod(os.path.join(web.dir, "cgi-bin", "fail"), 0o755)
    try:
        lb = elb.create_load_balancer(Name="m-lb")["LoadBalancers"][0]
        tg_arn = elb.create_target_group(Name="m-tg", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip",
                                         HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                                         HealthCheckTimeoutSeconds=2,
                                         HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": "127.0.0.1", "Port": port}])
        lport = free_port()
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=lport,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
        base = "http://%s:%d" % (lb_address(lb), lport)
        # A new target serves once two checks passed; until then the load
        # balancer answers 503 itself, which RequestCount would count: wait
        # for the health check, not with requests.
        berth_proc.wait_for(lambda: [d["TargetHealth"]["State"] for d in elb.describe_target_health(
            TargetGroupArn=tg_arn)["TargetHealthDescriptions"]] == ["healthy"], timeout=60, interval=0.5,
            what="the target to be healthy")
        assert get(base + "/") == (200, "hello")
        lb_dim = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
        tg_dim = tg_arn.split(":")[-1]
        by_lb = [{"Name": "LoadBalancer", "Value": lb_dim}]
        by_tg = [{"Name": "TargetGroup", "Value": tg_dim}]
        for _ in range(29):
            assert get(base + "/") == (200, "hello")
        assert get(base + "/cgi-bin/fail")[0] == 503
        assert get(base + "/cgi-bin/fail")[0] == 503
        # 32 requests through the load balancer, 2 of them answered 503 by the target.
        berth_proc.wait_for(lambda: total(cw, "RequestCount", by_lb) == 32, timeout=20, what="RequestCount 32")
        berth_proc.wait_for(lambda: total(cw, "HTTPCode_Target_5XX_Count", by_lb) == 2, timeout=20,
                            what="two target 5XX answers")
        assert total(cw, "RequestCountPerTarget", by_tg) == 32  # one target
        assert total(cw, "RequestCount", by_lb + by_tg) == 32
        assert total(cw, "TargetResponseTime", by_lb + by_tg, "Maximum") >= 0
        names = {m["MetricName"] for m in cw.list_metrics(Namespace=NS)["Metrics"]}
        assert names == {"RequestCount", "RequestCountPerTarget", "HTTPCode_Target_5XX_Count",
                         "TargetResponseTime"}

        # Target tracking at 5 requests per target per (scaled) minute.
        ecs = berth_proc.client(srv.endpoint)
        ecs.create_cluster(clusterName="alb")
        ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "web", "image": "busybox", "memory": 32}])
        ecs.create_service(cluster="alb", serviceName="web", taskDefinition="web", desiredCount=1)
        aas = berth_proc.client(srv.endpoint, service="application-autoscaling")
        rid, dim = "service/alb/web", "ecs:service:DesiredCount"
        aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=dim,
                                     MinCapacity=1, MaxCapacity=4)
        with pytest.raises(ClientError) as e:
            aas.put_scaling_policy(PolicyName="rps", ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=dim,
                                   PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
                                       "TargetValue": 5, "PredefinedMetricSpecification": {
                                           "PredefinedMetricType": "ALBRequestCountPerTarget"}})
        assert e.value.response["Error"]["Code"] == "ValidationException" and "ResourceLabel" in str(e.value)
        out = aas.put_scaling_policy(
            PolicyName="rps", ServiceNamespace="ecs", ResourceId=rid, ScalableDimension=dim,
            PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 5, "ScaleOutCooldown": 60, "DisableScaleIn": True,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget",
                                                  "ResourceLabel": lb_dim + "/" + tg_dim}})
        alarm = cw.describe_alarms(AlarmNames=[out["Alarms"][0]["AlarmName"]])["MetricAlarms"][0]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (NS, "RequestCountPerTarget", "Sum")
        assert alarm["Dimensions"] == by_tg

        def loaded():
            for _ in range(10):
                get(base + "/")
            return ecs.describe_services(cluster="alb", services=["web"])["services"][0]["desiredCount"] > 1
        berth_proc.wait_for(loaded, timeout=60, what="the desired count to rise under load")
        acts = aas.describe_scaling_activities(ServiceNamespace="ecs", ResourceId=rid)["ScalingActivities"]
        assert "AlarmHigh" in acts[0]["Cause"]
        ecs.delete_service(cluster="alb", service="web", force=True)
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    finally:
        web.stop()
