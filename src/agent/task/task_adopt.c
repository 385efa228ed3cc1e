/* task_adopt.c - re-adopting tasks after an agent restart (see
 * task_adopt.h).  The record is what task_persist.c wrote; the runner
 * (task_runner.c, adopt = true) skips what was already done.  Records that
 * cannot be read are left alone. */
#include "agent/task/task_adopt.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "agent/task/task_endpoint.h"
#include "agent/task/task_health.h"
#include "agent/task/task_logs.h"
#include "agent/task/task_runner.h"

static void adopt_one(struct runner_env *env, struct agent_instance *inst, const char *path)
{
    char *text = NULL;
    struct error err;
    if (fs_read_file(path, 4u * 1024 * 1024, &text, NULL, &err) < 0)
        return;
    json_t *rec = json_loads(text, 0, NULL);
    free(text);
    struct task_runner *t = task_runner_new(env, inst, json_object_get(rec, "task"), true);
    if (t)
        task_endpoint_ids_load(t, json_object_get(rec, "endpoint"));
    json_decref(rec);
    if (!t)
        return;
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runtime_status st;
        if (runtime_status(&env->rt, t->ctrs[i].id, &st, &err) == 0) {
            t->ctrs[i].state = CTR_RUNNING; /* the watch reports an exit that happened meanwhile */
            task_logs_start(t, &t->ctrs[i]);
            task_health_start(&t->ctrs[i]);
        }
    }
    if (network_task_adopt(env->net, t->id, &t->net, &err) < 0)
        log_warn("task %s: network: %s", t->id, err.msg);
    log_info("task %s: adopted after restart", t->id);
    task_runner_launch(t);
}

void task_adopt_all(struct runner_env *env, struct agent_instance *inst)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/tasks", env->agent->cfg.data_dir);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strlen(de->d_name) != 32)
            continue;
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s/task.json", dir, de->d_name);
        adopt_one(env, inst, path);
    }
    closedir(d);
}
