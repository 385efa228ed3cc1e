/* cgroup_usage.h - what a task's cgroup has used: cumulative CPU time and
 * the memory working set (usage less inactive file cache, as docker stats
 * and the ECS agent count it), on cgroup v1 and v2. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent/runtime/cgroups.h"
#include "common/error.h"

struct cgroup_usage {
    uint64_t cpu_ns;       /* v1 cpuacct.usage, v2 cpu.stat usage_usec */
    uint64_t memory_bytes; /* working set */
};

/* The usage of <parent>/<task_id>; ERR_NOT_FOUND when it does not exist. */
int cgroup_usage_read(const struct cgroups *cg, const char *task_id, struct cgroup_usage *ret, struct error *err);

/* The value of `key` in a flat keyed file (memory.stat, cpu.stat: "key
 * value" lines); 0 when absent.  Pure, for tests. */
uint64_t cgroup_usage_stat_value(const char *text, const char *key);

/* What the task metadata endpoint's stats show of one cgroup: CPU in
 * nanoseconds (total, user, system), memory in bytes (usage as the kernel
 * counts it, its peak where the kernel keeps one, the limit, 0 for none,
 * and the working set), and memory.stat as the kernel wrote it (owned:
 * cgroup_stats_clear). */
struct cgroup_stats {
    uint64_t cpu_ns, cpu_user_ns, cpu_system_ns;
    uint64_t memory_usage, memory_max_usage, memory_limit, memory_bytes;
    char *memory_stat;
    /* Block I/O as the kernel wrote it (owned; NULL when unreadable):
     * v1 blkio.throttle.io_service_bytes(_recursive) and io_serviced;
     * v2 io.stat in io_bytes (io_ios NULL). */
    char *io_bytes, *io_ios;
};

/* The stats of <parent>/<name> (name: a task id, or "<task-id>/<container-id>"). */
int cgroup_usage_read_stats(const struct cgroups *cg, const char *name, struct cgroup_stats *ret, struct error *err);
void cgroup_stats_clear(struct cgroup_stats *s);

/* Bytes read and written as a block I/O file counts them, summed over its
 * devices: v1 blkio.throttle.io_service_bytes ("MAJ:MIN Read N" lines),
 * v2 io.stat ("MAJ:MIN rbytes=N wbytes=N ..."). Pure, for tests. */
void cgroup_usage_io_parse(const char *text, bool v2, uint64_t *ret_read, uint64_t *ret_write);

/* The bytes <parent>/<name> has read from and written to block devices
 * (name as for cgroup_usage_read_stats); -1 when the kernel keeps no such
 * count for it. Buffered writes count when they reach the disk from the
 * cgroup (fsync, O_DIRECT); cgroup v1 charges the kernel's own writeback to
 * the root. */
int cgroup_usage_read_io(const struct cgroups *cg, const char *name, uint64_t *ret_read, uint64_t *ret_write,
                         struct error *err);
