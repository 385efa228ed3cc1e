/* task_runner.c - one task's life on this host, in its own thread:
 *
 *   pull images -> task cgroup and volumes -> start containers in dependsOn
 *   order -> watch (exits, health, stop requests) -> stop in reverse order
 *   -> report STOPPED -> clean up (runtime state, mounts, cgroups, volumes)
 *
 * It waits on events, never on sleeps: an inotify watch on each container's
 * directory sees conmon write the exit file, an eventfd carries stop
 * requests and health changes.  State the server must see goes through
 * agent_report_task() (SubmitTaskStateChange).  A runner adopted after an
 * agent restart skips what was already done: containers conmon kept running
 * are watched again, exits that happened meanwhile are reported. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/proto.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "agent/runtime/container_spec.h"
#include "agent/image/image.h"
#include "agent/reporter.h"
#include "agent/task/runner.h"
#include "agent/runtime/spawn.h"

#define DEFAULT_STOP_TIMEOUT (30 * USEC_PER_SEC)

void runner_wake(struct task_runner *t)
{
    uint64_t one = 1;
    ssize_t w = write(t->wake_fd, &one, sizeof(one));
    (void)w;
    pthread_mutex_lock(&t->lock);
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

static void task_dir(const struct task_runner *t, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/tasks/%s", t->env->agent->cfg.data_dir, t->id);
}

static double epoch_now(void) { return time_to_epoch_seconds(time_now()); }

static const char *ctr_status_name(enum ctr_state s)
{
    return s == CTR_RUNNING ? "RUNNING" : s == CTR_PENDING ? "PENDING" : "STOPPED";
}

/* The containers' states as SubmitTaskStateChange wants them. */
static json_t *containers_report(struct task_runner *t)
{
    json_t *list = json_array();
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        json_t *r = json_pack("{s:s, s:s}", "containerName", c->name, "status", ctr_status_name(c->state));
        if (c->state != CTR_PENDING && c->state != CTR_NOT_STARTED)
            json_object_set_new(r, "runtimeId", json_string(c->id));
        if (c->image_digest[0])
            json_object_set_new(r, "imageDigest", json_string(c->image_digest));
        if (c->state == CTR_EXITED)
            json_object_set_new(r, "exitCode", json_integer(c->exit_code));
        if (c->reason[0])
            json_object_set_new(r, "reason", json_string(c->reason));
        json_t *nb = c->state == CTR_RUNNING ? network_bindings_json(t->net, i) : NULL;
        if (nb)
            json_object_set_new(r, "networkBindings", nb);
        json_array_append_new(list, r);
    }
    return list;
}

static void report(struct task_runner *t, const char *status, const char *reason, json_t *extra)
{
    agent_report_task(t->inst, t->arn, status, reason, containers_report(t), extra);
}

static const char *const start_mark_names[MARK_COUNT] = {
    [MARK_RECEIVED] = "received", [MARK_THREAD] = "thread",   [MARK_PERSISTED] = "persist", [MARK_CGROUP] = "cgroup",
    [MARK_NETWORK] = "network",   [MARK_IMAGES] = "images",   [MARK_BUNDLE] = "bundle",     [MARK_CREATED] = "create",
    [MARK_STARTED] = "start",     [MARK_REPORTED] = "report",
};

static void mark(struct task_runner *t, enum start_mark m) { t->start_marks[m] = time_monotonic(); }

/* One line with what each step of the start took: the first mark is
 * absolute (CLOCK_MONOTONIC, to line up with other processes' clocks), the
 * rest are milliseconds since the previous mark.  Adopted tasks have none. */
static void log_start_marks(struct task_runner *t)
{
    if (!t->start_marks[MARK_RECEIVED])
        return;
    char line[512];
    size_t len = (size_t)snprintf(line, sizeof(line), "received=%lld", (long long)t->start_marks[MARK_RECEIVED]);
    for (int m = MARK_RECEIVED + 1; m < MARK_COUNT && len < sizeof(line); m++) {
        usec_t step = t->start_marks[m] && t->start_marks[m - 1] ? t->start_marks[m] - t->start_marks[m - 1] : 0;
        len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%.2f", start_mark_names[m],
                                (double)step / USEC_PER_MSEC);
    }
    /* The whole pull, most of it hidden behind the steps before "images". */
    log_info("task %s: start timing (ms): %s pull=%.2f", t->id, line, (double)t->pull_took / USEC_PER_MSEC);
}

static bool should_stop(struct task_runner *t)
{
    pthread_mutex_lock(&t->lock);
    bool stop = t->want_stop || t->shutdown;
    pthread_mutex_unlock(&t->lock);
    return stop;
}

/* ---- images ----------------------------------------------------------- */

