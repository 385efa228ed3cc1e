/* task_actions.c - the API actions on tasks users call: StartTask (on named
 * instances), StopTask, DescribeTasks and ListTasks.
 *
 * RunTask, which places tasks, is runtask.c; the agents' calls are
 * task_reports.c and agent_poll.c. */
#include "server/ecs/task_actions.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/task_status.h"
#include "server/ecs/arn.h"
#include "server/ecs/clusters.h"
#include "server/ecs/describe.h"
#include "server/ecs/instances.h"
#include "server/ecs/list_arns.h"
#include "server/ecs/resource_refs.h"
#include "server/ecs/task_create.h"
#include "server/ecs/taskdefs.h"
#include "server/ecs/tasks.h"
#include "server/http/http_limits.h"
#include "server/http/paging.h"

int action_stop_task(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (task_resolve_request(ctx, in, &cluster, &task, err) < 0)
        return -1;
    const char *reason = json_string_value(json_object_get(in, "reason"));
    if (task_request_stop(ctx, &task, "UserInitiated", reason ? reason : "Task stopped by user", err) < 0)
        return -1;
    json_t *j = task_json(ctx, &cluster, &task, false, err);
    if (!j)
        return -1;
    json_object_set_new(out, "task", j);
    return 0;
}

static int describe_find(const struct describe *d, const char *ref, json_t **ret_json, struct error *err)
{
    const char *id = resource_refs_id(ref);
    _cleanup_(task_row_clear) struct task_row row = {0};
    int r = resource_refs_is_id32(id) ? store_task_get(d->ctx->tx, d->cluster->id, id, &row, err) : 0;
    if (r <= 0)
        return r;
    *ret_json = task_json(d->ctx, d->cluster, &row, d->with_tags, err);
    return *ret_json ? 1 : -1;
}

static void describe_missing(const struct describe *d, const char *ref, json_t *failures)
{
    /* ECS names a missing bare id without its cluster. */
    char arn[700];
    if (!arn_format_buf(arn, sizeof(arn), d->ctx, "task", ref))
        snprintf(arn, sizeof(arn), "%s", ref);
    resource_refs_add_missing(failures, ref, arn);
}

static const struct describe_kind describe_kind = {
    "tasks", "tasks", 100, describe_find, describe_missing, "Tasks cannot be empty.", ERR_INVALID,
};

int action_describe_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    return describe_in_cluster(ctx, in, &describe_kind, out, err);
}

int action_list_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    struct task_filter f = {
        .desired_status = json_string_value(json_object_get(in, "desiredStatus")),
        .family = json_string_value(json_object_get(in, "family")),
        .started_by = json_string_value(json_object_get(in, "startedBy")),
        .service_name = json_string_value(json_object_get(in, "serviceName")),
        .launch_type = json_string_value(json_object_get(in, "launchType")),
    };
    /* ECS: PENDING tasks have desired status RUNNING */
    if (!f.desired_status || task_status_is(f.desired_status, TASK_STATUS_PENDING))
        f.desired_status = task_status_name(TASK_STATUS_RUNNING);
    const char *ci = json_string_value(json_object_get(in, "containerInstance"));
    if (ci) {
        _cleanup_(instance_row_clear) struct instance_row inst = {0};
        if (instance_resolve(ctx, &cluster, ci, &inst, err) < 0)
            return -1;
        f.instance_id = inst.id;
    }
    if (f.service_name && strncmp(f.service_name, "arn:", 4) == 0) {
        const char *slash = strrchr(f.service_name, '/');
        f.service_name = slash ? slash + 1 : f.service_name;
    }
    struct page page;
    if (page_begin(in, "ListTasks", LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &page, err) < 0)
        return -1;
    _cleanup_json_ json_t *uuids = json_array();
    bool more = false;
    int r = store_task_list(ctx->tx, cluster.id, &f, page.after, page.limit, uuids, &more, err);
    page_free(&page);
    if (r < 0)
        return -1;
    list_arns_answer(ctx, cluster.name, uuids, more, task_arn, "taskArns", "ListTasks", out);
    return 0;
}

int action_start_task(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(json_decrefp) json_t *taskdef = NULL;
    /* The instances must be the cluster's: a missing default cluster is not made. */
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    json_t *refs = json_object_get(in, "containerInstances");
    if (json_array_size(refs) < 1)
        return error_set(err, API_ERR_CLIENT, "Container Instances cannot be empty.");
    if (json_array_size(refs) > 10)
        return error_set(err, ERR_INVALID, "containerInstances must name between 1 and 10 instances.");
    if (taskdef_resolve(ctx, json_string_value(json_object_get(in, "taskDefinition")), true, &taskdef, err) < 0)
        return -1;
    struct task_spec spec;
    char group[300];
    struct task_needs needs;
    if (task_spec_from_request(ctx, in, taskdef, &spec, group, sizeof(group), err) < 0 ||
        task_needs_compute(taskdef, spec.overrides, &needs, err) < 0)
        return -1;
    json_t *tasks = json_array(), *failures = json_array();
    json_object_set_new(out, "tasks", tasks);
    json_object_set_new(out, "failures", failures);
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v) {
        _cleanup_(instance_row_clear) struct instance_row inst = {0};
        const char *ref = json_string_value(v);
        if (instance_resolve(ctx, &cluster, ref, &inst, err) < 0) {
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", ref, "reason", "MISSING"));
            continue;
        }
        int e = 0;
        const char *why = task_misfit(ctx, &inst, &needs, err, &e);
        if (e < 0)
            return -1;
        char iarn[600];
        instance_arn(ctx, cluster.name, inst.uuid, iarn, sizeof(iarn));
        if (why) {
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", iarn, "reason", why));
            continue;
        }
        _cleanup_(task_row_clear) struct task_row row = {0};
        if (task_create(ctx, &cluster, &(struct task_host){.inst = &inst}, &spec, &needs, &row, err) < 0)
            return -1;
        json_t *j = task_json(ctx, &cluster, &row, false, err);
        if (!j)
            return -1;
        json_array_append_new(tasks, j);
    }
    return 0;
}
