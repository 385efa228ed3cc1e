/* service_connect_proxy.c - Service Connect's data plane (see
 * service_connect_proxy.h).
 *
 * Why one HAProxy beside the server rather than a proxy in every task as
 * ECS runs (Envoy): the server already reads every task's state and Cloud
 * Map registration in its store, so one process with one generated
 * configuration serves every client task on the host, with no sidecar to
 * inject, start and keep in step per task; HAProxy (already berth's load
 * balancer) retries a failed connection on another task, which nftables
 * load balancing (DNAT with numgen) cannot.  The price: client tasks reach
 * the aliases only on the server's host (or through a route to
 * SC_VIP_NET via it), and the proxy is one more hop.
 *
 * Two speeds.  The listeners (one per alias and port) are the
 * configuration file: when that set changes, the file is rewritten with
 * the servers of the moment and HAProxy reloaded (SIGUSR2).  The servers
 * (the tasks) change far more often, during every deployment, and go
 * through the runtime API on the stats socket without a reload: `add
 * server` + `enable server` for a new task, `set server ... addr` when its
 * address changes, `disable server` for a task that left (the connections
 * it holds finish; it takes no new ones) and `del server` once it holds
 * none.  Reloading for those was what lost requests: a burst of reloads
 * while new tasks registered refused connections.
 *
 * The aliases' addresses are made local with one route
 * (`ip route replace local 169.254.171.0/24 dev lo`), removed when the
 * server stops; the agent's guard lets bridge tasks reach them. */
#include "server/ecs/service_connect_proxy.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "server/ecs/service_connect.h"
#include "server/elbv2/haproxy_proc.h"
#include "server/http/http_limits.h"
#include "server/store/store.h"
#include "server/store/store_docs.h"
#include "server/store/store_sd.h"

#define SC_IP_PROGRAM "/usr/sbin/ip"
/* How long a connection to a task may take before the next is tried. */
#define SC_CONNECT_TIMEOUT "1s"
/* The idle timeout when the service gives none (ECS's default, 300 s). */
#define SC_IDLE_DEFAULT 300
/* An idle timeout of 0 turns it off: HAProxy's longest. */
#define SC_IDLE_OFF "24d"
/* The runtime API's answers this file acts on. */
#define SC_ADDED "New server registered."
#define SC_DELETED "Server deleted."
/* After a reload, passes that compare HAProxy's servers with the store. */
#define SC_RECHECK_PASSES 3
/* The bit of srv_admin_state that `disable server` sets (SRV_ADMF_FMAINT). */
#define SC_ADMIN_FMAINT 0x1
/* srv_op_state of a server that takes connections (SRV_ST_RUNNING). */
#define SC_OP_RUNNING 2
/* Each task's TCP check: a task added at run time starts down and takes
 * connections once its port answers (a task is RUNNING before its
 * process listens); one that stops answering leaves after two. */
#define SC_CHECK "check inter 1s fall 2 rise 1"

struct sc_proxy {
    struct store *store;
    char dir[1024];
    char haproxy[1024];
    char sock[64];   /* the stats socket's abstract name */
    pid_t pid;       /* the master; 0: not running */
    char *skeleton;  /* the listeners of the configuration it runs */
    json_t *applied; /* {listener: {server: "ip:port"}} HAProxy was last brought to */
    char *refused;   /* listeners whose configuration HAProxy refused: not again */
    int recheck;     /* passes that compare HAProxy's servers with the store anyway */
    bool failing;    /* a runtime command failed (logged once) */
    bool routed;     /* the local route is ours to remove */
    bool broken;     /* logged once */
};

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

int sc_proxy_new(struct store *store, const char *dir, const char *haproxy, struct sc_proxy **ret, struct error *err)
{
    struct sc_proxy *p = calloc(1, sizeof(*p));
    if (!p)
        return error_set(err, ERR_INTERNAL, "out of memory");
    p->store = store;
    snprintf(p->dir, sizeof(p->dir), "%s", dir);
    snprintf(p->haproxy, sizeof(p->haproxy), "%s", haproxy);
    snprintf(p->sock, sizeof(p->sock), "berth-sc-%ld", (long)getpid());
    *ret = p;
    return 0;
}