static int pull_images(struct task_runner *t, char *why, size_t cap)
{
    struct image_pull_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.registry.insecure = t->env->insecure;
    opts.registry.n_insecure = t->env->n_insecure;
    image_platform_default(&opts.platform);
    json_t *platform = json_object_get(json_object_get(t->task, "taskDefinition"), "runtimePlatform");
    const char *arch = json_string_value(json_object_get(platform, "cpuArchitecture"));
    if (arch && strcmp(arch, "ARM64") == 0)
        snprintf(opts.platform.arch, sizeof(opts.platform.arch), "arm64");
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        const char *image = json_string_value(json_object_get(c->def, "image"));
        json_t *creds = json_object_get(c->def, "repositoryCredentials");
        /* berth reads basic credentials from the credentialsParameter as
         * "user:password" (no Secrets Manager here). */
        char user[256] = "", *pass = NULL;
        const char *param = json_string_value(json_object_get(creds, "credentialsParameter"));
        if (param && strchr(param, ':') && strlen(param) < sizeof(user)) {
            snprintf(user, sizeof(user), "%s", param);
            pass = strchr(user, ':');
            *pass++ = '\0';
            opts.registry.username = user;
            opts.registry.password = pass;
        }
        struct image_pulled pulled;
        struct error err;
        if (image_pull(t->env->images, image, &opts, &pulled, &err) < 0) {
            snprintf(why, cap, "CannotPullContainerError: %s", err.msg);
            snprintf(c->reason, sizeof(c->reason), "%s", why);
            return -1;
        }
        snprintf(c->image_digest, sizeof(c->image_digest), "%s", pulled.digest);
        opts.registry.username = opts.registry.password = NULL;
    }
    return 0;
}

/* ---- volumes ------------------------------------------------------------ */

struct volumes {
    struct container_spec_volume v[64];
    char paths[64][4096];
    size_t n;
};

static int prepare_volumes(struct task_runner *t, struct volumes *vols, struct error *err)
{
    char dir[4200];
    task_dir(t, dir, sizeof(dir));
    vols->n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(json_object_get(t->task, "taskDefinition"), "volumes"), i, v) {
        if (vols->n == 64)
            return error_set(err, ERR_LIMIT, "too many volumes");
        const char *name = json_string_value(json_object_get(v, "name"));
        /* The name becomes a directory under the data dir: no NULL, no escape. */
        if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            return error_set(err, ERR_INVALID, "volume %zu has no valid name", i);
        const char *host = json_string_value(json_object_get(json_object_get(v, "host"), "sourcePath"));
        json_t *dvc = json_object_get(v, "dockerVolumeConfiguration");
        char *path = vols->paths[vols->n];
        size_t cap = sizeof(vols->paths[0]);
        int len;
        if (host)
            len = snprintf(path, cap, "%s", host);
        else if (dvc && json_string_value(json_object_get(dvc, "scope")) &&
                 strcmp(json_string_value(json_object_get(dvc, "scope")), "shared") == 0)
            len = snprintf(path, cap, "%s/volumes/%s", t->env->agent->cfg.data_dir, name);
        else /* task-scoped: shared by the task's containers, removed with it */
            len = snprintf(path, cap, "%s/volumes/%s", dir, name);
        /* A path cut short would mount some other directory. */
        if (len < 0 || (size_t)len >= cap)
            return error_set(err, ERR_INVALID, "volume %s: path longer than %zu bytes", name, cap - 1);
        /* Docker creates a missing bind source; so does ECS. */
        if (fs_mkdir_p(path, 0755, err) < 0)
            return -1;
        vols->v[vols->n].name = name;
        vols->v[vols->n].host_path = path;
        vols->n++;
    }
    return 0;
}

/* ---- containers --------------------------------------------------------- */

static const char *network_mode(struct task_runner *t)
{
    const char *m = json_string_value(json_object_get(json_object_get(t->task, "taskDefinition"), "networkMode"));
    return m ? m : "bridge";
}

/* The task's network (network.c), before its first container starts; the
 * ENI attachment of an awsvpc task is reported at once (BerthAgent
 * ReportAttachments: SubmitTaskStateChange's model has no room for it). */
static int setup_network(struct task_runner *t, struct error *err)
{
    json_t **defs = calloc(t->nctrs ? t->nctrs : 1, sizeof(*defs));
    if (!defs)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < t->nctrs; i++)
        defs[i] = t->ctrs[i].def;
    int r = network_task_setup(t->env->net, t->id, t->task, defs, t->nctrs, &t->net, err);
    free(defs);
    if (r < 0)
        return -1;
    json_t *att = network_attachments_json(t->net);
    if (!att)
        return 0;
    json_t *ctrs = json_array();
    for (size_t i = 0; i < t->nctrs; i++)
        json_array_append_new(ctrs, json_pack("{s:s, s:o}", "containerName", t->ctrs[i].name, "networkInterfaces",
                                              network_interfaces_json(t->net, i)));
    json_t *body = json_pack("{s:s, s:s, s:o, s:o}", "cluster", t->env->agent->cfg.cluster, "task", t->arn,
                             "attachments", att, "containers", ctrs);
    reporter_send(t->env->agent->reporter, PROTO_AGENT_TARGET, PROTO_REPORT_ATTACHMENTS, body);
    return 0;
}

/* /etc/hosts entries for `links` ("name" or "name:alias") to the task's
 * other bridge-mode containers. */
