/* cgroups.c - task cgroups, container cgroup paths and OOM counters.
 *
 * We write cgroupfs directly (no systemd): on v1 the task directory is
 * created in the memory and cpu trees, where its limits live; the runtime
 * creates the container directories in every tree it uses, including the
 * intermediate <task> ones (it initialises cpuset itself), so removal
 * walks every v1 hierarchy mounted under the root.  On v2 the task directory
 * enables the memory, cpu and pids controllers for its children.  This
 * module does not move processes; the runtime does. */
#include "agent/runtime/cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "common/fsutil.h"

#define CFS_PERIOD_US 100000

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= LIMIT_CTR_ID + 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n && s[0] != '.';
}

int cgroups_open(struct cgroups *cg, const char *root, const char *parent, struct error *err)
{
    memset(cg, 0, sizeof(*cg));
    if (!root)
        root = "/sys/fs/cgroup";
    if (!parent)
        parent = "berth";
    if (!name_ok(parent) || (size_t)snprintf(cg->parent, sizeof(cg->parent), "%s", parent) >= sizeof(cg->parent))
        return error_set(err, ERR_INVALID, "bad cgroup parent name \"%s\"", parent);
    if ((size_t)snprintf(cg->root, sizeof(cg->root), "%s", root) >= sizeof(cg->root))
        return error_set(err, ERR_LIMIT, "cgroup root path too long");
    struct statfs sf;
    if (statfs(root, &sf) < 0)
        return error_sys(err, "statfs %s", root);
    if ((unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC)
        cg->v2 = true;
    else if ((unsigned long)sf.f_type == TMPFS_MAGIC)
        cg->v2 = false;
    else
        return error_set(err, ERR_INVALID, "%s is neither cgroup2 nor a tmpfs of v1 hierarchies", root);
    return 0;
}

int cgroups_file_path(const struct cgroups *cg, const char *controller, const char *path, const char *file, char *buf,
                      size_t cap, struct error *err)
{
    int n;
    if (cg->v2)
        n = snprintf(buf, cap, "%s%s%s%s", cg->root, path, file ? "/" : "", file ? file : "");
    else
        n = snprintf(buf, cap, "%s/%s%s%s%s", cg->root, controller, path, file ? "/" : "", file ? file : "");
    if (n < 0 || (size_t)n >= cap)
        return error_set(err, ERR_LIMIT, "cgroup path too long");
    return 0;
}

static int write_str(const char *path, const char *value, struct error *err)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return error_sys(err, "open %s", path);
    size_t len = strlen(value);
    if (write(fd, value, len) != (ssize_t)len)
        return error_sys(err, "write \"%s\" to %s", value, path);
    return 0;
}

int64_t cgroups_cpu_quota_us(int64_t cpu_units)
{
    int64_t q = cpu_units * CFS_PERIOD_US / 1024;
    return q < 1000 ? 1000 : q;
}

int cgroups_container_path(const struct cgroups *cg, const char *task_id, const char *ctr_id, char *buf, size_t cap,
                           struct error *err)
{
    if (!name_ok(task_id) || !name_ok(ctr_id))
        return error_set(err, ERR_INVALID, "bad task or container id for a cgroup name");
    int n = snprintf(buf, cap, "/%s/%s/%s", cg->parent, task_id, ctr_id);
    if (n < 0 || (size_t)n >= cap)
        return error_set(err, ERR_LIMIT, "cgroup path too long");
    return 0;
}

