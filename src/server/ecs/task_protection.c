/* task_protection.c - task scale-in protection (see task_protection.h).
 *
 * A protected task keeps its protection's end in its document's private
 * member berth.protectedUntilMs (epoch milliseconds), so it survives a
 * restart with the task and the scheduler reads it with the service's
 * tasks (store_service_tasks).  Protection past its end is no protection:
 * nothing clears it, every reader compares with the clock, as ECS's
 * "protectionEnabled will be reset to false" looks from outside.
 *
 * As on ECS only a service's tasks can be protected: a standalone task is
 * a TASK_NOT_VALID failure, an unknown one MISSING; the others answer.
 * The task endpoint's PUT and GET come through the agent running the task
 * (BerthAgent.TaskProtection, allowed for its own tasks only), where ECS's
 * agent calls ECS with the task role's credentials.
 *
 * What honours it is reconcile.c: scale-in and deployments skip protected
 * tasks when they choose which tasks to stop. */
#include "server/ecs/task_protection.h"

#include <string.h>

#include "common/cleanup.h"
#include "common/task_status.h"
#include "server/ecs/agent_identity.h"
#include "server/ecs/clusters.h"
#include "server/ecs/resource_refs.h"
#include "server/ecs/tasks.h"
#include "server/iam/principal.h"

/* ECS's limits on the tasks one request names. */
#define UPDATE_TASKS_MAX 10
#define GET_TASKS_MAX 100

bool task_protection_active(int64_t until_ms, usec_t now) { return until_ms > 0 && until_ms * USEC_PER_MSEC > now; }

static int64_t until_of(const struct task_row *row)
{
    return json_integer_value(json_object_get(json_object_get(row->doc, "berth"), "protectedUntilMs"));
}

static json_t *protected_task(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *row)
{
    char arn[700];
    task_arn(ctx, cluster->name, row->uuid, arn, sizeof(arn));
    int64_t until = until_of(row);
    bool on = task_protection_active(until, ctx->now);
    json_t *j = json_pack("{s:s, s:b}", "taskArn", arn, "protectionEnabled", on);
    if (j && on)
        json_object_set_new(j, "expirationDate", json_real((double)until / 1000.0));
    return j;
}

static void add_failure(json_t *failures, struct op_ctx *ctx, const struct cluster_row *cluster, const char *ref,
                        const char *reason, const char *detail)
{
    char arn[700];
    if (strncmp(ref, "arn:", 4) == 0)
        snprintf(arn, sizeof(arn), "%s", ref);
    else
        task_arn(ctx, cluster->name, ref, arn, sizeof(arn));
    json_t *f = json_pack("{s:s, s:s}", "arn", arn, "reason", reason);
    if (f && detail)
        json_object_set_new(f, "detail", json_string(detail));
    json_array_append_new(failures, f);
}

/* The request's task list: 1 to max strings. */
static int task_refs(json_t *in, size_t max, json_t **ret_refs, struct error *err)
{
    json_t *refs = json_object_get(in, "tasks");
    if (json_array_size(refs) == 0)
        return error_set(err, ERR_INVALID, "Tasks cannot be empty.");
    if (json_array_size(refs) > max)
        return error_set(err, ERR_INVALID, "Tasks can have at most %zu items.", max);
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        if (!json_is_string(r) || json_string_length(r) == 0)
            return error_set(err, ERR_INVALID, "Tasks must be task ids or ARNs.");
    }
    *ret_refs = refs;
    return 0;
}

/* What UpdateTaskProtection sets: the end of protection in epoch ms (0:
 * none). */
