/* task_metadata.c - what the task metadata endpoint answers (see
 * task_metadata.h), in the shapes of the ECS developer guide's "task
 * metadata endpoint version 4" (and version 3, its subset).
 *
 * Stats are Docker's stats object (what `docker stats` reads), fed from
 * each container's own cgroup (<parent>/<task>/<container>): cpu_stats
 * with the host's system_cpu_usage from /proc/stat, memory_stats with
 * memory.stat's keys; precpu_stats is the sample the previous request
 * took (zero on the first), as Docker's one-shot reads give it; networks
 * from the host side of the container's veth (bridge, awsvpc);
 * blkio_stats from the blkio throttle counters (v1) or io.stat (v2).  Not
 * filled: pids_stats (present, empty), which the README states.  (On
 * cgroup v1 with a multi-queue kernel the throttle counters count only
 * once some throttle rule is set on the device.) */
#include "agent/task/task_metadata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "agent/runtime/cgroup_usage.h"
#include "agent/task/restart_policy.h"

static json_t *iso(usec_t t)
{
    if (!t)
        return NULL;
    time_t secs = (time_t)(t / USEC_PER_SEC);
    struct tm tm;
    char buf[48];
    if (!gmtime_r(&secs, &tm))
        return NULL;
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%06lldZ", (long long)(t % USEC_PER_SEC));
    return json_string(buf);
}

static const char *status_of(enum ctr_state s)
{
    return s == CTR_RUNNING ? "RUNNING" : s == CTR_PENDING ? "PENDING" : "STOPPED";
}

/* The task's containerArn for c, from the task as the server sent it. */
static const char *container_arn(const struct task_runner *t, const struct runner_ctr *c)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(t->task, "containers"), i, x) {
        const char *name = json_string_value(json_object_get(x, "name"));
        if (name && strcmp(name, c->name) == 0)
            return json_string_value(json_object_get(x, "containerArn"));
    }
    return NULL;
}

static json_t *labels(const struct task_runner *t, const struct runner_ctr *c)
{
    json_t *def = json_object_get(t->task, "taskDefinition");
    char rev[32];
    snprintf(rev, sizeof(rev), "%lld", (long long)json_integer_value(json_object_get(def, "revision")));
    return json_pack("{s:O?, s:s, s:s, s:O?, s:s}", "com.amazonaws.ecs.cluster", json_object_get(t->task, "clusterArn"),
                     "com.amazonaws.ecs.container-name", c->name, "com.amazonaws.ecs.task-arn", t->arn,
                     "com.amazonaws.ecs.task-definition-family", json_object_get(def, "family"),
                     "com.amazonaws.ecs.task-definition-version", rev);
}

static json_t *networks(const struct task_runner *t, const struct runner_ctr *c)
{
    const char *mode = t->net_mode[0] ? t->net_mode : "bridge";
    json_t *n = json_pack("{s:s}", "NetworkMode", mode);
    if (c->addr[0])
        json_object_set_new(n, "IPv4Addresses", json_pack("[s]", c->addr));
    return json_pack("[o]", n);
}

