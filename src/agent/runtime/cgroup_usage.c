/* cgroup_usage.c - read a task cgroup's CPU, memory and block I/O use
 * (see cgroup_usage.h). */
#include "agent/runtime/cgroup_usage.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"

#define STAT_FILE_MAX (64 * 1024)

uint64_t cgroup_usage_stat_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
            return strtoull(p + klen + 1, NULL, 10);
    }
    return 0;
}

/* The whole of a cgroup file (NUL-terminated, malloc'd). */
static int read_cg_file(const struct cgroups *cg, const char *controller, const char *rel, const char *file, char **ret,
                        struct error *err)
{
    char path[PATH_MAX];
    size_t len;
    if (cgroups_file_path(cg, controller, rel, file, path, sizeof(path), err) < 0)
        return -1;
    if (fs_read_file(path, STAT_FILE_MAX, ret, &len, err) < 0)
        return errno == ENOENT ? error_set(err, ERR_NOT_FOUND, "no cgroup %s", rel) : -1;
    return 0;
}

static uint64_t working_set(uint64_t usage, uint64_t inactive_file)
{
    return usage > inactive_file ? usage - inactive_file : 0;
}

int cgroup_usage_read(const struct cgroups *cg, const char *task_id, struct cgroup_usage *ret, struct error *err)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "/%s/%s", cg->parent, task_id);
    _cleanup_free_ char *cpu = NULL, *mem = NULL, *stat = NULL;
    if (cg->v2) {
        if (read_cg_file(cg, NULL, rel, "cpu.stat", &cpu, err) < 0 ||
            read_cg_file(cg, NULL, rel, "memory.current", &mem, err) < 0 ||
            read_cg_file(cg, NULL, rel, "memory.stat", &stat, err) < 0)
            return -1;
        ret->cpu_ns = cgroup_usage_stat_value(cpu, "usage_usec") * 1000;
        ret->memory_bytes = working_set(strtoull(mem, NULL, 10), cgroup_usage_stat_value(stat, "inactive_file"));
        return 0;
    }
    if (read_cg_file(cg, "cpuacct", rel, "cpuacct.usage", &cpu, err) < 0 ||
        read_cg_file(cg, "memory", rel, "memory.usage_in_bytes", &mem, err) < 0 ||
        read_cg_file(cg, "memory", rel, "memory.stat", &stat, err) < 0)
        return -1;
    ret->cpu_ns = strtoull(cpu, NULL, 10);
    ret->memory_bytes = working_set(strtoull(mem, NULL, 10), cgroup_usage_stat_value(stat, "total_inactive_file"));
    return 0;
}

void cgroup_stats_clear(struct cgroup_stats *s)
{
    free(s->memory_stat);
    free(s->io_bytes);
    free(s->io_ios);
    s->memory_stat = s->io_bytes = s->io_ios = NULL;
}

/* The first of a v1 blkio file's names that reads (the _recursive one
 * where the kernel has it), or NULL. */
static char *read_blkio(const struct cgroups *cg, const char *rel, const char *recursive, const char *plain)
{
    char *text = NULL;
    struct error ignore;
    if (read_cg_file(cg, "blkio", rel, recursive, &text, &ignore) < 0 &&
        read_cg_file(cg, "blkio", rel, plain, &text, &ignore) < 0)
        return NULL;
    return text;
}

/* A single-number cgroup file ("max" in v2 means no limit: 0). */
static uint64_t read_number(const struct cgroups *cg, const char *controller, const char *rel, const char *file)
{
    _cleanup_free_ char *text = NULL;
    struct error ignore;
    if (read_cg_file(cg, controller, rel, file, &text, &ignore) < 0 || strncmp(text, "max", 3) == 0)
        return 0;
    return strtoull(text, NULL, 10);
}

