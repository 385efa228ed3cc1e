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
 * The aliases' addresses are made local with one route
 * (`ip route replace local 169.254.171.0/24 dev lo`), removed when the
 * server stops; the agent's guard lets bridge tasks reach them. */
#include "server/ecs/service_connect_proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "server/ecs/service_connect.h"
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

struct sc_proxy {
    struct store *store;
    char dir[1024];
    char haproxy[1024];
    pid_t pid;   /* the master; 0: not running */
    char *cfg;   /* the configuration it runs */
    bool routed; /* the local route is ours to remove */
    bool broken; /* logged once */
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
    *ret = p;
    return 0;
}

/* Run program with args, output to the proxy's log; the child ends with
 * this thread. */
static pid_t spawn(struct sc_proxy *p, const char *program, const char *const *args, size_t nargs)
{
    char logpath[1100];
    snprintf(logpath, sizeof(logpath), "%s/haproxy.log", p->dir);
    const char *argv[16] = {program};
    for (size_t i = 0; i < nargs && i + 2 < ELEMENTSOF(argv); i++)
        argv[i + 1] = args[i];
    int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = logfd >= 0 && nullfd >= 0 ? fork() : -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(nullfd, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        execv(program, (char *const *)argv);
        _exit(127);
    }
    if (logfd >= 0)
        close(logfd);
    if (nullfd >= 0)
        close(nullfd);
    return pid;
}

static int run_wait(struct sc_proxy *p, const char *program, const char *const *args, size_t nargs)
{
    pid_t pid = spawn(p, program, args, nargs);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void proxy_stop(struct sc_proxy *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        for (int i = 0; i < 100; i++) {
            pid_t r = waitpid(p->pid, NULL, WNOHANG);
            if (r == p->pid || (r < 0 && errno != EINTR))
                break;
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            if (i == 99) {
                kill(p->pid, SIGKILL);
                waitpid(p->pid, NULL, 0);
            }
        }
    }
    p->pid = 0;
    free(p->cfg);
    p->cfg = NULL;
}

void sc_proxy_free(struct sc_proxy *p)
{
    if (!p)
        return;
    proxy_stop(p);
    if (p->routed) {
        const char *args[] = {"-4", "route", "del", "local", SC_VIP_NET, "dev", "lo"};
        run_wait(p, SC_IP_PROGRAM, args, ELEMENTSOF(args));
    }
    free(p->cfg);
    free(p);
}

struct servers {
    struct buf *b;
};

static int server_line(json_t *inst, void *ud, struct error *err)
{
    (void)err;
    json_t *attrs = json_object_get(inst, "Attributes");
    const char *ip = str(attrs, "AWS_INSTANCE_IPV4"), *port = str(attrs, "AWS_INSTANCE_PORT");
    const char *health = str(inst, "HealthStatus"), *id = str(inst, "Id");
    if (!ip || !port || !id || (health && strcmp(health, "UNHEALTHY") == 0))
        return 0;
    /* Attributes come from tasks' reports: only plain addresses go in. */
    if (strspn(ip, "0123456789.") != strlen(ip) || strspn(port, "0123456789") != strlen(port) ||
        strspn(id, "0123456789abcdefABCDEF-_") != strlen(id))
        return 0;
    return buf_printf(((struct servers *)ud)->b, "    server t-%.64s %s:%s\n", id, ip, port) < 0
               ? error_set(err, ERR_LIMIT, "configuration too large")
               : 0;
}

struct pass {
    struct store_tx *tx;
    struct buf *b;
    size_t listeners;
};

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
        char t[24];
        if (idle == 0)
            snprintf(t, sizeof(t), "%s", SC_IDLE_OFF);
        else
            snprintf(t, sizeof(t), "%llds", (long long)(idle > 0 ? idle : SC_IDLE_DEFAULT));
        if (buf_printf(ps->b,
                       "\n# %.127s:%s\nlisten sc_%s_%s\n    bind %s:%s\n    balance roundrobin\n"
                       "    timeout client %s\n    timeout server %s\n",
                       str(alias, "dnsName"), port, vip, port, vip, port, t, t) < 0)
            return error_set(err, ERR_LIMIT, "configuration too large");
        struct servers s = {ps->b};
        if (store_sd_each(ps->tx, STORE_SD_INSTANCE, str(claim, "region"), slash + 1, NULL, server_line, &s, err) < 0)
            return -1;
        ps->listeners++;
    }
    return 0;
}

