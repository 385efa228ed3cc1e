"""ECS native blue/green deployments (deploymentConfiguration.strategy
BLUE_GREEN) for a service behind a berth application load balancer, with
real containers and the real HAProxy: the new revision's tasks start in the
alternate target group, production traffic moves to it only once they pass
its health checks, the old tasks then drain and stop.  A client looping
through the load balancer during the update sees only the old revision's
answers, then only the new one's, and never a failed request.

The Debian botocore predates the blue/green members: those requests go raw."""
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

import berth_proc
import stack as stackmod

# Each revision answers its own word at / and ok at /health.
WEB = ("mkdir -p /w && echo %s > /w/index.html && echo ok > /w/health && exec httpd -f -p 80 -h /w")
NET = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = stackmod.Stack(tmp_path_factory.mktemp("bluegreen"))
    yield s
    s.close()


# The clients that watch traffic through a deployment wait as long as a
# browser would: what they assert is that no request fails or reaches the
# wrong revision.  (CI, 650 tests on 2 cores: one answer took over 5 s.)
CLIENT_TIMEOUT = 30


def get(url, timeout=5):
    req = urllib.request.Request(url, headers={"Connection": "close"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode().strip()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode().strip()
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        return 0, str(e)


def health(elb, tg):
    out = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return {"%s:%d" % (d["Target"]["Id"], d["Target"]["Port"]): d["TargetHealth"]["State"] for d in out}


def ecs_raw(stack, action, body):
    return berth_proc.raw_call(stack.server.endpoint, action, body)


class Setup:
    """A load balancer with a listener whose rule forwards to blue (weight
    1) and green (weight 0); two revisions of a web task."""

    def __init__(self, stack, name, delay="3"):
        self.elb = elb = berth_proc.client(stack.server.endpoint, service="elbv2")
        lb = elb.create_load_balancer(Name=name + "-lb")["LoadBalancers"][0]
        self.tgs = []
        for colour in ("blue", "green"):
            tg = elb.create_target_group(Name="%s-%s" % (name, colour), Protocol="HTTP", Port=80, VpcId="vpc-1",
                                         TargetType="ip", HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                                         HealthCheckTimeoutSeconds=2,
                                         HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
            elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
                {"Key": "deregistration_delay.timeout_seconds", "Value": delay}])
            self.tgs.append(tg)
        self.port = berth_proc.free_port()
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=self.port,
                                       DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
                                           "StatusCode": "404", "ContentType": "text/plain",
                                           "MessageBody": "no rule"}}])["Listeners"][0]
        self.rule = elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=1, Conditions=[
            {"Field": "path-pattern", "Values": ["/*"]}], Actions=[{"Type": "forward", "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": self.tgs[0], "Weight": 1},
                                 {"TargetGroupArn": self.tgs[1], "Weight": 0}]}}])["Rules"][0]["RuleArn"]
        address = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["IpAddress"]
        self.base = "http://%s:%d/" % (address, self.port)
        # A second listener, the test listener, with a rule of the same shape.
        test_port = berth_proc.free_port()
        test_listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=test_port,
                                            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
                                                "StatusCode": "404", "ContentType": "text/plain",
                                                "MessageBody": "no rule"}}])["Listeners"][0]
        self.test_rule = elb.create_rule(ListenerArn=test_listener["ListenerArn"], Priority=1, Conditions=[
            {"Field": "path-pattern", "Values": ["/*"]}], Actions=[{"Type": "forward", "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": self.tgs[0], "Weight": 1},
                                 {"TargetGroupArn": self.tgs[1], "Weight": 0}]}}])["Rules"][0]["RuleArn"]
        self.test_base = "http://%s:%d/" % (address, test_port)
        self.revs = [stack.register(name, [{"name": "web", "command": ["sh", "-c", WEB % word], "stopTimeout": 2,
                                            "portMappings": [{"containerPort": 80}]}], networkMode="awsvpc")
                     for word in ("blue-v1", "green-v2")]

    def lbs(self, **adv):
        advanced = {"alternateTargetGroupArn": self.tgs[1], "productionListenerRule": self.rule,
                    "roleArn": "arn:aws:iam::000000000000:role/ecsInfrastructureRole"}
        advanced.update(adv)
        return [{"targetGroupArn": self.tgs[0], "containerName": "web", "containerPort": 80,
                 "advancedConfiguration": advanced}]

    def weights(self, rule=None):
        rule = self.elb.describe_rules(RuleArns=[rule or self.rule])["Rules"][0]
        groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        return {g["TargetGroupArn"]: g["Weight"] for g in groups}


def service(stack, name):
    return stack.ecs.describe_services(cluster=stack.cluster, services=[name])["services"][0]


