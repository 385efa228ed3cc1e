# examples/env.sh - sourced by each example's run.sh: where berth is and how
# to sign, for Debian's AWS CLI v2 (/usr/bin/aws; another `aws` on PATH may
# be v1 or configured for AWS itself).
#   BERTH_ENDPOINT  default http://127.0.0.1:7480 (berth up)
#   CLUSTER         default "default" (berth up's agent's cluster)
#   REGISTRY        where build-example-images.sh pushed, default 127.0.0.1:5000
# Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when set, else the
# root key berth up wrote (DATA/server/credentials, profile berth).
set -eu
: "${BERTH_ENDPOINT:=http://127.0.0.1:7480}"
: "${CLUSTER:=default}"
: "${REGISTRY:=127.0.0.1:5000}"
if [ -z "${AWS_ACCESS_KEY_ID:-}" ]; then
    export AWS_SHARED_CREDENTIALS_FILE="${AWS_SHARED_CREDENTIALS_FILE:-/var/lib/berth/server/credentials}"
    export AWS_PROFILE="${AWS_PROFILE:-berth}"
fi
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}" AWS_PAGER=""
EXAMPLES=$(cd "$(dirname "$0")/.." && pwd)

aws() { /usr/bin/aws --endpoint-url "$BERTH_ENDPOINT" "$@"; }

# register FILE [SED_EXPR...]: register a task definition, with the registry
# (and any further sed expressions) put in; prints its ARN
register() {
    file=$1
    shift
    json=$(sed -e "s|127.0.0.1:5000|$REGISTRY|g" "$@" "$file")
    aws ecs register-task-definition --cli-input-json "$json" --query taskDefinition.taskDefinitionArn --output text
}

# wait_stable SERVICE...: until the services run what they should
wait_stable() { aws ecs wait services-stable --cluster "$CLUSTER" --services "$@"; }

# service_gone SERVICE: scale it to 0, wait until its tasks are gone (out of
# any target group first), then delete it
service_gone() {
    if aws ecs describe-services --cluster "$CLUSTER" --services "$1" --query 'services[?status==`ACTIVE`].serviceName' \
        --output text | grep -q .; then
        aws ecs update-service --cluster "$CLUSTER" --service "$1" --desired-count 0 >/dev/null
        wait_stable "$1"
        aws ecs delete-service --cluster "$CLUSTER" --service "$1" >/dev/null
        aws ecs wait services-inactive --cluster "$CLUSTER" --services "$1"
    fi
}
