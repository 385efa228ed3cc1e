/* task_watch.h - noticing that a task's containers exited: conmon writes
 * an exit file in the container's directory, which inotify reports. */
#pragma once

#include "agent/task/runner.h"

/* Refresh the running containers' states from the runtime; returns true
 * when an essential container has exited.  *ret_changed (may be NULL)
 * tells whether any container exited. */
bool task_watch_refresh(struct task_runner *t, bool *ret_changed);

/* Watch c's runtime directory on inotify_fd (-1: no watching). */
void task_watch_add(struct task_runner *t, int inotify_fd, struct runner_ctr *c);

/* Block until something may have changed: an exit file, a wake-up, or
 * timeout_ms (-1: none; for dependency deadlines). */
void task_watch_wait(struct task_runner *t, int inotify_fd, int timeout_ms);