int cgroups_task_create(const struct cgroups *cg, const char *task_id, int64_t memory_mib, int64_t cpu_units,
                        struct error *err)
{
    if (!name_ok(task_id))
        return error_set(err, ERR_INVALID, "bad task id \"%s\" for a cgroup name", task_id);
    char rel[512], p[PATH_MAX], v[64];
    snprintf(rel, sizeof(rel), "/%s/%s", cg->parent, task_id);
    if (cg->v2) {
        /* Controllers must be enabled on every level above the containers. */
        snprintf(p, sizeof(p), "%s/%s", cg->root, cg->parent);
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return error_sys(err, "mkdir %s", p);
        const char *levels[] = {"", cg->parent};
        for (size_t i = 0; i < ELEMENTSOF(levels); i++) {
            snprintf(p, sizeof(p), "%s/%s%scgroup.subtree_control", cg->root, levels[i], *levels[i] ? "/" : "");
            if (write_str(p, "+memory +cpu +pids", err) < 0)
                return -1;
        }
        if (cgroups_file_path(cg, NULL, rel, NULL, p, sizeof(p), err) < 0)
            return -1;
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return error_sys(err, "mkdir %s", p);
        if (cgroups_file_path(cg, NULL, rel, "cgroup.subtree_control", p, sizeof(p), err) < 0 ||
            write_str(p, "+memory +cpu +pids", err) < 0)
            return -1;
        if (memory_mib > 0) {
            snprintf(v, sizeof(v), "%lld", (long long)memory_mib * 1024 * 1024);
            if (cgroups_file_path(cg, NULL, rel, "memory.max", p, sizeof(p), err) < 0 || write_str(p, v, err) < 0)
                return -1;
        }
        if (cpu_units > 0) {
            snprintf(v, sizeof(v), "%lld %d", (long long)cgroups_cpu_quota_us(cpu_units), CFS_PERIOD_US);
            if (cgroups_file_path(cg, NULL, rel, "cpu.max", p, sizeof(p), err) < 0 || write_str(p, v, err) < 0)
                return -1;
        }
        return 0;
    }
    const char *ctrls[] = {"memory", "cpu"};
    for (size_t i = 0; i < ELEMENTSOF(ctrls); i++) {
        if (cgroups_file_path(cg, ctrls[i], rel, NULL, p, sizeof(p), err) < 0 || fs_mkdir_p(p, 0755, err) < 0)
            return -1;
    }
    if (memory_mib > 0) {
        snprintf(v, sizeof(v), "%lld", (long long)memory_mib * 1024 * 1024);
        if (cgroups_file_path(cg, "memory", rel, "memory.limit_in_bytes", p, sizeof(p), err) < 0 ||
            write_str(p, v, err) < 0)
            return -1;
    }
    if (cpu_units > 0) {
        snprintf(v, sizeof(v), "%d", CFS_PERIOD_US);
        if (cgroups_file_path(cg, "cpu", rel, "cpu.cfs_period_us", p, sizeof(p), err) < 0 || write_str(p, v, err) < 0)
            return -1;
        snprintf(v, sizeof(v), "%lld", (long long)cgroups_cpu_quota_us(cpu_units));
        if (cgroups_file_path(cg, "cpu", rel, "cpu.cfs_quota_us", p, sizeof(p), err) < 0 || write_str(p, v, err) < 0)
            return -1;
    }
    return 0;
}

/* MAJ:MIN of the whole disk holding path (a partition's parent). */
static int disk_of(const char *path, char *buf, size_t cap, struct error *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return error_sys(err, "stat %s", path);
    char sys[PATH_MAX];
    snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
    snprintf(buf, cap, "%u:%u", major(st.st_dev), minor(st.st_dev));
    char part[PATH_MAX + 16];
    snprintf(part, sizeof(part), "%s/partition", sys);
    if (access(part, F_OK) != 0)
        return access(sys, F_OK) == 0 ? 0 : error_set(err, ERR_NOT_FOUND, "%s is on no block device", path);
    snprintf(part, sizeof(part), "%s/../dev", sys);
    _cleanup_free_ char *text = NULL;
    if (fs_read_file(part, 64, &text, NULL, err) < 0)
        return -1;
    text[strcspn(text, "\n")] = '\0';
    snprintf(buf, cap, "%s", text);
    return 0;
}

