/* elb_proxy.c - the load balancers' data plane (see elb_proxy.h).
 *
 * One HAProxy per load balancer, in master-worker mode, so that each load
 * balancer is its own process (a bad configuration or a crash touches one
 * load balancer) on its own loopback address.  Every pass rebuilds each
 * configuration from the store; when one changes, the health state of
 * its servers is saved through the stats socket (server-state-file) and
 * the master is sent SIGUSR2: a graceful reload, in which the old worker
 * finishes the requests it holds (this is how a deregistered target
 * drains) while the new one takes new connections.  Target changes go
 * the same way rather than through the runtime API: one path for every
 * change, and HAProxy 2.6's dynamic servers cannot be added to a backend
 * using cookies or be given every option a target group sets.
 *
 * New targets: the state file a configuration is loaded with starts the
 * servers the running worker does not know down (elb_state.h), so that a
 * newly registered target serves no request before HealthyThresholdCount
 * passing checks, while the others keep their state through the reload.
 *
 * Health: after each pass, "show stat" on each stats socket; each server's
 * status and last check become the target's state and reason; a server
 * started down reads initial until it is up or fails a check.
 *
 * Loaded rules: a reload is asynchronous, so the actions of the listeners
 * and rules a configuration carries are staged when the master is told to
 * load it and become the loaded ones only once the stats socket answers
 * from a new worker (another "show info" Pid): a caller that moved traffic
 * (a blue/green switch) asks elb_proxy_forwards() before it relies on it. */
#include "server/elbv2/elb_proxy.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "server/elbv2/elb_haproxy.h"
#include "server/elbv2/elb_metrics.h"
#include "server/elbv2/elb_state.h"
#include "server/elbv2/elb_tls.h"
#include "server/elbv2/haproxy_proc.h"
#include "server/http/http_limits.h"
#include "server/store/store.h"
#include "server/store/store_elb.h"

struct lb_proc {
    char arn[512];
    char id[40];     /* the load balancer's id: its directory and socket name */
    pid_t pid;       /* the master; 0: not running */
    char *cfg;       /* the configuration it runs */
    bool refused;    /* cfg is one HAProxy refused: not running */
    json_t *staged;  /* {listener or rule ARN: actions} of cfg, while no worker has it */
    long old_worker; /* the worker's pid when cfg was sent (0: none) */
    json_t *initial; /* {backend: {server: true}}: started down, not up since (elb_state.h) */
};

struct elb_proxy {
    struct store *store;
    const struct secret_box *box; /* opens the HTTPS listeners' private keys */
    char dir[1024];
    char haproxy[1024];
    char sock_prefix[64];
    struct lb_proc *procs;
    size_t nprocs, cap;
    pthread_mutex_t lock;        /* guards health and loaded */
    json_t *health;              /* {tg id: {server: [state, reason, description]}} */
    json_t *loaded;              /* {listener or rule ARN: actions} a worker serves */
    struct elb_metrics *metrics; /* AWS/ApplicationELB from the same stats (elb_metrics.h) */
    bool broken;                 /* logged once: no HAProxy, or a directory it cannot be given */
};

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static const char *arn_id(const char *arn)
{
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    return slash ? slash + 1 : "";
}

/* The region field of an ARN into out. */
static void arn_region(const char *arn, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = arn;
    for (int i = 0; p && i < 3; i++) {
        p = strchr(p, ':');
        if (p)
            p++;
    }
    const char *end = p ? strchr(p, ':') : NULL;
    if (end)
        snprintf(out, cap, "%.*s", (int)(end - p), p);
}

/* Paths HAProxy's configuration can carry unquoted. */
static bool path_plain(const char *p)
{
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("/._-+", *p)))
            return false;
    return true;
}