/* `ip` with args, waited for; 0 when it succeeded. */
static int run_ip(struct sc_proxy *p, const char *const *args, size_t nargs)
{
    const char *argv[12] = {SC_IP_PROGRAM};
    for (size_t i = 0; i < nargs && i + 2 < ELEMENTSOF(argv); i++)
        argv[i + 1] = args[i];
    pid_t pid = fork();
    if (pid == 0) {
        execv(SC_IP_PROGRAM, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    (void)p;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void proxy_forget(struct sc_proxy *p)
{
    free(p->skeleton);
    p->skeleton = NULL;
    json_decref(p->applied);
    p->applied = NULL;
    p->recheck = 0;
}

static void proxy_stop(struct sc_proxy *p)
{
    haproxy_stop(&p->pid);
    proxy_forget(p);
}

void sc_proxy_free(struct sc_proxy *p)
{
    if (!p)
        return;
    proxy_stop(p);
    free(p->refused);
    if (p->routed) {
        const char *args[] = {"-4", "route", "del", "local", SC_VIP_NET, "dev", "lo"};
        run_ip(p, args, ELEMENTSOF(args));
    }
    free(p);
}

/* What one pass builds: the configuration without servers (skeleton),
 * with them (full), and the servers each listener should have. */
struct pass {
    struct store_tx *tx;
    struct buf *skeleton, *full;
    json_t *want; /* {listener: {server: "ip:port"}} */
    json_t *servers;
    size_t listeners;
};

/* What a server name may hold (Cloud Map instance ids are ECS task ids
 * here, but anyone may register one). */
#define ID_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_."

static int server_line(json_t *inst, void *ud, struct error *err)
{
    struct pass *ps = ud;
    json_t *attrs = json_object_get(inst, "Attributes");
    const char *ip = str(attrs, "AWS_INSTANCE_IPV4"), *port = str(attrs, "AWS_INSTANCE_PORT");
    const char *health = str(inst, "HealthStatus"), *id = str(inst, "Id");
    if (!ip || !port || !id || (health && strcmp(health, "UNHEALTHY") == 0))
        return 0;
    /* Attributes come from tasks' reports: only plain addresses go in. */
    if (!*ip || !*port || strspn(ip, "0123456789.") != strlen(ip) || strspn(port, "0123456789") != strlen(port) ||
        strlen(id) > 64 || strspn(id, ID_CHARS) != strlen(id))
        return 0;
    char name[72], addr[64];
    snprintf(name, sizeof(name), "t-%s", id);
    snprintf(addr, sizeof(addr), "%.20s:%.8s", ip, port);
    json_object_set_new(ps->servers, name, json_string(addr));
    return buf_printf(ps->full, "    server %s %s %s\n", name, addr, SC_CHECK) < 0
               ? error_set(err, ERR_LIMIT, "configuration too large")
               : 0;
}

/* One listener per claimed port of an alias. */
static int alias_section(const char *region, json_t *alias, void *ud, struct error *err)
{
    (void)region;
    struct pass *ps = ud;
    const char *vip = str(alias, "vip");
    if (!vip || strspn(vip, "0123456789.") != strlen(vip))
        return 0;
    const char *port;
    json_t *claim;
    json_object_foreach(json_object_get(alias, "ports"), port, claim) {
        const char *arn = str(claim, "discovery"), *slash = arn ? strrchr(arn, '/') : NULL;
        if (!slash || !*port || strspn(port, "0123456789") != strlen(port))
            continue;
        json_int_t idle = json_integer_value(json_object_get(claim, "idle"));
        char t[24], name[64];
        if (idle == 0)
            snprintf(t, sizeof(t), "%s", SC_IDLE_OFF);
        else
            snprintf(t, sizeof(t), "%llds", (long long)(idle > 0 ? idle : SC_IDLE_DEFAULT));
        snprintf(name, sizeof(name), "sc_%.20s_%.8s", vip, port);
        struct buf *both[] = {ps->skeleton, ps->full};
        for (size_t k = 0; k < ELEMENTSOF(both); k++)
            if (buf_printf(both[k],
                           "\n# %.127s:%s\nlisten %s\n    bind %s:%s\n    balance roundrobin\n"
                           "    timeout client %s\n    timeout server %s\n",
                           str(alias, "dnsName"), port, name, vip, port, t, t) < 0)
                return error_set(err, ERR_LIMIT, "configuration too large");
        ps->servers = json_object();
        if (!ps->servers)
            return error_set(err, ERR_INTERNAL, "out of memory");
        json_object_set_new(ps->want, name, ps->servers);
        if (store_sd_each(ps->tx, STORE_SD_INSTANCE, str(claim, "region"), slash + 1, NULL, server_line, ps, err) < 0)
            return -1;
        ps->listeners++;
    }
    return 0;
}

/* The configuration from the store into ps; ps->listeners counted. */
static int build(struct sc_proxy *p, struct pass *ps, struct error *err)
{
    if (store_begin(p->store, false, &ps->tx, err) < 0)
        return -1;
    struct buf *both[] = {ps->skeleton, ps->full};
    for (size_t k = 0; k < ELEMENTSOF(both); k++)
        buf_printf(both[k],
                   "# Service Connect: generated by berth; the servers change through the runtime API.\n"
                   "global\n    maxconn 4096\n    hard-stop-after 60s\n    stats socket abns@%s level admin\n"
                   "defaults\n    mode tcp\n    timeout connect %s\n    retries 3\n    option redispatch 1\n",
                   p->sock, SC_CONNECT_TIMEOUT);
    int r = store_doc_each(ps->tx, SC_ALIAS_KIND, NULL, NULL, NULL, alias_section, ps, err);
    store_rollback(ps->tx);
    ps->tx = NULL;
    if (r == 0 && (ps->skeleton->failed || ps->full->failed))
        return error_set(err, ERR_LIMIT, "configuration too large");
    return r < 0 ? -1 : 0;
}

/* The local route that makes the aliases' addresses this host's. */
static int ensure_route(struct sc_proxy *p)
{
    if (p->routed)
        return 0;
    const char *args[] = {"-4", "route", "replace", "local", SC_VIP_NET, "dev", "lo"};
    if (run_ip(p, args, ELEMENTSOF(args)) < 0)
        return -1;
    p->routed = true;
    return 0;
}

/* A new set of listeners: write the whole configuration (servers of the
 * moment included), then start HAProxy or reload it. */
static void apply(struct sc_proxy *p, const struct pass *ps)
{
    struct error err = {0};
    char path[1100], newpath[1100];
    snprintf(path, sizeof(path), "%s/haproxy.cfg", p->dir);
    snprintf(newpath, sizeof(newpath), "%s/haproxy.cfg.new", p->dir);
    if (fs_write_atomic(p->dir, "haproxy.cfg.new", ps->full->data, ps->full->len, &err) < 0) {
        log_error("service connect: %s", err.msg);
        return;
    }
    if (haproxy_check(p->haproxy, p->dir, newpath) < 0) {
        log_error("service connect: the generated HAProxy configuration is refused (see %s/haproxy.log)", p->dir);
        free(p->refused);
        p->refused = strdup(ps->skeleton->data); /* not again until it changes */
        return;
    }
    if (rename(newpath, path) < 0) {
        log_error("service connect: cannot install its configuration: %s", strerror(errno));
        return;
    }
    if (p->pid > 0) {
        kill(p->pid, SIGUSR2);
    } else {
        const char *args[] = {"-W", "-f", path};
        p->pid = haproxy_spawn(p->haproxy, p->dir, args, ELEMENTSOF(args));
        if (p->pid < 0) {
            log_error("service connect: cannot start %s: %s", p->haproxy, strerror(errno));
            p->pid = 0;
            return;
        }
        log_info("service connect: client aliases served by HAProxy (pid %ld)", (long)p->pid);
    }
    proxy_forget(p);
    p->skeleton = strdup(ps->skeleton->data);
    p->applied = json_deep_copy(ps->want);
    /* A runtime command sent while the old worker still answers the
     * socket would be lost with it: compare for a few passes. */
    p->recheck = SC_RECHECK_PASSES;
}

/* One runtime API command (printf-style); its answer into out (cap bytes,
 * "" when the socket cannot be reached). */
static void command(struct sc_proxy *p, char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void command(struct sc_proxy *p, char *out, size_t cap, const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    _cleanup_buf_ struct buf reply;
    buf_init(&reply, LIMIT_ELB_STATS_REPLY);
    out[0] = '\0';
    if (haproxy_command(p->sock, cmd, &reply) == 0 && reply.data)
        snprintf(out, cap, "%s", reply.data);
}

/* The column of name in `show servers state`'s header line ("# a b
 * ..."), counted from the first after "#"; -1 when absent. */
static int column(const char *header, const char *name)
{
    size_t len = strlen(name);
    int col = -1;
    for (const char *h = header; *h;) {
        while (*h == ' ')
            h++;
        size_t w = strcspn(h, " ");
        if (w == len && strncmp(h, name, len) == 0)
            return col;
        col++;
        h += w;
    }
    return -1;
}

/* A listener's servers as HAProxy has them, from `show servers state`:
 * {server: ["ip:port", admin state, operational state]}.  -1 when it
 * cannot tell. */
static int servers_now(struct sc_proxy *p, const char *be, json_t *ret)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "show servers state %s\n", be);
    _cleanup_buf_ struct buf reply;
    buf_init(&reply, LIMIT_ELB_STATS_REPLY);
    if (haproxy_command(p->sock, cmd, &reply) < 0 || !reply.data)
        return -1;
    char *save = NULL, *line = strtok_r(reply.data, "\n", &save);
    line = line ? strtok_r(NULL, "\n", &save) : NULL;
    if (!line || strncmp(line, "# ", 2) != 0)
        return -1; /* "Can't find backend." */
    int iname = column(line, "srv_name"), iaddr = column(line, "srv_addr");
    int iadm = column(line, "srv_admin_state"), iport = column(line, "srv_port");
    int iop = column(line, "srv_op_state");
    if (iname < 0 || iaddr < 0 || iadm < 0 || iport < 0 || iop < 0)
        return -1;
    while ((line = strtok_r(NULL, "\n", &save))) {
        const char *f[64] = {NULL};
        int n = 0;
        char *fsave = NULL;
        for (char *w = strtok_r(line, " ", &fsave); w && n < 64; w = strtok_r(NULL, " ", &fsave))
            f[n++] = w;
        if (iname >= n || iaddr >= n || iadm >= n || iport >= n || iop >= n)
            continue;
        char addr[80];
        snprintf(addr, sizeof(addr), "%.40s:%.8s", f[iaddr], f[iport]);
        json_object_set_new(
            ret, f[iname],
            json_pack("[s, I, I]", addr, (json_int_t)strtol(f[iadm], NULL, 10), (json_int_t)strtol(f[iop], NULL, 10)));
    }
    return 0;
}

static json_int_t admin_of(json_t *had) { return json_integer_value(json_array_get(had, 1)); }

/* Whether a server of want is up in now: then those that left can stop
 * taking connections.  Until one is (new tasks not yet answering their
 * checks, or none registered yet: a service scaled in to zero, or one
 * whose discoveryName changed), they keep taking them until their tasks
 * stop answering: their tasks are drained before they stop
 * (SC_DRAIN_SECONDS). */
static bool any_up(json_t *want, json_t *now)
{
    const char *name;
    json_t *addr;
    json_object_foreach(want, name, addr) {
        json_t *had = json_object_get(now, name);
        if (had && !(admin_of(had) & SC_ADMIN_FMAINT) && json_integer_value(json_array_get(had, 2)) == SC_OP_RUNNING &&
            strcmp(json_string_value(json_array_get(had, 0)), json_string_value(addr)) == 0)
            return true;
    }
    return false;
}

/* Whether any server HAProxy has takes connections. */
static bool any_serving(json_t *now)
{
    const char *name;
    json_t *had;
    json_object_foreach(now, name, had) {
        if (!(admin_of(had) & SC_ADMIN_FMAINT) && json_integer_value(json_array_get(had, 2)) == SC_OP_RUNNING)
            return true;
    }
    return false;
}

/* A task that registered: added in maintenance, then enabled.  While
 * another task of the listener takes connections it starts down and
 * takes them once its first check passes (a task is RUNNING before its
 * process listens).  When none does (the service's first tasks), it
 * starts up: a connection to a task not listening yet is refused at
 * once and retried on another (retries, redispatch), where starting down
 * would refuse every client for a check interval. */
static int add_server(struct sc_proxy *p, const char *be, const char *name, const char *addr, bool start_down)
{
    char out[256];
    command(p, out, sizeof(out), "add server %s/%s %s %s\n", be, name, addr, SC_CHECK);
    if (strncmp(out, SC_ADDED, strlen(SC_ADDED)) != 0) {
        if (!p->failing)
            log_warn("service connect: add server %s/%s: %.200s", be, name, out[0] ? out : "no answer");
        return -1;
    }
    /* One line: the commands run one after the other, with no check in between. */
    if (start_down)
        command(p, out, sizeof(out), "enable health %s/%s; enable server %s/%s; set server %s/%s health down\n", be,
                name, be, name, be, name);
    else
        command(p, out, sizeof(out), "enable health %s/%s; enable server %s/%s\n", be, name, be, name);
    log_info("service connect: %s: task server %s at %s added%s", be, name, addr, start_down ? "" : " (up: none was)");
    return 0;
}

/* Bring one listener's servers to want over the runtime API; *pending
 * when a server that left is still there. */
static int sync_listener(struct sc_proxy *p, const char *be, json_t *want, bool *pending)
{
    _cleanup_json_ json_t *now = json_object();
    if (!now || servers_now(p, be, now) < 0)
        return -1;
    char out[256];
    const char *name;
    json_t *addr, *had;
    bool serving = any_serving(now);
    json_object_foreach(want, name, addr) {
        const char *a = json_string_value(addr), *colon = strrchr(a, ':');
        had = json_object_get(now, name);
        if (!had) {
            if (add_server(p, be, name, a, serving) < 0)
                return -1;
            continue;
        }
        if (strcmp(json_string_value(json_array_get(had, 0)), a) != 0 && colon) {
            command(p, out, sizeof(out), "set server %s/%s addr %.*s port %s\n", be, name, (int)(colon - a), a,
                    colon + 1);
            log_info("service connect: %s: task server %s moved to %s", be, name, a);
        }
        if (admin_of(had) & SC_ADMIN_FMAINT)
            command(p, out, sizeof(out), "enable server %s/%s\n", be, name);
    }
    bool up = any_up(want, now);
    json_object_foreach(now, name, had) {
        if (json_object_get(want, name))
            continue;
        *pending = true;
        if (!up && json_integer_value(json_array_get(had, 2)) == SC_OP_RUNNING)
            continue; /* no task of want answers yet: those leaving still serve while they answer */
        /* Gone from Cloud Map: no new connections; deleted once idle. */
        if (!(admin_of(had) & SC_ADMIN_FMAINT)) {
            command(p, out, sizeof(out), "disable server %s/%s\n", be, name);
            log_info("service connect: %s: task server %s disabled", be, name);
        }
        command(p, out, sizeof(out), "del server %s/%s\n", be, name);
        if (strncmp(out, SC_DELETED, strlen(SC_DELETED)) == 0)
            log_info("service connect: %s: task server %s deleted", be, name);
    }
    return 0;
}

/* The same listeners: bring every listener's servers in line when the
 * store's differ from what HAProxy was last brought to. */
static void sync_servers(struct sc_proxy *p, json_t *want)
{
    if (p->recheck > 0)
        p->recheck--;
    else if (p->applied && json_equal(p->applied, want))
        return;
    bool pending = false, failed = false;
    const char *be;
    json_t *servers;
    json_object_foreach(want, be, servers) {
        if (sync_listener(p, be, servers, &pending) < 0)
            failed = true;
    }
    json_decref(p->applied);
    p->applied = failed ? NULL : json_deep_copy(want);
    p->failing = failed;
    if (pending && p->recheck == 0)
        p->recheck = 1;
}

void sc_proxy_run(void *arg)
{
    struct sc_proxy *p = arg;
    if (p->broken)
        return;
    int status = 0;
    pid_t was = p->pid;
    if (haproxy_exited(&p->pid, &status)) {
        log_warn("service connect: HAProxy (pid %ld) exited (status %d); starting it again", (long)was, status);
        proxy_forget(p);
    }
    _cleanup_buf_ struct buf skeleton, full;
    buf_init(&skeleton, LIMIT_ELB_CONFIG);
    buf_init(&full, LIMIT_ELB_CONFIG);
    _cleanup_json_ json_t *want = json_object();
    struct pass ps = {NULL, &skeleton, &full, want, NULL, 0};
    struct error err = {0};
    if (!want || build(p, &ps, &err) < 0) {
        log_error("service connect: %s", want ? err.msg : "out of memory");
        return;
    }
    if (ps.listeners == 0) {
        proxy_stop(p); /* no alias to listen on */
        return;
    }
    if (p->pid > 0 && p->skeleton && strcmp(p->skeleton, skeleton.data) == 0) {
        sync_servers(p, want);
        return;
    }
    if (p->refused && strcmp(p->refused, skeleton.data) == 0)
        return;
    if (access(p->haproxy, X_OK) < 0 || fs_mkdir_p(p->dir, 0700, &err) < 0 || ensure_route(p) < 0) {
        const char *why = err.msg[0] ? err.msg : "the local route for " SC_VIP_NET " cannot be added (root needed)";
        if (access(p->haproxy, X_OK) < 0)
            why = "HAProxy is not installed (apt-get install haproxy)";
        log_error("service connect: client aliases are not served: %s", why);
        p->broken = true;
        return;
    }
    apply(p, &ps);
}
