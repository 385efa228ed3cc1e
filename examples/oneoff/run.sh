#!/bin/sh
# One run of the "report" batch task: register its task definition, RunTask
# with today's date, wait until it stops, print its log (CloudWatch Logs)
# and exit with the container's exit code.  berth has no EventBridge
# Scheduler: to run it on a schedule, call this script from cron or a
# systemd timer (examples/README.md).
. "$(dirname "$0")/../env.sh"
td=$(register "$EXAMPLES/oneoff/taskdef.json")
today=$(date -u +%F)
task=$(aws ecs run-task --cluster "$CLUSTER" --task-definition "$td" --started-by report-job \
    --overrides "{\"containerOverrides\":[{\"name\":\"report\",\"environment\":[{\"name\":\"REPORT_DATE\",\"value\":\"$today\"}]}]}" \
    --query 'tasks[0].taskArn' --output text)
if [ "$task" = None ]; then
    aws ecs run-task --cluster "$CLUSTER" --task-definition "$td" --query failures --output text >&2 || true
    exit 1
fi
echo "task $task"
aws ecs wait tasks-stopped --cluster "$CLUSTER" --tasks "$task"
code=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" --query 'tasks[0].containers[0].exitCode' --output text)
echo "exit code $code"
aws logs get-log-events --log-group-name /berth/examples/report \
    --log-stream-name "report/report/${task##*/}" --query 'events[].message' --output text | tr '\t' '\n'
[ "$code" = 0 ]
