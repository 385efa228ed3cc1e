/* task_reports.c - what agents report about their tasks: the ECS calls
 * SubmitTaskStateChange and SubmitContainerStateChange, and berth's own
 * ReportHealth and ReportAttachments.  A report moves a task's status
 * forward only, keeping the instance's counters and reservations exact.
 *
 * Users' and the scheduler's requests (StopTask) are not reports: see
 * task_actions.c and tasks.c. */
#include "server/ecs/task_reports.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/task_status.h"
#include "server/ecs/agent_identity.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/liveness.h"
#include "server/ecs/tasks.h"
#include "server/http/service_model.h"
#include "server/logs/logs.h"
#include "server/store/store_instances.h"

/* Move a task's lastStatus forward (reports may arrive late or twice: a
 * status at or before the current one is ignored), keeping the instance's
 * counters and reservations exact. */
static int task_advance(struct op_ctx *ctx, struct task_row *row, const char *status, const char *reason,
                        struct error *err)
{
    enum task_status from = task_status_parse(row->last_status), to = task_status_parse(status);
    if (to == TASK_STATUS_UNKNOWN)
        return error_set(err, ERR_INVALID, "Invalid task status '%.40s'.", status);
    if (to <= from)
        return 0;
    double now = time_to_epoch_seconds(ctx->now);
    snprintf(row->last_status, sizeof(row->last_status), "%s", status);
    if (to >= TASK_STATUS_RUNNING && to < TASK_STATUS_STOPPED)
        task_doc_time_once(row->doc, "startedAt", now);
    if (to >= TASK_STATUS_RUNNING)
        task_doc_time_once(row->doc, "connectivityAt", now);
    if (to > TASK_STATUS_RUNNING)
        task_doc_time_once(row->doc, "stoppingAt", now);
    /* The instance counts its pending and running tasks. */
    int d_running = (to == TASK_STATUS_RUNNING) - (from == TASK_STATUS_RUNNING);
    int d_pending = task_status_is_pending(to) - task_status_is_pending(from);
    int64_t d_cpu = 0, d_mem = 0;
    if (to == TASK_STATUS_STOPPED) {
        row->stopped_at = ctx->now;
        json_object_set_new(row->doc, "stoppedAt", json_real(now));
        /* The agent removed the task's interface with the task. */
        size_t ai;
        json_t *att;
        json_array_foreach(json_object_get(row->doc, "attachments"), ai, att)
            json_object_set_new(att, "status", json_string("DELETED"));
        task_doc_time_once(row->doc, "executionStoppedAt", now);
        if (!task_status_is(row->desired_status, TASK_STATUS_STOPPED)) {
            /* The task stopped on its own: say why, as ECS does. */
            bool failed_start =
                reason && (strstr(reason, "CannotPullContainerError") || strstr(reason, "CannotStartContainerError") ||
                           strstr(reason, "CannotCreateContainerError") || from < TASK_STATUS_RUNNING);
            json_object_set_new(row->doc, "stopCode",
                                json_string(failed_start ? "TaskFailedToStart" : "EssentialContainerExited"));
            json_object_set_new(row->doc, "stoppedReason",
                                json_string(reason ? reason : "Essential container in task exited"));
            snprintf(row->desired_status, sizeof(row->desired_status), "%s", task_status_name(TASK_STATUS_STOPPED));
        }
        if (row->holds_resources) {
            d_cpu = -row->res_cpu;
            d_mem = -row->res_memory;
            row->holds_resources = false;
            if (store_ports_release_task(ctx->tx, row->id, err) < 0)
                return -1;
        }
    }
    if (row->instance_id && (d_running || d_pending || d_cpu || d_mem) &&
        store_instance_adjust(ctx->tx, row->instance_id, d_cpu, d_mem, d_running, d_pending, err) < 0)
        return -1;
    return 0;
}

static json_t *find_container(json_t *doc, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "containers"), i, c) {
        if (name && strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    }
    return NULL;
}

/* A container's status: PENDING, RUNNING or STOPPED; anything else is
 * UNKNOWN (containers have no other statuses). */