int cgroups_count_io(const struct cgroups *cg, const char *path, struct error *err)
{
    if (cg->v2)
        return 0;
    char dev[64], p[PATH_MAX], rule[96];
    if (disk_of(path, dev, sizeof(dev), err) < 0)
        return -1;
    char rel[300];
    snprintf(rel, sizeof(rel), "/%s", cg->parent);
    if (cgroups_file_path(cg, "blkio", rel, NULL, p, sizeof(p), err) < 0 || fs_mkdir_p(p, 0755, err) < 0 ||
        cgroups_file_path(cg, "blkio", rel, "blkio.throttle.read_bps_device", p, sizeof(p), err) < 0)
        return -1;
    snprintf(rule, sizeof(rule), "%s %llu", dev, 1ULL << 40);
    return write_str(p, rule, err);
}

/* rmdir a cgroup directory and its child cgroups, depth first. */
static int rmdir_tree(const char *dir, int depth, struct error *err)
{
    if (depth > 32)
        return error_set(err, ERR_LIMIT, "cgroup tree too deep at %s", dir);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : error_sys(err, "open %s", dir);
    int r = 0;
    struct dirent *de;
    while (r == 0) {
        de = readdir(d);
        if (!de)
            break;
        if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char sub[PATH_MAX];
        if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= sizeof(sub)) {
            r = error_set(err, ERR_LIMIT, "cgroup path too long");
            break;
        }
        r = rmdir_tree(sub, depth + 1, err);
    }
    closedir(d);
    if (r < 0)
        return r;
    if (rmdir(dir) < 0 && errno != ENOENT) {
        if (errno == EBUSY)
            return error_set(err, ERR_CONFLICT, "cgroup %s still has processes", dir);
        return error_sys(err, "rmdir %s", dir);
    }
    return 0;
}

int cgroups_remove_path(const struct cgroups *cg, const char *path, struct error *err)
{
    char p[PATH_MAX];
    if (cg->v2) {
        if (cgroups_file_path(cg, NULL, path, NULL, p, sizeof(p), err) < 0)
            return -1;
        return rmdir_tree(p, 0, err);
    }
    /* Every hierarchy mounted below the root, including a hybrid host's
     * cgroup2 at unified/, where the runtimes also place containers (symlinks such as
     * cpu -> cpu,cpuacct just repeat one; the second pass finds nothing). */
    DIR *d = opendir(cg->root);
    if (!d)
        return error_sys(err, "open %s", cg->root);
    int r = 0;
    struct dirent *de;
    for (;;) {
        de = readdir(d);
        if (!de)
            break;
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        if (cgroups_file_path(cg, de->d_name, path, NULL, p, sizeof(p), err) < 0) {
            r = -1;
            break;
        }
        struct error e2;
        if (rmdir_tree(p, 0, &e2) < 0 && r == 0) {
            r = -1;
            if (err)
                *err = e2;
        }
    }
    closedir(d);
    return r;
}

int cgroups_task_remove(const struct cgroups *cg, const char *task_id, struct error *err)
{
    if (!name_ok(task_id))
        return error_set(err, ERR_INVALID, "bad task id \"%s\" for a cgroup name", task_id);
    char rel[512];
    snprintf(rel, sizeof(rel), "/%s/%s", cg->parent, task_id);
    return cgroups_remove_path(cg, rel, err);
}

int cgroups_oom_kills(const struct cgroups *cg, const char *path, uint64_t *ret, struct error *err)
{
    char p[PATH_MAX];
    if (cgroups_file_path(cg, "memory", path, cg->v2 ? "memory.events" : "memory.oom_control", p, sizeof(p), err) < 0)
        return -1;
    _cleanup_free_ char *text = NULL;
    if (fs_read_file(p, LIMIT_CGROUP_FILE, &text, NULL, err) < 0)
        return -1;
    const char *line = text;
    while (line && *line) {
        if (strncmp(line, "oom_kill ", 9) == 0) {
            *ret = strtoull(line + 9, NULL, 10);
            return 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    /* Kernels before 4.13 have no oom_kill counter in v1: under_oom is
     * the best we can do (the runtime's OOM-kill exit still reads 137). */
    *ret = 0;
    return 0;
}
