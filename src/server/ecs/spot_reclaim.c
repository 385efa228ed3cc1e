/* spot_reclaim.c - ReclaimInstance, berth's operator call behind
 * `berth instance reclaim` (see spot_reclaim.h).  It only marks tasks:
 * the agent sees desiredStatus STOPPED on its long-poll and stops the
 * containers within the deadline the task's private document carries
 * (agent_poll.c passes it on); the service scheduler replaces the tasks as
 * it replaces any that stop. */
#include "server/ecs/spot_reclaim.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/task_status.h"
#include "server/ecs/clusters.h"
#include "server/ecs/fargate.h"
#include "server/ecs/instances.h"
#include "server/ecs/tasks.h"
#include "server/http/http_limits.h"
#include "server/store/store_tasks.h"

static int is_fargate_instance(struct op_ctx *ctx, const struct instance_row *inst, bool *ret, struct error *err)
{
    _cleanup_json_ json_t *attrs = json_array();
    if (store_attrs_get(ctx->tx, inst->cluster_id, "container-instance", inst->uuid, attrs, err) < 0)
        return -1;
    *ret = false;
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        const char *name = json_string_value(json_object_get(a, "name"));
        const char *value = json_string_value(json_object_get(a, "value"));
        if (name && value && strcmp(name, FARGATE_ATTRIBUTE) == 0 && strcmp(value, "true") == 0)
            *ret = true;
    }
    return 0;
}

/* Interrupt one task if it runs on FARGATE_SPOT: appended to `tasks`. */
static int interrupt(struct op_ctx *ctx, const struct cluster_row *cluster, const char *uuid, json_int_t warning,
                     json_t *tasks, struct error *err)
{
    _cleanup_(task_row_clear) struct task_row row = {0};
    int r = store_task_get(ctx->tx, cluster->id, uuid, &row, err);
    if (r <= 0)
        return r;
    const char *cp = json_string_value(json_object_get(row.doc, "capacityProviderName"));
    if (!cp || strcmp(cp, "FARGATE_SPOT") != 0 || task_status_is(row.desired_status, TASK_STATUS_STOPPED))
        return 0;
    json_t *priv = json_object_get(row.doc, "berth");
    if (!json_is_object(priv)) {
        priv = json_object();
        json_object_set_new(row.doc, "berth", priv);
    }
    json_object_set_new(priv, SPOT_DEADLINE_KEY, json_integer(warning));
    if (task_request_stop(ctx, &row, SPOT_STOP_CODE, SPOT_STOPPED_REASON, err) < 0)
        return -1;
    json_t *j = task_json(ctx, cluster, &row, false, err);
    if (!j)
        return -1;
    json_array_append_new(tasks, j);
    return 0;
}

static int read_warning(json_t *in, json_int_t *ret, struct error *err)
{
    json_t *w = json_object_get(in, "warningSeconds");
    if (w && !json_is_integer(w))
        return error_set(err, ERR_INVALID, "warningSeconds must be an integer.");
    *ret = w ? json_integer_value(w) : SPOT_WARNING_SECONDS;
    if (*ret < 1 || *ret > SPOT_WARNING_SECONDS)
        return error_set(err, ERR_INVALID, "warningSeconds must be between 1 and %d.", SPOT_WARNING_SECONDS);
    return 0;
}

int action_berth_reclaim_instance(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    if (!json_is_object(in))
        return error_set(err, ERR_INVALID, "Request body must be an object.");
    json_t *ref = json_object_get(in, "containerInstance");
    if (!json_is_string(ref))
        return error_set(err, ERR_INVALID, "containerInstance is required.");
    json_int_t warning = 0;
    if (read_warning(in, &warning, err) < 0)
        return -1;
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(instance_row_clear) struct instance_row inst = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0 ||
        instance_resolve(ctx, &cluster, json_string_value(ref), &inst, err) < 0)
        return -1;
    bool fargate = false;
    if (is_fargate_instance(ctx, &inst, &fargate, err) < 0)
        return -1;
    if (!fargate)
        return error_set(err, ERR_INVALID,
                         "Container instance %s is not Fargate capacity (berth agent --fargate): only FARGATE_SPOT "
                         "tasks can be reclaimed.",
                         inst.uuid);
    struct task_filter f = {.desired_status = task_status_name(TASK_STATUS_RUNNING), .instance_id = inst.id};
    json_t *tasks = json_array();
    json_object_set_new(out, "tasks", tasks);
    char after[64] = "";
    for (bool more = true; more;) {
        _cleanup_json_ json_t *uuids = json_array();
        if (store_task_list(ctx->tx, cluster.id, &f, *after ? after : NULL, LIMIT_PAGE_MAX, uuids, &more, err) < 0)
            return -1;
        size_t i;
        json_t *u;
        json_array_foreach(uuids, i, u) {
            if (interrupt(ctx, &cluster, json_string_value(u), warning, tasks, err) < 0)
                return -1;
            snprintf(after, sizeof(after), "%s", json_string_value(u));
        }
        more = more && json_array_size(uuids) > 0;
    }
    char arn[600];
    instance_arn(ctx, cluster.name, inst.uuid, arn, sizeof(arn));
    json_object_set_new(out, "containerInstanceArn", json_string(arn));
    json_object_set_new(out, "warningSeconds", json_integer(warning));
    return 0;
}
