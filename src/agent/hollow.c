/* hollow.c - the hollow runner (after kubemark): tasks are acknowledged as
 * if they ran, with no containers.  A new task is reported RUNNING with
 * every container RUNNING; a task the server wants stopped is reported
 * STOPPED with exit code 0.  Used for scale tests and the scheduler
 * benchmark; registration, polling and reporting are the real agent's.
 * With --hollow-fail-family, tasks of that family (or family:revision)
 * "crash" at once: STOPPED with exit code 1, never RUNNING. */
#include <string.h>

#include "agent/agent.h"

static json_t *containers_report(json_t *task, enum task_status status, bool with_exit, int exit_code)
{
    json_t *list = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(task, "containers"), i, c) {
        json_t *r =
            json_pack("{s:O, s:s}", "containerName", json_object_get(c, "name"), "status", task_status_name(status));
        if (with_exit)
            json_object_set_new(r, "exitCode", json_integer(exit_code));
        else
            json_object_set_new(r, "runtimeId", json_string("hollow"));
        json_array_append_new(list, r);
    }
    return list;
}

/* Whether the task's definition is the one told to fail. */
static bool told_to_fail(const struct agent_instance *inst, json_t *task)
{
    const char *want = inst->agent->cfg.hollow_fail_family;
    const char *arn = json_string_value(json_object_get(task, "taskDefinitionArn"));
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    if (!*want || !slash)
        return false;
    const char *have = slash + 1; /* family:revision */
    if (strchr(want, ':'))
        return strcmp(have, want) == 0;
    size_t n = strlen(want);
    return strncmp(have, want, n) == 0 && have[n] == ':';
}

static void hollow_task_changed(struct agent_instance *inst, json_t *task)
{
    const char *arn = json_string_value(json_object_get(task, "taskArn"));
    const char *desired_s = json_string_value(json_object_get(task, "desiredStatus"));
    const char *last_s = json_string_value(json_object_get(task, "lastStatus"));
    if (!arn || !desired_s || !last_s)
        return;
    enum task_status desired = task_status_parse(desired_s), last = task_status_parse(last_s);
    if (last == TASK_STATUS_STOPPED)
        return;
    if (desired == TASK_STATUS_RUNNING) {
        if (told_to_fail(inst, task))
            agent_report_task(inst, arn, TASK_STATUS_STOPPED, "Essential container in task exited",
                              containers_report(task, TASK_STATUS_STOPPED, true, 1), NULL);
        else if (last != TASK_STATUS_RUNNING)
            agent_report_task(inst, arn, TASK_STATUS_RUNNING, NULL,
                              containers_report(task, TASK_STATUS_RUNNING, false, 0), NULL);
        return;
    }
    agent_report_task(inst, arn, TASK_STATUS_STOPPED, NULL, containers_report(task, TASK_STATUS_STOPPED, true, 0),
                      NULL);
}

const struct runner_ops hollow_runner = {
    .name = "hollow",
    .task_changed = hollow_task_changed,
};