static size_t link_hosts(struct task_runner *t, struct runner_ctr *c, struct etcfiles_host *hosts, size_t n, size_t cap,
                         char (*names)[256])
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c->def, "links"), i, v) {
        const char *link = json_string_value(v);
        if (!link || n + 2 > cap)
            continue;
        snprintf(names[n], 256, "%s", link);
        char *colon = strchr(names[n], ':');
        if (colon)
            *colon = '\0';
        for (size_t k = 0; k < t->nctrs; k++) {
            const char *addr = network_address(t->net, k);
            if (!addr || strcmp(t->ctrs[k].name, names[n]) != 0)
                continue;
            hosts[n].ip = addr;
            hosts[n].hostname = names[n];
            n++;
            if (colon) {
                snprintf(names[n], 256, "%s", strchr(link, ':') + 1);
                hosts[n].ip = addr;
                hosts[n].hostname = names[n];
                n++;
            }
            break;
        }
    }
    return n;
}

static int start_container(struct task_runner *t, struct runner_ctr *c, const struct volumes *vols, struct error *err)
{
    if (task_logs_check(c, err) < 0) /* as Docker, refuse log options it cannot honour */
        return -1;
    const char *image = json_string_value(json_object_get(c->def, "image"));
    if (container_spec_load_env_files(c->def, err) < 0)
        return -1;
    _cleanup_(imgconfig_freep) struct imgconfig *merged = NULL;
    if (image_config(t->env->images, image, c->def, &merged, err) < 0)
        return -1;
    char **lower = NULL;
    size_t nlower = 0;
    if (image_lower_dirs(t->env->images, image, &lower, &nlower, err) < 0)
        return -1;
    char netns_buf[4200];
    size_t idx = (size_t)(c - t->ctrs);
    char meta_task[800];
    snprintf(meta_task, sizeof(meta_task), "BERTH_TASK_ARN=%s", t->arn);
    const char *extra_env[] = {meta_task};
    struct container_spec_input in = {
        .container = c->def,
        .merged = merged,
        .all_containers = json_object_get(json_object_get(t->task, "taskDefinition"), "containerDefinitions"),
        .volumes = vols->v,
        .n_volumes = vols->n,
        .network_mode = network_mode(t),
        .netns = network_netns(t->env->net, t->net, idx, netns_buf, sizeof(netns_buf)),
        .init_path = t->env->init_path[0] ? t->env->init_path : NULL,
        .extra_env = extra_env,
        .n_extra_env = 1,
    };
    struct container_spec cs;
    if (container_spec_build(&in, &cs, err) < 0) {
        image_dirs_free(lower, nlower);
        return -1;
    }
    /* dnsServers, dnsSearchDomains, extraHosts, hostname -> /etc files. */
    const char *dns[16], *search[16];
    struct etcfiles_host hosts[48];
    char link_names[48][256];
    size_t ndns = 0, nsearch = 0, nhosts = 0;
    size_t i;
    json_t *v;
    /* Entries that are not strings are skipped, never written as "(null)". */
    json_array_foreach(json_object_get(c->def, "dnsServers"), i, v) {
        if (ndns < 16 && json_string_value(v))
            dns[ndns++] = json_string_value(v);
    }
    json_array_foreach(json_object_get(c->def, "dnsSearchDomains"), i, v) {
        if (nsearch < 16 && json_string_value(v))
            search[nsearch++] = json_string_value(v);
    }
    json_array_foreach(json_object_get(c->def, "extraHosts"), i, v) {
        const char *hn = json_string_value(json_object_get(v, "hostname"));
        const char *ip = json_string_value(json_object_get(v, "ipAddress"));
        if (nhosts < 32 && hn && ip) {
            hosts[nhosts].hostname = hn;
            hosts[nhosts].ip = ip;
            nhosts++;
        }
    }
    nhosts = link_hosts(t, c, hosts, nhosts, 48, link_names);
    const char *dns_name = network_dns_name(t->net);
    if (dns_name && nhosts < 48) {
        hosts[nhosts].ip = network_address(t->net, idx);
        hosts[nhosts].hostname = dns_name;
        nhosts++;
    }
    struct etcfiles_opts etc = {
        .hostname = cs.spec.hostname,
        .own_ip = network_address(t->net, idx),
        .host_network = strcmp(network_mode(t), "host") == 0,
        .dns_servers = dns,
        .n_dns_servers = ndns,
        .search_domains = search,
        .n_search_domains = nsearch,
        .extra_hosts = hosts,
        .n_extra_hosts = nhosts,
    };
    snprintf(c->stop_signal, sizeof(c->stop_signal), "%s", merged->stop_signal ? merged->stop_signal : "SIGTERM");
    struct runtime_create_opts co = {
        .runtime = t->env->kind,
        .lower = (const char *const *)lower,
        .n_lower = nlower,
        .task_id = t->id,
        .stop_signal = c->stop_signal,
        .etc = &etc,
        .ret_bundle_ready = &t->start_marks[MARK_BUNDLE],
    };
    int r = runtime_create(&t->env->rt, c->id, &cs.spec, &co, NULL, err);
    if (r == 0) {
        mark(t, MARK_CREATED);
        r = runtime_start(&t->env->rt, c->id, err);
    }
    if (r == 0)
        mark(t, MARK_STARTED);
    if (r < 0) {
        struct error e2;
        runtime_delete(&t->env->rt, c->id, &e2);
    }
    container_spec_free(&cs);
    image_dirs_free(lower, nlower);
    return r;
}