int cgroup_usage_read_stats(const struct cgroups *cg, const char *name, struct cgroup_stats *ret, struct error *err)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "/%s/%s", cg->parent, name);
    _cleanup_free_ char *cpu = NULL, *stat = NULL;
    struct cgroup_stats s = {0};
    if (cg->v2) {
        if (read_cg_file(cg, NULL, rel, "cpu.stat", &cpu, err) < 0 ||
            read_cg_file(cg, NULL, rel, "memory.stat", &stat, err) < 0)
            return -1;
        s.cpu_ns = cgroup_usage_stat_value(cpu, "usage_usec") * 1000;
        s.cpu_user_ns = cgroup_usage_stat_value(cpu, "user_usec") * 1000;
        s.cpu_system_ns = cgroup_usage_stat_value(cpu, "system_usec") * 1000;
        s.memory_usage = read_number(cg, NULL, rel, "memory.current");
        s.memory_max_usage = read_number(cg, NULL, rel, "memory.peak");
        s.memory_limit = read_number(cg, NULL, rel, "memory.max");
        s.memory_bytes = working_set(s.memory_usage, cgroup_usage_stat_value(stat, "inactive_file"));
        struct error ignore;
        if (read_cg_file(cg, NULL, rel, "io.stat", &s.io_bytes, &ignore) < 0)
            s.io_bytes = NULL;
    } else {
        if (read_cg_file(cg, "cpuacct", rel, "cpuacct.stat", &cpu, err) < 0 ||
            read_cg_file(cg, "memory", rel, "memory.stat", &stat, err) < 0)
            return -1;
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t tick_ns = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
        s.cpu_ns = read_number(cg, "cpuacct", rel, "cpuacct.usage");
        s.cpu_user_ns = cgroup_usage_stat_value(cpu, "user") * tick_ns;
        s.cpu_system_ns = cgroup_usage_stat_value(cpu, "system") * tick_ns;
        s.memory_usage = read_number(cg, "memory", rel, "memory.usage_in_bytes");
        s.memory_max_usage = read_number(cg, "memory", rel, "memory.max_usage_in_bytes");
        s.memory_limit = read_number(cg, "memory", rel, "memory.limit_in_bytes");
        s.memory_bytes = working_set(s.memory_usage, cgroup_usage_stat_value(stat, "total_inactive_file"));
        s.io_bytes =
            read_blkio(cg, rel, "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes");
        s.io_ios = read_blkio(cg, rel, "blkio.throttle.io_serviced_recursive", "blkio.throttle.io_serviced");
    }
    s.memory_stat = TAKE_PTR(stat);
    *ret = s;
    return 0;
}

void cgroup_usage_io_parse(const char *text, bool v2, uint64_t *ret_read, uint64_t *ret_write)
{
    uint64_t rd = 0, wr = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        /* Only device lines ("MAJ:MIN ..."), not v1's closing "Total N". */
        const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
        if (!sp || (nl && sp > nl) || !memchr(p, ':', (size_t)(sp - p)))
            continue;
        if (v2) {
            const char *r = strstr(sp, " rbytes="), *w = strstr(sp, " wbytes=");
            if (r && (!nl || r < nl))
                rd += strtoull(r + 8, NULL, 10);
            if (w && (!nl || w < nl))
                wr += strtoull(w + 8, NULL, 10);
        } else if (strncmp(sp, " Read ", 6) == 0) {
            rd += strtoull(sp + 6, NULL, 10);
        } else if (strncmp(sp, " Write ", 7) == 0) {
            wr += strtoull(sp + 7, NULL, 10);
        }
    }
    *ret_read = rd;
    *ret_write = wr;
}

int cgroup_usage_read_io(const struct cgroups *cg, const char *name, uint64_t *ret_read, uint64_t *ret_write,
                         struct error *err)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "/%s/%s", cg->parent, name);
    _cleanup_free_ char *text = NULL;
    if (cg->v2) {
        if (read_cg_file(cg, NULL, rel, "io.stat", &text, err) < 0)
            return -1;
    } else {
        text = read_blkio(cg, rel, "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes");
        if (!text)
            return error_set(err, ERR_NOT_FOUND, "no blkio counts for %s", rel);
    }
    cgroup_usage_io_parse(text, cg->v2, ret_read, ret_write);
    return 0;
}
