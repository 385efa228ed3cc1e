/* task_volumes.c - a task's volumes as host directories (see
 * task_volumes.h).  Mounting them into containers is container_spec.c's;
 * removing task-scoped ones goes with the task's directory. */
#include "agent/task/task_volumes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"

int task_volumes_prepare(struct task_runner *t, struct task_volumes *vols, struct error *err)
{
    char dir[4200];
    runner_dir(t, dir, sizeof(dir));
    task_volumes_release(vols);
    size_t i;
    json_t *v;
    json_array_foreach(runner_taskdef(t, "volumes"), i, v) {
        if (vols->n == TASK_VOLUMES_MAX)
            return error_set(err, ERR_LIMIT, "too many volumes");
        const char *name = json_string_value(json_object_get(v, "name"));
        /* The name becomes a directory under the data dir: no NULL, no escape. */
        if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            return error_set(err, ERR_INVALID, "volume %zu has no valid name", i);
        const char *host = json_string_value(json_object_get(json_object_get(v, "host"), "sourcePath"));
        json_t *dvc = json_object_get(v, "dockerVolumeConfiguration");
        char path[4096];
        size_t cap = sizeof(path);
        int len;
        if (host)
            len = snprintf(path, cap, "%s", host);
        else if (dvc && json_string_value(json_object_get(dvc, "scope")) &&
                 strcmp(json_string_value(json_object_get(dvc, "scope")), "shared") == 0)
            len = snprintf(path, cap, "%s/volumes/%s", t->env->agent->cfg.data_dir, name);
        else /* task-scoped: shared by the task's containers, removed with it */
            len = snprintf(path, cap, "%s/volumes/%s", dir, name);
        /* A path cut short would mount some other directory. */
        if (len < 0 || (size_t)len >= cap)
            return error_set(err, ERR_INVALID, "volume %s: path longer than %zu bytes", name, cap - 1);
        /* Docker creates a missing bind source; so does ECS. */
        if (fs_mkdir_p(path, 0755, err) < 0)
            return -1;
        vols->paths[vols->n] = strdup(path);
        if (!vols->paths[vols->n])
            return error_set(err, ERR_INTERNAL, "out of memory");
        vols->v[vols->n].name = name;
        vols->v[vols->n].host_path = vols->paths[vols->n];
        vols->n++;
    }
    return 0;
}

void task_volumes_release(struct task_volumes *vols)
{
    for (size_t i = 0; i < vols->n; i++) {
        free(vols->paths[i]);
        vols->paths[i] = NULL;
    }
    vols->n = 0;
}