static struct runner_ctr *find_ctr(struct task_runner *t, const char *name)
{
    for (size_t i = 0; i < t->nctrs; i++)
        if (name && strcmp(t->ctrs[i].name, name) == 0)
            return &t->ctrs[i];
    return NULL;
}

enum dep { DEP_WAIT, DEP_MET, DEP_FAILED };

/* Whether c's dependsOn conditions hold (START, COMPLETE, SUCCESS, HEALTHY). */
static enum dep deps_state(struct task_runner *t, struct runner_ctr *c, char *why, size_t cap)
{
    size_t i;
    json_t *d;
    enum dep result = DEP_MET;
    json_array_foreach(json_object_get(c->def, "dependsOn"), i, d) {
        struct runner_ctr *dep = find_ctr(t, json_string_value(json_object_get(d, "containerName")));
        const char *cond = json_string_value(json_object_get(d, "condition"));
        if (!dep || !cond)
            continue;
        if (strcmp(cond, "START") == 0) {
            if (dep->state == CTR_PENDING)
                result = DEP_WAIT;
            else if (dep->state == CTR_NOT_STARTED)
                goto failed;
        } else if (strcmp(cond, "COMPLETE") == 0 || strcmp(cond, "SUCCESS") == 0) {
            if (dep->state == CTR_EXITED) {
                if (strcmp(cond, "SUCCESS") == 0 && dep->exit_code != 0)
                    goto failed;
            } else if (dep->state == CTR_NOT_STARTED) {
                goto failed;
            } else {
                result = DEP_WAIT;
            }
        } else if (strcmp(cond, "HEALTHY") == 0) {
            if (dep->health == HEALTH_UNHEALTHY || dep->state == CTR_EXITED || dep->state == CTR_NOT_STARTED)
                goto failed;
            if (dep->health != HEALTH_HEALTHY)
                result = DEP_WAIT;
        }
        continue;
    failed:
        snprintf(why, cap, "dependency %s of container %s did not reach %s", dep->name, c->name, cond);
        return DEP_FAILED;
    }
    return result;
}

/* ---- watching ----------------------------------------------------------- */

/* Refresh container states from the runtime; returns true when an
 * essential container has exited.  *ret_changed (may be NULL) tells whether
 * any container exited. */
static bool refresh_changed(struct task_runner *t, bool *ret_changed)
{
    bool essential_exited = false;
    if (ret_changed)
        *ret_changed = false;
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        if (c->state != CTR_RUNNING)
            continue;
        struct runtime_status st;
        struct error err;
        if (runtime_status(&t->env->rt, c->id, &st, &err) < 0)
            continue;
        if (st.state != RUNTIME_EXITED && st.state != RUNTIME_LOST)
            continue;
        pthread_mutex_lock(&t->lock);
        c->state = CTR_EXITED;
        c->exit_code = st.state == RUNTIME_LOST ? 137 : st.exit_code;
        c->oom = st.oom_killed;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        if (c->oom)
            snprintf(c->reason, sizeof(c->reason), "OutOfMemoryError: Container killed due to memory usage");
        else if (st.state == RUNTIME_LOST)
            snprintf(c->reason, sizeof(c->reason), "The container's monitor went away");
        log_info("task %s: container %s exited with %d%s", t->id, c->name, c->exit_code, c->oom ? " (OOM)" : "");
        health_stop(c);
        if (ret_changed)
            *ret_changed = true;
        if (c->essential)
            essential_exited = true;
    }
    return essential_exited;
}

static bool refresh(struct task_runner *t) { return refresh_changed(t, NULL); }

/* Block until something may have changed: an exit file, a wake-up, or
 * timeout_ms (for dependency deadlines). */
static void wait_event(struct task_runner *t, int inotify_fd, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = t->wake_fd, .events = POLLIN}, {.fd = inotify_fd, .events = POLLIN}};
    int r = poll(fds, inotify_fd >= 0 ? 2 : 1, timeout_ms);
    if (r <= 0)
        return;
    char buf[4096];
    if (fds[0].revents & POLLIN) {
        uint64_t n;
        ssize_t rd = read(t->wake_fd, &n, sizeof(n));
        (void)rd;
    }
    if (inotify_fd >= 0 && (fds[1].revents & POLLIN))
        while (read(inotify_fd, buf, sizeof(buf)) > 0)
            ;
}

