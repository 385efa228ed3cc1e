/* task_report.c - a task's status for the server (SubmitTaskStateChange
 * through agent_report_task) with its containers' states.  Health and
 * network attachments are reported by task_health.c and task_host.c. */
#include "agent/task/task_report.h"

static enum task_status ctr_status(enum ctr_state s)
{
    return s == CTR_RUNNING ? TASK_STATUS_RUNNING : s == CTR_PENDING ? TASK_STATUS_PENDING : TASK_STATUS_STOPPED;
}

/* The containers' states as SubmitTaskStateChange wants them. */
static json_t *containers_report(struct task_runner *t)
{
    json_t *list = json_array();
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        json_t *r = json_pack("{s:s, s:s}", "containerName", c->name, "status", task_status_name(ctr_status(c->state)));
        if (c->state != CTR_PENDING && c->state != CTR_NOT_STARTED)
            json_object_set_new(r, "runtimeId", json_string(c->id));
        if (c->image_digest[0])
            json_object_set_new(r, "imageDigest", json_string(c->image_digest));
        if (c->state == CTR_EXITED)
            json_object_set_new(r, "exitCode", json_integer(c->exit_code));
        if (c->reason[0])
            json_object_set_new(r, "reason", json_string(c->reason));
        json_t *nb = c->state == CTR_RUNNING ? network_bindings_json(t->net, i) : NULL;
        if (nb)
            json_object_set_new(r, "networkBindings", nb);
        json_array_append_new(list, r);
    }
    return list;
}

void task_report(struct task_runner *t, enum task_status status, const char *reason, json_t *extra)
{
    agent_report_task(t->inst, t->arn, status, reason, containers_report(t), extra);
}