def test_blue_green_update_switches_traffic_without_a_failed_request(stack):
    # No deregistration delay and no bake: blue's tasks stop right after the
    # switch, so the switch must have reached HAProxy by then.
    s = Setup(stack, "bg", delay="0")
    status, out = ecs_raw(stack, "CreateService", {
        "cluster": stack.cluster, "serviceName": "bg", "taskDefinition": s.revs[0], "desiredCount": 2,
        "networkConfiguration": NET, "loadBalancers": s.lbs(testListenerRule=s.test_rule),
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}})
    assert status == 200, out
    cfg = out["service"]["deploymentConfiguration"]
    assert cfg["strategy"] == "BLUE_GREEN" and cfg["bakeTimeInMinutes"] == 0, cfg
    assert out["service"]["loadBalancers"][0]["advancedConfiguration"]["alternateTargetGroupArn"] == s.tgs[1]

    def healthy(tg, n):
        h = health(s.elb, tg)
        return h if len(h) == n and all(v == "healthy" for v in h.values()) else None
    berth_proc.wait_for(lambda: healthy(s.tgs[0], 2), timeout=120, what="two healthy blue targets")
    assert health(s.elb, s.tgs[1]) == {}
    berth_proc.wait_for(lambda: get(s.base) == (200, "blue-v1"), timeout=30, what="blue answering")

    berth_proc.wait_for(lambda: get(s.test_base) == (200, "blue-v1"), timeout=30, what="blue on the test listener")

    # One client takes turns between the production and the test listener,
    # so `heard` is the order in which each listener answered what.
    answers = []
    heard = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            a = get(s.base, CLIENT_TIMEOUT)
            answers.append(a)
            heard.append(("production", a))
            heard.append(("test", get(s.test_base, CLIENT_TIMEOUT)))
            time.sleep(0.02)
    t = threading.Thread(target=client)
    t.start()
    try:
        status, out = ecs_raw(stack, "UpdateService", {"cluster": stack.cluster, "service": "bg",
                                                       "taskDefinition": s.revs[1]})
        assert status == 200, out
        green_dep = [d for d in out["service"]["deployments"] if d["status"] == "PRIMARY"][0]["id"]

        # Green starts in the alternate group; production stays on blue
        # until its targets are healthy there (not merely registered).
        stages = set()
        arn = {}

        def record():
            st, o = ecs_raw(stack, "ListServiceDeployments", {"cluster": stack.cluster, "service": "bg"})
            assert st == 200, o
            arn["v"] = o["serviceDeployments"][0]["serviceDeploymentArn"]
            st, o = ecs_raw(stack, "DescribeServiceDeployments", {"serviceDeploymentArns": [arn["v"]]})
            assert st == 200, o
            return o["serviceDeployments"][0]

        def shifted():
            d = record()
            stages.add(d.get("lifecycleStage"))
            h = health(s.elb, s.tgs[1])
            if s.weights()[s.tgs[1]] == 1:
                # The switch came only with both green targets healthy.
                assert len(h) == 2 and all(v == "healthy" for v in h.values()), h
                return True
            assert s.weights() == {s.tgs[0]: 1, s.tgs[1]: 0}
            return False
        berth_proc.wait_for(shifted, timeout=150, interval=0.2, what="production traffic on green")

        def completed():
            svc = service(stack, "bg")
            deps = svc["deployments"]
            d = record()
            stages.add(d.get("lifecycleStage"))
            return (len(deps) == 1 and deps[0]["id"] == green_dep and deps[0]["rolloutState"] == "COMPLETED"
                    and d["status"] == "SUCCESSFUL" and svc["runningCount"] == 2 and d)
        final = berth_proc.wait_for(completed, timeout=120, interval=0.3, what="the deployment to complete")
        # A few more answers after the blue tasks are gone.
        n = len(answers)
        berth_proc.wait_for(lambda: len(answers) > n + 10, timeout=30, what="more answers")
    finally:
        stop.set()
        t.join(timeout=2 * CLIENT_TIMEOUT)

    assert final["lifecycleStage"] == "CLEAN_UP", final
    assert "SCALE_UP" in stages or "POST_SCALE_UP" in stages, stages
    failed = [a for a in answers if a[0] != 200]
    assert not failed, failed[:5]
    words = [a[1] for a in answers]
    assert set(words) == {"blue-v1", "green-v2"}, set(words)
    first_green = words.index("green-v2")
    assert all(w == "blue-v1" for w in words[:first_green]) and all(w == "green-v2" for w in words[first_green:]), \
        words
    # Test traffic reached green first, while production still served blue:
    # the test listener answered green before production's first green answer.
    assert all(a[0] == 200 for _, a in heard), [h for h in heard if h[1][0] != 200][:5]
    test_green = heard.index(("test", (200, "green-v2")))
    prod_green = heard.index(("production", (200, "green-v2")))
    assert test_green < prod_green, (test_green, prod_green)
    assert ("production", (200, "blue-v1")) in heard[test_green:prod_green], heard[test_green:prod_green]
    tests = [a[1] for who, a in heard if who == "test"]
    first = tests.index("green-v2")
    assert all(w == "green-v2" for w in tests[first:]), tests[first:]
    assert s.weights(s.test_rule) == {s.tgs[0]: 0, s.tgs[1]: 1}
    # Blue drained and its tasks stopped; the roles swapped: production is
    # on the alternate group, the blue group is empty for the next deployment.
    assert health(s.elb, s.tgs[0]) == {}
    assert s.weights() == {s.tgs[0]: 0, s.tgs[1]: 1}
    arns = stack.ecs.list_tasks(cluster=stack.cluster, serviceName="bg")["taskArns"]
    tasks = stack.ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"]
    assert sorted(t["taskDefinitionArn"] for t in tasks) == [s.revs[1]] * 2

    # The next deployment goes the other way: back into the first group.
    status, out = ecs_raw(stack, "UpdateService", {"cluster": stack.cluster, "service": "bg",
                                                   "taskDefinition": s.revs[0]})
    assert status == 200, out
    berth_proc.wait_for(lambda: s.weights() == {s.tgs[0]: 1, s.tgs[1]: 0} or None, timeout=150, interval=0.3,
                        what="production back on the first group")
    berth_proc.wait_for(lambda: get(s.base) == (200, "blue-v1"), timeout=30, what="the proxy to follow the rule")
    berth_proc.wait_for(lambda: health(s.elb, s.tgs[1]) == {} or None, timeout=60, what="the second group empty")
    stack.ecs.update_service(cluster=stack.cluster, service="bg", desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service="bg")


