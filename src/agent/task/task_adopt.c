/* task_adopt.c - re-adopting tasks after an agent restart (see
 * task_adopt.h).  The record is what task_persist.c wrote; the runner
 * (task_runner.c, adopt = true) skips what was already done.  Records that
 * cannot be read are left alone. */
#include "agent/task/task_adopt.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "agent/task/task_endpoint.h"
#include "agent/task/task_health.h"
#include "agent/task/task_logs.h"
#include "agent/task/task_runner.h"

/* What the record says of the containers' restarts, and when each
 * started: its pid file's time, which the runtime wrote as it started it
 * (restartPolicy counts the period from there). */
static void adopt_restarts(struct task_runner *t, json_t *counts)
{
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        json_t *n = json_object_get(counts, c->name);
        if (json_is_integer(n) && json_integer_value(n) > 0 && json_integer_value(n) < INT32_MAX)
            c->restart_count = (int)json_integer_value(n);
        char pid[4200];
        struct stat sb;
        struct error err;
        if (runtime_path(&t->env->rt, c->id, "pid", pid, sizeof(pid), &err) == 0 && stat(pid, &sb) == 0)
            c->started_at = (usec_t)sb.st_mtim.tv_sec * USEC_PER_SEC + sb.st_mtim.tv_nsec / 1000;
    }
}

static void adopt_one(struct runner_env *env, struct agent_instance *inst, const char *path)
{
    char *text = NULL;
    struct error err;
    if (fs_read_file(path, 4u * 1024 * 1024, &text, NULL, &err) < 0)
        return;
    json_t *rec = json_loads(text, 0, NULL);
    free(text);
    struct task_runner *t = task_runner_new(env, inst, json_object_get(rec, "task"), true);
    if (t) {
        task_endpoint_ids_load(t, json_object_get(rec, "endpoint"));
        adopt_restarts(t, json_object_get(rec, "restarts"));
    }
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
