#!/bin/sh
# Service discovery: a Cloud Map private DNS namespace example.local, a
# Cloud Map service "redis" (A records) that the ECS service sd-redis
# registers its tasks in, and a web service that finds redis by the name
# redis.example.local through berth's DNS (the agent points each task's
# resolver at it).  `run.sh` sets it up and prints the web task's URL;
# `run.sh down` removes it all.
. "$(dirname "$0")/../env.sh"
NET='awsvpcConfiguration={subnets=[subnet-local]}'

namespace_id() {
    aws servicediscovery list-namespaces --query 'Namespaces[?Name==`example.local`].Id' --output text
}

down() {
    service_gone sd-web
    service_gone sd-redis
    ns=$(namespace_id)
    [ -n "$ns" ] || return 0
    for s in $(aws servicediscovery list-services --filters "Name=NAMESPACE_ID,Values=$ns,Condition=EQ" \
        --query 'Services[].Id' --output text); do
        aws servicediscovery delete-service --id "$s"
    done
    aws servicediscovery delete-namespace --id "$ns" >/dev/null
}
if [ "${1:-up}" = down ]; then
    down
    exit 0
fi

op=$(aws servicediscovery create-private-dns-namespace --name example.local --vpc vpc-local \
    --query OperationId --output text)
ns=$(aws servicediscovery get-operation --operation-id "$op" --query 'Operation.Targets.NAMESPACE' --output text)
svc=$(aws servicediscovery create-service --name redis --namespace-id "$ns" \
    --dns-config 'DnsRecords=[{Type=A,TTL=10}]' --query '[Service.Id,Service.Arn]' --output text)
reg=${svc#*	}
aws ecs create-service --cluster "$CLUSTER" --service-name sd-redis \
    --task-definition "$(register "$EXAMPLES/discovery/redis.json")" --desired-count 1 \
    --network-configuration "$NET" --service-registries "registryArn=$reg" >/dev/null
aws ecs create-service --cluster "$CLUSTER" --service-name sd-web \
    --task-definition "$(register "$EXAMPLES/discovery/web.json")" --desired-count 1 \
    --network-configuration "$NET" >/dev/null
wait_stable sd-redis sd-web
echo "redis.example.local: $(aws servicediscovery list-instances --service-id "${svc%%	*}" \
    --query 'Instances[].Attributes.AWS_INSTANCE_IPV4' --output text)"
task=$(aws ecs list-tasks --cluster "$CLUSTER" --service-name sd-web --query 'taskArns[0]' --output text)
ip=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" \
    --query 'tasks[0].containers[0].networkInterfaces[0].privateIpv4Address' --output text)
echo "http://$ip:8080/cgi-bin/hits"
