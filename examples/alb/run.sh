#!/bin/sh
# ALB ingress: an Application Load Balancer (HAProxy, run by berth) with an
# HTTP listener on LB_PORT (default 8081) forwarding to an ip target group;
# the ECS service alb-web (awsvpc, 2 tasks) registers its tasks in it as they
# run and drains them before they stop.  `run.sh` sets it up, waits until
# both targets pass the health checks and prints the load balancer's URL;
# `run.sh down` removes it all.
. "$(dirname "$0")/../env.sh"
: "${LB_PORT:=8081}"
NET='awsvpcConfiguration={subnets=[subnet-local]}'

arn_of() { # arn_of KIND NAME: the ARN of a load balancer or target group, or nothing
    aws elbv2 "describe-$1s" --query "${2}s[?${2}Name==\`$3\`].${2}Arn" --output text 2>/dev/null || true
}

down() {
    service_gone alb-web
    lb=$(arn_of load-balancer LoadBalancer example-alb)
    [ -z "$lb" ] || aws elbv2 delete-load-balancer --load-balancer-arn "$lb"
    tg=$(arn_of target-group TargetGroup example-web)
    [ -z "$tg" ] || aws elbv2 delete-target-group --target-group-arn "$tg"
}
if [ "${1:-up}" = down ]; then
    down
    exit 0
fi

lb=$(aws elbv2 create-load-balancer --name example-alb --type application --subnets subnet-local \
    --query 'LoadBalancers[0].LoadBalancerArn' --output text)
tg=$(aws elbv2 create-target-group --name example-web --protocol HTTP --port 8080 --vpc-id vpc-local \
    --target-type ip --health-check-path / --health-check-interval-seconds 5 --health-check-timeout-seconds 2 \
    --healthy-threshold-count 2 \
    --query 'TargetGroups[0].TargetGroupArn' --output text)
# Stopping tasks finish their requests for 5 s (AWS's default is 300).
aws elbv2 modify-target-group-attributes --target-group-arn "$tg" \
    --attributes Key=deregistration_delay.timeout_seconds,Value=5 >/dev/null
aws elbv2 create-listener --load-balancer-arn "$lb" --protocol HTTP --port "$LB_PORT" \
    --default-actions "Type=forward,TargetGroupArn=$tg" >/dev/null
aws ecs create-service --cluster "$CLUSTER" --service-name alb-web \
    --task-definition "$(register "$EXAMPLES/alb/web.json")" --desired-count 2 \
    --network-configuration "$NET" --health-check-grace-period-seconds 30 \
    --load-balancers "targetGroupArn=$tg,containerName=web,containerPort=8080" >/dev/null
wait_stable alb-web
# Until both tasks are targets that pass the health checks.
for _ in $(seq 60); do
    healthy=$(aws elbv2 describe-target-health --target-group-arn "$tg" \
        --query 'length(TargetHealthDescriptions[?TargetHealth.State==`healthy`])' --output text)
    [ "$healthy" = 2 ] && break
    sleep 2
done
[ "$healthy" = 2 ] || { echo "the targets did not become healthy" >&2; exit 1; }
addr=$(aws elbv2 describe-load-balancers --load-balancer-arns "$lb" \
    --query 'LoadBalancers[0].AvailabilityZones[0].LoadBalancerAddresses[0].IpAddress' --output text)
echo "http://$addr:$LB_PORT/cgi-bin/host"
