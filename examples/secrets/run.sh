#!/bin/sh
# Secrets: redis's password in Secrets Manager (a JSON secret, key
# "password"), the page's greeting in SSM Parameter Store (SecureString);
# an execution role that trusts ecs-tasks.amazonaws.com and may read just
# those two; the web app + redis task gets both as environment variables,
# resolved by the agent as the containers start.  Neither value appears in
# the task definition, DescribeTasks or berth's logs.  `run.sh` sets it up
# (as a service) and prints the URL (host port HOST_PORT, default 8082);
# `run.sh down` removes it all.
. "$(dirname "$0")/../env.sh"
HOST_PORT=${HOST_PORT:-8082}
GREETING=${GREETING:-hello}

down() {
    service_gone webapp-secrets
    aws iam delete-role-policy --role-name webapp-secrets-exec --policy-name read-webapp-secrets 2>/dev/null || true
    aws iam delete-role --role-name webapp-secrets-exec 2>/dev/null || true
    aws ssm delete-parameter --name /examples/webapp/greeting 2>/dev/null || true
    aws secretsmanager delete-secret --secret-id examples/redis --force-delete-without-recovery >/dev/null 2>&1 || true
}
if [ "${1:-up}" = down ]; then
    down
    exit 0
fi

account=$(aws sts get-caller-identity --query Account --output text)
region=$AWS_DEFAULT_REGION
# A random password, never printed.
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
secret=$(aws secretsmanager create-secret --name examples/redis \
    --secret-string "{\"password\":\"$password\"}" --query ARN --output text)
aws ssm put-parameter --name /examples/webapp/greeting --type SecureString --value "$GREETING" >/dev/null
aws iam create-role --role-name webapp-secrets-exec --assume-role-policy-document '{
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"}]}' >/dev/null
aws iam put-role-policy --role-name webapp-secrets-exec --policy-name read-webapp-secrets --policy-document "{
    \"Version\": \"2012-10-17\",
    \"Statement\": [
        {\"Effect\": \"Allow\", \"Action\": \"secretsmanager:GetSecretValue\", \"Resource\": \"$secret\"},
        {\"Effect\": \"Allow\", \"Action\": \"ssm:GetParameters\",
         \"Resource\": \"arn:aws:ssm:$region:$account:parameter/examples/webapp/*\"}]}"
td=$(register "$EXAMPLES/secrets/taskdef.json" -e "s|SECRET_ARN|$secret|g" -e "s|ACCOUNT|$account|g" \
    -e "s|REGION|$region|g" -e "s|\"hostPort\": 8082|\"hostPort\": $HOST_PORT|")
aws ecs create-service --cluster "$CLUSTER" --service-name webapp-secrets --task-definition "$td" \
    --desired-count 1 >/dev/null
wait_stable webapp-secrets
task=$(aws ecs list-tasks --cluster "$CLUSTER" --service-name webapp-secrets --query 'taskArns[0]' --output text)
port=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" \
    --query 'tasks[0].containers[?name==`web`].networkBindings[0].hostPort' --output text)
echo "http://127.0.0.1:$port/cgi-bin/hits"
