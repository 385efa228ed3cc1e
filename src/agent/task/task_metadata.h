/* task_metadata.h - the task metadata endpoint's answers (versions 3 and
 * 4): a container, its task, and their stats in Docker's stats format,
 * from the runner's state and the cgroups. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "agent/task/runner.h"

/* ${ECS_CONTAINER_METADATA_URI_V4} (v4: with the v4-only members such as
 * ContainerARN, Networks' details and LaunchType): container c. */
json_t *task_metadata_container(struct task_runner *t, struct runner_ctr *c, bool v4);
/* .../task: the task with its containers. */
json_t *task_metadata_task(struct task_runner *t, bool v4);
/* .../stats: container c's Docker stats object (null when it does not run). */
json_t *task_metadata_stats(struct task_runner *t, struct runner_ctr *c);
/* .../task/stats: {DockerId: stats or null} for every container. */
json_t *task_metadata_task_stats(struct task_runner *t);

/* Docker's blkio_stats from a cgroup's block I/O files (either may be
 * NULL): v1's blkio.throttle.io_service_bytes and io_serviced ("MAJ:MIN
 * Op value" lines: entries {major, minor, op, value} with the kernel's op
 * names), or, with v2, io.stat in bytes ("MAJ:MIN rbytes=.. wbytes=..
 * rios=.. wios=..": ops "read" and "write", as Docker reports cgroup v2).
 * The other lists Docker has are empty.  Pure, for tests. */
json_t *task_metadata_blkio(const char *bytes, const char *ios, bool v2);