def test_blue_green_failed_deployment_rolls_back_and_production_never_moves(stack):
    s = Setup(stack, "bgr")
    # A revision whose health check path is missing: its targets never pass.
    bad = stack.register("bgr", [{"name": "web", "command": ["sh", "-c", WEB.replace("echo ok > /w/health && ", "")
                                                             % "broken-v3"], "stopTimeout": 2,
                                  "portMappings": [{"containerPort": 80}]}], networkMode="awsvpc")
    status, out = ecs_raw(stack, "CreateService", {
        "cluster": stack.cluster, "serviceName": "bgr", "taskDefinition": s.revs[0], "desiredCount": 1,
        "networkConfiguration": NET, "loadBalancers": s.lbs(),
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0,
                                    "deploymentCircuitBreaker": {"enable": True, "rollback": True}}})
    assert status == 200, out
    berth_proc.wait_for(lambda: get(s.base) == (200, "blue-v1"), timeout=120, what="blue answering")
    berth_proc.wait_for(lambda: service(stack, "bgr")["deployments"][0]["rolloutState"] == "COMPLETED" or None,
                        timeout=60, what="the first deployment to complete")
    answers = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            answers.append(get(s.base, CLIENT_TIMEOUT))
            time.sleep(0.05)
    t = threading.Thread(target=client)
    t.start()
    try:
        status, out = ecs_raw(stack, "UpdateService", {"cluster": stack.cluster, "service": "bgr",
                                                       "taskDefinition": bad})
        assert status == 200, out

        def rolled_back():
            st, o = ecs_raw(stack, "ListServiceDeployments", {"cluster": stack.cluster, "service": "bgr"})
            arns = [d["serviceDeploymentArn"] for d in o["serviceDeployments"]]
            st, o = ecs_raw(stack, "DescribeServiceDeployments", {"serviceDeploymentArns": arns})
            failed = [d for d in o["serviceDeployments"] if d["status"].startswith("ROLLBACK_")]
            return failed and failed[0]["status"] == "ROLLBACK_SUCCESSFUL"
        berth_proc.wait_for(rolled_back, timeout=300, interval=0.5, what="the rollback to succeed")
        svc = berth_proc.wait_for(lambda: (lambda v: len(v["deployments"]) == 1 and v)(service(stack, "bgr")),
                                  timeout=60, what="the broken tasks gone")
    finally:
        stop.set()
        t.join(timeout=2 * CLIENT_TIMEOUT)
    # The broken revision never took production traffic, nor did any request fail.
    assert answers and all(a == (200, "blue-v1") for a in answers), [a for a in answers if a != (200, "blue-v1")][:5]
    assert [d["taskDefinition"] for d in svc["deployments"]] == [s.revs[0]], svc["deployments"]
    stack.ecs.update_service(cluster=stack.cluster, service="bgr", desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service="bgr")


