/* tasks.c - a task as the other task modules share it: its ARN, finding it
 * from a reference or a request, its JSON as clients see it, saving it, and
 * the stop request (desiredStatus STOPPED) users and the scheduler make.
 *
 * Creating a task is task_create.c's job, the statuses agents report are
 * task_reports.c's, the API actions on tasks are task_actions.c's and the
 * agent's long-poll is agent_poll.c's. */
#include "server/ecs/tasks.h"

#include "server/ecs/service_load_balancers.h"
#include "server/ecs/service_registries.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/task_status.h"
#include "server/ecs/arn.h"
#include "server/ecs/clusters.h"
#include "server/ecs/resource_refs.h"
#include "server/http/tags.h"

void task_arn(const struct op_ctx *ctx, const char *cluster, const char *uuid, char *buf, size_t cap)
{
    char res[400];
    snprintf(res, sizeof(res), "%s/%s", cluster, uuid);
    if (!arn_format_buf(buf, cap, ctx, "task", res) && cap)
        buf[0] = '\0';
}

int task_resolve(struct op_ctx *ctx, const struct cluster_row *cluster, const char *ref, struct task_row *ret_row,
                 struct error *err)
{
    const char *id = ref ? resource_refs_id(ref) : "";
    int r = resource_refs_is_id32(id) ? store_task_get(ctx->tx, cluster->id, id, ret_row, err) : 0;
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID, "The referenced task was not found.");
    return 0;
}

int tasks_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row c = {0};
    const char *id = NULL;
    if (cluster_resolve_arn_prefix(ctx, arn->resource, &c, &id, err) < 0)
        return -1;
    _cleanup_(task_row_clear) struct task_row row = {0};
    int r = resource_refs_is_id32(id) ? store_task_get(ctx->tx, c.id, id, &row, err) : 0;
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_RESOURCE_NOT_FOUND, "The specified resource is not found.");
    return 0;
}

/* ECS Exec: each container's ExecuteCommandAgent, whose state is the
 * container's (the agent runs commands in any running container). */
static void task_managed_agents(json_t *task)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(task, "containers"), i, c) {
        const char *st = json_string_value(json_object_get(c, "lastStatus"));
        json_t *agent = json_pack("{s:s, s:s}", "name", "ExecuteCommandAgent", "lastStatus", st ? st : "PENDING");
        json_t *started = json_object_get(task, "startedAt");
        if (agent && started && st && strcmp(st, "PENDING") != 0)
            json_object_set(agent, "lastStartedAt", started);
        json_object_set_new(c, "managedAgents", json_pack("[o]", agent));
    }
}

json_t *task_json(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *row, bool with_tags,
                  struct error *err)
{
    /* A shallow copy: the answer shares the row's members (every caller
     * is done changing the row, and only this level is changed here); a
     * deep copy of each task cost a sixth of DescribeTasks. */
    json_t *j = json_copy(row->doc);
    if (!j) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_object_del(j, "berth");
    json_object_del(j, "tags"); /* the store's, not the task's: below */
    /* A Fargate task shows no instance (berth's agent runs it all the same). */
    if (strcmp(row->launch_type, "FARGATE") == 0)
        json_object_del(j, "containerInstanceArn");
    if (json_is_true(json_object_get(j, "enableExecuteCommand"))) {
        /* it changes the containers: the answer's own */
        json_object_set_new(j, "containers", json_deep_copy(json_object_get(j, "containers")));
        task_managed_agents(j);
    }
    /* Draining from its load balancers before it stops: as ECS shows it. */
    bool draining = service_load_balancers_draining(row, ctx->now) && strcmp(row->last_status, "RUNNING") == 0;
    json_object_set_new(j, "lastStatus", json_string(draining ? "DEACTIVATING" : row->last_status));
    json_object_set_new(j, "desiredStatus", json_string(row->desired_status));
    if (with_tags) {
        char arn[600];
        task_arn(ctx, cluster->name, row->uuid, arn, sizeof(arn));
        json_t *tags = tags_list(ctx, arn, err);
        if (!tags) {
            json_decref(j);
            return NULL;
        }
        resource_refs_set_tags(j, tags);
    }
    return j;
}

int task_save(struct op_ctx *ctx, struct task_row *row, bool agent_visible, struct error *err)
{
    if (agent_visible && store_task_next_seq(ctx->tx, &row->seq, err) < 0)
        return -1;
    json_int_t v = json_integer_value(json_object_get(row->doc, "version"));
    json_object_set_new(row->doc, "version", json_integer(v + 1));
    /* Cloud Map and the load balancers see the task's state in the same
     * transaction. */
    if (service_registries_sync(ctx, row, err) < 0 || service_load_balancers_sync(ctx, row, err) < 0)
        return -1;
    return store_task_put(ctx->tx, row, err);
}

void task_doc_time_once(json_t *doc, const char *key, double when)
{
    if (!json_object_get(doc, key))
        json_object_set_new(doc, key, json_real(when));
}

int task_request_stop(struct op_ctx *ctx, struct task_row *row, const char *stop_code, const char *reason,
                      struct error *err)
{
    if (task_status_is(row->desired_status, TASK_STATUS_STOPPED))
        return 0;
    snprintf(row->desired_status, sizeof(row->desired_status), "%s", task_status_name(TASK_STATUS_STOPPED));
    json_object_set_new(row->doc, "stopCode", json_string(stop_code));
    json_object_set_new(row->doc, "stoppedReason", json_string(reason));
    task_doc_time_once(row->doc, "stoppingAt", time_to_epoch_seconds(ctx->now));
    return task_save(ctx, row, true, err);
}

int task_resolve_request(struct op_ctx *ctx, json_t *in, struct cluster_row *ret_cluster, struct task_row *ret_task,
                         struct error *err)
{
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, ret_cluster, err) < 0)
        return -1;
    return task_resolve(ctx, ret_cluster, json_string_value(json_object_get(in, "task")), ret_task, err);
}
