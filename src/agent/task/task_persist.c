/* task_persist.c - writing a task's record for re-adoption (see
 * task_persist.h).  Reading it back is task_adopt.c's; removing it goes
 * with the task's directory (task_stop.c). */
#include "agent/task/task_persist.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/jsondump.h"
#include "common/log.h"
#include "agent/task/task_endpoint.h"

/* {name: restarts} of the containers restartPolicy has restarted. */
static json_t *restart_counts(struct task_runner *t)
{
    json_t *o = json_object();
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->nctrs && o; i++)
        if (t->ctrs[i].restart_count > 0)
            json_object_set_new(o, t->ctrs[i].name, json_integer(t->ctrs[i].restart_count));
    pthread_mutex_unlock(&t->lock);
    return o;
}

int task_persist_write(struct task_runner *t, struct error *err)
{
    char dir[4200], path[4300];
    runner_dir(t, dir, sizeof(dir));
    if (fs_mkdir_p(dir, 0700, err) < 0)
        return -1;
    /* The endpoint's ids (not the credentials): the containers have them
     * in their environment, and a restarted agent must answer to them. */
    json_t *rec = json_pack("{s:O, s:s, s:o, s:o}", "task", t->task, "instance", t->inst->arn, "endpoint",
                            task_endpoint_ids_json(t), "restarts", restart_counts(t));
    char *text = jsondump_utf8(rec, NULL);
    json_decref(rec);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    snprintf(path, sizeof(path), "%s/task.json", dir);
    int r = fs_replace_file(path, text, strlen(text), err);
    free(text);
    return r;
}

void *task_persist_sync(void *arg)
{
    struct task_runner *t = arg;
    char dir[4200], path[4300];
    struct error err;
    runner_dir(t, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/task.json", dir);
    if (fs_fsync_file(path, &err) < 0 || fs_fsync_dir(dir, &err) < 0 || fs_fsync_dir(dirname(dir), &err) < 0)
        log_warn("task %s: %s (it may not survive a host crash)", t->id, err.msg);
    return NULL;
}
