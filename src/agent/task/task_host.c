/* task_host.c - the host side of a task before its containers run: the
 * task cgroup (the task's cpu and memory), its volumes (task_volumes.c) and
 * its network (network.c), whose awsvpc attachment is reported at once.
 * Tearing them down is task_stop.c's. */
#include "agent/task/task_host.h"

#include <stdlib.h>

#include "common/proto.h"
#include "agent/reporter.h"
#include "agent/task/task_endpoint.h"

static int64_t task_size(json_t *task, const char *key)
{
    const char *s = json_string_value(json_object_get(task, key));
    if (!s)
        s = json_string_value(json_object_get(json_object_get(task, "taskDefinition"), key));
    return s ? strtoll(s, NULL, 10) : 0;
}

/* The task's network (network.c), before its first container starts; the
 * ENI attachment of an awsvpc task is reported at once (BerthAgent
 * ReportAttachments: SubmitTaskStateChange's model has no room for it). */
static int setup_network(struct task_runner *t, struct error *err)
{
    json_t **defs = calloc(t->nctrs ? t->nctrs : 1, sizeof(*defs));
    if (!defs)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < t->nctrs; i++)
        defs[i] = t->ctrs[i].def;
    int r = network_task_setup(t->env->net, t->id, t->task, defs, t->nctrs, &t->net, err);
    free(defs);
    if (r < 0)
        return -1;
    json_t *att = network_attachments_json(t->net);
    if (!att)
        return 0;
    json_t *ctrs = json_array();
    for (size_t i = 0; i < t->nctrs; i++)
        json_array_append_new(ctrs, json_pack("{s:s, s:o}", "containerName", t->ctrs[i].name, "networkInterfaces",
                                              network_interfaces_json(t->net, i)));
    json_t *body = json_pack("{s:s, s:s, s:o, s:o}", "cluster", t->env->agent->cfg.cluster, "task", t->arn,
                             "attachments", att, "containers", ctrs);
    reporter_send(t->env->agent->reporter, PROTO_AGENT_TARGET, PROTO_REPORT_ATTACHMENTS, body);
    return 0;
}

int task_host_prepare(struct task_runner *t, struct task_volumes *vols, bool *ret_network_failed, struct error *err)
{
    *ret_network_failed = false;
    if (cgroups_task_create(&t->env->rt.cg, t->id, task_size(t->task, "memory"), task_size(t->task, "cpu"), err) < 0 ||
        task_volumes_prepare(t, vols, err) < 0)
        return -1;
    runner_mark(t, MARK_CGROUP);
    bool any_running = false;
    for (size_t i = 0; i < t->nctrs; i++)
        any_running |= t->ctrs[i].state == CTR_RUNNING;
    /* Adopted before any container ran: the agent may have died halfway
     * through building the network, so build it again from scratch. */
    if (t->net && t->adopt && !any_running) {
        network_task_teardown(t->env->net, t->net);
        t->net = NULL;
    }
    /* An adopted task without a plan and with running containers predates
     * network setup: leave it as it is. */
    if (!t->net && !(t->adopt && any_running) && setup_network(t, err) < 0) {
        *ret_network_failed = true;
        return -1;
    }
    runner_mark(t, MARK_NETWORK);
    task_endpoint_note_network(t);
    return 0;
}
