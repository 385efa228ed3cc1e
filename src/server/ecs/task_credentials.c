/* task_credentials.c - BerthAgent.GetTaskCredentials {cluster, task,
 * roleType}: the agent running a task asks, just before it resolves the
 * task's secrets, for credentials of the task's execution role (RunTask's
 * overrides', else the task definition's executionRoleArn), as ECS's
 * backend hands its agent executionRoleCredentials; with roleType "TASK",
 * for the task role (taskRoleArn, the same way), which the agent serves to
 * the task's containers at 169.254.170.2 (agent/task/task_endpoint.c).  The server assumes the
 * role on ecs-tasks.amazonaws.com's behalf (the role's trust policy must
 * name that service) as the session
 * arn:aws:sts::ACCT:assumed-role/ROLE/TASK_ID, so the role's own policies
 * decide what the agent may read with them.
 *
 * Why a call of its own rather than a member of PollTasks' answer: a poll
 * is a read transaction that every agent holds open, and issuing a key is
 * a write; and only tasks with secrets (or registry credentials) need one.
 * The credentials are answered once: never stored in the task's record,
 * never in DescribeTasks, never logged.  Only the task's own instance may
 * ask (agent_identity.c), and only for a task not yet stopped. */
#include "server/ecs/arn.h"
#include "server/ecs/task_credentials.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/agent_identity.h"
#include "server/ecs/clusters.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/tasks.h"
#include "server/iam/principal.h"
#include "server/iam/role_session.h"
#include "server/store/store_iam.h"

#define TASK_SESSION_SECONDS 3600
#define TASKS_SERVICE_PRINCIPAL "ecs-tasks.amazonaws.com"

API_ACTION(action_berth_get_task_credentials)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    /* Role credentials are for the agents that run tasks: an IAM user
     * allowed ecs:Poll must not read every execution role this way. */
    if (agent_identity_resolve_own_task(ctx, in, "task credentials", &cluster, &task, err) < 0)
        return -1;
    if (strcmp(task.last_status, "STOPPED") == 0 || strcmp(task.desired_status, "STOPPED") == 0)
        return error_set(err, API_ERR_CLIENT, "Task %s is stopping: it gets no credentials.", task.uuid);
    json_t *kind = json_object_get(in, "roleType");
    if (kind && (!json_is_string(kind) ||
                 (strcmp(json_string_value(kind), "TASK") != 0 && strcmp(json_string_value(kind), "EXECUTION") != 0)))
        return error_set(err, ERR_INVALID, "roleType must be TASK or EXECUTION.");
    const char *member = kind && strcmp(json_string_value(kind), "TASK") == 0 ? "taskRoleArn" : "executionRoleArn";
    /* RunTask's overrides may name another role (authorised there with iam:PassRole). */
    json_t *def = json_object_get(json_object_get(task.doc, "berth"), "taskDefinition");
    const char *role_arn = json_string_value(json_object_get(json_object_get(task.doc, "overrides"), member));
    if (!role_arn)
        role_arn = json_string_value(json_object_get(def, member));
    if (!role_arn)
        return error_set(err, API_ERR_CLIENT, "Task %s has no %s.", task.uuid, member);
    char resource[512], task_arn[1024];
    snprintf(resource, sizeof(resource), "%s/%s", cluster.name, task.uuid);
    arn_format_buf(task_arn, sizeof(task_arn), ctx, "task", resource);
    struct iam_entity_row role = {0};
    if (role_session_service_role(ctx->tx, ctx->account, role_arn, TASKS_SERVICE_PRINCIPAL, task_arn, &role, err) < 0) {
        err->kind = API_ERR_CLIENT; /* the task's fault, not the agent's: it stops the task */
        return -1;
    }
    char session[512];
    snprintf(session, sizeof(session), "arn:aws:sts::%s:assumed-role/%s/%s", ctx->account, role.name, task.uuid);
    iam_entity_row_clear(&role);
    json_t *creds = NULL;
    if (role_session_issue(ecs_of(ctx)->keyring, ctx->tx, session, ctx->now, TASK_SESSION_SECONDS, &creds, err) < 0)
        return -1;
    json_object_set_new(creds, "RoleArn", json_string(role_arn));
    json_object_set_new(out, "credentials", creds);
    return 0;
}
