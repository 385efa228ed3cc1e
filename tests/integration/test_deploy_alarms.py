"""deploymentConfiguration.alarms against a real berth server and hollow
agents: a deployment fails (and rolls back when asked) while a CloudWatch
alarm it names is in ALARM; with enable false the alarm is not watched.
Configured through boto3 and the AWS CLI."""
import json
import os
import subprocess

import pytest

import berth_proc

CLUSTER = "alarms"


def taskdef():
    return {"family": "web", "containerDefinitions": [
        {"name": "app", "image": "busybox", "memory": 128, "cpu": 128, "essential": True}]}


@pytest.fixture
def env(fresh_server, tmp_path):
    ecs = berth_proc.client(fresh_server.endpoint)
    cw = berth_proc.client(fresh_server.endpoint, service="cloudwatch")
    ecs.create_cluster(clusterName=CLUSTER)
    agent = berth_proc.BerthAgent(fresh_server.endpoint, CLUSTER, tmp_path / "agent", tmp_path / "agent.log",
                                  hollow=1, extra_args=["--hollow-cpu", "4096", "--hollow-memory", "4096"]).start()
    berth_proc.wait_for(lambda: ecs.list_container_instances(cluster=CLUSTER)["containerInstanceArns"],
                        what="the instance")
    ecs.register_task_definition(**taskdef())
    ecs.register_task_definition(**taskdef())
    # No data and TreatMissingData ignore: the alarm keeps the state SetAlarmState gives it.
    cw.put_metric_alarm(AlarmName="errors", Namespace="App", MetricName="Errors", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="ignore")
    yield fresh_server, ecs, cw
    agent.stop()


def service(ecs, name):
    return ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]


# Debian's botocore 1.29 has no deploymentConfiguration.alarms: boto3 would
# refuse the member and drop it from answers, so these calls go raw.
def raw(endpoint, action, body):
    status, out = berth_proc.raw_call(endpoint, action, body)
    assert status == 200, out
    return out


def raw_config(endpoint, name):
    out = raw(endpoint, "DescribeServices", {"cluster": CLUSTER, "services": [name]})
    return out["services"][0]["deploymentConfiguration"]


def wait_steady(ecs, name):
    def steady():
        s = service(ecs, name)
        ok = (len(s["deployments"]) == 1 and s["runningCount"] == s["desiredCount"]
              and s["deployments"][0]["rolloutState"] == "COMPLETED")
        return s if ok else None
    return berth_proc.wait_for(steady, timeout=60, interval=0.2, what="service %s steady" % name)


def aws_ecs(endpoint, *args):
    env = berth_proc.aws_cli_env(os.environ.get("HOME", "/"))
    out = subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "ecs"] + list(args), env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_alarm_fails_deployment_and_rolls_back(env):
    server, ecs, cw = env
    alarms = {"alarmNames": ["errors"], "enable": True, "rollback": True}
    raw(server.endpoint, "CreateService", {"cluster": CLUSTER, "serviceName": "web", "taskDefinition": "web:1",
                                           "desiredCount": 2, "deploymentConfiguration": {"alarms": alarms}})
    first = wait_steady(ecs, "web")["deployments"][0]["id"]
    cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors went up")
    out = aws_ecs(server.endpoint, "update-service", "--cluster", CLUSTER, "--service", "web",
                  "--task-definition", "web:2")
    failed = out["service"]["deployments"][0]
    assert out["service"]["deploymentConfiguration"]["alarms"] == alarms

    def rolled_back():
        s = service(ecs, "web")
        return s if any("rolling back to deployment %s." % first in e["message"] for e in s["events"]) else None
    berth_proc.wait_for(rolled_back, timeout=60, what="the alarm to roll the deployment back")
    svc = wait_steady(ecs, "web")
    assert svc["taskDefinition"].endswith("web:1")
    msgs = [e["message"] for e in svc["events"]]
    assert "(service web) deployment %s deployment failed: alarm detected." % failed["id"] in msgs
    briefs = raw(server.endpoint, "ListServiceDeployments", {"cluster": CLUSTER, "service": "web"})["serviceDeployments"]
    assert any(d["status"].startswith("ROLLBACK_") for d in briefs), briefs
    # The rollback deployment is not failed by the alarm that is still in ALARM.
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED"


def test_alarm_without_rollback_leaves_deployment_failed(env):
    server, ecs, cw = env
    alarms = {"alarmNames": ["errors", "absent"], "enable": True, "rollback": False}
    raw(server.endpoint, "CreateService", {"cluster": CLUSTER, "serviceName": "web", "taskDefinition": "web:1",
                                           "desiredCount": 1, "deploymentConfiguration": {"alarms": alarms}})
    assert raw_config(server.endpoint, "web")["alarms"] == alarms
    wait_steady(ecs, "web")
    cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors went up")
    ecs.update_service(cluster=CLUSTER, service="web", taskDefinition="web:2")

    def failed():
        p = service(ecs, "web")["deployments"][0]
        return p if p["rolloutState"] == "FAILED" else None
    p = berth_proc.wait_for(failed, timeout=60, what="the deployment to fail")
    assert p["taskDefinition"].endswith("web:2")
    assert p["rolloutStateReason"] == "ECS deployment alarms: CloudWatch alarm errors is in ALARM state."


def test_disabled_alarms_are_not_watched(env):
    server, ecs, cw = env
    cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors went up")
    aws_ecs(server.endpoint, "create-service", "--cluster", CLUSTER, "--service-name", "web",
            "--task-definition", "web:1", "--desired-count", "1", "--deployment-configuration",
            json.dumps({"alarms": {"alarmNames": ["errors"], "enable": False, "rollback": True}}))
    svc = wait_steady(ecs, "web")
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED"
    assert raw_config(server.endpoint, "web")["alarms"] == {"alarmNames": ["errors"], "enable": False,
                                                            "rollback": True}
