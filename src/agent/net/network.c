/* network.c - task network modes on this host (see network.h).
 *
 * The plan (net.json) is the single source of truth for a task: setup
 * writes it first and then creates what it names; teardown removes what it
 * names and tolerates what is already gone.  The shared parts - the address
 * pool, the host ports in use and the nftables table - are derived from the
 * plans of the tasks in env->tasks, under env->lock.  This file does not
 * start containers and does not talk to the server. */
#include "agent/net/network.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/ids.h"
#include "common/jsondump.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "agent/net/dnsrelay.h"
#include "agent/net/netlink.h"
#include "agent/net/netns.h"
#include "agent/net/netpool.h"
#include "agent/net/network_internal.h"
#include "agent/net/nftrules.h"
#include "agent/runtime/spawn.h"

/* ECS's dynamic host port range on Linux. */
#define DYN_PORT_LO 49153
#define DYN_PORT_HI 65535

int network_open(const struct net_config *cfg, struct net_env **ret, struct error *err)
{
    struct netpool_cidr cidr;
    if (netpool_parse_cidr(cfg->task_subnet, &cidr, err) < 0)
        return error_prefix(err, "--task-subnet");
    if (!cfg->bridge[0] || strlen(cfg->bridge) >= 16 || strchr(cfg->bridge, '/'))
        return error_set(err, ERR_INVALID, "--bridge: a name of 1-15 characters");
    struct net_env *env = calloc(1, sizeof(*env));
    if (!env)
        return error_set(err, ERR_INTERNAL, "out of memory");
    snprintf(env->data_dir, sizeof(env->data_dir), "%s", cfg->data_dir);
    snprintf(env->bridge, sizeof(env->bridge), "%s", cfg->bridge);
    nftrules_table_name(cfg->data_dir, env->table, sizeof(env->table));
    netpool_init(&env->pool, &cidr);
    pthread_mutex_init(&env->lock, NULL);
    env->next_port = DYN_PORT_LO;
    snprintf(env->dns_server, sizeof(env->dns_server), "%s", cfg->dns_server ? cfg->dns_server : "");
    struct error ignore;
    if (spawn_find_program("nft", env->nft, sizeof(env->nft), &ignore) < 0)
        env->nft[0] = '\0'; /* port publishing and the host guard need it; said when used */
    char dir[4000];
    snprintf(dir, sizeof(dir), "%s/netns", cfg->data_dir);
    if (fs_mkdir_p(dir, 0700, err) < 0) {
        free(env);
        return -1;
    }
    *ret = env;
    return 0;
}

/* ---- plan helpers --------------------------------------------------------- */

void network_ns_path(const struct net_env *env, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/netns/%s", env->data_dir, name);
}

/* Host-side veth names: 15 characters at most, derived from the namespace
 * file name so that reconciliation can find them from the file alone.  The
 * 10 characters stand for the whole task id (a hash of it): the id's own
 * first characters are its time, the same for tasks made in the same ms. */
static void veth_name(const char *ns_name, char *buf, size_t cap)
{
    const char *dash = strchr(ns_name, '-');
    unsigned idx = dash ? (unsigned)strtoul(dash + 1, NULL, 10) : 0;
    char h[11];
    ids_derived_hex(ns_name, dash ? (size_t)(dash - ns_name) : strlen(ns_name), h, 10);
    if (dash)
        snprintf(buf, cap, "bv%s%02x", h, idx & 0xff);
    else
        snprintf(buf, cap, "bv%saw", h);
}