static enum task_status container_status(const char *s)
{
    enum task_status st = task_status_parse(s);
    if (st != TASK_STATUS_PENDING && st != TASK_STATUS_RUNNING && st != TASK_STATUS_STOPPED)
        return TASK_STATUS_UNKNOWN;
    return st;
}

/* Apply one ContainerStateChange (or the members of a
 * SubmitContainerStateChange) to the task document. */
static int container_update(json_t *doc, json_t *change, const char *name_key, struct error *err)
{
    const char *name = json_string_value(json_object_get(change, name_key));
    json_t *c = find_container(doc, name);
    if (!c)
        return error_set(err, ERR_INVALID, "Unknown container '%.255s' in task.", name ? name : "(null)");
    const char *status = json_string_value(json_object_get(change, "status"));
    if (status) {
        enum task_status cur = container_status(json_string_value(json_object_get(c, "lastStatus")));
        enum task_status next = container_status(status);
        if (next == TASK_STATUS_UNKNOWN)
            return error_set(err, ERR_INVALID, "Invalid container status '%.40s'.", status);
        if (next > cur)
            json_object_set_new(c, "lastStatus", json_string(status));
    }
    static const char *const copied[] = {"exitCode", "reason", "runtimeId", "imageDigest", "networkBindings"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++) {
        json_t *v = json_object_get(change, copied[i]);
        if (v)
            json_object_set(c, copied[i], v);
    }
    return 0;
}

/* Host ports the agent chose (dynamic bridge ports) become reservations of
 * the task on its instance, in the same transaction as the report, so that
 * placement and remainingResources see them; task_advance releases them
 * with the task's other resources. */
static int reserve_bindings(struct op_ctx *ctx, struct task_row *task, json_t *change, struct error *err)
{
    if (!task->holds_resources || !task->instance_id)
        return 0;
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(change, "networkBindings"), i, b) {
        json_int_t port = json_integer_value(json_object_get(b, "hostPort"));
        const char *proto = json_string_value(json_object_get(b, "protocol"));
        if (port < 1 || port > 65535)
            continue;
        if (store_port_reserve(ctx->tx, task->instance_id, proto && strcmp(proto, "udp") == 0 ? "udp" : "tcp",
                               (int)port, task->id, err) < 0)
            return -1;
    }
    return 0;
}

/* The task a report is about, which must be on the reporting instance
 * when an instance principal reports. */
static int report_task_resolve(struct op_ctx *ctx, json_t *in, struct cluster_row *ret_cluster,
                               struct task_row *ret_task, struct error *err)
{
    if (task_resolve_request(ctx, in, ret_cluster, ret_task, err) < 0)
        return -1;
    return agent_identity_allow_task(ctx, ret_cluster, ret_task, err);
}

/* Store what a report changed and acknowledge it.  The agent needs no
 * word of it (it made the report), but of STOPPED: it keeps a finished
 * task's runner, so that a late answer cannot start the task again, until
 * a poll shows the server has it STOPPED. */
static int save_and_ack(struct op_ctx *ctx, struct task_row *task, json_t *out, struct error *err)
{
    if (task_save(ctx, task, task_status_is(task->last_status, TASK_STATUS_STOPPED), err) < 0)
        return -1;
    json_object_set_new(out, "acknowledgment", json_string("ACK"));
    return 0;
}

int action_submit_task_state_change(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (report_task_resolve(ctx, in, &cluster, &task, err) < 0)
        return -1;
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(in, "containers"), i, ch) {
        if (container_update(task.doc, ch, "containerName", err) < 0 || reserve_bindings(ctx, &task, ch, err) < 0)
            return -1;
    }
    static const char *const times[] = {"pullStartedAt", "pullStoppedAt", "executionStoppedAt"};
    for (size_t k = 0; k < ELEMENTSOF(times); k++) {
        json_t *v = json_object_get(in, times[k]);
        if (json_is_number(v))
            json_object_set(task.doc, times[k], v);
    }
    const char *status = json_string_value(json_object_get(in, "status"));
    if (status && task_advance(ctx, &task, status, json_string_value(json_object_get(in, "reason")), err) < 0)
        return -1;
    if (save_and_ack(ctx, &task, out, err) < 0)
        return -1;
    if (task.instance_id)
        liveness_touch(ecs_of(ctx)->liveness, task.instance_id, ctx->now);
    return 0;
}