static void watch_container(struct task_runner *t, int inotify_fd, struct runner_ctr *c)
{
    char dir[4200];
    struct error err;
    if (inotify_fd >= 0 && runtime_path(&t->env->rt, c->id, NULL, dir, sizeof(dir), &err) == 0)
        inotify_add_watch(inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
}

/* ---- stopping and cleaning up ------------------------------------------ */

static usec_t stop_timeout(struct runner_ctr *c)
{
    json_t *st = json_object_get(c->def, "stopTimeout");
    return st ? json_integer_value(st) * USEC_PER_SEC : DEFAULT_STOP_TIMEOUT;
}

static void stop_containers(struct task_runner *t)
{
    /* Reverse of start order, so dependencies outlive their dependents. */
    for (size_t k = t->nctrs; k-- > 0;) {
        struct runner_ctr *c = &t->ctrs[k];
        if (c->state != CTR_RUNNING)
            continue;
        struct runtime_status st;
        struct error err;
        if (runtime_stop(&t->env->rt, c->id, stop_timeout(c), &st, &err) < 0) {
            log_warn("task %s: stopping %s: %s", t->id, c->name, err.msg);
            continue;
        }
        pthread_mutex_lock(&t->lock);
        c->state = CTR_EXITED;
        c->exit_code = st.exit_code;
        c->oom = st.oom_killed;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        health_stop(c);
    }
}

static void cleanup(struct task_runner *t)
{
    char dir[4200], logs[4200];
    struct error err;
    task_dir(t, dir, sizeof(dir));
    snprintf(logs, sizeof(logs), "%s/logs/%s", t->env->agent->cfg.data_dir, t->id);
    fs_mkdir_p(logs, 0755, &err);
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        health_stop(c);
        /* Ship the last lines, keep the output: berth logs reads it after
         * the task is gone. */
        task_logs_finish(t, c, logs);
        if (runtime_delete(&t->env->rt, c->id, &err) < 0 && err.kind != ERR_NOT_FOUND)
            log_warn("task %s: removing %s: %s", t->id, c->name, err.msg);
    }
    if (cgroups_task_remove(&t->env->rt.cg, t->id, &err) < 0)
        log_warn("task %s: %s", t->id, err.msg);
    network_task_teardown(t->env->net, t->net);
    t->net = NULL;
    if (fs_rmtree(dir, &err) < 0)
        log_warn("task %s: %s", t->id, err.msg);
}

/* ---- the task's life ---------------------------------------------------- */

static int64_t task_size(json_t *task, const char *key)
{
    const char *s = json_string_value(json_object_get(task, key));
    if (!s)
        s = json_string_value(json_object_get(json_object_get(task, "taskDefinition"), key));
    return s ? strtoll(s, NULL, 10) : 0;
}

/* The task record a restarted agent adopts the task from.  Written to the
 * page cache here, which a crashed agent's successor sees; made durable by
 * persist_task_sync() beside the next steps. */
static int persist_task(struct task_runner *t, struct error *err)
{
    char dir[4200], path[4300];
    task_dir(t, dir, sizeof(dir));
    if (fs_mkdir_p(dir, 0700, err) < 0)
        return -1;
    json_t *rec = json_pack("{s:O, s:s}", "task", t->task, "instance", t->inst->arn);
    char *text = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    snprintf(path, sizeof(path), "%s/task.json", dir);
    int r = fs_replace_file(path, text, strlen(text), err);
    free(text);
    return r;
}

/* fsync task.json, its directory and the tasks directory, so that the
 * record survives a power cut once a container exists. */
