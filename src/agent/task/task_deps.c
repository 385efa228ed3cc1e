/* task_deps.c - dependsOn between a task's containers (see task_deps.h).
 * It only judges the states it is given: starting and timing out
 * (startTimeout) are the runner's. */
#include "agent/task/task_deps.h"

#include <stdio.h>
#include <string.h>

static struct runner_ctr *find_ctr(struct task_runner *t, const char *name)
{
    for (size_t i = 0; i < t->nctrs; i++)
        if (name && strcmp(t->ctrs[i].name, name) == 0)
            return &t->ctrs[i];
    return NULL;
}

enum task_dep task_deps_state(struct task_runner *t, struct runner_ctr *c, char *why, size_t cap)
{
    size_t i;
    json_t *d;
    enum task_dep result = TASK_DEP_MET;
    json_array_foreach(json_object_get(c->def, "dependsOn"), i, d) {
        struct runner_ctr *dep = find_ctr(t, json_string_value(json_object_get(d, "containerName")));
        const char *cond = json_string_value(json_object_get(d, "condition"));
        if (!dep || !cond)
            continue;
        if (strcmp(cond, "START") == 0) {
            if (dep->state == CTR_PENDING)
                result = TASK_DEP_WAIT;
            else if (dep->state == CTR_NOT_STARTED)
                goto failed;
        } else if (strcmp(cond, "COMPLETE") == 0 || strcmp(cond, "SUCCESS") == 0) {
            if (dep->state == CTR_EXITED) {
                if (strcmp(cond, "SUCCESS") == 0 && dep->exit_code != 0)
                    goto failed;
            } else if (dep->state == CTR_NOT_STARTED) {
                goto failed;
            } else {
                result = TASK_DEP_WAIT;
            }
        } else if (strcmp(cond, "HEALTHY") == 0) {
            if (dep->health.status == HEALTH_UNHEALTHY || dep->state == CTR_EXITED || dep->state == CTR_NOT_STARTED)
                goto failed;
            if (dep->health.status != HEALTH_HEALTHY)
                result = TASK_DEP_WAIT;
        }
        continue;
    failed:
        snprintf(why, cap, "dependency %s of container %s did not reach %s", dep->name, c->name, cond);
        return TASK_DEP_FAILED;
    }
    return result;
}
