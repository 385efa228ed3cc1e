/* task_logs.c - the task runner's hooks into the log drivers: start a
 * container's shipper when it starts (or is adopted), and when the task is
 * cleaned up drain it, then keep conmon's log as
 * DATA/logs/<task-id>/<container>.log for `berth logs` (or discard it for
 * the "none" driver).  The drivers themselves are logship.c. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "common/cleanup.h"

#include "common/fsutil.h"
#include "common/log.h"
#include "agent/logs/logship.h"
#include "agent/task/task_logs.h"

int task_logs_check(struct runner_ctr *c, struct error *err) { return logship_check(c->def, err); }

void task_logs_start(struct task_runner *t, struct runner_ctr *c)
{
    char path[4200];
    struct error err;
    if (c->ship)
        return;
    if (runtime_path(&t->env->rt, c->id, "ctr.log", path, sizeof(path), &err) < 0) {
        log_warn("task %s: container %s: logs: %s", t->id, c->name, err.msg);
        return;
    }
    struct logship_params p = {
        .server = t->env->agent->cfg.server,
        .creds = &t->env->agent->cfg.creds,
        .region = t->env->agent->cfg.region,
        .data_dir = t->env->agent->cfg.data_dir,
        .task_id = t->id,
        .ctr_id = c->id,
        .ctr_name = c->name,
        .def = c->def,
        .log_path = path,
    };
    if (logship_start(&p, &c->ship, &err) < 0)
        log_warn("task %s: container %s: its log driver did not start: %s", t->id, c->name, err.msg);
}

void task_logs_detach(struct runner_ctr *c)
{
    logship_stop(c->ship, false);
    c->ship = NULL;
}

void task_logs_drain(struct runner_ctr *c)
{
    logship_stop(c->ship, true);
    c->ship = NULL;
}

void task_logs_finish(struct task_runner *t, struct runner_ctr *c, const char *logs_dir)
{
    char src[4300], dst[4400];
    struct error err;
    task_logs_drain(c);
    if (runtime_path(&t->env->rt, c->id, "ctr.log", src, sizeof(src), &err) < 0)
        return;
    if (!logship_keeps_local(c->def)) {
        unlink(src);
        return;
    }
    snprintf(dst, sizeof(dst), "%s/%s.log", logs_dir, c->name);
    if (access(dst, F_OK) != 0) {
        rename(src, dst);
        return;
    }
    /* Earlier runs of a restarted container are kept there already. */
    task_logs_append(src, dst);
    unlink(src);
}

void task_logs_append(const char *src, const char *dst)
{
    _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return;
    _cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0)
        return;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n) {
            log_warn("keeping %s: short write to %s", src, dst);
            return;
        }
}