int elb_proxy_new(struct store *store, const struct secret_box *box, const char *dir, const char *haproxy,
                  struct elb_proxy **ret, struct error *err)
{
    struct elb_proxy *p = calloc(1, sizeof(*p));
    if (!p)
        return error_set(err, ERR_INTERNAL, "out of memory");
    p->store = store;
    p->box = box;
    snprintf(p->dir, sizeof(p->dir), "%s", dir);
    snprintf(p->haproxy, sizeof(p->haproxy), "%s", haproxy);
    snprintf(p->sock_prefix, sizeof(p->sock_prefix), "berth-elb-%ld-", (long)getpid());
    pthread_mutex_init(&p->lock, NULL);
    p->health = json_object();
    p->loaded = json_object();
    p->metrics = elb_metrics_new();
    if (!p->health || !p->loaded || !p->metrics) {
        elb_proxy_free(p);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    *ret = p;
    return 0;
}

/* End a master and wait for it (SIGTERM: its workers stop with it). */
static void proc_stop(struct lb_proc *lp)
{
    haproxy_stop(&lp->pid);
    free(lp->cfg);
    lp->cfg = NULL;
    json_decref(lp->staged);
    lp->staged = NULL;
}

/* Send a command to a load balancer's stats socket; its whole answer
 * (bounded) into ret. */
static int stats_command(struct elb_proxy *p, const struct lb_proc *lp, const char *cmd, struct buf *ret)
{
    char name[128];
    snprintf(name, sizeof(name), "%s%s", p->sock_prefix, lp->id);
    return haproxy_command(name, cmd, ret);
}

static void lb_dir(struct elb_proxy *p, const struct lb_proc *lp, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", p->dir, lp->id);
}

/* The pid of the worker answering on a load balancer's stats socket; 0
 * when none answers. */
static long worker_pid(struct elb_proxy *p, const struct lb_proc *lp)
{
    _cleanup_buf_ struct buf info;
    buf_init(&info, LIMIT_ELB_STATS_REPLY);
    if (stats_command(p, lp, "show info\n", &info) < 0 || !info.data)
        return 0;
    const char *pid = strncmp(info.data, "Pid: ", 5) == 0 ? info.data : strstr(info.data, "\nPid: ");
    if (!pid)
        return 0;
    return strtol(pid + (*pid == '\n' ? 6 : 5), NULL, 10);
}

/* Actions a worker serves from now on (see elb_proxy_forwards). */
static void publish(struct elb_proxy *p, json_t *actions)
{
    const char *arn;
    json_t *a;
    pthread_mutex_lock(&p->lock);
    json_object_foreach(actions, arn, a)
        json_object_set(p->loaded, arn, a);
    pthread_mutex_unlock(&p->lock);
}

/* Write the state file cfg is loaded with (elb_state.h): the servers the
 * running worker reports keep their state, the others start down.  With
 * no worker to ask (a first start, a restart) the file last written is
 * the report, and the servers still initial when the server last stopped
 * (keep_state) are read back. */
static void write_state(struct elb_proxy *p, struct lb_proc *lp, const char *dir, const char *cfg)
{
    struct error err = {0};
    _cleanup_buf_ struct buf saved, state;
    _cleanup_free_ char *last = NULL;
    buf_init(&saved, LIMIT_ELB_STATS_REPLY);
    buf_init(&state, LIMIT_ELB_STATS_REPLY);
    char path[1200];
    size_t len = 0;
    const char *from = NULL;
    if (lp->pid > 0 && stats_command(p, lp, "show servers state\n", &saved) == 0 && saved.data) {
        from = saved.data;
    } else {
        snprintf(path, sizeof(path), "%s/state", dir);
        if (fs_read_file(path, LIMIT_ELB_STATS_REPLY, &last, &len, &err) == 0)
            from = last;
    }
    if (!lp->initial) {
        snprintf(path, sizeof(path), "%s/initial.json", dir);
        lp->initial = json_load_file(path, 0, NULL);
        unlink(path); /* read once: a later crash must not leave it stale */
        if (!json_is_object(lp->initial)) {
            json_decref(lp->initial);
            lp->initial = json_object();
        }
    }
    if (!lp->initial || elb_state_file(cfg, from, lp->initial, &state) < 0) {
        log_warn("elb: %s: its server state does not fit; new targets start as HAProxy starts them", lp->arn);
        return;
    }
    if (fs_write_atomic(dir, "state", state.data, state.len, &err) < 0)
        log_warn("elb: %s: %s", lp->arn, err.msg);
}

/* Before a master stops with the server: its servers' state and which of
 * them are still initial, for the next start to carry on from. */
static void keep_state(struct elb_proxy *p, struct lb_proc *lp)
{
    char dir[1100];
    struct error err = {0};
    _cleanup_buf_ struct buf state;
    buf_init(&state, LIMIT_ELB_STATS_REPLY);
    if (lp->pid <= 0)
        return;
    lb_dir(p, lp, dir, sizeof(dir));
    if (stats_command(p, lp, "show servers state\n", &state) == 0 && state.data)
        fs_write_atomic(dir, "state", state.data, state.len, &err);
    _cleanup_free_ char *initial = lp->initial ? json_dumps(lp->initial, JSON_COMPACT) : NULL;
    if (initial)
        fs_write_atomic(dir, "initial.json", initial, strlen(initial), &err);
}

void elb_proxy_free(struct elb_proxy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nprocs; i++) {
        keep_state(p, &p->procs[i]);
        proc_stop(&p->procs[i]);
        json_decref(p->procs[i].initial);
    }
    free(p->procs);
    json_decref(p->health);
    json_decref(p->loaded);
    elb_metrics_free(p->metrics);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Write the configuration and its files, then start or reload; actions
 * ({ARN: actions} of its listeners and rules) are staged until a new
 * worker answers. */
static void apply(struct elb_proxy *p, struct lb_proc *lp, const char *cfg, json_t *files, json_t *actions)
{
    char dir[1100], cfgpath[1200];
    struct error err = {0};
    lb_dir(p, lp, dir, sizeof(dir));
    snprintf(cfgpath, sizeof(cfgpath), "%s/haproxy.cfg", dir);
    if (fs_mkdir_p(dir, 0700, &err) < 0) {
        log_error("elb: %s: %s", lp->arn, err.msg);
        return;
    }
    const char *name;
    json_t *content;
    json_object_foreach(files, name, content) {
        if (fs_write_atomic(dir, name, json_string_value(content), strlen(json_string_value(content)), &err) < 0)
            log_error("elb: %s: %s", lp->arn, err.msg);
    }
    write_state(p, lp, dir, cfg);
    if (fs_write_atomic(dir, "haproxy.cfg.new", cfg, strlen(cfg), &err) < 0) {
        log_error("elb: %s: %s", lp->arn, err.msg);
        return;
    }
    char newpath[1200];
    snprintf(newpath, sizeof(newpath), "%s/haproxy.cfg.new", dir);
    if (haproxy_check(p->haproxy, dir, newpath) < 0) {
        log_error("elb: %s: the generated HAProxy configuration is refused (see %s/haproxy.log); keeping the last",
                  lp->arn, dir);
        free(lp->cfg);
        lp->cfg = strdup(cfg); /* not again until it changes */
        lp->refused = true;
        return;
    }
    if (rename(newpath, cfgpath) < 0) {
        log_error("elb: %s: cannot install its configuration: %s", lp->arn, strerror(errno));
        return;
    }
    lp->old_worker = lp->pid > 0 ? worker_pid(p, lp) : 0;
    if (lp->pid > 0) {
        kill(lp->pid, SIGUSR2);
    } else {
        const char *args[] = {"-W", "-f", cfgpath};
        lp->pid = haproxy_spawn(p->haproxy, dir, args, ELEMENTSOF(args));
        if (lp->pid < 0) {
            log_error("elb: %s: cannot start %s: %s", lp->arn, p->haproxy, strerror(errno));
            lp->pid = 0;
            return;
        }
        log_info("elb: load balancer %s served by HAProxy (pid %ld)", lp->arn, (long)lp->pid);
    }
    free(lp->cfg);
    lp->cfg = strdup(cfg);
    lp->refused = false;
    json_decref(lp->staged);
    lp->staged = json_incref(actions);
}

struct collect {
    struct store_tx *tx;
    json_t *list;
};

static int collect_row(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    json_array_append(((struct collect *)ud)->list, doc);
    return 0;
}

static int by_priority(const void *a, const void *b)
{
    long pa = strtol(str(*(json_t *const *)a, "Priority"), NULL, 10);
    long pb = strtol(str(*(json_t *const *)b, "Priority"), NULL, 10);
    return (pa > pb) - (pa < pb);
}

static void add_groups(struct store_tx *tx, json_t *actions, json_t *tgs)
{
    size_t i, j;
    json_t *a, *g;
    json_array_foreach(actions, i, a) {
        json_array_foreach(json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups"), j, g) {
            const char *arn = str(g, "TargetGroupArn");
            char region[64];
            json_t *doc = NULL;
            struct error err;
            arn_region(arn, region, sizeof(region));
            if (arn && !json_object_get(tgs, arn) && store_elb_get(tx, STORE_ELB_TG, region, arn, &doc, &err) > 0)
                json_object_set_new(tgs, arn, doc);
        }
    }
}

/* One load balancer's input: listeners with their rules sorted, groups. */
static int lb_input(struct store_tx *tx, json_t *lb, json_t *ret_listeners, json_t *ret_tgs, struct error *err)
{
    struct collect c = {tx, ret_listeners};
    if (store_elb_each(tx, STORE_ELB_LISTENER, NULL, str(lb, "LoadBalancerArn"), NULL, collect_row, &c, err) < 0)
        return -1;
    size_t i;
    json_t *l;
    json_array_foreach(ret_listeners, i, l) {
        _cleanup_json_ json_t *rules = json_array();
        struct collect rc = {tx, rules};
        if (store_elb_each(tx, STORE_ELB_RULE, NULL, str(l, "ListenerArn"), NULL, collect_row, &rc, err) < 0)
            return -1;
        size_t n = json_array_size(rules);
        _cleanup_free_ json_t **v = calloc(n ? n : 1, sizeof(*v));
        if (!v)
            return error_set(err, ERR_INTERNAL, "out of memory");
        for (size_t k = 0; k < n; k++)
            v[k] = json_array_get(rules, k);
        qsort(v, n, sizeof(*v), by_priority);
        json_t *sorted = json_array();
        for (size_t k = 0; k < n; k++) {
            json_array_append(sorted, v[k]);
            add_groups(tx, json_object_get(v[k], "Actions"), ret_tgs);
        }
        json_object_set_new(l, "berthRules", sorted);
        add_groups(tx, json_object_get(l, "DefaultActions"), ret_tgs);
    }
    return 0;
}

static struct lb_proc *proc_for(struct elb_proxy *p, const char *arn)
{
    for (size_t i = 0; i < p->nprocs; i++)
        if (strcmp(p->procs[i].arn, arn) == 0)
            return &p->procs[i];
    if (array_reserve(&p->procs, &p->cap, p->nprocs + 1, sizeof(*p->procs)) < 0)
        return NULL;
    struct lb_proc *lp = &p->procs[p->nprocs++];
    memset(lp, 0, sizeof(*lp));
    snprintf(lp->arn, sizeof(lp->arn), "%s", arn);
    snprintf(lp->id, sizeof(lp->id), "%.39s", arn_id(arn));
    return lp;
}

/* Bring one load balancer's process in line; marks it seen. */
static void sync_lb(struct elb_proxy *p, struct store_tx *tx, json_t *lb, bool *seen)
{
    struct error err = {0};
    struct lb_proc *lp = proc_for(p, str(lb, "LoadBalancerArn"));
    if (!lp)
        return;
    seen[lp - p->procs] = true;
    _cleanup_json_ json_t *listeners = json_array(), *tgs = json_object(), *files = json_object();
    _cleanup_json_ json_t *certs = json_object(), *cert_docs = json_object();
    _cleanup_json_ json_t *actions = json_object(); /* listener/rule ARN -> actions */
    _cleanup_buf_ struct buf cfg;
    buf_init(&cfg, LIMIT_ELB_CONFIG);
    char dir[1100], sock[128];
    lb_dir(p, lp, dir, sizeof(dir));
    snprintf(sock, sizeof(sock), "%s%s", p->sock_prefix, lp->id);
    struct elb_haproxy_input in = {lb, listeners, tgs, dir, sock, certs};
    if (lb_input(tx, lb, listeners, tgs, &err) < 0)
        goto fail;
    elb_tls_certs(tx, listeners, certs, cert_docs);
    if (elb_haproxy_config(&in, &cfg, files, &err) < 0)
        goto fail;
    if (json_array_size(listeners) == 0) {
        proc_stop(lp); /* nothing to listen on */
        return;
    }
    size_t i, j;
    json_t *l, *rule;
    json_array_foreach(listeners, i, l) {
        json_object_set(actions, str(l, "ListenerArn"), json_object_get(l, "DefaultActions"));
        json_array_foreach(json_object_get(l, "berthRules"), j, rule)
            json_object_set(actions, str(rule, "RuleArn"), json_object_get(rule, "Actions"));
    }
    if (lp->cfg && strcmp(lp->cfg, cfg.data) == 0) {
        /* The running worker has this configuration (documents may differ
         * in what the configuration does not carry). */
        if (!lp->staged && !lp->refused)
            publish(p, actions);
        return;
    }
    if (elb_tls_write(p->box, dir, cert_docs, &err) < 0)
        goto fail;
    apply(p, lp, cfg.data, files, actions);
    return;
fail:
    log_error("elb: %s: %s", lp->arn, err.msg);
}

/* A master that exited on its own: restarted at the next pass. */
static void reap(struct elb_proxy *p)
{
    for (size_t i = 0; i < p->nprocs; i++) {
        struct lb_proc *lp = &p->procs[i];
        int status = 0;
        pid_t was = lp->pid;
        if (haproxy_exited(&lp->pid, &status)) {
            log_warn("elb: HAProxy of %s (pid %ld) exited (status %d); starting it again", lp->arn, (long)was, status);
            free(lp->cfg);
            lp->cfg = NULL;
        }
    }
}

static const char *csv_field(char **fields, size_t n, int idx)
{
    return idx >= 0 && (size_t)idx < n ? fields[idx] : "";
}

/* A server's stat line as AWS's state and reason.  *initial: the server
 * was started down and has not been up since (elb_state.h); it stays
 * initial while its checks pass ("DOWN 1/3": one of rise) and is cleared
 * once the server is up or a check failed. */
static json_t *health_entry(const char *status, const char *check, const char *code, bool *initial)
{
    const char *state = "healthy", *reason = "", *desc = "";
    bool up = strncmp(status, "UP", 2) == 0 || strncmp(status, "NOLB", 4) == 0;
    bool rising = strncmp(status, "DOWN ", 5) == 0; /* down, its last checks passed */
    if (strncmp(check, "* ", 2) == 0)
        check += 2; /* a check in progress: the last one's result stands */
    if (strcmp(status, "no check") == 0) {
        state = "unavailable", reason = "Target.HealthCheckDisabled", desc = "Health checks are disabled";
    } else if (!*check || strcmp(check, "INI") == 0 || (*initial && rising)) {
        state = "initial", reason = "Elb.InitialHealthChecking", desc = "Initial health checks in progress";
    } else if (up) {
        state = "healthy";
    } else if (strcmp(check, "L7STS") == 0) {
        state = "unhealthy", reason = "Target.ResponseCodeMismatch";
    } else if (strstr(check, "TOUT")) {
        state = "unhealthy", reason = "Target.Timeout", desc = "Request timed out";
    } else {
        state = "unhealthy", reason = "Target.FailedHealthChecks", desc = "Health checks failed";
    }
    if (strcmp(state, "initial") != 0)
        *initial = false;
    char d[160];
    if (strcmp(reason, "Target.ResponseCodeMismatch") == 0)
        snprintf(d, sizeof(d), "Health checks failed with these codes: [%.8s]", code);
    else
        snprintf(d, sizeof(d), "%s", desc);
    return json_pack("[s, s, s]", state, reason, d);
}

/* Parse "show stat" CSV into health {tg id: {server: entry}}; servers no
 * longer initial leave initial ({backend: {server: true}}). */
static void parse_stats(char *text, json_t *health, json_t *initial)
{
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line || strncmp(line, "# ", 2) != 0)
        return;
    int ipx = -1, isv = -1, ist = -1, ick = -1, icode = -1;
    char *hsave = NULL;
    int col = 0;
    for (char *h = strtok_r(line + 2, ",", &hsave); h; h = strtok_r(NULL, ",", &hsave), col++) {
        if (strcmp(h, "pxname") == 0)
            ipx = col;
        else if (strcmp(h, "svname") == 0)
            isv = col;
        else if (strcmp(h, "status") == 0)
            ist = col;
        else if (strcmp(h, "check_status") == 0)
            ick = col;
        else if (strcmp(h, "check_code") == 0)
            icode = col;
    }
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *fields[128];
        size_t n = 0;
        for (char *f = line; n < ELEMENTSOF(fields);) {
            fields[n++] = f;
            char *comma = strchr(f, ',');
            if (!comma)
                break;
            *comma = '\0';
            f = comma + 1;
        }
        const char *px = csv_field(fields, n, ipx), *sv = csv_field(fields, n, isv);
        if (strncmp(px, "tg_", 3) != 0 || strcmp(sv, "BACKEND") == 0 || !*sv)
            continue;
        json_t *group = json_object_get(health, px + 3);
        if (!group) {
            group = json_object();
            json_object_set_new(health, px + 3, group);
        }
        json_t *pending = json_object_get(initial, px);
        bool fresh = json_object_get(pending, sv) != NULL;
        json_object_set_new(
            group, sv,
            health_entry(csv_field(fields, n, ist), csv_field(fields, n, ick), csv_field(fields, n, icode), &fresh));
        if (!fresh)
            json_object_del(pending, sv);
    }
}

