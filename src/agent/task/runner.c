/* runner.c - the small accessors of a task runner's shared state (see
 * runner.h) that every step of the task uses.  The steps themselves live
 * in the task_*.c files. */
#include "agent/task/runner.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "common/timeutil.h"

void runner_wake(struct task_runner *t)
{
    uint64_t one = 1;
    ssize_t w = write(t->wake_fd, &one, sizeof(one));
    (void)w;
    pthread_mutex_lock(&t->lock);
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

void runner_mark(struct task_runner *t, enum start_mark m) { t->start_marks[m] = time_monotonic(); }

void runner_dir(const struct task_runner *t, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/tasks/%s", t->env->agent->cfg.data_dir, t->id);
}

json_t *runner_taskdef(const struct task_runner *t, const char *key)
{
    return json_object_get(json_object_get(t->task, "taskDefinition"), key);
}
