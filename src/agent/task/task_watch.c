/* task_watch.c - a task's containers as the runtime sees them (see
 * task_watch.h): events, not sleeps, say when to look again.  What an
 * exit means for the task is the runner's call. */
#include "agent/task/task_watch.h"

#include <stdio.h>
#include <sys/inotify.h>

#include "agent/agent_memory.h"
#include "agent/agent_sync.h"
#include "common/log.h"
#include "agent/task/task_health.h"
#include "agent/task/task_restart.h"

bool task_watch_refresh(struct task_runner *t, bool *ret_changed)
{
    bool essential_exited = false;
    if (ret_changed)
        *ret_changed = false;
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        if (c->state != CTR_RUNNING || c->restart_due)
            continue;
        struct runtime_status st;
        struct error err;
        if (runtime_status(&t->env->rt, c->id, &st, &err) < 0)
            continue;
        if (st.state != RUNTIME_EXITED && st.state != RUNTIME_LOST)
            continue;
        if (task_restart_wanted(t, c, &st))
            continue; /* the runner restarts it: not an exit the task sees */
        pthread_mutex_lock(&t->lock);
        c->state = CTR_EXITED;
        c->exit_code = st.state == RUNTIME_LOST ? 137 : st.exit_code;
        c->oom = st.oom_killed;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        if (c->oom)
            snprintf(c->reason, sizeof(c->reason), "OutOfMemoryError: Container killed due to memory usage");
        else if (st.state == RUNTIME_LOST)
            snprintf(c->reason, sizeof(c->reason), "The container's monitor went away");
        log_info("task %s: container %s exited with %d%s", t->id, c->name, c->exit_code, c->oom ? " (OOM)" : "");
        task_health_stop(c);
        if (ret_changed)
            *ret_changed = true;
        if (c->essential)
            essential_exited = true;
    }
    return essential_exited;
}

void task_watch_add(struct task_runner *t, int inotify_fd, struct runner_ctr *c)
{
    char dir[4200];
    struct error err;
    if (inotify_fd >= 0 && runtime_path(&t->env->rt, c->id, NULL, dir, sizeof(dir), &err) == 0)
        inotify_add_watch(inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
}

void task_watch_wait(struct task_runner *t, int inotify_fd, int timeout_ms)
{
    if (timeout_ms < 0) /* the long wait of a running task */
        agent_stack_trim();
    agent_sync_poll(t->wake_fd, inotify_fd, timeout_ms);
}