static int wanted_until(struct op_ctx *ctx, json_t *in, int64_t *ret_until, struct error *err)
{
    json_t *on = json_object_get(in, "protectionEnabled");
    json_t *minutes = json_object_get(in, "expiresInMinutes");
    if (!json_is_boolean(on))
        return error_set(err, ERR_INVALID, "protectionEnabled must be true or false.");
    if (minutes && !json_is_null(minutes) && !json_is_true(on))
        return error_set(err, ERR_INVALID, "expiresInMinutes can only be set with protectionEnabled true.");
    json_int_t m = TASK_PROTECTION_DEFAULT_MINUTES;
    if (minutes && !json_is_null(minutes)) {
        if (!json_is_integer(minutes))
            return error_set(err, ERR_INVALID, "expiresInMinutes must be a whole number of minutes.");
        m = json_integer_value(minutes);
        if (m < TASK_PROTECTION_MIN_MINUTES || m > TASK_PROTECTION_MAX_MINUTES)
            return error_set(err, ERR_INVALID, "expiresInMinutes must be between %d and %d.",
                             TASK_PROTECTION_MIN_MINUTES, TASK_PROTECTION_MAX_MINUTES);
    }
    *ret_until = json_is_true(on) ? ctx->now / USEC_PER_MSEC + (int64_t)m * 60 * 1000 : 0;
    return 0;
}

static int set_until(struct op_ctx *ctx, struct task_row *row, int64_t until, struct error *err)
{
    json_t *priv = json_object_get(row->doc, "berth");
    if (!json_is_object(priv)) {
        priv = json_object();
        json_object_set_new(row->doc, "berth", priv);
    }
    if (until)
        json_object_set_new(priv, "protectedUntilMs", json_integer(until));
    else
        json_object_del(priv, "protectedUntilMs");
    /* Not the Task shape's business: no version bump, nothing for the agent. */
    return store_task_put(ctx->tx, row, err);
}

/* Answer for each of refs in cluster; with `update`, first set each valid
 * task's protection to end at `until`. */
static int answer(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *refs, bool update, int64_t until,
                  json_t *out, struct error *err)
{
    _cleanup_json_ json_t *tasks = json_array();
    _cleanup_json_ json_t *failures = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        const char *ref = json_string_value(r);
        const char *id = resource_refs_id(ref);
        _cleanup_(task_row_clear) struct task_row row = {0};
        int found = resource_refs_is_id32(id) ? store_task_get(ctx->tx, cluster->id, id, &row, err) : 0;
        if (found < 0)
            return -1;
        if (found == 0) {
            add_failure(failures, ctx, cluster, ref, "MISSING", NULL);
            continue;
        }
        if (!row.service_name || !row.service_name[0]) {
            add_failure(failures, ctx, cluster, ref, "TASK_NOT_VALID",
                        "Task protection is only supported for tasks that belong to a service.");
            continue;
        }
        if (update && task_status_is(row.desired_status, TASK_STATUS_STOPPED)) {
            add_failure(failures, ctx, cluster, ref, "TASK_NOT_VALID", "The task is stopping or stopped.");
            continue;
        }
        if (update && set_until(ctx, &row, until, err) < 0)
            return -1;
        json_array_append_new(tasks, protected_task(ctx, cluster, &row));
    }
    json_object_set(out, "protectedTasks", tasks);
    json_object_set(out, "failures", failures);
    return 0;
}

API_ACTION(action_update_task_protection)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    json_t *refs = NULL;
    int64_t until = 0;
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0 ||
        task_refs(in, UPDATE_TASKS_MAX, &refs, err) < 0 || wanted_until(ctx, in, &until, err) < 0)
        return -1;
    return answer(ctx, &cluster, refs, true, until, out, err);
}

API_ACTION(action_get_task_protection)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    json_t *refs = NULL;
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0 ||
        task_refs(in, GET_TASKS_MAX, &refs, err) < 0)
        return -1;
    return answer(ctx, &cluster, refs, false, 0, out, err);
}

API_ACTION(action_berth_task_protection)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    /* For the agents that run tasks, as their credentials call is. */
    if (agent_identity_resolve_own_task(ctx, in, "the task endpoint's protection calls", &cluster, &task, err) < 0)
        return -1;
    _cleanup_json_ json_t *refs = json_pack("[s]", task.uuid);
    bool update = json_object_get(in, "protectionEnabled") != NULL;
    int64_t until = 0;
    if (update && wanted_until(ctx, in, &until, err) < 0)
        return -1;
    return answer(ctx, &cluster, refs, update, until, out, err);
}
