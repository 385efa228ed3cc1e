/* hollow.c - the hollow runner (after kubemark): tasks are acknowledged as
 * if they ran, with no containers.  A new task is reported RUNNING with
 * every container RUNNING; a task the server wants stopped is reported
 * STOPPED with exit code 0.  Used for scale tests and the scheduler
 * benchmark; registration, polling and reporting are the real agent's.
 * With --hollow-fail-family, tasks of that family (or family:revision)
 * "crash" at once: STOPPED with exit code 1, never RUNNING. */
#include <string.h>

#include "agent/agent.h"

static json_t *containers_report(json_t *task, const char *status, bool with_exit, int exit_code)
{
    json_t *list = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(task, "containers"), i, c) {
        json_t *r = json_pack("{s:O, s:s}", "containerName", json_object_get(c, "name"), "status", status);
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
    const char *desired = json_string_value(json_object_get(task, "desiredStatus"));
    const char *last = json_string_value(json_object_get(task, "lastStatus"));
    if (!arn || !desired || !last || strcmp(last, "STOPPED") == 0)
        return;
    if (strcmp(desired, "RUNNING") == 0) {
        if (told_to_fail(inst, task))
            agent_report_task(inst, arn, "STOPPED", "Essential container in task exited",
                              containers_report(task, "STOPPED", true, 1), NULL);
        else if (strcmp(last, "RUNNING") != 0)
            agent_report_task(inst, arn, "RUNNING", NULL, containers_report(task, "RUNNING", false, 0), NULL);
        return;
    }
    agent_report_task(inst, arn, "STOPPED", NULL, containers_report(task, "STOPPED", true, 0), NULL);
}

const struct runner_ops hollow_runner = {
    .name = "hollow",
    .task_changed = hollow_task_changed,
};