static void *persist_task_sync(void *arg)
{
    struct task_runner *t = arg;
    char dir[4200], path[4300];
    struct error err;
    task_dir(t, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/task.json", dir);
    if (fs_fsync_file(path, &err) < 0 || fs_fsync_dir(dir, &err) < 0 || fs_fsync_dir(dirname(dir), &err) < 0)
        log_warn("task %s: %s (it may not survive a host crash)", t->id, err.msg);
    return NULL;
}

/* Work that runs in a thread of its own beside the runner's next steps and
 * is joined before its result is needed (or, if no thread could start, is
 * done at the join). */
struct beside {
    pthread_t thread;
    bool threaded;
    void *(*fn)(void *);
    void *arg;
};

static void beside_begin(struct beside *b, void *(*fn)(void *), void *arg)
{
    b->fn = fn;
    b->arg = arg;
    b->threaded = pthread_create(&b->thread, NULL, fn, arg) == 0;
}

static void beside_end(struct beside *b)
{
    if (b->threaded)
        pthread_join(b->thread, NULL);
    else if (b->fn)
        b->fn(b->arg);
    b->fn = NULL;
    b->threaded = false;
}

/* The image check: even for a cached image it is a round trip to the
 * registry, as a tag may have moved.  Nothing before the first container
 * needs the image, so it runs beside task record, cgroup and network. */
struct pull_job {
    struct task_runner *t;
    int rc;
    usec_t took;
    char why[1200];
};

static void *pull_main(void *arg)
{
    struct pull_job *j = arg;
    usec_t began = time_monotonic();
    j->rc = pull_images(j->t, j->why, sizeof(j->why));
    j->took = time_monotonic() - began;
    return NULL;
}

/* Task cgroup, volumes and network; *ret_network_failed tells which failed. */
static int prepare_host(struct task_runner *t, struct volumes *vols, bool *ret_network_failed, struct error *err)
{
    *ret_network_failed = false;
    if (cgroups_task_create(&t->env->rt.cg, t->id, task_size(t->task, "memory"), task_size(t->task, "cpu"), err) < 0 ||
        prepare_volumes(t, vols, err) < 0)
        return -1;
    mark(t, MARK_CGROUP);
    bool any_running = false;
    for (size_t i = 0; i < t->nctrs; i++)
        any_running |= t->ctrs[i].state == CTR_RUNNING;
    /* Adopted before any container ran: the agent may have died halfway
     * through building the network, so build it again from scratch. */
    if (t->net && t->adopt && !any_running) {
        network_task_teardown(t->env->net, t->net);
        t->net = NULL;
    }
    /* An adopted task without a plan and with running containers predates
     * network setup: leave it as it is. */
    if (!t->net && !(t->adopt && any_running) && setup_network(t, err) < 0) {
        *ret_network_failed = true;
        return -1;
    }
    mark(t, MARK_NETWORK);
    return 0;
}

static void run(struct task_runner *t)
{
    char why[1200] = "";
    struct error err;
    _cleanup_close_ int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    bool started_all = false;
    struct volumes *vols = calloc(1, sizeof(*vols));
    if (!vols)
        return;

    mark(t, MARK_THREAD);
    struct pull_job pull = {.t = t};
    struct beside pulling = {0}, syncing = {0};
    if (!t->adopt) {
        /* Reported before the pull starts: it writes the containers' image
         * digests, which a report reads. */
        report(t, "PENDING", NULL, json_pack("{s:f}", "pullStartedAt", epoch_now()));
        beside_begin(&pulling, pull_main, &pull);
        /* Before anything of the task exists on this host, so that a
         * restarted agent finds it to adopt (or clean up). */
        if (persist_task(t, &err) < 0)
            log_warn("task %s: %s (it will not survive an agent restart)", t->id, err.msg);
        else
            beside_begin(&syncing, persist_task_sync, t);
        mark(t, MARK_PERSISTED);
    }
    bool network_failed = false;
    int prepared = prepare_host(t, vols, &network_failed, &err);
    if (!t->adopt) {
        beside_end(&pulling);
        beside_end(&syncing); /* task.json is durable before any container exists */
        mark(t, MARK_IMAGES);
        t->pull_took = pull.took;
        if (pull.rc < 0) {
            snprintf(why, sizeof(why), "%s", pull.why);
            for (size_t i = 0; i < t->nctrs; i++)
                t->ctrs[i].state = CTR_NOT_STARTED;
            report(t, "STOPPED", why,
                   json_pack("{s:f, s:f}", "pullStoppedAt", epoch_now(), "executionStoppedAt", epoch_now()));
            cleanup(t);
            free(vols);
            return;
        }
        report(t, "ACTIVATING", NULL, json_pack("{s:f}", "pullStoppedAt", epoch_now()));
    }
    if (prepared < 0 && !network_failed) {
        snprintf(why, sizeof(why), "CannotCreateContainerError: %s", err.msg);
        goto stop;
    }
    if (prepared < 0) {
        snprintf(why, sizeof(why), "CannotStartContainerError: network: %s", err.msg);
        for (size_t i = 0; i < t->nctrs; i++)
            if (t->ctrs[i].state == CTR_PENDING)
                snprintf(t->ctrs[i].reason, sizeof(t->ctrs[i].reason), "%s", why);
        goto stop;
    }
    for (size_t i = 0; i < t->nctrs; i++)
        if (t->ctrs[i].state == CTR_RUNNING)
            watch_container(t, ino, &t->ctrs[i]);

    /* Start what can start; watch; stop when asked or when an essential
     * container exits. */
    usec_t began = time_monotonic();
    for (;;) {
        if (should_stop(t)) {
            pthread_mutex_lock(&t->lock);
            bool shutdown = t->shutdown && !t->want_stop;
            pthread_mutex_unlock(&t->lock);
            if (shutdown) {
                free(vols);
                return; /* containers keep running; a restarted agent adopts them */
            }
            if (!why[0])
                snprintf(why, sizeof(why), "Task stopped by the scheduler");
            goto stop;
        }
        bool changed = false;
        if (refresh_changed(t, &changed)) {
            snprintf(why, sizeof(why), "Essential container in task exited");
            goto stop;
        }
        if (changed) /* a non-essential container exited: say so now */
            report(t, started_all ? "RUNNING" : "ACTIVATING", NULL, NULL);
        bool waiting = false;
        bool started_some = false;
        int next_timeout = -1;
        for (size_t i = 0; i < t->nctrs; i++) {
            struct runner_ctr *c = &t->ctrs[i];
            if (c->state != CTR_PENDING)
                continue;
            enum dep d = deps_state(t, c, why, sizeof(why));
            if (d == DEP_FAILED) {
                c->state = CTR_NOT_STARTED;
                snprintf(c->reason, sizeof(c->reason), "%s", why);
                if (c->essential)
                    goto stop;
                why[0] = '\0';
                continue;
            }
            if (d == DEP_WAIT) {
                json_t *st = json_object_get(c->def, "startTimeout");
                usec_t limit = st ? json_integer_value(st) * USEC_PER_SEC : 0;
                if (limit && time_monotonic() - began > limit) {
                    c->state = CTR_NOT_STARTED;
                    snprintf(why, sizeof(why), "Container %s dependencies were not resolved within its startTimeout",
                             c->name);
                    snprintf(c->reason, sizeof(c->reason), "%s", why);
                    goto stop;
                }
                waiting = true;
                next_timeout = 500; /* re-check the startTimeout */
                continue;
            }
            if (start_container(t, c, vols, &err) < 0) {
                c->state = CTR_NOT_STARTED;
                snprintf(c->reason, sizeof(c->reason), "CannotStartContainerError: %s", err.msg);
                snprintf(why, sizeof(why), "%s", c->reason);
                log_warn("task %s: container %s: %s", t->id, c->name, err.msg);
                if (c->essential)
                    goto stop;
                continue;
            }
            pthread_mutex_lock(&t->lock);
            c->state = CTR_RUNNING;
            pthread_mutex_unlock(&t->lock);
            watch_container(t, ino, c);
            task_logs_start(t, c);
            health_start(c);
            log_info("task %s: container %s running", t->id, c->name);
            started_some = true;
            i = (size_t)-1; /* a start may satisfy another's START dependency */
            if (refresh(t)) {
                snprintf(why, sizeof(why), "Essential container in task exited");
                goto stop;
            }
        }
        /* One report for what this pass started: the server's RUNNING
         * need not queue behind an ACTIVATING it would overwrite at once. */
        if (!waiting && !started_all) {
            started_all = true;
            report(t, "RUNNING", NULL, NULL);
            mark(t, MARK_REPORTED);
            log_start_marks(t);
        } else if (started_some) {
            report(t, started_all ? "RUNNING" : "ACTIVATING", NULL, NULL);
        }
        wait_event(t, ino, next_timeout);
    }

stop:
    log_info("task %s: stopping: %s", t->id, why);
    report(t, "DEACTIVATING", NULL, NULL);
    stop_containers(t);
    for (size_t i = 0; i < t->nctrs; i++)
        if (t->ctrs[i].state == CTR_PENDING)
            t->ctrs[i].state = CTR_NOT_STARTED;
    for (size_t i = 0; i < t->nctrs; i++)
        task_logs_drain(&t->ctrs[i]); /* STOPPED means the last lines are shipped */
    report(t, "STOPPED", why, json_pack("{s:f}", "executionStoppedAt", epoch_now()));
    cleanup(t);
    free(vols);
}

static void *runner_main(void *arg)
{
    struct task_runner *t = arg;
    run(t);
    pthread_mutex_lock(&t->lock);
    t->finished = true;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

/* ---- the engine: tasks in, runners out ---------------------------------- */

static void runner_free(struct task_runner *t)
{
    for (size_t i = 0; i < t->nctrs; i++)
        json_decref(t->ctrs[i].def);
    free(t->ctrs);
    json_decref(t->task);
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t);
}

static struct task_runner *runner_new(struct runner_env *env, struct agent_instance *inst, json_t *task, bool adopt)
{
    const char *arn = json_string_value(json_object_get(task, "taskArn"));
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    if (!slash || strlen(slash + 1) != 32)
        return NULL;
    struct task_runner *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->env = env;
    t->inst = inst;
    t->adopt = adopt;
    t->task = json_incref(task);
    snprintf(t->id, sizeof(t->id), "%s", slash + 1);
    snprintf(t->arn, sizeof(t->arn), "%s", arn);
    snprintf(t->task_health, sizeof(t->task_health), "UNKNOWN");
    t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cond, &ca);
    pthread_condattr_destroy(&ca);
    json_t *defs = json_object_get(json_object_get(task, "taskDefinition"), "containerDefinitions");
    json_t *overrides = json_object_get(json_object_get(task, "overrides"), "containerOverrides");
    t->nctrs = json_array_size(defs);
    t->ctrs = calloc(t->nctrs ? t->nctrs : 1, sizeof(*t->ctrs));
    if (!t->ctrs || t->wake_fd < 0) {
        runner_free(t);
        return NULL;
    }
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        json_t *def = json_array_get(defs, i);
        const char *name = json_string_value(json_object_get(def, "name"));
        /* Every lookup, report and log line keys on the name. */
        if (!name) {
            runner_free(t);
            return NULL;
        }
        json_t *ov = NULL;
        size_t k;
        json_t *o;
        json_array_foreach(overrides, k, o) {
            const char *oname = json_string_value(json_object_get(o, "name"));
            if (name && oname && strcmp(oname, name) == 0)
                ov = o;
        }
        c->task = t;
        c->def = container_spec_apply_override(def, ov);
        c->name = json_string_value(json_object_get(c->def, "name"));
        json_t *ess = json_object_get(c->def, "essential");
        c->essential = !ess || json_is_true(ess);
        snprintf(c->id, sizeof(c->id), "%s-%zu", t->id, i);
        c->state = CTR_PENDING;
    }
    t->want_stop = strcmp(json_string_value(json_object_get(task, "desiredStatus")) ?: "", "STOPPED") == 0;
    return t;
}