def test_blue_green_rolls_back_after_the_switch(stack):
    """A deployment that fails during its bake time, once production is on
    green: production goes back to blue (whose tasks ran on through the
    bake) before the green tasks stop."""
    s = Setup(stack, "bgb")
    cw = berth_proc.client(stack.server.endpoint, service="cloudwatch")
    # No data and TreatMissingData ignore: the alarm keeps the state SetAlarmState gives it.
    cw.put_metric_alarm(AlarmName="bgb-errors", Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="ignore")
    status, out = ecs_raw(stack, "CreateService", {
        "cluster": stack.cluster, "serviceName": "bgb", "taskDefinition": s.revs[0], "desiredCount": 1,
        "networkConfiguration": NET, "loadBalancers": s.lbs(),
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, "alarms": {
            "alarmNames": ["bgb-errors"], "enable": True, "rollback": True}}})
    assert status == 200, out
    berth_proc.wait_for(lambda: get(s.base) == (200, "blue-v1"), timeout=120, what="blue answering")
    berth_proc.wait_for(lambda: service(stack, "bgb")["deployments"][0]["rolloutState"] == "COMPLETED" or None,
                        timeout=60, what="the first deployment to complete")
    answers = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            answers.append(get(s.base, CLIENT_TIMEOUT))
            time.sleep(0.02)
    t = threading.Thread(target=client)
    t.start()
    try:
        status, out = ecs_raw(stack, "UpdateService", {"cluster": stack.cluster, "service": "bgb",
                                                       "taskDefinition": s.revs[1]})
        assert status == 200, out

        def deployments():
            st, o = ecs_raw(stack, "ListServiceDeployments", {"cluster": stack.cluster, "service": "bgb"})
            assert st == 200, o
            arns = [d["serviceDeploymentArn"] for d in o["serviceDeployments"]]
            st, o = ecs_raw(stack, "DescribeServiceDeployments", {"serviceDeploymentArns": arns})
            assert st == 200, o
            return o["serviceDeployments"]

        def baking():
            return any(d.get("lifecycleStage") == "BAKE_TIME" for d in deployments())
        berth_proc.wait_for(baking, timeout=150, interval=0.3, what="the bake time")
        berth_proc.wait_for(lambda: answers and answers[-1] == (200, "green-v2"), timeout=30,
                            what="production answering green")
        cw.set_alarm_state(AlarmName="bgb-errors", StateValue="ALARM", StateReason="errors went up")

        def rolled_back():
            done = [d for d in deployments() if d["status"].startswith("ROLLBACK_")]
            return done and done[0]["status"] == "ROLLBACK_SUCCESSFUL" and done[0]
        final = berth_proc.wait_for(rolled_back, timeout=300, interval=0.5, what="the rollback to succeed")
        svc = berth_proc.wait_for(lambda: (lambda v: len(v["deployments"]) == 1 and v)(service(stack, "bgb")),
                                  timeout=60, what="the green tasks gone")
        n = len(answers)
        berth_proc.wait_for(lambda: len(answers) > n + 10, timeout=30, what="more answers")
    finally:
        stop.set()
        t.join(timeout=2 * CLIENT_TIMEOUT)
        cw.set_alarm_state(AlarmName="bgb-errors", StateValue="OK", StateReason="back to normal")
    assert final["status"] == "ROLLBACK_SUCCESSFUL", final
    # Blue, green during the bake, blue again; not one failed request.
    failed = [a for a in answers if a[0] != 200]
    assert not failed, failed[:5]
    words = [a[1] for a in answers]
    first_green = words.index("green-v2")
    back = first_green + words[first_green:].index("blue-v1")
    assert set(words[:first_green]) == {"blue-v1"} and set(words[first_green:back]) == {"green-v2"}, words
    assert set(words[back:]) == {"blue-v1"}, words[back:]
    assert [d["taskDefinition"] for d in svc["deployments"]] == [s.revs[0]], svc["deployments"]
    assert get(s.base) == (200, "blue-v1")
    stack.ecs.update_service(cluster=stack.cluster, service="bgb", desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service="bgb")


