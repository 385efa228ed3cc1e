/* task_restart.h - restartPolicy: a container that exits is restarted in
 * place, in the task it belongs to, when restart_policy.h says so. */
#pragma once

#include <stdbool.h>

#include "agent/task/runner.h"
#include "agent/task/task_volumes.h"

/* Called by the watch for a RUNNING container the runtime saw exit (st):
 * true when its policy restarts it, with c->restart_due set and
 * c->exit_code the exit's (c stays RUNNING to the rest of the runner until
 * task_restart_due restarts it); false leaves the exit to the watch. */
bool task_restart_wanted(struct task_runner *t, struct runner_ctr *c, const struct runtime_status *st);

/* Whether some container waits for its restart. */
bool task_restart_pending(struct task_runner *t);

/* Restart every container that waits for it: its last log lines shipped
 * and its output kept (appended to DATA/logs/<task-id>/<name>.log), the
 * old container removed (root, cgroup, conmon's state), its secrets read
 * again, a new one started from the same definition with the task's
 * network and volumes; the count is kept in task.json, so that a
 * restarted agent goes on counting.  ino is the runner's watch.  A
 * restart that fails leaves the container EXITED with the reason; returns
 * true when such a container is essential (the task must stop, why says
 * why). */
bool task_restart_due(struct task_runner *t, const struct task_volumes *vols, int ino, char *why, size_t cap);