/* Under t->lock. */
static json_t *container_locked(struct task_runner *t, struct runner_ctr *c, bool v4)
{
    json_t *log = json_object_get(c->def, "logConfiguration");
    json_t *j = json_pack("{s:s, s:s, s:s, s:O?, s:o, s:s, s:s, s:{s:I, s:I}, s:s}", "DockerId", c->id, "Name", c->name,
                          "DockerName", c->id, "Image", json_object_get(c->def, "image"), "Labels", labels(t, c),
                          "DesiredStatus", t->want_stop ? "STOPPED" : "RUNNING", "KnownStatus", status_of(c->state),
                          "Limits", "CPU", (json_int_t)json_integer_value(json_object_get(c->def, "cpu")), "Memory",
                          (json_int_t)json_integer_value(json_object_get(c->def, "memory")), "Type", "NORMAL");
    if (!j)
        return NULL;
    if (c->image_digest[0])
        json_object_set_new(j, "ImageID", json_string(c->image_digest));
    json_t *at = iso(c->started_at);
    if (at) {
        json_object_set(j, "CreatedAt", at);
        json_object_set_new(j, "StartedAt", at);
    }
    if (c->state == CTR_EXITED)
        json_object_set_new(j, "ExitCode", json_integer(c->exit_code));
    /* As ECS: for containers whose restart policy is on. */
    if (restart_policy_enabled(json_object_get(c->def, "restartPolicy")))
        json_object_set_new(j, "RestartCount", json_integer(c->restart_count));
    if (json_is_string(json_object_get(log, "logDriver"))) {
        json_object_set(j, "LogDriver", json_object_get(log, "logDriver"));
        json_t *opts = json_object_get(log, "options");
        json_object_set_new(j, "LogOptions", opts ? json_deep_copy(opts) : json_object());
    }
    json_object_set_new(j, "Networks", networks(t, c));
    const char *carn = container_arn(t, c);
    if (v4 && carn)
        json_object_set_new(j, "ContainerARN", json_string(carn));
    return j;
}

json_t *task_metadata_container(struct task_runner *t, struct runner_ctr *c, bool v4)
{
    pthread_mutex_lock(&t->lock);
    json_t *j = container_locked(t, c, v4);
    pthread_mutex_unlock(&t->lock);
    return j;
}

static const char *task_known_status(const struct task_runner *t)
{
    if (t->finished)
        return "STOPPED";
    bool pending = false;
    for (size_t i = 0; i < t->nctrs; i++) {
        if (t->ctrs[i].state == CTR_RUNNING)
            return "RUNNING";
        pending |= t->ctrs[i].state == CTR_PENDING;
    }
    return pending ? "PENDING" : "STOPPED";
}

json_t *task_metadata_task(struct task_runner *t, bool v4)
{
    json_t *def = json_object_get(t->task, "taskDefinition");
    const char *cpu = json_string_value(json_object_get(t->task, "cpu"));
    const char *mem = json_string_value(json_object_get(t->task, "memory"));
    char rev[32];
    snprintf(rev, sizeof(rev), "%lld", (long long)json_integer_value(json_object_get(def, "revision")));
    pthread_mutex_lock(&t->lock);
    json_t *ctrs = json_array();
    for (size_t i = 0; i < t->nctrs; i++)
        json_array_append_new(ctrs, container_locked(t, &t->ctrs[i], v4));
    json_t *j =
        json_pack("{s:O?, s:s, s:O?, s:s, s:s, s:s, s:o}", "Cluster", json_object_get(t->task, "clusterArn"), "TaskARN",
                  t->arn, "Family", json_object_get(def, "family"), "Revision", rev, "DesiredStatus",
                  t->want_stop ? "STOPPED" : "RUNNING", "KnownStatus", task_known_status(t), "Containers", ctrs);
    pthread_mutex_unlock(&t->lock);
    if (!j)
        return NULL;
    json_t *limits = json_object();
    if (cpu)
        json_object_set_new(limits, "CPU", json_real(strtod(cpu, NULL) / 1024.0));
    if (mem)
        json_object_set_new(limits, "Memory", json_integer(strtoll(mem, NULL, 10)));
    json_object_set_new(j, "Limits", limits);
    if (v4) {
        json_object_set(j, "AvailabilityZone", json_object_get(t->task, "availabilityZone"));
        json_object_set_new(j, "LaunchType", json_string("EC2"));
        const char *group = json_string_value(json_object_get(t->task, "group"));
        if (group && strncmp(group, "service:", 8) == 0)
            json_object_set_new(j, "ServiceName", json_string(group + 8));
    }
    return j;
}

/* The host's CPU time in nanoseconds (/proc/stat's first line), as Docker's
 * system_cpu_usage. */