def test_blue_green_validation(stack):
    s = Setup(stack, "bgv")

    def create(lbs=None, **cfg):
        return ecs_raw(stack, "CreateService", {
            "cluster": stack.cluster, "serviceName": "bgv", "taskDefinition": s.revs[0], "desiredCount": 1,
            "networkConfiguration": NET, "loadBalancers": s.lbs() if lbs is None else lbs,
            "deploymentConfiguration": cfg})

    def refused(result, kind, words):
        status, out = result
        assert status == 400 and out["__type"] == kind and words in out["message"], out

    refused(create(strategy="BLUE_GREEN"), "InvalidParameterException", "bakeTimeInMinutes")
    refused(create(strategy="BLUE_GREEN", bakeTimeInMinutes=1441), "InvalidParameterException", "bakeTimeInMinutes")
    # LINEAR and CANARY: their settings in the ranges the API reference gives.
    for bad in (2.9, 100.1, 10.05, "10"):
        status, out = create(strategy="LINEAR", linearConfiguration={"stepPercent": bad})
        assert status == 400 and out["__type"] in ("InvalidParameterException", "SerializationException") and \
            "stepPercent" in out["message"], (bad, out)
    for bad in (0, 0.05, 101):
        refused(create(strategy="CANARY", canaryConfiguration={"canaryPercent": bad}), "InvalidParameterException",
                "canaryPercent must be a multiple of 0.1 from 0.1 to 100.0")
    refused(create(strategy="LINEAR", linearConfiguration={"stepPercent": 10, "stepBakeTimeInMinutes": 1441}),
            "InvalidParameterException", "stepBakeTimeInMinutes")
    refused(create(strategy="CANARY", canaryConfiguration={"canaryBakeTimeInMinutes": -1}),
            "InvalidParameterException", "canaryBakeTimeInMinutes")
    refused(create(strategy="BLUE_GREEN", bakeTimeInMinutes=0, linearConfiguration={"stepPercent": 10}),
            "InvalidParameterException", "linearConfiguration is supported only with the LINEAR")
    refused(create(strategy="LINEAR", canaryConfiguration={"canaryPercent": 10}),
            "InvalidParameterException", "canaryConfiguration is supported only with the CANARY")
    refused(create(lbs=[{"targetGroupArn": s.tgs[0], "containerName": "web", "containerPort": 80}], strategy="CANARY"),
            "UnsupportedFeatureException", "CANARY deployments for services behind a load balancer")
    # Lifecycle hooks: PAUSE only (AWS_LAMBDA is the default: berth has no Lambda).
    refused(create(strategy="BLUE_GREEN", bakeTimeInMinutes=0, lifecycleHooks=[
        {"hookTargetArn": "arn:aws:lambda:us-east-1:000000000000:function:f", "lifecycleStages": ["POST_SCALE_UP"],
         "roleArn": "arn:aws:iam::000000000000:role/r"}]), "InvalidParameterException", "no AWS Lambda")
    refused(create(strategy="BLUE_GREEN", bakeTimeInMinutes=0, lifecycleHooks=[
        {"targetType": "AWS_LAMBDA", "lifecycleStages": ["POST_SCALE_UP"]}]), "InvalidParameterException",
        "targetType AWS_LAMBDA is not supported")
    refused(create(strategy="BLUE_GREEN", bakeTimeInMinutes=0, lifecycleHooks=[
        {"targetType": "PAUSE", "hookTargetArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
         "lifecycleStages": ["POST_SCALE_UP"]}]), "InvalidParameterException", "hookTargetArn")
    refused(create(strategy="BLUE_GREEN", bakeTimeInMinutes=0, lifecycleHooks=[
        {"targetType": "PAUSE", "lifecycleStages": []}]), "InvalidParameterException", "lifecycleStages")
    refused(create(strategy="BLUE_GREEN", bakeTimeInMinutes=0, lifecycleHooks=[
        {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]},
        {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]), "InvalidParameterException", "POST_SCALE_UP")
    # BAKE_TIME is a lifecycle stage, not one a hook can run at.
    status, out = create(strategy="BLUE_GREEN", bakeTimeInMinutes=0, lifecycleHooks=[
        {"targetType": "PAUSE", "lifecycleStages": ["BAKE_TIME"]}])
    assert status == 400 and "BAKE_TIME" in out["message"], out
    for minutes in (0, 20161):
        status, out = create(strategy="BLUE_GREEN", bakeTimeInMinutes=0, lifecycleHooks=[
            {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"],
             "timeoutConfiguration": {"timeoutInMinutes": minutes}}])
        assert status == 400 and "timeoutInMinutes" in out["message"], out
    status, out = create(strategy="BLUE_GREEN", bakeTimeInMinutes=0, lifecycleHooks=[
        {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"],
         "timeoutConfiguration": {"timeoutInMinutes": 5, "action": "WAIT"}}])
    assert status == 400 and "WAIT" in out["message"], out
    refused(create(strategy="ROLLING", lbs=[{"targetGroupArn": s.tgs[0], "containerName": "web", "containerPort": 80}],
                   lifecycleHooks=[{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]),
            "InvalidParameterException", "lifecycleHooks")
    # advancedConfiguration only with BLUE_GREEN, and BLUE_GREEN only with it.
    refused(create(strategy="ROLLING"), "InvalidParameterException", "advancedConfiguration")
    plain = [{"targetGroupArn": s.tgs[0], "containerName": "web", "containerPort": 80}]
    refused(create(lbs=plain, strategy="BLUE_GREEN", bakeTimeInMinutes=0), "UnsupportedFeatureException",
            "advancedConfiguration")
    # The production rule must forward to both groups of the pair.
    other = s.elb.create_target_group(Name="bgv-other", Protocol="HTTP", Port=80, VpcId="vpc-1",
                                      TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    refused(create(lbs=s.lbs(alternateTargetGroupArn=other), strategy="BLUE_GREEN", bakeTimeInMinutes=0),
            "InvalidParameterException", "must forward to both")
    refused(create(lbs=s.lbs(alternateTargetGroupArn=s.tgs[0]), strategy="BLUE_GREEN", bakeTimeInMinutes=0),
            "InvalidParameterException", "must differ")
    lbs = s.lbs()
    del lbs[0]["advancedConfiguration"]["productionListenerRule"]
    refused(create(lbs=lbs, strategy="BLUE_GREEN", bakeTimeInMinutes=0), "InvalidParameterException",
            "productionListenerRule")
    # ContinueServiceDeployment of a deployment that does not exist.
    status, out = ecs_raw(stack, "ContinueServiceDeployment", {"serviceDeploymentArn": "arn:x", "hookId": "h"})
    assert status == 400 and out["__type"] == "ServiceDeploymentNotFoundException", out


def deployments_of(stack, name):
    st, o = ecs_raw(stack, "ListServiceDeployments", {"cluster": stack.cluster, "service": name})
    assert st == 200, o
    arns = [d["serviceDeploymentArn"] for d in o["serviceDeployments"]]
    st, o = ecs_raw(stack, "DescribeServiceDeployments", {"serviceDeploymentArns": arns})
    assert st == 200, o
    return o["serviceDeployments"]


def aws_rule_weights(stack, rule):
    """The rule's forward weights as the AWS CLI v2 (/usr/bin/aws) reads them."""
    env = berth_proc.aws_cli_env(os.environ.get("HOME", "/"))
    out = subprocess.run(["/usr/bin/aws", "--endpoint-url", stack.server.endpoint, "elbv2", "describe-rules",
                          "--rule-arns", rule], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    groups = json.loads(out.stdout)["Rules"][0]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    return {g["TargetGroupArn"]: g["Weight"] for g in groups}


def paused(stack, name, stage):
    """The in-progress deployment once it waits at a PAUSE hook at stage."""
    def waiting():
        for d in deployments_of(stack, name):
            hooks = [h for h in d.get("lifecycleHookDetails", []) if h["status"] == "AWAITING_ACTION"]
            if d["status"] == "IN_PROGRESS" and hooks:
                assert d["lifecycleStage"] == stage, d
                return d, hooks[0]
        return None
    return berth_proc.wait_for(waiting, timeout=150, interval=0.3, what="a deployment paused at " + stage)


def test_blue_green_pause_hooks_continue_and_roll_back(stack):
    s = Setup(stack, "bgh")
    hooks = [{"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}]
    status, out = ecs_raw(stack, "CreateService", {
        "cluster": stack.cluster, "serviceName": "bgh", "taskDefinition": s.revs[0], "desiredCount": 1,
        "networkConfiguration": NET, "loadBalancers": s.lbs(testListenerRule=s.test_rule),
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": hooks}})
    assert status == 200, out
    assert out["service"]["deploymentConfiguration"]["lifecycleHooks"] == hooks
    berth_proc.wait_for(lambda: get(s.base) == (200, "blue-v1"), timeout=120, what="blue answering")
    berth_proc.wait_for(lambda: service(stack, "bgh")["deployments"][0]["rolloutState"] == "COMPLETED" or None,
                        timeout=60, what="the first deployment to complete")

    # The update stops after scale-up: green serves in its group, but
    # neither the test nor the production rule moves while the hook waits.
    status, out = ecs_raw(stack, "UpdateService", {"cluster": stack.cluster, "service": "bgh",
                                                   "taskDefinition": s.revs[1]})
    assert status == 200, out
    dep, hook = paused(stack, "bgh", "POST_SCALE_UP")
    assert hook["hookId"].startswith("ecs-pause-") and hook["targetType"] == "PAUSE", hook
    assert hook["timeoutAction"] == "ROLLBACK" and "targetArn" not in hook, hook
    # The default timeout: 24 hours.
    assert 1439 * 60 < hook["expiresAt"] - time.time() <= 1440 * 60, hook
    berth_proc.wait_for(lambda: list(health(s.elb, s.tgs[1]).values()) == ["healthy"] or None, timeout=60,
                        what="green healthy in the alternate group")
    # A few scheduler rounds later the deployment still waits at the hook.
    time.sleep(3)
    again = [d for d in deployments_of(stack, "bgh") if d["serviceDeploymentArn"] == dep["serviceDeploymentArn"]][0]
    assert again["lifecycleStage"] == "POST_SCALE_UP" and again["status"] == "IN_PROGRESS", again
    assert again["lifecycleHookDetails"] == [hook], again
    assert aws_rule_weights(stack, s.rule) == {s.tgs[0]: 1, s.tgs[1]: 0}
    assert aws_rule_weights(stack, s.test_rule) == {s.tgs[0]: 1, s.tgs[1]: 0}
    assert get(s.test_base) == (200, "blue-v1")

    arn = dep["serviceDeploymentArn"]

    def cont(body, code=200):
        st, o = ecs_raw(stack, "ContinueServiceDeployment", body)
        assert st == code, o
        return o
    assert cont({"serviceDeploymentArn": arn, "hookId": "ecs-pause-nope"}, 400)["__type"] == \
        "InvalidParameterException"
    assert cont({"serviceDeploymentArn": arn + "x", "hookId": hook["hookId"]}, 400)["__type"] == \
        "ServiceDeploymentNotFoundException"
    out = cont({"serviceDeploymentArn": arn, "hookId": hook["hookId"], "action": "LATER"}, 400)
    assert out["__type"] in ("InvalidParameterException", "ValidationException", "SerializationException"), out
    assert cont({"serviceDeploymentArn": arn, "hookId": hook["hookId"], "action": "CONTINUE"}) == {
        "serviceDeploymentArn": arn}
    # Once answered, the hook no longer awaits action.
    out = cont({"serviceDeploymentArn": arn, "hookId": hook["hookId"]}, 400)
    assert out["__type"] == "ClientException", out

    def completed():
        d = [d for d in deployments_of(stack, "bgh") if d["serviceDeploymentArn"] == arn][0]
        return d["status"] == "SUCCESSFUL" and d
    done = berth_proc.wait_for(completed, timeout=150, interval=0.3, what="the continued deployment to complete")
    assert done["lifecycleStage"] == "CLEAN_UP", done
    assert [(h["hookId"], h["status"]) for h in done["lifecycleHookDetails"]] == [(hook["hookId"], "SUCCEEDED")]
    berth_proc.wait_for(lambda: get(s.base) == (200, "green-v2"), timeout=30, what="production on green")

    # The next deployment pauses before production moves; ROLLBACK sends it
    # back while production never left the running revision.
    hooks = [{"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
              "timeoutConfiguration": {"timeoutInMinutes": 30, "action": "CONTINUE"}}]
    answers = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            answers.append(get(s.base, CLIENT_TIMEOUT))
            time.sleep(0.02)
    t = threading.Thread(target=client)
    t.start()
    try:
        status, out = ecs_raw(stack, "UpdateService", {
            "cluster": stack.cluster, "service": "bgh", "taskDefinition": s.revs[0],
            "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": hooks}})
        assert status == 200, out
        dep, hook = paused(stack, "bgh", "POST_TEST_TRAFFIC_SHIFT")
        assert hook["timeoutAction"] == "CONTINUE" and 29 * 60 < hook["expiresAt"] - time.time() <= 30 * 60, hook
        # Test traffic reached the new revision; production did not.
        assert get(s.test_base) == (200, "blue-v1")
        assert get(s.base) == (200, "green-v2")
        arn = dep["serviceDeploymentArn"]
        assert cont({"serviceDeploymentArn": arn, "hookId": hook["hookId"], "action": "ROLLBACK"}) == {
            "serviceDeploymentArn": arn}

        def rolled_back():
            d = [d for d in deployments_of(stack, "bgh") if d["serviceDeploymentArn"] == arn][0]
            return d["status"] == "ROLLBACK_SUCCESSFUL" and d
        final = berth_proc.wait_for(rolled_back, timeout=300, interval=0.5, what="the rollback to succeed")
        svc = berth_proc.wait_for(lambda: (lambda v: len(v["deployments"]) == 1 and v)(service(stack, "bgh")),
                                  timeout=60, what="one deployment left")
        n = len(answers)
        berth_proc.wait_for(lambda: len(answers) > n + 10, timeout=30, what="more answers")
    finally:
        stop.set()
        t.join(timeout=2 * CLIENT_TIMEOUT)
    assert "ContinueServiceDeployment" in final["rollback"]["reason"], final
    assert [(h["hookId"], h["status"]) for h in final["lifecycleHookDetails"]] == [(hook["hookId"], "FAILED")]
    assert [d["taskDefinition"] for d in svc["deployments"]] == [s.revs[1]], svc["deployments"]
    assert answers and all(a == (200, "green-v2") for a in answers), [a for a in answers if a != (200, "green-v2")][:5]
    events = [e["message"] for e in service(stack, "bgh")["events"]]
    assert any("paused at PRE_PRODUCTION_TRAFFIC_SHIFT" in m for m in events), events[:10]
    stack.ecs.update_service(cluster=stack.cluster, service="bgh", desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service="bgh")


def test_blue_green_pause_hook_times_out(stack):
    """A PAUSE hook nobody answers takes its timeoutAction (CONTINUE here,
    after the shortest timeout, one minute)."""
    s = Setup(stack, "bgt")
    hooks = [{"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"],
              "timeoutConfiguration": {"timeoutInMinutes": 1, "action": "CONTINUE"}}]
    status, out = ecs_raw(stack, "CreateService", {
        "cluster": stack.cluster, "serviceName": "bgt", "taskDefinition": s.revs[0], "desiredCount": 1,
        "networkConfiguration": NET, "loadBalancers": s.lbs(),
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": hooks}})
    assert status == 200, out
    berth_proc.wait_for(lambda: get(s.base) == (200, "blue-v1"), timeout=120, what="blue answering")
    berth_proc.wait_for(lambda: service(stack, "bgt")["deployments"][0]["rolloutState"] == "COMPLETED" or None,
                        timeout=60, what="the first deployment to complete")
    status, out = ecs_raw(stack, "UpdateService", {"cluster": stack.cluster, "service": "bgt",
                                                   "taskDefinition": s.revs[1]})
    assert status == 200, out
    dep, hook = paused(stack, "bgt", "PRE_SCALE_UP")
    # Before scale-up: no task of the new revision starts while it waits.
    tasks = stack.ecs.describe_tasks(cluster=stack.cluster, tasks=stack.ecs.list_tasks(
        cluster=stack.cluster, serviceName="bgt")["taskArns"])["tasks"]
    assert [t["taskDefinitionArn"] for t in tasks] == [s.revs[0]], tasks

    def completed():
        d = [d for d in deployments_of(stack, "bgt") if d["serviceDeploymentArn"] == dep["serviceDeploymentArn"]][0]
        return d["status"] == "SUCCESSFUL" and d
    done = berth_proc.wait_for(completed, timeout=240, interval=1, what="the deployment to go on after the timeout")
    assert [(h["hookId"], h["status"]) for h in done["lifecycleHookDetails"]] == [(hook["hookId"], "TIMED_OUT")]
    assert done["updatedAt"] >= hook["expiresAt"]
    assert get(s.base) == (200, "green-v2")
    stack.ecs.update_service(cluster=stack.cluster, service="bgt", desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service="bgt")


def shift_in_steps(stack, name, config, mixed_weights):
    """Update a LINEAR or CANARY service while a client loops through the
    load balancer: production holds mixed_weights (blue, green) for a step
    bake, the client hears both revisions then, and loses no request."""
    s = Setup(stack, name)
    status, out = ecs_raw(stack, "CreateService", {
        "cluster": stack.cluster, "serviceName": name, "taskDefinition": s.revs[0], "desiredCount": 1,
        "networkConfiguration": NET, "loadBalancers": s.lbs(), "deploymentConfiguration": config})
    assert status == 200, out
    for k, v in config.items():
        assert out["service"]["deploymentConfiguration"][k] == v, out["service"]["deploymentConfiguration"]
    berth_proc.wait_for(lambda: get(s.base) == (200, "blue-v1"), timeout=120, what="blue answering")
    berth_proc.wait_for(lambda: service(stack, name)["deployments"][0]["rolloutState"] == "COMPLETED" or None,
                        timeout=60, what="the first deployment to complete")
    answers = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            answers.append(get(s.base, CLIENT_TIMEOUT))
            time.sleep(0.02)
    t = threading.Thread(target=client)
    t.start()
    try:
        status, out = ecs_raw(stack, "UpdateService", {"cluster": stack.cluster, "service": name,
                                                       "taskDefinition": s.revs[1]})
        assert status == 200, out
        mixed = {s.tgs[0]: mixed_weights[0], s.tgs[1]: mixed_weights[1]}

        def stepping():
            if s.weights() != mixed:
                return None
            d = deployments_of(stack, name)[0]
            assert d["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT", d
            return True
        berth_proc.wait_for(stepping, timeout=150, interval=0.2, what="production split between the revisions")
        assert aws_rule_weights(stack, s.rule) == mixed
        n = len(answers)
        # Both revisions answer while the step bakes.
        berth_proc.wait_for(lambda: {"blue-v1", "green-v2"} <= {a[1] for a in answers[n:]}, timeout=50,
                            interval=0.2, what="answers from both revisions mid-shift")

        def completed():
            d = deployments_of(stack, name)[0]
            return d["status"] == "SUCCESSFUL" and d
        final = berth_proc.wait_for(completed, timeout=240, interval=0.5, what="the deployment to complete")
        n = len(answers)
        berth_proc.wait_for(lambda: len(answers) > n + 10, timeout=30, what="more answers")
    finally:
        stop.set()
        t.join(timeout=2 * CLIENT_TIMEOUT)
    assert final["lifecycleStage"] == "CLEAN_UP", final
    words = [a[1] for a in answers]
    failed = [(i, a) for i, a in enumerate(answers) if a[0] != 200]
    assert not failed, (failed[:5], len(words), words.index("green-v2") if "green-v2" in words else None,
                        len(words) - 1 - words[::-1].index("blue-v1"))
    first_green = words.index("green-v2")
    last_blue = len(words) - 1 - words[::-1].index("blue-v1")
    # Blue alone, then both mixed, then green alone.
    assert set(words[:first_green]) == {"blue-v1"} and last_blue > first_green, (first_green, last_blue)
    assert set(words[first_green:last_blue + 1]) == {"blue-v1", "green-v2"}
    assert set(words[last_blue + 1:]) == {"green-v2"} and len(words) > last_blue + 10, words[last_blue:]
    assert s.weights() == {s.tgs[0]: 0, s.tgs[1]: 1}
    assert health(s.elb, s.tgs[0]) == {}
    events = [e["message"] for e in service(stack, name)["events"]]
    stack.ecs.update_service(cluster=stack.cluster, service=name, desiredCount=0)
    stack.ecs.delete_service(cluster=stack.cluster, service=name)
    return events


def test_linear_deployment_shifts_production_in_steps(stack):
    events = shift_in_steps(stack, "bgl", {"strategy": "LINEAR", "bakeTimeInMinutes": 0, "linearConfiguration": {
        "stepPercent": 50.0, "stepBakeTimeInMinutes": 1}}, (1, 1))
    assert any(m.endswith("50.0% of production traffic on the new revision.") for m in events), events[:10]


def test_canary_deployment_shifts_a_share_first(stack):
    events = shift_in_steps(stack, "bgc", {"strategy": "CANARY", "canaryConfiguration": {
        "canaryPercent": 20.0, "canaryBakeTimeInMinutes": 1}}, (4, 1))
    assert any(m.endswith("20.0% of production traffic on the new revision.") for m in events), events[:10]
