/* task_volumes.h - the host directories behind a task definition's
 * volumes, made before its containers start. */
#pragma once

#include "agent/runtime/container_spec.h"
#include "agent/task/runner.h"

#define TASK_VOLUMES_MAX 64

/* The paths are allocated per volume: a fixed 4 KiB for each of 64 made
 * this 258 KiB per running task, all of it resident once calloc had to
 * clear reused heap (13 MB of a 50-task agent's RSS after some history). */
struct task_volumes {
    struct container_spec_volume v[TASK_VOLUMES_MAX];
    char *paths[TASK_VOLUMES_MAX];
    size_t n;
};

/* Fill vols from the task definition's volumes, creating each host
 * directory: host.sourcePath as given; a shared dockerVolumeConfiguration
 * in DATA/volumes/<name>; otherwise (task scope) in the task's directory,
 * removed with it. */
int task_volumes_prepare(struct task_runner *t, struct task_volumes *vols, struct error *err);

/* Free what task_volumes_prepare allocated; vols is empty after. */
void task_volumes_release(struct task_volumes *vols);
