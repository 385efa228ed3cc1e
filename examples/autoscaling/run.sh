#!/bin/sh
# Target tracking on CPU: a service whose tasks burn a CPU for BUSY_SECONDS
# after they start, then idle.  Application Auto Scaling keeps the service's
# average CPUUtilization (AWS/ECS, used / reserved) near 50%: it scales out
# to MAX while the tasks are busy, and back in to 1 once they idle.  Meant
# for `berth up --time-scale 60` (a metric minute is a second, the 300 s
# scale-in cooldown 5 s); without it each step takes minutes, as on AWS.
. "$(dirname "$0")/../env.sh"
: "${MAX:=3}" "${WAIT_SECONDS:=240}"
svc=cpu-burner
rid="service/$CLUSTER/$svc"
dim=ecs:service:DesiredCount
td=$(register "$EXAMPLES/autoscaling/taskdef.json")
aws ecs create-service --cluster "$CLUSTER" --service-name "$svc" --task-definition "$td" --desired-count 1 >/dev/null
aws application-autoscaling register-scalable-target --service-namespace ecs --resource-id "$rid" \
    --scalable-dimension "$dim" --min-capacity 1 --max-capacity "$MAX"
aws application-autoscaling put-scaling-policy --service-namespace ecs --resource-id "$rid" \
    --scalable-dimension "$dim" --policy-name cpu50 --policy-type TargetTrackingScaling \
    --target-tracking-scaling-policy-configuration \
    '{"TargetValue": 50, "ScaleOutCooldown": 60, "ScaleInCooldown": 300,
      "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}' \
    --query 'Alarms[].AlarmName' --output text | tr '\t' '\n'

# wait_desired N: until the service's desired count is N (WAIT_SECONDS at most)
wait_desired() {
    i=0
    while [ "$(aws ecs describe-services --cluster "$CLUSTER" --services "$svc" \
        --query 'services[0].desiredCount' --output text)" != "$1" ]; do
        i=$((i + 1))
        if [ "$i" -gt "$WAIT_SECONDS" ]; then
            echo "desired count never reached $1" >&2
            return 1
        fi
        sleep 1
    done
    echo "desired count $1"
}
wait_desired "$MAX"
wait_desired 1
aws application-autoscaling describe-scaling-activities --service-namespace ecs --resource-id "$rid" \
    --query 'ScalingActivities[].[StartTime, Description, Cause]' --output text
aws application-autoscaling deregister-scalable-target --service-namespace ecs --resource-id "$rid" \
    --scalable-dimension "$dim"
service_gone "$svc"
