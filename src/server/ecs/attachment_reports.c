/* attachment_reports.c - SubmitAttachmentStateChanges, the ECS agent-side
 * call that moves a task attachment (an awsvpc task's network interface)
 * through its statuses.  An attachment is named by its ARN,
 * arn:aws:ecs:REGION:ACCOUNT:attachment/ID, where ID is the `id` that
 * DescribeTasks shows in the task's attachments.
 *
 * An instance principal may report only its own tasks' attachments (only
 * its tasks are searched, and agent_identity checks the task); other
 * callers need ecs:SubmitAttachmentStateChanges on the cluster.  All the
 * changes apply or none do: the dispatcher's transaction is the unit.
 *
 * What it does not do: create attachments (berth's agent reports them with
 * BerthAgent.ReportAttachments) or touch container instance attachments. */
#include "server/ecs/attachment_reports.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/agent_identity.h"
#include "server/ecs/arn.h"
#include "server/ecs/clusters.h"
#include "server/ecs/instances.h"
#include "server/ecs/tasks.h"
#include "server/http/http_limits.h"
#include "server/store/store_instances.h"
#include "server/store/store_tasks.h"

/* At most this many changes in one call (ECS does not say; bounded). */
#define ATTACHMENT_CHANGES_MAX 10
/* At most this many of the cluster's tasks are searched for one ID. */
#define ATTACHMENT_SEARCH_MAX 10000

static bool status_valid(const char *s)
{
    static const char *const valid[] = {"PRECREATED", "CREATED",  "ATTACHING", "ATTACHED",
                                        "DETACHING",  "DETACHED", "DELETED",   "FAILED"};
    for (size_t i = 0; i < ELEMENTSOF(valid) && s; i++)
        if (strcmp(valid[i], s) == 0)
            return true;
    return false;
}

/* The attachment in doc with this id, or NULL. */
static json_t *attachment_in(json_t *doc, const char *id)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(doc, "attachments"), i, a) {
        const char *aid = json_string_value(json_object_get(a, "id"));
        if (aid && strcmp(aid, id) == 0)
            return a;
    }
    return NULL;
}

/* Search the tasks with this desired status (on instance_id, or anywhere in
 * the cluster when 0) for the attachment id: 1 and *ret_task filled when
 * found, 0 when not. */
static int find_in(struct op_ctx *ctx, const struct cluster_row *cluster, int64_t instance_id, const char *desired,
                   const char *id, struct task_row *ret_task, struct error *err)
{
    struct task_filter f = {.desired_status = desired, .instance_id = instance_id};
    _cleanup_free_ char *after = NULL;
    for (size_t seen = 0; seen < ATTACHMENT_SEARCH_MAX;) {
        _cleanup_json_ json_t *uuids = json_array();
        bool more = false;
        if (!uuids)
            return error_set(err, ERR_INTERNAL, "out of memory");
        if (store_task_list(ctx->tx, cluster->id, &f, after, LIMIT_PAGE_MAX, uuids, &more, err) < 0)
            return -1;
        size_t i;
        json_t *u;
        json_array_foreach(uuids, i, u) {
            struct task_row row = {0};
            int r = store_task_get(ctx->tx, cluster->id, json_string_value(u), &row, err);
            if (r < 0)
                return -1;
            if (r > 0 && attachment_in(row.doc, id)) {
                *ret_task = row;
                return 1;
            }
            task_row_clear(&row);
        }
        seen += json_array_size(uuids);
        if (!more || json_array_size(uuids) == 0)
            break;
        free(after);
        after = strdup(json_string_value(json_array_get(uuids, json_array_size(uuids) - 1)));
        if (!after)
            return error_set(err, ERR_INTERNAL, "out of memory");
    }
    return 0;
}

/* The task holding the attachment named by arn_s. */
static int find_task(struct op_ctx *ctx, const struct cluster_row *cluster, const char *arn_s,
                     struct task_row *ret_task, struct error *err)
{
    struct arn a;
    if (!arn_s || !arn_parse(arn_s, &a) || strcmp(a.type, "attachment") != 0 || strchr(a.resource, '/'))
        return error_set(err, ERR_INVALID, "Invalid attachment ARN: %.300s", arn_s ? arn_s : "(none)");
    if (strcmp(a.region, ctx->region) != 0 || strcmp(a.account, ctx->account) != 0)
        return error_set(err, ERR_INVALID, "The attachment %.300s is not in this region and account.", arn_s);
    int64_t instance_id = 0;
    if (agent_identity_is_instance(ctx->caller)) {
        _cleanup_(instance_row_clear) struct instance_row inst = {0};
        if (instance_resolve(ctx, cluster, ctx->caller, &inst, err) < 0)
            return -1;
        instance_id = inst.id;
    }
    int r = find_in(ctx, cluster, instance_id, "RUNNING", a.resource, ret_task, err);
    if (r == 0)
        r = find_in(ctx, cluster, instance_id, "STOPPED", a.resource, ret_task, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID, "The attachment %.300s was not found in cluster %.255s.", arn_s,
                         cluster->name);
    return 0;
}

int action_submit_attachment_state_changes(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    json_t *changes = json_object_get(in, "attachments");
    if (json_array_size(changes) < 1 || json_array_size(changes) > ATTACHMENT_CHANGES_MAX)
        return error_set(err, ERR_INVALID, "attachments must list between 1 and %d attachment state changes.",
                         ATTACHMENT_CHANGES_MAX);
    size_t i;
    json_t *ch;
    json_array_foreach(changes, i, ch) {
        const char *status = json_string_value(json_object_get(ch, "status"));
        if (!status_valid(status))
            return error_set(err, ERR_INVALID, "attachments[%zu].status: invalid attachment status '%.40s'.", i,
                             status ? status : "");
        _cleanup_(task_row_clear) struct task_row task = {0};
        const char *arn_s = json_string_value(json_object_get(ch, "attachmentArn"));
        if (find_task(ctx, &cluster, arn_s, &task, err) < 0 || agent_identity_allow_task(ctx, &cluster, &task, err) < 0)
            return -1;
        json_t *att = attachment_in(task.doc, strrchr(arn_s, '/') + 1);
        json_object_set_new(att, "status", json_string(status));
        if (task_save(ctx, &task, false, err) < 0)
            return -1;
    }
    json_object_set_new(out, "acknowledgment", json_string("ACK"));
    return 0;
}
