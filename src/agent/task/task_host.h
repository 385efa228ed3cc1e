/* task_host.h - what the host needs before a task's first container: the
 * task's cgroup, its volumes and its network. */
#pragma once

#include "agent/task/runner.h"
#include "agent/task/task_volumes.h"

/* Make the task cgroup, the volumes (into vols) and the network (t->net).
 * An adopted task keeps what its containers already use.  On failure
 * *ret_network_failed tells whether it was the network. */
int task_host_prepare(struct task_runner *t, struct task_volumes *vols, bool *ret_network_failed, struct error *err);