static void poll_health(struct elb_proxy *p)
{
    json_t *health = json_object();
    if (!health)
        return;
    for (size_t i = 0; i < p->nprocs; i++) {
        struct lb_proc *lp = &p->procs[i];
        if (lp->pid <= 0)
            continue;
        if (lp->staged) {
            long pid = worker_pid(p, lp);
            if (pid > 0 && pid != lp->old_worker) {
                publish(p, lp->staged);
                json_decref(lp->staged);
                lp->staged = NULL;
            }
        }
        _cleanup_buf_ struct buf reply;
        buf_init(&reply, LIMIT_ELB_STATS_REPLY);
        if (stats_command(p, &p->procs[i], "show stat\n", &reply) == 0 && reply.data) {
            elb_metrics_sample(p->metrics, p->procs[i].arn, reply.data);
            parse_stats(reply.data, health, p->procs[i].initial);
        }
    }
    struct error err;
    if (elb_metrics_flush(p->metrics, p->store, (int64_t)(time_now() / 1000), &err) < 0)
        log_warn("elb: metrics: %s", err.msg);
    pthread_mutex_lock(&p->lock);
    json_t *old = p->health;
    p->health = health;
    pthread_mutex_unlock(&p->lock);
    json_decref(old);
}

static int lb_row(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    json_array_append(ud, doc);
    return 0;
}