static uint64_t system_cpu_ns(void)
{
    _cleanup_free_ char *text = NULL;
    struct error ignore;
    if (fs_read_file("/proc/stat", 64u * 1024, &text, NULL, &ignore) < 0 || strncmp(text, "cpu ", 4) != 0)
        return 0;
    uint64_t sum = 0;
    char *p = text + 4;
    for (int k = 0; k < 8; k++) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p)
            break;
        sum += v;
        p = end;
    }
    long hz = sysconf(_SC_CLK_TCK);
    return sum * (hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull);
}

/* Docker's networks member: {"eth0": counters} from the host side of the
 * container's veth, whose receive is the container's transmit; {} without
 * one (host and none networks). */
static json_t *network_stats(const char *veth)
{
    json_t *o = json_object();
    if (!veth[0])
        return o;
    static const char *const names[][2] = {
        {"rx_bytes", "tx_bytes"},     {"rx_packets", "tx_packets"}, {"rx_errors", "tx_errors"},
        {"rx_dropped", "tx_dropped"}, {"tx_bytes", "rx_bytes"},     {"tx_packets", "rx_packets"},
        {"tx_errors", "rx_errors"},   {"tx_dropped", "rx_dropped"},
    };
    json_t *eth = json_object();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[128];
        _cleanup_free_ char *text = NULL;
        struct error ignore;
        snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", veth, names[i][1]);
        if (fs_read_file(path, 64, &text, NULL, &ignore) < 0) {
            json_decref(eth);
            return o;
        }
        json_object_set_new(eth, names[i][0], json_integer((json_int_t)strtoull(text, NULL, 10)));
    }
    json_object_set_new(o, "eth0", eth);
    return o;
}

/* memory.stat's "key value" lines as an object. */
static json_t *stat_object(const char *text)
{
    json_t *o = json_object();
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        const char *sp = memchr(p, ' ', nl ? (size_t)(nl - p) : strlen(p));
        if (sp && sp > p && sp - p < 64) {
            char key[64];
            snprintf(key, sizeof(key), "%.*s", (int)(sp - p), p);
            json_object_set_new(o, key, json_integer((json_int_t)strtoull(sp + 1, NULL, 10)));
        }
        p = nl ? nl + 1 : NULL;
    }
    return o;
}

static json_t *cpu_stats(uint64_t total, uint64_t user, uint64_t system, uint64_t host)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return json_pack("{s:{s:I, s:I, s:I}, s:I, s:i, s:{s:i, s:i, s:i}}", "cpu_usage", "total_usage", (json_int_t)total,
                     "usage_in_kernelmode", (json_int_t)system, "usage_in_usermode", (json_int_t)user,
                     "system_cpu_usage", (json_int_t)host, "online_cpus", (int)(cpus > 0 ? cpus : 1), "throttling_data",
                     "periods", 0, "throttled_periods", 0, "throttled_time", 0);
}

/* One Docker blkio entry. */
static void blkio_add(json_t *list, unsigned maj, unsigned min, const char *op, uint64_t value)
{
    json_array_append_new(list, json_pack("{s:I, s:I, s:s, s:I}", "major", (json_int_t)maj, "minor", (json_int_t)min,
                                          "op", op, "value", (json_int_t)value));
}

/* v1: "MAJ:MIN Op value" lines; the closing "Total N" line has no device. */
static json_t *blkio_v1(const char *text)
{
    json_t *list = json_array();
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        unsigned maj, min;
        char op[16];
        unsigned long long v;
        if (sscanf(p, "%u:%u %15s %llu", &maj, &min, op, &v) == 4)
            blkio_add(list, maj, min, op, v);
        p = nl ? nl + 1 : NULL;
    }
    return list;
}

/* v2: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. ..." lines; rkey and
 * wkey pick the pair. */