/* The whole configuration from the store into b; *ret_n listeners. */
static int build(struct sc_proxy *p, struct buf *b, size_t *ret_n, struct error *err)
{
    struct store_tx *tx = NULL;
    if (store_begin(p->store, false, &tx, err) < 0)
        return -1;
    buf_printf(b,
               "# Service Connect: generated by berth, rewritten on every change.\n"
               "global\n    maxconn 4096\n    hard-stop-after 60s\n"
               "defaults\n    mode tcp\n    timeout connect %s\n    retries 3\n    option redispatch 1\n",
               SC_CONNECT_TIMEOUT);
    struct pass ps = {tx, b, 0};
    int r = store_doc_each(tx, SC_ALIAS_KIND, NULL, NULL, NULL, alias_section, &ps, err);
    store_rollback(tx);
    *ret_n = ps.listeners;
    return r < 0 ? -1 : 0;
}

/* The local route that makes the aliases' addresses this host's. */
static int ensure_route(struct sc_proxy *p)
{
    if (p->routed)
        return 0;
    const char *args[] = {"-4", "route", "replace", "local", SC_VIP_NET, "dev", "lo"};
    if (run_wait(p, SC_IP_PROGRAM, args, ELEMENTSOF(args)) < 0)
        return -1;
    p->routed = true;
    return 0;
}

static void apply(struct sc_proxy *p, const char *cfg)
{
    struct error err = {0};
    char path[1100], newpath[1100];
    snprintf(path, sizeof(path), "%s/haproxy.cfg", p->dir);
    snprintf(newpath, sizeof(newpath), "%s/haproxy.cfg.new", p->dir);
    if (fs_write_atomic(p->dir, "haproxy.cfg.new", cfg, strlen(cfg), &err) < 0) {
        log_error("service connect: %s", err.msg);
        return;
    }
    const char *check[] = {"-c", "-q", "-f", newpath};
    if (run_wait(p, p->haproxy, check, ELEMENTSOF(check)) < 0) {
        log_error("service connect: the generated HAProxy configuration is refused (see %s/haproxy.log)", p->dir);
        free(p->cfg);
        p->cfg = strdup(cfg); /* not again until it changes */
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
        p->pid = spawn(p, p->haproxy, args, ELEMENTSOF(args));
        if (p->pid < 0) {
            log_error("service connect: cannot start %s: %s", p->haproxy, strerror(errno));
            p->pid = 0;
            return;
        }
        log_info("service connect: client aliases served by HAProxy (pid %ld)", (long)p->pid);
    }
    free(p->cfg);
    p->cfg = strdup(cfg);
}

void sc_proxy_run(void *arg)
{
    struct sc_proxy *p = arg;
    if (p->broken)
        return;
    int status = 0;
    if (p->pid > 0 && waitpid(p->pid, &status, WNOHANG) == p->pid) {
        log_warn("service connect: HAProxy (pid %ld) exited (status %d); starting it again", (long)p->pid, status);
        p->pid = 0;
        free(p->cfg);
        p->cfg = NULL;
    }
    _cleanup_buf_ struct buf cfg;
    buf_init(&cfg, LIMIT_ELB_CONFIG);
    struct error err = {0};
    size_t n = 0;
    if (build(p, &cfg, &n, &err) < 0) {
        log_error("service connect: %s", err.msg);
        return;
    }
    if (n == 0) {
        proxy_stop(p); /* no alias to listen on */
        return;
    }
    if (p->cfg && strcmp(p->cfg, cfg.data) == 0)
        return;
    if (access(p->haproxy, X_OK) < 0 || fs_mkdir_p(p->dir, 0700, &err) < 0 || ensure_route(p) < 0) {
        const char *why = err.msg[0] ? err.msg : "the local route for " SC_VIP_NET " cannot be added (root needed)";
        if (access(p->haproxy, X_OK) < 0)
            why = "HAProxy is not installed (apt-get install haproxy)";
        log_error("service connect: client aliases are not served: %s", why);
        p->broken = true;
        return;
    }
    apply(p, cfg.data);
}