void elb_proxy_run(void *arg)
{
    struct elb_proxy *p = arg;
    if (p->broken)
        return;
    if (access(p->haproxy, X_OK) < 0 || !path_plain(p->dir)) {
        log_error("elb: load balancers are not served: %s", access(p->haproxy, X_OK) < 0
                                                                ? "HAProxy is not installed (apt-get install haproxy)"
                                                                : "the data directory's path has characters "
                                                                  "HAProxy's configuration cannot carry");
        p->broken = true;
        return;
    }
    struct store_tx *tx = NULL;
    struct error err = {0};
    _cleanup_json_ json_t *lbs = json_array();
    if (store_begin(p->store, false, &tx, &err) < 0) {
        log_error("elb: %s", err.msg);
        return;
    }
    if (store_elb_each(tx, STORE_ELB_LB, NULL, NULL, NULL, lb_row, lbs, &err) < 0)
        log_error("elb: %s", err.msg);
    reap(p);
    size_t n = p->nprocs + json_array_size(lbs);
    _cleanup_free_ bool *seen = calloc(n ? n : 1, sizeof(*seen));
    size_t i;
    json_t *lb;
    json_array_foreach(lbs, i, lb) {
        if (seen)
            sync_lb(p, tx, lb, seen);
    }
    store_rollback(tx);
    /* Load balancers deleted: their processes and files go. */
    for (i = 0; seen && i < p->nprocs;) {
        if (seen[i]) {
            i++;
            continue;
        }
        char dir[1100];
        lb_dir(p, &p->procs[i], dir, sizeof(dir));
        proc_stop(&p->procs[i]);
        json_decref(p->procs[i].initial);
        fs_rmtree(dir, &err);
        p->procs[i] = p->procs[--p->nprocs];
        seen[i] = seen[p->nprocs];
    }
    poll_health(p);
}