static void mac_for(uint32_t addr, uint8_t mac[6], char *text, size_t cap)
{
    mac[0] = 0x02;
    mac[1] = 0x42;
    mac[2] = (uint8_t)(addr >> 24);
    mac[3] = (uint8_t)(addr >> 16);
    mac[4] = (uint8_t)(addr >> 8);
    mac[5] = (uint8_t)addr;
    snprintf(text, cap, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* ---- host ports ------------------------------------------------------------ */

static bool port_held(struct net_env *env, int port, bool udp)
{
    for (struct net_task *t = env->tasks; t; t = t->next) {
        size_t i, k;
        json_t *c, *b;
        json_array_foreach(json_object_get(t->plan, "containers"), i, c) {
            json_array_foreach(json_object_get(c, "bindings"), k, b) {
                bool budp = strcmp(json_string_value(json_object_get(b, "protocol")), "udp") == 0;
                if (budp == udp && json_integer_value(json_object_get(b, "hostPort")) == port)
                    return true;
            }
        }
    }
    return false;
}

struct port_probe {
    struct net_env *env;
    bool udp;
    json_t *pending; /* ports chosen for the task being planned */
};

static bool port_busy(int port, void *data)
{
    struct port_probe *p = data;
    if (port_held(p->env, port, p->udp))
        return true;
    size_t i;
    json_t *b;
    json_array_foreach(p->pending, i, b) {
        bool budp = strcmp(json_string_value(json_object_get(b, "protocol")), "udp") == 0;
        if (budp == p->udp && json_integer_value(json_object_get(b, "hostPort")) == port)
            return true;
    }
    /* Something on the host listening there already? */
    _cleanup_close_ int fd = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return true;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0;
}

/* The bindings of one container definition; dynamic ports are chosen here. */
static int plan_bindings(struct net_env *env, const char *mode, json_t *def, json_t *all, json_t **ret,
                         struct error *err)
{
    _cleanup_json_ json_t *list = json_array();
    size_t i;
    json_t *pm;
    json_array_foreach(json_object_get(def, "portMappings"), i, pm) {
        const char *proto = json_string_value(json_object_get(pm, "protocol"));
        bool udp = proto && strcmp(proto, "udp") == 0;
        int lo, hi;
        json_t *cp = json_object_get(pm, "containerPort");
        const char *range = json_string_value(json_object_get(pm, "containerPortRange"));
        if (cp) {
            lo = hi = (int)json_integer_value(cp);
            if (lo < 1 || lo > 65535)
                return error_set(err, ERR_INVALID, "containerPort %d is out of range", lo);
        } else if (netpool_parse_port_range(range, &lo, &hi, err) < 0) {
            return -1;
        }
        if (json_array_size(list) + (size_t)(hi - lo + 1) > LIMIT_NET_PORT_MAPPINGS)
            return error_set(err, ERR_LIMIT, "more than %d port mappings in a container", LIMIT_NET_PORT_MAPPINGS);
        int host_static = (int)json_integer_value(json_object_get(pm, "hostPort"));
        for (int port = lo; port <= hi; port++) {
            int host = port;
            if (strcmp(mode, "bridge") == 0) {
                host = cp && host_static > 0 ? host_static : 0;
                if (!host) {
                    struct port_probe probe = {.env = env, .udp = udp, .pending = all};
                    if (netpool_pick_port(DYN_PORT_LO, DYN_PORT_HI, env->next_port, port_busy, &probe, &host, err) < 0)
                        return -1;
                    env->next_port = host + 1;
                }
            }
            json_t *b = json_pack("{s:s, s:i, s:i, s:s}", "bindIP", "0.0.0.0", "containerPort", port, "hostPort", host,
                                  "protocol", udp ? "udp" : "tcp");
            json_array_append(all, b);
            json_array_append_new(list, b);
        }
    }
    *ret = TAKE_PTR(list);
    return 0;
}

static int plan_address(struct net_env *env, json_t *obj, struct error *err)
{
    uint32_t addr;
    if (netpool_alloc(&env->pool, &addr, err) < 0)
        return -1;
    char a[16], mac[20];
    uint8_t raw[6];
    netpool_format(addr, a, sizeof(a));
    mac_for(addr, raw, mac, sizeof(mac));
    json_object_set_new(obj, "address", json_string(a));
    json_object_set_new(obj, "mac", json_string(mac));
    return 0;
}

static void release_addresses(struct net_env *env, json_t *plan)
{
    uint32_t a;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(plan, "containers"), i, c) {
        if (netpool_parse_addr(json_string_value(json_object_get(c, "address")), &a) == 0)
            netpool_release(&env->pool, a);
    }
    if (netpool_parse_addr(json_string_value(json_object_get(json_object_get(plan, "task"), "address")), &a) == 0)
        netpool_release(&env->pool, a);
}

static bool take_addresses(struct net_env *env, json_t *plan)
{
    uint32_t a;
    size_t i;
    json_t *c;
    bool ok = true;
    json_array_foreach(json_object_get(plan, "containers"), i, c) {
        if (netpool_parse_addr(json_string_value(json_object_get(c, "address")), &a) == 0)
            ok &= netpool_take(&env->pool, a);
    }
    if (netpool_parse_addr(json_string_value(json_object_get(json_object_get(plan, "task"), "address")), &a) == 0)
        ok &= netpool_take(&env->pool, a);
    return ok;
}

/* The plan for a task, under env->lock. */
static int plan_task(struct net_env *env, const char *id, json_t *task, json_t *const *defs, size_t ndefs, json_t **ret,
                     struct error *err)
{
    json_t *td = json_object_get(task, "taskDefinition");
    const char *mode = json_string_value(json_object_get(td, "networkMode"));
    if (!mode)
        mode = "bridge";
    if (strcmp(mode, "bridge") && strcmp(mode, "host") && strcmp(mode, "none") && strcmp(mode, "awsvpc"))
        return error_set(err, ERR_INVALID, "network mode %.32s is not supported", mode);
    _cleanup_json_ json_t *plan = json_pack("{s:s, s:[]}", "mode", mode, "containers");
    _cleanup_json_ json_t *all = json_array();
    bool own_ns = strcmp(mode, "bridge") == 0 || strcmp(mode, "none") == 0;
    for (size_t i = 0; i < ndefs; i++) {
        json_t *c = json_pack("{s:s}", "name", json_string_value(json_object_get(defs[i], "name")) ?: "");
        json_array_append_new(json_object_get(plan, "containers"), c);
        if (own_ns) {
            char ns[48], veth[20];
            snprintf(ns, sizeof(ns), "%s-%zu", id, i);
            json_object_set_new(c, "netns", json_string(ns));
            if (strcmp(mode, "bridge") == 0) {
                veth_name(ns, veth, sizeof(veth));
                json_object_set_new(c, "veth", json_string(veth));
                if (plan_address(env, c, err) < 0)
                    goto fail;
            }
        }
        if (strcmp(mode, "bridge") == 0 || strcmp(mode, "host") == 0) {
            json_t *b = NULL;
            if (plan_bindings(env, mode, defs[i], all, &b, err) < 0)
                goto fail;
            json_object_set_new(c, "bindings", b);
        }
    }
    if (strcmp(mode, "awsvpc") == 0) {
        char veth[20], eni[32], att[40];
        veth_name(id, veth, sizeof(veth));
        char h[18];
        ids_derived_hex(id, strlen(id), h, 17);
        snprintf(eni, sizeof(eni), "eni-%s", h);
        snprintf(att, sizeof(att), "%.8s-%.4s-%.4s-%.4s-%.12s", id, id + 8, id + 12, id + 16, id + 20);
        json_t *subnets = json_object_get(
            json_object_get(json_object_get(task, "networkConfiguration"), "awsvpcConfiguration"), "subnets");
        const char *subnet = json_string_value(json_array_get(subnets, 0));
        json_t *tj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "netns", id, "veth", veth, "eni", eni, "attachmentId", att,
                               "subnetId", subnet ? subnet : "subnet-berth");
        json_object_set_new(plan, "task", tj);
        if (plan_address(env, tj, err) < 0)
            goto fail;
        uint32_t a = 0;
        char dns[80];
        netpool_parse_addr(json_string_value(json_object_get(tj, "address")), &a);
        snprintf(dns, sizeof(dns), "ip-%u-%u-%u-%u.ec2.internal", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
        json_object_set_new(tj, "dnsName", json_string(dns));
    }
    *ret = TAKE_PTR(plan);
    return 0;
fail:
    release_addresses(env, plan);
    return -1;
}

/* ---- the kernel side ---------------------------------------------------- */

static int write_sysctl(const char *path, const char *value, struct error *err)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, value, strlen(value)) < 0)
        return error_sys(err, "writing %s", path);
    return 0;
}