static void add_runner(struct runner_env *env, struct task_runner *t)
{
    pthread_mutex_lock(&env->lock);
    t->next = env->runners;
    env->runners = t;
    pthread_mutex_unlock(&env->lock);
    if (pthread_create(&t->thread, NULL, runner_main, t) != 0) {
        log_error("task %s: cannot start its thread", t->id);
        pthread_mutex_lock(&t->lock);
        t->finished = true;
        pthread_mutex_unlock(&t->lock);
    }
}

static struct task_runner *find_runner(struct runner_env *env, const char *id)
{
    for (struct task_runner *t = env->runners; t; t = t->next)
        if (strcmp(t->id, id) == 0)
            return t;
    return NULL;
}

static void real_task_changed(struct agent_instance *inst, json_t *task)
{
    struct runner_env *env = inst->agent->runner_state;
    const char *arn = json_string_value(json_object_get(task, "taskArn"));
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    const char *desired = json_string_value(json_object_get(task, "desiredStatus"));
    const char *last = json_string_value(json_object_get(task, "lastStatus"));
    if (!slash || !desired || !last)
        return;
    pthread_mutex_lock(&env->lock);
    struct task_runner *t = find_runner(env, slash + 1);
    pthread_mutex_unlock(&env->lock);
    if (t) {
        if (strcmp(desired, "STOPPED") == 0) {
            pthread_mutex_lock(&t->lock);
            t->want_stop = true;
            pthread_mutex_unlock(&t->lock);
            runner_wake(t);
        }
        return;
    }
    if (strcmp(last, "STOPPED") == 0)
        return;
    usec_t received = time_monotonic();
    t = runner_new(env, inst, task, false);
    if (!t)
        return;
    t->start_marks[MARK_RECEIVED] = received;
    if (t->want_stop) {
        /* Stopped before it ever ran here: nothing to undo. */
        for (size_t i = 0; i < t->nctrs; i++)
            t->ctrs[i].state = CTR_NOT_STARTED;
        report(t, "STOPPED", "Task stopped before it started", NULL);
        runner_free(t);
        return;
    }
    log_info("task %s: starting (%s)", t->id, json_string_value(json_object_get(task, "taskDefinitionArn")));
    add_runner(env, t);
}

