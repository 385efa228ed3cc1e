/* agent_poll.c - BerthAgent.PollTasks, the agent's long-poll for the tasks
 * assigned to its instance (or to all the instances of one agent) that
 * changed since a version, with what it needs to run them.  A poll is also
 * how the server hears that an agent is alive.
 *
 * What agents report back is task_reports.c. */
#include "server/ecs/agent_poll.h"

#include <string.h>

#include "common/cleanup.h"
#include "common/proto.h"
#include "server/ecs/agent_identity.h"
#include "server/ecs/clusters.h"
#include "server/ecs/ecs_limits.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/instances.h"
#include "server/ecs/liveness.h"
#include "server/ecs/service_load_balancers.h"
#include "server/ecs/tasks.h"
#include "server/store/store_exec.h"

/* The tasks with these ids as the agent wants them (with the task
 * definition and berth's seq); *max_seq is raised to the highest seq. */
static int agent_poll_json(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *ids, json_t *tasks,
                           json_int_t *max_seq, struct error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        _cleanup_(task_row_clear) struct task_row row = {0};
        int r = store_task_get_by_id(ctx->tx, json_integer_value(v), &row, err);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        json_t *j = task_json(ctx, cluster, &row, false, err);
        if (!j)
            return -1;
        json_t *berth = json_object_get(row.doc, "berth");
        json_object_set(j, "taskDefinition", json_object_get(berth, "taskDefinition"));
        if (json_object_get(berth, "networkConfiguration"))
            json_object_set(j, "networkConfiguration", json_object_get(berth, "networkConfiguration"));
        if (json_object_get(berth, PROTO_STOP_DEADLINE))
            json_object_set(j, PROTO_STOP_DEADLINE, json_object_get(berth, PROTO_STOP_DEADLINE));
        json_object_set_new(j, "seq", json_integer(row.seq));
        /* The agent routes a task to its instance, Fargate's included. */
        json_object_set(j, "containerInstanceArn", json_object_get(row.doc, "containerInstanceArn"));
        /* Its targets are draining: the agent stops it once they have
         * (service_load_balancers_release makes it look again). */
        if (service_load_balancers_draining(&row, ctx->now)) {
            json_object_set_new(j, "desiredStatus", json_string("RUNNING"));
            json_object_set_new(j, "lastStatus", json_string(row.last_status));
        }
        json_array_append_new(tasks, j);
        if (row.seq > *max_seq)
            *max_seq = row.seq;
    }
    return 0;
}

/* The bulk form: every instance of the cluster carrying the attribute
 * berth.agent-id = agentId (what `berth agent --hollow N` registers) is
 * heard from, and the changes on any of them come back in one answer, so
 * one agent needs one long-poll however many instances it runs. */
static int agent_poll_bulk(struct op_ctx *ctx, const struct cluster_row *cluster, const char *agent_id,
                           json_int_t since, json_int_t wait, json_t *out, json_int_t *max_seq, struct error *err)
{
    _cleanup_json_ json_t *ids = json_array();
    if (store_task_changed_since_agent(ctx->tx, cluster->id, PROTO_AGENT_ID_ATTRIBUTE, agent_id, since,
                                       POLL_BULK_MAX_TASKS, ids, err) < 0)
        return -1;
    /* Heard from all of them: a few times per agent timeout, not at every
     * poll nor at each wake-up (every commit) while it waits, which at
     * thousands of instances cost more than the rest of the poll.  A poll
     * answered at once holds the agent for no time: only one that will
     * wait (nothing changed) needs the touch to outlast its wait. */
    usec_t hold = json_array_size(ids) == 0 ? (usec_t)wait * USEC_PER_SEC : 0;
    _cleanup_json_ json_t *inst_ids = json_array();
    if (!ctx->rerun && liveness_bulk_due(ecs_of(ctx)->liveness, cluster->id, agent_id, ctx->now, hold)) {
        if (store_instance_ids_by_attr(ctx->tx, cluster->id, PROTO_AGENT_ID_ATTRIBUTE, agent_id, inst_ids, err) < 0)
            return -1;
        size_t i;
        json_t *v;
        json_array_foreach(inst_ids, i, v) {
            liveness_touch(ecs_of(ctx)->liveness, json_integer_value(v), ctx->now);
        }
    }
    json_t *tasks = json_array();
    json_object_set_new(out, "tasks", tasks);
    if (agent_poll_json(ctx, cluster, ids, tasks, max_seq, err) < 0)
        return -1;
    if (json_array_size(ids) < POLL_BULK_MAX_TASKS) {
        /* Nothing more for this agent up to the current seq: move past the
         * other agents' changes too, or every later poll would walk them
         * again. */
        int64_t cur = 0;
        if (store_task_current_seq(ctx->tx, &cur, err) < 0)
            return -1;
        if (cur > *max_seq)
            *max_seq = cur;
    }
    return 0;
}