/* Keep tasks on the bridge off the host's own addresses (nftrules.h), or
 * lift that when the bridge goes.  Without nft a task could reach every
 * service on the host, so no bridge task starts. */
static int guard_host(struct net_env *env, bool on, struct error *err)
{
    if (!env->nft[0])
        return on ? error_set(err, ERR_NOT_FOUND, "keeping tasks off the host needs nft (apt-get install nftables)")
                  : 0;
    char gw[16];
    netpool_format(netpool_gateway(&env->pool), gw, sizeof(gw));
    _cleanup_free_ char *text =
        on ? nftrules_guard_text(env->table, env->bridge, env->relay ? gw : NULL, env->endpoint_port)
           : nftrules_guard_delete_text(env->table);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return nftrules_apply(env->nft, text, err);
}

static int ensure_bridge(struct net_env *env, struct error *err)
{
    if (env->bridge_ready)
        return 0;
    if (netlink_bridge_ensure(env->bridge, netpool_gateway(&env->pool), env->pool.cidr.prefix, err) < 0)
        return -1;
    /* route_localnet: 127.0.0.1 -> published port is DNATed onto the
     * bridge; forwarding: replies from tasks to other hosts enter here. */
    char path[256];
    snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", env->bridge);
    if (write_sysctl(path, "1", err) < 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", env->bridge);
    if (write_sysctl(path, "1", err) < 0)
        return -1;
    /* The DNS relay first: the guard lets tasks reach it only while it
     * listens.  Without it tasks keep the host's resolvers. */
    struct error rerr;
    if (env->dns_server[0] && !env->relay &&
        dnsrelay_start(netpool_gateway(&env->pool), env->dns_server, &env->relay, &rerr) < 0)
        log_warn("network: %s; tasks use the host's resolvers", rerr.msg);
    if (guard_host(env, true, err) < 0)
        return -1;
    env->bridge_ready = true;
    return 0;
}

struct ns_setup {
    uint32_t addr, gw;
    int prefix;
};

static int ns_configure(void *arg, struct error *err)
{
    struct ns_setup *s = arg;
    if (netlink_link_up("lo", err) < 0)
        return -1;
    if (!s->addr)
        return 0;
    if (netlink_addr_add("eth0", s->addr, s->prefix, err) < 0 || netlink_link_up("eth0", err) < 0 ||
        netlink_default_route(s->gw, err) < 0)
        return -1;
    return 0;
}

/* One namespace: create it, and for an address a veth into the bridge. */
static int build_ns(struct net_env *env, json_t *obj, struct error *err)
{
    const char *name = json_string_value(json_object_get(obj, "netns"));
    if (!name)
        return 0;
    char path[4096];
    network_ns_path(env, name, path, sizeof(path));
    struct ns_setup s = {.gw = netpool_gateway(&env->pool), .prefix = env->pool.cidr.prefix};
    const char *addr = json_string_value(json_object_get(obj, "address"));
    bool veth = addr && netpool_parse_addr(addr, &s.addr) == 0;
    /* Without a veth to move in first, set it up in the creating thread. */
    if (!veth)
        return netns_create(path, ns_configure, &s, err);
    if (netns_create(path, NULL, NULL, err) < 0)
        return -1;
    uint8_t mac[6];
    char text[20];
    mac_for(s.addr, mac, text, sizeof(text));
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_sys(err, "opening %s", path);
    if (netlink_veth_create(json_string_value(json_object_get(obj, "veth")), env->bridge, fd, "eth0", mac, err) < 0)
        return -1;
    return netns_run(path, ns_configure, &s, err);
}

static void unbuild_ns(struct net_env *env, const char *name)
{
    if (!name)
        return;
    char path[4096], veth[20];
    struct error err;
    veth_name(name, veth, sizeof(veth));
    if (netlink_link_delete(veth, &err) < 0)
        log_warn("network: %s", err.msg);
    network_ns_path(env, name, path, sizeof(path));
    if (netns_remove(path, &err) < 0)
        log_warn("network: %s", err.msg);
}

static bool plan_has_bindings(json_t *plan);

/* The port mappings of one bridge task's plan, appended to *m. */
static int collect_mappings(json_t *plan, struct nft_mapping **m, size_t *n, size_t *cap, struct error *err)
{
    if (strcmp(json_string_value(json_object_get(plan, "mode")), "bridge") != 0)
        return 0;
    size_t i, k;
    json_t *c, *b;
    json_array_foreach(json_object_get(plan, "containers"), i, c) {
        uint32_t addr;
        if (netpool_parse_addr(json_string_value(json_object_get(c, "address")), &addr) < 0)
            continue;
        json_array_foreach(json_object_get(c, "bindings"), k, b) {
            if (array_reserve(m, cap, *n + 1, sizeof(**m)) < 0)
                return error_set(err, ERR_INTERNAL, "out of memory");
            struct nft_mapping *x = &(*m)[(*n)++];
            x->udp = strcmp(json_string_value(json_object_get(b, "protocol")), "udp") == 0;
            x->host_port = (int)json_integer_value(json_object_get(b, "hostPort"));
            x->ctr_port = (int)json_integer_value(json_object_get(b, "containerPort"));
            x->addr = addr;
        }
    }
    return 0;
}

/* Rewrite the nftables table from every bridge task's bindings (the table
 * goes when there are none).  Under env->lock. */
static int sync_nft(struct net_env *env, struct error *err)
{
    size_t n = 0, cap = 0;
    _cleanup_free_ struct nft_mapping *m = NULL;
    for (struct net_task *t = env->tasks; t; t = t->next)
        if (collect_mappings(t->plan, &m, &n, &cap, err) < 0)
            return -1;
    env->nft_table_ok = false;
    if (!env->nft[0]) {
        if (n)
            return error_set(err, ERR_NOT_FOUND, "publishing ports needs nft (apt-get install nftables)");
        return 0;
    }
    _cleanup_free_ char *text = nftrules_text(env->table, env->bridge, &env->pool.cidr, m, n);
    if (!text)
        return error_set(err, ERR_LIMIT, "nftables ruleset too large");
    if (nftrules_apply(env->nft, text, err) < 0)
        return -1;
    env->nft_table_ok = n > 0;
    return 0;
}

/* One task's mappings in or out of the maps.  Adding elements is cheap;
 * rewriting the table (or flushing a map) waits for an RCU grace period in
 * the kernel, so the whole table is rewritten only when it must be created
 * or removed, or when an update fails (someone changed it behind us).
 * Under env->lock; for removal, nt is already off env->tasks. */
static int update_nft(struct net_env *env, json_t *plan, bool add, struct error *err)
{
    size_t n = 0, cap = 0;
    _cleanup_free_ struct nft_mapping *m = NULL;
    if (collect_mappings(plan, &m, &n, &cap, err) < 0)
        return -1;
    if (!n)
        return 0;
    bool others = false;
    for (struct net_task *t = env->tasks; t && !others; t = t->next)
        others = t->plan != plan && plan_has_bindings(t->plan);
    if (!env->nft_table_ok || !env->nft[0] || (!add && !others))
        return sync_nft(env, err);
    _cleanup_free_ char *text = nftrules_elements_text(env->table, add, m, n);
    if (!text)
        return error_set(err, ERR_LIMIT, "nftables ruleset too large");
    struct error e2;
    if (nftrules_apply(env->nft, text, &e2) < 0) {
        log_warn("network: %s; rewriting table %s", e2.msg, env->table);
        return sync_nft(env, err);
    }
    return 0;
}

static bool plan_has_bindings(json_t *plan)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(plan, "containers"), i, c) {
        if (json_array_size(json_object_get(c, "bindings")))
            return true;
    }
    return false;
}