int action_submit_container_state_change(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (report_task_resolve(ctx, in, &cluster, &task, err) < 0)
        return -1;
    if (container_update(task.doc, in, "containerName", err) < 0 || reserve_bindings(ctx, &task, in, err) < 0)
        return -1;
    return save_and_ack(ctx, &task, out, err);
}

static bool health_status_valid(const char *h)
{
    static const char *const valid[] = {"HEALTHY", "UNHEALTHY", "UNKNOWN"};
    for (size_t k = 0; k < ELEMENTSOF(valid) && h; k++)
        if (strcmp(valid[k], h) == 0)
            return true;
    return false;
}

int action_berth_report_health(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (!json_is_object(in) || report_task_resolve(ctx, in, &cluster, &task, err) < 0)
        return -1;
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(in, "containers"), i, ch) {
        json_t *c = find_container(task.doc, json_string_value(json_object_get(ch, "containerName")));
        const char *h = json_string_value(json_object_get(ch, "healthStatus"));
        if (!c || !health_status_valid(h))
            return error_set(err, ERR_INVALID, "Invalid container health report.");
        json_object_set_new(c, "healthStatus", json_string(h));
    }
    /* The task's own status is stored and shown to clients too: the same
     * three values as a container's, not whatever string came in. */
    json_t *th = json_object_get(in, "healthStatus");
    if (th) {
        const char *h = json_string_value(th);
        if (!health_status_valid(h))
            return error_set(err, ERR_INVALID, "Invalid task health report.");
        json_object_set_new(task.doc, "healthStatus", json_string(h));
    }
    return save_and_ack(ctx, &task, out, err);
}

/* BerthAgent.ReportAttachments {cluster, task, attachments, containers:
 * [{containerName, networkInterfaces}]}: what the agent set up for an
 * awsvpc task (the ENI attachment and each container's interface).
 * SubmitTaskStateChange's model carries only attachment ARN and status. */
int action_berth_report_attachments(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (!json_is_object(in) || report_task_resolve(ctx, in, &cluster, &task, err) < 0)
        return -1;
    json_t *att = json_object_get(in, "attachments");
    if (!json_is_array(att) || json_array_size(att) > 10)
        return error_set(err, ERR_INVALID, "attachments must be a list of at most 10.");
    /* What is stored here is echoed by DescribeTasks: it must have ECS's
     * shapes, or clients that parse by the model would fail on it. */
    if (service_model_validate(ecs_of(ctx)->model, "Attachments", att, err) < 0)
        return error_prefix(err, "attachments");
    size_t i;
    json_t *a;
    json_array_foreach(att, i, a) {
        if (!json_is_string(json_object_get(a, "id")) || !json_is_string(json_object_get(a, "type")) ||
            !json_is_array(json_object_get(a, "details")))
            return error_set(err, ERR_INVALID, "An attachment needs id, type and details.");
    }
    json_t *ch;
    json_array_foreach(json_object_get(in, "containers"), i, ch) {
        json_t *c = find_container(task.doc, json_string_value(json_object_get(ch, "containerName")));
        json_t *ni = json_object_get(ch, "networkInterfaces");
        if (!c || !json_is_array(ni))
            return error_set(err, ERR_INVALID, "Invalid container network report.");
        if (service_model_validate(ecs_of(ctx)->model, "NetworkInterfaces", ni, err) < 0)
            return error_prefix(err, "containers[%zu].networkInterfaces", i);
        json_object_set(c, "networkInterfaces", ni);
    }
    json_object_set(task.doc, "attachments", att);
    return save_and_ack(ctx, &task, out, err);
}

/* BerthAgent.PutLogEvents: the Logs service's idempotent upload, once an
 * instance principal is known to ship its own task's stream. */
int action_berth_ship_logs(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    if (agent_identity_allow_log_stream(ctx, json_string_value(json_object_get(in, "logStreamName")), err) < 0)
        return -1;
    return action_berth_put_log_events(ctx, in, out, err);
}