static json_t *blkio_v2(const char *text, const char *rkey, const char *wkey)
{
    json_t *list = json_array();
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
        unsigned maj, min;
        if (sscanf(line, "%u:%u", &maj, &min) == 2) {
            const char *keys[2] = {rkey, wkey}, *ops[2] = {"read", "write"};
            for (int i = 0; i < 2; i++) {
                char pat[24];
                snprintf(pat, sizeof(pat), " %s=", keys[i]);
                const char *at = strstr(line, pat);
                blkio_add(list, maj, min, ops[i], at ? strtoull(at + strlen(pat), NULL, 10) : 0);
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    return list;
}

json_t *task_metadata_blkio(const char *bytes, const char *ios, bool v2)
{
    json_t *b = v2 ? blkio_v2(bytes, "rbytes", "wbytes") : blkio_v1(bytes);
    json_t *n = v2 ? blkio_v2(bytes, "rios", "wios") : blkio_v1(ios);
    return json_pack("{s:o, s:o, s:[], s:[], s:[], s:[], s:[], s:[]}", "io_service_bytes_recursive", b,
                     "io_serviced_recursive", n, "io_queue_recursive", "io_service_time_recursive",
                     "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive", "sectors_recursive");
}

json_t *task_metadata_stats(struct task_runner *t, struct runner_ctr *c)
{
    pthread_mutex_lock(&t->lock);
    bool running = c->state == CTR_RUNNING;
    pthread_mutex_unlock(&t->lock);
    if (!running)
        return json_null();
    char name[128];
    snprintf(name, sizeof(name), "%s/%s", t->id, c->id);
    struct cgroup_stats s;
    struct error err;
    if (cgroup_usage_read_stats(&t->env->rt.cg, name, &s, &err) < 0) {
        log_debug("task %s: no stats for %s: %s", t->id, c->name, err.msg);
        return json_null();
    }
    usec_t now = time_now();
    uint64_t host = system_cpu_ns();
    pthread_mutex_lock(&t->lock);
    json_t *pre = cpu_stats(c->pre_cpu[0], c->pre_cpu[1], c->pre_cpu[2], c->pre_cpu[3]);
    json_t *preread = c->pre_read ? iso(c->pre_read) : json_string("0001-01-01T00:00:00Z");
    c->pre_cpu[0] = s.cpu_ns;
    c->pre_cpu[1] = s.cpu_user_ns;
    c->pre_cpu[2] = s.cpu_system_ns;
    c->pre_cpu[3] = host;
    c->pre_read = now;
    char veth[sizeof(c->veth)];
    snprintf(veth, sizeof(veth), "%s", c->veth);
    pthread_mutex_unlock(&t->lock);
    json_t *mem = json_pack("{s:I, s:o, s:I}", "usage", (json_int_t)s.memory_usage, "stats", stat_object(s.memory_stat),
                            "limit", (json_int_t)s.memory_limit);
    if (mem && s.memory_max_usage)
        json_object_set_new(mem, "max_usage", json_integer((json_int_t)s.memory_max_usage));
    json_t *blkio = task_metadata_blkio(s.io_bytes, s.io_ios, t->env->rt.cg.v2);
    cgroup_stats_clear(&s);
    char dname[128];
    snprintf(dname, sizeof(dname), "/%s", c->id);
    return json_pack("{s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:{}, s:o, s:i, s:{}}", "read", iso(now), "preread",
                     preread, "name", dname, "id", c->id, "cpu_stats",
                     cpu_stats(s.cpu_ns, s.cpu_user_ns, s.cpu_system_ns, host), "precpu_stats", pre, "memory_stats",
                     mem, "networks", network_stats(veth), "pids_stats", "blkio_stats", blkio, "num_procs", 0,
                     "storage_stats");
}

json_t *task_metadata_task_stats(struct task_runner *t)
{
    json_t *o = json_object();
    for (size_t i = 0; i < t->nctrs; i++)
        json_object_set_new(o, t->ctrs[i].id, task_metadata_stats(t, &t->ctrs[i]));
    return o;
}