static void unlink_task(struct net_env *env, struct net_task *nt)
{
    for (struct net_task **p = &env->tasks; *p; p = &(*p)->next)
        if (*p == nt) {
            *p = nt->next;
            break;
        }
}

void network_task_teardown(struct net_env *env, struct net_task *nt)
{
    if (!nt)
        return;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(nt->plan, "containers"), i, c) {
        unbuild_ns(env, json_string_value(json_object_get(c, "netns")));
    }
    unbuild_ns(env, json_string_value(json_object_get(json_object_get(nt->plan, "task"), "netns")));
    pthread_mutex_lock(&env->lock);
    unlink_task(env, nt);
    release_addresses(env, nt->plan);
    struct error err;
    if (mode_is(nt, "bridge") && plan_has_bindings(nt->plan) && update_nft(env, nt->plan, false, &err) < 0)
        log_warn("network: %s", err.msg);
    pthread_mutex_unlock(&env->lock);
    json_decref(nt->plan);
    free(nt);
}

static int write_plan(struct net_env *env, const char *id, json_t *plan, struct error *err)
{
    char dir[4000];
    snprintf(dir, sizeof(dir), "%s/tasks/%s", env->data_dir, id);
    if (fs_mkdir_p(dir, 0700, err) < 0)
        return -1;
    _cleanup_free_ char *text = jsondump_utf8(plan, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* No fsync: the plan describes kernel state (namespaces, links, nft
     * elements, addresses in use) that a host crash ends anyway; a
     * restarted agent process finds it in the page cache. */
    char path[4100];
    snprintf(path, sizeof(path), "%s/net.json", dir);
    return fs_replace_file(path, text, strlen(text), err);
}

int network_task_setup(struct net_env *env, const char *task_id, json_t *task, json_t *const *defs, size_t ndefs,
                       struct net_task **ret, struct error *err)
{
    usec_t began = time_monotonic();
    struct net_task *nt = calloc(1, sizeof(*nt));
    if (!nt)
        return error_set(err, ERR_INTERNAL, "out of memory");
    snprintf(nt->id, sizeof(nt->id), "%s", task_id);
    pthread_mutex_lock(&env->lock);
    int r = plan_task(env, task_id, task, defs, ndefs, &nt->plan, err);
    if (r == 0) {
        nt->next = env->tasks;
        env->tasks = nt;
        bool needs_bridge = mode_is(nt, "bridge") || mode_is(nt, "awsvpc");
        if (needs_bridge)
            r = ensure_bridge(env, err);
    }
    pthread_mutex_unlock(&env->lock);
    if (r < 0) {
        if (nt->plan) {
            network_task_teardown(env, nt);
            return -1;
        }
        free(nt);
        return -1;
    }
    if (write_plan(env, task_id, nt->plan, err) < 0)
        goto fail;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(nt->plan, "containers"), i, c) {
        if (build_ns(env, c, err) < 0)
            goto fail;
    }
    if (json_object_get(nt->plan, "task") && build_ns(env, json_object_get(nt->plan, "task"), err) < 0)
        goto fail;
    if (mode_is(nt, "bridge") && plan_has_bindings(nt->plan)) {
        pthread_mutex_lock(&env->lock);
        r = update_nft(env, nt->plan, true, err);
        pthread_mutex_unlock(&env->lock);
        if (r < 0)
            goto fail;
    }
    log_info("task %s: %s network ready in %lld us", task_id, plan_mode(nt), (long long)(time_monotonic() - began));
    *ret = nt;
    return 0;
fail:
    network_task_teardown(env, nt);
    return -1;
}