int elb_proxy_health(struct elb_proxy *p, const char *tg_arn, const char *server, struct elb_target_health *ret)
{
    int found = 0;
    pthread_mutex_lock(&p->lock);
    json_t *e = json_object_get(json_object_get(p->health, arn_id(tg_arn)), server);
    if (e) {
        snprintf(ret->state, sizeof(ret->state), "%s", json_string_value(json_array_get(e, 0)));
        snprintf(ret->reason, sizeof(ret->reason), "%s", json_string_value(json_array_get(e, 1)));
        snprintf(ret->description, sizeof(ret->description), "%s", json_string_value(json_array_get(e, 2)));
        found = 1;
    }
    pthread_mutex_unlock(&p->lock);
    return found;
}

/* Whether actions send permille (of 1000) of the requests that reach
 * their forward action to tg_arn. */
static bool actions_split(json_t *actions, const char *tg_arn, int permille)
{
    size_t i, j;
    json_t *a, *g;
    json_array_foreach(actions, i, a) {
        if (strcmp(str(a, "Type") ? str(a, "Type") : "", "forward") != 0)
            continue;
        json_t *groups = json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups");
        if (json_array_size(groups) == 0)
            return permille == 1000 && str(a, "TargetGroupArn") && strcmp(str(a, "TargetGroupArn"), tg_arn) == 0;
        json_int_t total = 0, w = 0;
        bool named = false;
        json_array_foreach(groups, j, g) {
            json_int_t gw = json_array_size(groups) == 1 ? 1 : json_integer_value(json_object_get(g, "Weight"));
            total += gw;
            if (str(g, "TargetGroupArn") && strcmp(str(g, "TargetGroupArn"), tg_arn) == 0) {
                named = true;
                w = gw;
            }
        }
        return named && total > 0 && w * 1000 == (json_int_t)permille * total;
    }
    return false;
}

bool elb_proxy_forwards(struct elb_proxy *p, const char *arn, const char *tg_arn)
{
    return elb_proxy_splits(p, arn, tg_arn, 1000);
}

bool elb_proxy_splits(struct elb_proxy *p, const char *arn, const char *tg_arn, int permille)
{
    if (!p || p->broken)
        return true; /* no data plane to wait for */
    pthread_mutex_lock(&p->lock);
    bool yes = actions_split(json_object_get(p->loaded, arn), tg_arn, permille);
    pthread_mutex_unlock(&p->lock);
    return yes;
}

bool elb_proxy_serves(struct elb_proxy *p, const char *tg_arn)
{
    pthread_mutex_lock(&p->lock);
    bool known = json_object_get(p->health, arn_id(tg_arn)) != NULL;
    pthread_mutex_unlock(&p->lock);
    return known;
}
