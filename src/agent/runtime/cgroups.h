/* cgroups.h - the task-level cgroup ECS gives each task (task cpu/memory),
 * the container cgroup paths under it, and OOM-kill detection.
 *
 * Layout (cgroupfs, both versions): <parent>/<task-id>/<container-id>, e.g.
 * /sys/fs/cgroup/memory/berth/<task>/<ctr> on v1 (one tree per
 * controller), /sys/fs/cgroup/berth/<task>/<ctr> on v2.  We create the task
 * level with its limits; the OCI runtime creates (and on delete removes) the
 * container level from the cgroupsPath in config.json. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct cgroups {
    bool v2;          /* unified hierarchy at /sys/fs/cgroup */
    char root[256];   /* /sys/fs/cgroup (tests may point elsewhere) */
    char parent[128]; /* top-level berth cgroup name, e.g. "berth" */
};

/* Detect the cgroup version with statfs(2) of root (NULL: /sys/fs/cgroup).
 * A tmpfs there is v1 ("hybrid" when a cgroup2 is also mounted below it). */
int cgroups_open(struct cgroups *cg, const char *root, const char *parent, struct error *err);

/* Create <parent>/<task_id> with the task's limits (0 = none): memory_mib as
 * a hard limit, cpu_units (ECS task cpu, 1024 = one CPU) as a CFS quota.
 * Idempotent. */
/* cgroup v1 on kernels that set up block throttling lazily (6.9 on)
 * counts no cgroup's block I/O (blkio.throttle.io_service_bytes, what
 * Container Insights' storage figures read) on a device until some cgroup
 * has a throttle rule for it.  Give ours one nothing reaches (1 TiB/s of
 * reads) on the disk under path, the data directory.  v2 counts anyway. */
int cgroups_count_io(const struct cgroups *cg, const char *path, struct error *err);

int cgroups_task_create(const struct cgroups *cg, const char *task_id, int64_t memory_mib, int64_t cpu_units,
                        struct error *err);

/* Remove <parent>/<task_id> and anything left below it, in every hierarchy.
 * Fails with ERR_CONFLICT if processes are still inside.  Missing is ok. */
int cgroups_task_remove(const struct cgroups *cg, const char *task_id, struct error *err);

/* "/<parent>/<task_id>/<ctr_id>", the cgroupsPath for config.json. */
int cgroups_container_path(const struct cgroups *cg, const char *task_id, const char *ctr_id, char *buf, size_t cap,
                           struct error *err);

/* OOM kills recorded in the cgroup at path (a cgroupsPath): v1
 * memory.oom_control "oom_kill", v2 memory.events "oom_kill".  A cgroup
 * that no longer exists is ERR_NOT_FOUND. */
int cgroups_oom_kills(const struct cgroups *cg, const char *path, uint64_t *ret, struct error *err);

/* Remove the cgroup at path (a cgroupsPath) and its children in every
 * hierarchy; used when the runtime did not (a container never started). */
int cgroups_remove_path(const struct cgroups *cg, const char *path, struct error *err);

/* Filesystem path of a cgroup file: v1 uses controller's tree, v2 ignores it. */
int cgroups_file_path(const struct cgroups *cg, const char *controller, const char *path, const char *file, char *buf,
                      size_t cap, struct error *err);

/* Task cpu units -> CFS quota in microseconds per 100 ms period (min 1 ms). */
int64_t cgroups_cpu_quota_us(int64_t cpu_units);