int network_task_adopt(struct net_env *env, const char *task_id, struct net_task **ret, struct error *err)
{
    char path[4100];
    snprintf(path, sizeof(path), "%s/tasks/%s/net.json", env->data_dir, task_id);
    _cleanup_free_ char *text = NULL;
    if (fs_read_file(path, LIMIT_STATE_FILE, &text, NULL, err) < 0) {
        if (err->kind == ERR_NOT_FOUND || err->sys_errno == ENOENT) {
            *ret = NULL;
            return 0;
        }
        return -1;
    }
    json_t *plan = json_loads(text, 0, NULL);
    if (!json_is_object(plan) || !json_is_string(json_object_get(plan, "mode"))) {
        json_decref(plan);
        return error_set(err, ERR_INVALID, "%s is not a network plan", path);
    }
    struct net_task *nt = calloc(1, sizeof(*nt));
    if (!nt) {
        json_decref(plan);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    snprintf(nt->id, sizeof(nt->id), "%s", task_id);
    nt->plan = plan;
    pthread_mutex_lock(&env->lock);
    if (!take_addresses(env, plan))
        log_warn("task %s: its addresses overlap another task's or the task subnet changed", task_id);
    nt->next = env->tasks;
    env->tasks = nt;
    if (mode_is(nt, "bridge") || mode_is(nt, "awsvpc"))
        env->bridge_ready = false; /* check it again on the next setup */
    pthread_mutex_unlock(&env->lock);
    *ret = nt;
    return 0;
}

static bool ns_owned(struct net_env *env, const char *name)
{
    for (struct net_task *t = env->tasks; t; t = t->next)
        if (strncmp(name, t->id, 32) == 0)
            return true;
    return false;
}

void network_reconcile(struct net_env *env)
{
    char dir[4000];
    snprintf(dir, sizeof(dir), "%s/netns", env->data_dir);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.' || strlen(de->d_name) < 32)
                continue;
            pthread_mutex_lock(&env->lock);
            bool owned = ns_owned(env, de->d_name);
            pthread_mutex_unlock(&env->lock);
            if (!owned) {
                log_info("network: removing namespace %s of a task this agent no longer has", de->d_name);
                unbuild_ns(env, de->d_name);
            }
        }
        closedir(d);
    }
    struct error err;
    pthread_mutex_lock(&env->lock);
    if (sync_nft(env, &err) < 0)
        log_warn("network: %s", err.msg);
    /* Adopted bridge and awsvpc tasks want their bridge's guard and DNS
     * relay back now, not at the next task's start. */
    bool needs_bridge = false;
    for (struct net_task *t = env->tasks; t; t = t->next)
        needs_bridge |= mode_is(t, "bridge") || mode_is(t, "awsvpc");
    if (needs_bridge && ensure_bridge(env, &err) < 0)
        log_warn("network: %s", err.msg);
    pthread_mutex_unlock(&env->lock);
}