/* BerthAgent.PollTasks {cluster, containerInstance | agentId, since,
 * waitSeconds}: the tasks on this instance (or on any instance of this
 * agent) that changed after `since`, with what the agent needs to run
 * them.  Waits up to waitSeconds (max 30) for a change. */
int action_berth_poll_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(instance_row_clear) struct instance_row inst = {0};
    if (!json_is_object(in))
        return error_set(err, ERR_INVALID, "Request body must be an object.");
    json_t *since_j = json_object_get(in, "since");
    json_t *wait_j = json_object_get(in, "waitSeconds");
    json_t *agent_j = json_object_get(in, "agentId");
    if ((since_j && !json_is_integer(since_j)) || (wait_j && !json_is_integer(wait_j)))
        return error_set(err, ERR_INVALID, "since and waitSeconds must be integers.");
    if (agent_j && (!json_is_string(agent_j) || json_string_length(agent_j) == 0 || json_string_length(agent_j) > 128))
        return error_set(err, ERR_INVALID, "agentId must be a string of 1-128 characters.");
    if (!agent_j && !json_is_string(json_object_get(in, "containerInstance")))
        return error_set(err, ERR_INVALID, "containerInstance or agentId is required.");
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    json_int_t since = json_integer_value(since_j);
    json_int_t wait = json_integer_value(wait_j);
    if (wait < 0)
        wait = 0;
    if (wait > 30)
        wait = 30;
    json_int_t max_seq = since;
    /* An instance principal polls for itself alone: never in bulk. */
    const char *inst_ref =
        agent_j ? json_string_value(agent_j) : json_string_value(json_object_get(in, "containerInstance"));
    if (agent_identity_allow_instance(ctx, &cluster, inst_ref, err) < 0)
        return -1;
    if (agent_j) {
        if (agent_poll_bulk(ctx, &cluster, json_string_value(agent_j), since, wait, out, &max_seq, err) < 0)
            return -1;
    } else {
        if (instance_resolve(ctx, &cluster, inst_ref, &inst, err) < 0)
            return -1;
        if (strcmp(inst.status, "INACTIVE") == 0)
            return error_set(err, API_ERR_CLIENT, "Container instance %s is INACTIVE (deregistered).", inst.uuid);
        liveness_touch(ecs_of(ctx)->liveness, inst.id, ctx->now);
        _cleanup_json_ json_t *ids = json_array();
        if (store_task_changed_since(ctx->tx, inst.id, since, 100, ids, err) < 0)
            return -1;
        json_t *tasks = json_array();
        json_object_set_new(out, "tasks", tasks);
        json_object_set_new(out, "instanceStatus", json_string(inst.status));
        if (agent_poll_json(ctx, &cluster, ids, tasks, &max_seq, err) < 0)
            return -1;
        /* ECS Exec sessions for this instance's agent to open, after the
         * agent's execSince: from the store, as the session may live on
         * another server of the group (store_exec.h). */
        _cleanup_json_ json_t *sessions = json_array();
        json_int_t exec_since = json_integer_value(json_object_get(in, "execSince"));
        int64_t exec_max = exec_since;
        if (!sessions)
            return error_set(err, ERR_INTERNAL, "out of memory");
        if (store_exec_list(ctx->tx, inst.id, exec_since, ctx->now, LIMIT_EXEC_SESSIONS, sessions, &exec_max, err) < 0)
            return -1;
        json_object_set_new(out, "execSince", json_integer(exec_max));
        if (json_array_size(sessions) > 0)
            json_object_set_new(out, "execSessions", TAKE_PTR(sessions));
    }
    json_object_set_new(out, "since", json_integer(max_seq));
    if (json_array_size(json_object_get(out, "tasks")) == 0 && !json_object_get(out, "execSessions") && wait > 0) {
        ctx->wait_until = time_monotonic() + wait * USEC_PER_SEC;
        return API_WAIT;
    }
    return 0;
}