/* Tasks found on disk after a restart: watch what conmon kept running,
 * report what exited meanwhile, finish what was starting. */
static void adopt_tasks(struct runner_env *env, struct agent_instance *inst)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/tasks", env->agent->cfg.data_dir);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strlen(de->d_name) != 32)
            continue;
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s/task.json", dir, de->d_name);
        char *text = NULL;
        struct error err;
        if (fs_read_file(path, 4u * 1024 * 1024, &text, NULL, &err) < 0)
            continue;
        json_t *rec = json_loads(text, 0, NULL);
        free(text);
        struct task_runner *t = runner_new(env, inst, json_object_get(rec, "task"), true);
        json_decref(rec);
        if (!t)
            continue;
        for (size_t i = 0; i < t->nctrs; i++) {
            struct runtime_status st;
            if (runtime_status(&env->rt, t->ctrs[i].id, &st, &err) == 0) {
                t->ctrs[i].state = CTR_RUNNING; /* refresh() reports an exit that happened meanwhile */
                task_logs_start(t, &t->ctrs[i]);
                health_start(&t->ctrs[i]);
            }
        }
        if (network_task_adopt(env->net, t->id, &t->net, &err) < 0)
            log_warn("task %s: network: %s", t->id, err.msg);
        log_info("task %s: adopted after restart", t->id);
        add_runner(env, t);
    }
    closedir(d);
}

static int real_init(struct agent *a, struct error *err)
{
    struct runner_env *env = calloc(1, sizeof(*env));
    if (!env)
        return error_set(err, ERR_INTERNAL, "out of memory");
    env->agent = a;
    pthread_mutex_init(&env->lock, NULL);
    a->runner_state = env;
    if (oci_runtime_kind_parse(a->cfg.runtime, &env->kind) < 0)
        return error_set(err, ERR_INVALID, "unknown runtime %s", a->cfg.runtime);
    if (runtime_open(&env->rt, a->cfg.data_dir, NULL, err) < 0 || imgstore_open(a->cfg.data_dir, &env->images, err) < 0)
        return -1;
    if (!env->rt.have[env->kind])
        return error_set(err, ERR_INVALID, "runtime %s is not installed", a->cfg.runtime);
    struct error ignore;
    if (spawn_find_program("catatonit", env->init_path, sizeof(env->init_path), &ignore) < 0 &&
        spawn_find_program("tini-static", env->init_path, sizeof(env->init_path), &ignore) < 0 &&
        spawn_find_program("tini", env->init_path, sizeof(env->init_path), &ignore) < 0)
        env->init_path[0] = '\0';
    env->insecure = a->cfg.insecure;
    env->n_insecure = a->cfg.n_insecure;
    struct net_config nc = {.data_dir = a->cfg.data_dir, .bridge = a->cfg.bridge, .task_subnet = a->cfg.task_subnet};
    if (network_open(&nc, &env->net, err) < 0)
        return -1;
    adopt_tasks(env, &a->instances[0]);
    network_reconcile(env->net);
    return 0;
}

static void real_shutdown(struct agent *a)
{
    struct runner_env *env = a->runner_state;
    if (!env)
        return;
    for (struct task_runner *t = env->runners; t; t = t->next) {
        pthread_mutex_lock(&t->lock);
        t->shutdown = true;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        runner_wake(t);
    }
    while (env->runners) {
        struct task_runner *t = env->runners;
        env->runners = t->next;
        pthread_join(t->thread, NULL);
        for (size_t i = 0; i < t->nctrs; i++) {
            health_stop(&t->ctrs[i]);
            task_logs_detach(&t->ctrs[i]);
        }
        runner_free(t);
    }
    imgstore_free(env->images);
    network_close(env->net);
    pthread_mutex_destroy(&env->lock);
    free(env);
    a->runner_state = NULL;
}

const struct runner_ops real_runner = {
    .name = "real",
    .init = real_init,
    .task_changed = real_task_changed,
    .shutdown = real_shutdown,
};