int network_endpoint_enable(struct net_env *env, int port, struct error *err)
{
    if (!env->nft[0])
        return error_set(err, ERR_NOT_FOUND, "the task endpoint needs nft (apt-get install nftables)");
    _cleanup_free_ char *text = nftrules_endpoint_text(env->table, env->bridge, port);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    pthread_mutex_lock(&env->lock);
    int r = nftrules_apply(env->nft, text, err);
    if (r == 0) {
        env->endpoint_port = port;
        /* A guard a previous agent left for the tasks it ran (adopted now)
         * names its port: rewrite it at once (adopted tasks build no
         * bridge).  With no task, network_close removes it again. */
        r = guard_host(env, true, err);
    }
    pthread_mutex_unlock(&env->lock);
    return r;
}

void network_close(struct net_env *env)
{
    if (!env)
        return;
    if (env->endpoint_port) {
        /* The endpoint stops with the agent: nothing may be sent to its port. */
        struct error err;
        _cleanup_free_ char *text = nftrules_endpoint_delete_text(env->table);
        if (text && nftrules_apply(env->nft, text, &err) < 0)
            log_warn("network: %s", err.msg);
    }
    bool idle = true;
    while (env->tasks) {
        struct net_task *t = env->tasks;
        env->tasks = t->next;
        idle = false;
        json_decref(t->plan);
        free(t);
    }
    if (idle) {
        /* Nothing of ours runs: leave no bridge or table behind. */
        struct error err;
        if (sync_nft(env, &err) < 0)
            log_warn("network: %s", err.msg);
        if (netlink_link_delete(env->bridge, &err) < 0)
            log_warn("network: %s", err.msg);
        if (guard_host(env, false, &err) < 0)
            log_warn("network: %s", err.msg);
    }
    dnsrelay_stop(env->relay);
    pthread_mutex_destroy(&env->lock);
    free(env);
}
