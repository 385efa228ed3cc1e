/* service_connect.c - serviceConnectConfiguration (see service_connect.h).
 *
 * What berth keeps in the service document:
 *   serviceConnectConfiguration  as ECS shows it in deployments, defaults
 *                                filled in (namespace as its ARN, each
 *                                discoveryName and dnsName)
 *   berth.scResources            [{discoveryName, discoveryArn}]
 *   berth.scRegistries           [{registryArn, containerName,
 *                                containerPort}]: serviceRegistries'
 *                                machinery registers each task there
 * and one store document per alias dnsName (SC_ALIAS_KIND) holding its
 * address and which service answers each of its ports.  Nothing here
 * starts a process: the proxy reads these documents. */
#include "server/ecs/service_connect.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/taskdefs.h"
#include "server/servicediscovery/sd_registry.h"
#include "server/store/store_clusters.h"
#include "server/store/store_docs.h"
#include "server/store/store_services.h"

#define SC_NAME_MAX 64
#define SC_DNS_NAME_MAX 127
#define SC_SERVICES_MAX 16
#define SC_RETIRED_MAX 8

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* ECS's rule for discoveryName (up to max) and dnsName (dots allowed). */
static bool name_ok(const char *s, size_t max, bool dots)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max || s[0] == '-')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || (dots && *s == '.')))
            return false;
    return true;
}

/* The container and port mapping named port_name in taskdef. */
static json_t *port_named(json_t *taskdef, const char *port_name, const char **ret_container)
{
    size_t i, j;
    json_t *c, *pm;
    json_array_foreach(json_object_get(taskdef, "containerDefinitions"), i, c) {
        json_array_foreach(json_object_get(c, "portMappings"), j, pm) {
            if (str(pm, "name") && strcmp(str(pm, "name"), port_name) == 0) {
                *ret_container = str(c, "name");
                return pm;
            }
        }
    }
    return NULL;
}

static int refuse_unhonoured(json_t *sc, struct error *err)
{
    static const char *const top[] = {"logConfiguration", "accessLogConfiguration"};
    for (size_t i = 0; i < ELEMENTSOF(top); i++)
        if (json_object_get(sc, top[i]))
            return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                             "berth's Service Connect proxy keeps no logs: serviceConnectConfiguration.%s is not "
                             "supported.",
                             top[i]);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(sc, "services"), i, s) {
        if (json_object_get(s, "tls"))
            return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                             "berth's Service Connect does not encrypt: services[%zu].tls is not supported.", i);
        if (json_object_get(s, "ingressPortOverride"))
            return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                             "berth's Service Connect proxy runs beside the server, not in the task: "
                             "services[%zu].ingressPortOverride is not supported.",
                             i);
        if (json_object_get(json_object_get(s, "timeout"), "perRequestTimeoutSeconds"))
            return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                             "berth's Service Connect proxy forwards TCP: services[%zu].timeout."
                             "perRequestTimeoutSeconds is not supported (idleTimeoutSeconds is).",
                             i);
        size_t j;
        json_t *a;
        json_array_foreach(json_object_get(s, "clientAliases"), j, a) {
            if (json_object_get(a, "testTrafficRules"))
                return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                                 "Blue/green test traffic is not supported: clientAliases[%zu].testTrafficRules.", j);
        }
    }
    return 0;
}

/* One services[] entry, defaults filled in, into ret (a new object). */
static int check_service(json_t *s, size_t i, json_t *taskdef, const char *ns_name, json_t **ret, json_t *ret_reg,
                         struct error *err)
{
    const char *port_name = str(s, "portName"), *container = NULL;
    if (!port_name)
        return error_set(err, ERR_INVALID, "serviceConnectConfiguration.services[%zu].portName is required.", i);
    json_t *pm = port_named(taskdef, port_name, &container);
    if (!pm)
        return error_set(err, ERR_INVALID,
                         "The Service Connect portName %.64s is not the name of any portMappings entry in the task "
                         "definition.",
                         port_name);
    const char *discovery = str(s, "discoveryName") ? str(s, "discoveryName") : port_name;
    if (!name_ok(discovery, SC_NAME_MAX, false))
        return error_set(err, ERR_INVALID,
                         "The discoveryName %.80s is not valid: up to 64 lowercase letters, numbers, underscores and "
                         "hyphens, not starting with a hyphen.",
                         discovery);
    json_t *aliases = json_object_get(s, "clientAliases");
    if (json_array_size(aliases) != 1)
        return error_set(err, ERR_INVALID,
                         "Each Service Connect service needs exactly one clientAlias with a port (services[%zu]).", i);
    json_t *alias = json_array_get(aliases, 0);
    json_int_t port = json_integer_value(json_object_get(alias, "port"));
    if (port < 1 || port > 65535)
        return error_set(err, ERR_INVALID, "The clientAlias port must be between 1 and 65535 (services[%zu]).", i);
    char dns[SC_DNS_NAME_MAX + 2];
    if (str(alias, "dnsName"))
        snprintf(dns, sizeof(dns), "%.128s", str(alias, "dnsName"));
    else
        snprintf(dns, sizeof(dns), "%s.%.100s", discovery, ns_name);
    if (!name_ok(dns, SC_DNS_NAME_MAX, true))
        return error_set(err, ERR_INVALID,
                         "The clientAlias dnsName %.130s is not valid: up to 127 lowercase letters, numbers, "
                         "underscores, hyphens and periods, not starting with a hyphen.",
                         dns);
    json_t *timeout = json_object_get(s, "timeout");
    json_int_t idle = json_integer_value(json_object_get(timeout, "idleTimeoutSeconds"));
    if (idle < 0)
        return error_set(err, ERR_INVALID, "idleTimeoutSeconds must be 0 or more.");
    *ret = json_pack("{s:s, s:s, s:[{s:I, s:s}]}", "portName", port_name, "discoveryName", discovery, "clientAliases",
                     "port", port, "dnsName", dns);
    if (!*ret)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (timeout)
        json_object_set(*ret, "timeout", timeout);
    json_object_set_new(ret_reg, "containerName", json_string(container));
    json_object_set(ret_reg, "containerPort", json_object_get(pm, "containerPort"));
    return 0;
}

/* Whether service arn (cluster id, name) still answers dnsName:port. */
static bool claim_live(struct op_ctx *ctx, json_t *claim, const char *dns, json_int_t port)
{
    _cleanup_(service_row_clear) struct service_row row = {0};
    struct error e;
    if (store_service_get(ctx->tx, json_integer_value(json_object_get(claim, "cluster")), str(claim, "name"), &row,
                          &e) <= 0 ||
        strcmp(row.status, "ACTIVE") != 0 || strcmp(str(row.doc, "serviceArn"), str(claim, "service")) != 0)
        return false;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(json_object_get(row.doc, "serviceConnectConfiguration"), "services"), i, s) {
        json_t *a = json_array_get(json_object_get(s, "clientAliases"), 0);
        if (str(a, "dnsName") && strcmp(str(a, "dnsName"), dns) == 0 &&
            json_integer_value(json_object_get(a, "port")) == port)
            return true;
    }
    return false;
}

struct vips {
    bool used[SC_VIP_MAX + 1];
};

static int vip_visit(const char *region, json_t *doc, void *ud, struct error *err)
{
    (void)region, (void)err;
    unsigned n = 0;
    if (sscanf(str(doc, "vip") ? str(doc, "vip") : "", "169.254.171.%u", &n) == 1 && n >= 1 && n <= SC_VIP_MAX)
        ((struct vips *)ud)->used[n] = true;
    return 0;
}

/* The alias document of dns, with an address allocated when new. */
static int alias_doc(struct op_ctx *ctx, const char *dns, json_t **ret, struct error *err)
{
    int r = store_doc_get(ctx->tx, SC_ALIAS_KIND, ctx->region, dns, ret, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    struct vips v = {{false}};
    if (store_doc_each(ctx->tx, SC_ALIAS_KIND, NULL, NULL, NULL, vip_visit, &v, err) < 0)
        return -1;
    unsigned n = 1;
    while (n <= SC_VIP_MAX && v.used[n])
        n++;
    if (n > SC_VIP_MAX)
        return error_set(err, ERR_LIMIT, "berth's Service Connect has room for %d client alias names.", SC_VIP_MAX);
    char vip[20];
    snprintf(vip, sizeof(vip), "169.254.171.%u", n);
    *ret = json_pack("{s:s, s:s, s:{}}", "dnsName", dns, "vip", vip, "ports");
    return *ret ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

/* Claim dns:port for the service; InvalidParameter when another live
 * service has it. */
static int alias_claim(struct op_ctx *ctx, json_t *doc, const char *dns, json_int_t port, const char *discovery_arn,
                       json_int_t idle, struct error *err)
{
    _cleanup_json_ json_t *a = NULL;
    if (alias_doc(ctx, dns, &a, err) < 0)
        return -1;
    char key[16];
    snprintf(key, sizeof(key), "%lld", (long long)port);
    json_t *ports = json_object_get(a, "ports"), *had = json_object_get(ports, key);
    const char *arn = str(doc, "serviceArn");
    if (had && strcmp(str(had, "service"), arn) != 0 && claim_live(ctx, had, dns, port))
        return error_set(err, ERR_INVALID,
                         "The client alias %.127s:%lld is already used by service %.300s: each name and port must be "
                         "unique within the namespace.",
                         dns, (long long)port, str(had, "service"));
    const char *slash = strrchr(arn, '/');
    json_t *claim = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I}", "service", arn, "cluster",
                              json_integer_value(json_object_get(json_object_get(doc, "berth"), "clusterId")), "name",
                              slash ? slash + 1 : arn, "discovery", discovery_arn, "region", ctx->region, "idle", idle);
    if (!claim)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(ports, key, claim);
    return store_doc_put(ctx->tx, SC_ALIAS_KIND, ctx->region, dns, a, err);
}

/* Drop the service's claims on aliases its configuration old had and
 * now (may be NULL) does not. */
static int alias_release(struct op_ctx *ctx, json_t *doc, json_t *old, json_t *now, struct error *err)
{
    size_t i, j;
    json_t *s, *t;
    json_array_foreach(json_object_get(old, "services"), i, s) {
        json_t *a = json_array_get(json_object_get(s, "clientAliases"), 0);
        bool kept = false;
        json_array_foreach(json_object_get(now, "services"), j, t) {
            kept |= json_equal(a, json_array_get(json_object_get(t, "clientAliases"), 0));
        }
        _cleanup_json_ json_t *ad = NULL;
        if (kept || !str(a, "dnsName") ||
            store_doc_get(ctx->tx, SC_ALIAS_KIND, ctx->region, str(a, "dnsName"), &ad, err) <= 0)
            continue;
        char key[16];
        snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(json_object_get(a, "port")));
        json_t *claim = json_object_get(json_object_get(ad, "ports"), key);
        if (!claim || strcmp(str(claim, "service"), str(doc, "serviceArn")) != 0)
            continue;
        json_object_del(json_object_get(ad, "ports"), key);
        int r = json_object_size(json_object_get(ad, "ports"))
                    ? store_doc_put(ctx->tx, SC_ALIAS_KIND, ctx->region, str(a, "dnsName"), ad, err)
                    : store_doc_delete(ctx->tx, SC_ALIAS_KIND, ctx->region, str(a, "dnsName"), err);
        if (r < 0)
            return -1;
    }
    return 0;
}

/* The idle timeout asked for: seconds, 0 for none, -1 not given. */
static json_int_t idle_of(json_t *service)
{
    json_t *idle = json_object_get(json_object_get(service, "timeout"), "idleTimeoutSeconds");
    return idle ? json_integer_value(idle) : -1;
}

/* The namespace: given, or the cluster's default; its document. */
static int resolve_namespace(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *sc, json_t **ret,
                             struct error *err)
{
    const char *ref = str(sc, "namespace");
    if (!ref)
        ref = str(json_object_get(cluster->doc, "serviceConnectDefaults"), "namespace");
    if (!ref)
        return error_set(err, ERR_INVALID,
                         "Service Connect needs a namespace: give serviceConnectConfiguration.namespace or set the "
                         "cluster's serviceConnectDefaults.");
    struct error lookup;
    if (sd_namespace_resolve(ctx, ref, ret, &lookup) < 0)
        return error_set(err, ECS_ERR_NAMESPACE_NOT_FOUND, "The namespace %.300s was not found.", ref);
    return 0;
}

/* Check sc and build the stored form: *ret_conf, resources and
 * registries (arrays filled), claiming aliases for doc. */
static int resolve(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *sc, json_t *doc, json_t *taskdef,
                   json_t **ret_conf, json_t *resources, json_t *regs, struct error *err)
{
    if (!json_is_boolean(json_object_get(sc, "enabled")))
        return error_set(err, ERR_INVALID, "serviceConnectConfiguration.enabled is required.");
    if (refuse_unhonoured(sc, err) < 0)
        return -1;
    if (!json_is_true(json_object_get(sc, "enabled"))) {
        *ret_conf = json_pack("{s:b}", "enabled", 0);
        return 0;
    }
    const char *mode = str(taskdef, "networkMode");
    if (mode && strcmp(mode, "host") == 0)
        return error_set(err, ERR_INVALID, "Service Connect does not support the host network mode.");
    _cleanup_json_ json_t *ns = NULL;
    if (resolve_namespace(ctx, cluster, sc, &ns, err) < 0)
        return -1;
    json_t *services = json_object_get(sc, "services");
    if (json_array_size(services) > SC_SERVICES_MAX)
        return error_set(err, ERR_INVALID, "A service can have at most %d Service Connect services.", SC_SERVICES_MAX);
    _cleanup_json_ json_t *conf = json_pack("{s:b, s:s, s:[]}", "enabled", 1, "namespace", str(ns, "Arn"), "services");
    if (!conf)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t i;
    json_t *s;
    json_array_foreach(services, i, s) {
        _cleanup_json_ json_t *out = NULL, *reg = json_object(), *cm = NULL;
        if (!reg || check_service(s, i, taskdef, str(ns, "Name"), &out, reg, err) < 0)
            return -1;
        for (size_t k = 0; k < i; k++)
            if (strcmp(str(json_array_get(json_object_get(conf, "services"), k), "portName"), str(out, "portName")) ==
                0)
                return error_set(err, ERR_INVALID, "The portName %.64s is given twice.", str(out, "portName"));
        if (sd_service_ensure(ctx, ns, str(out, "discoveryName"), &cm, err) < 0)
            return -1;
        json_t *alias = json_array_get(json_object_get(out, "clientAliases"), 0);
        if (alias_claim(ctx, doc, str(alias, "dnsName"), json_integer_value(json_object_get(alias, "port")),
                        str(cm, "Arn"), idle_of(out), err) < 0)
            return -1;
        json_object_set_new(reg, "registryArn", json_string(str(cm, "Arn")));
        json_array_append(regs, reg);
        json_array_append_new(resources, json_pack("{s:s, s:s}", "discoveryName", str(out, "discoveryName"),
                                                   "discoveryArn", str(cm, "Arn")));
        json_array_append(json_object_get(conf, "services"), out);
    }
    *ret_conf = TAKE_PTR(conf);
    return 0;
}

void service_connect_deployment(json_t *doc, json_t *dep)
{
    json_t *conf = json_object_get(doc, "serviceConnectConfiguration");
    if (!conf)
        return;
    json_object_set(dep, "serviceConnectConfiguration", conf);
    json_t *res = json_object_get(json_object_get(doc, "berth"), "scResources");
    if (json_array_size(res))
        json_object_set(dep, "serviceConnectResources", res);
}

/* Store conf, resources and registries in doc. */
static void record(json_t *doc, json_t *conf, json_t *resources, json_t *regs)
{
    json_t *berth = json_object_get(doc, "berth");
    json_object_set(doc, "serviceConnectConfiguration", conf);
    json_object_set(berth, "scResources", resources);
    json_object_set(berth, "scRegistries", regs);
}

int service_connect_create(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *in, json_t *doc,
                           json_t *taskdef, struct error *err)
{
    json_t *sc = json_object_get(in, "serviceConnectConfiguration");
    if (!sc)
        return 0;
    json_object_set_new(json_object_get(doc, "berth"), "clusterId", json_integer(cluster->id));
    _cleanup_json_ json_t *conf = NULL, *resources = json_array(), *regs = json_array();
    if (!resources || !regs || resolve(ctx, cluster, sc, doc, taskdef, &conf, resources, regs, err) < 0)
        return -1;
    record(doc, conf, resources, regs);
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(doc, "deployments"), i, d) {
        service_connect_deployment(doc, d);
    }
    return 0;
}

/* The registries old had and regs has not go to berth.retiredRegistries. */
static void retire(json_t *doc, json_t *old, json_t *regs)
{
    json_t *berth = json_object_get(doc, "berth");
    json_t *retired = json_object_get(berth, "retiredRegistries");
    if (!retired) {
        retired = json_array();
        json_object_set_new(berth, "retiredRegistries", retired);
    }
    size_t i, j;
    json_t *r, *k;
    json_array_foreach(old, i, r) {
        bool kept = false;
        json_array_foreach(regs, j, k) {
            kept |= strcmp(str(k, "registryArn"), str(r, "registryArn")) == 0;
        }
        if (!kept)
            json_array_append(retired, r);
    }
    while (json_array_size(retired) > SC_RETIRED_MAX)
        json_array_remove(retired, 0);
}

int service_connect_update(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *in, json_t *doc,
                           json_t *taskdef, bool *redeploy, struct error *err)
{
    json_t *given = json_object_get(in, "serviceConnectConfiguration");
    json_t *old = json_object_get(doc, "serviceConnectConfiguration");
    if (!given && (!taskdef || !json_is_true(json_object_get(old, "enabled"))))
        return 0;
    json_object_set_new(json_object_get(doc, "berth"), "clusterId", json_integer(cluster->id));
    _cleanup_json_ json_t *conf = NULL, *resources = json_array(), *regs = json_array(), *had = json_incref(old);
    _cleanup_json_ json_t *td = json_incref(taskdef);
    if (!td) {
        struct error e;
        if (taskdef_resolve(ctx, str(doc, "taskDefinition"), false, &td, &e) < 0)
            return error_set(err, ERR_INVALID, "The service's task definition no longer exists.");
    }
    if (!resources || !regs || resolve(ctx, cluster, given ? given : old, doc, td, &conf, resources, regs, err) < 0)
        return -1;
    if (alias_release(ctx, doc, had, conf, err) < 0)
        return -1;
    if (had && json_equal(had, conf)) {
        record(doc, conf, resources, regs); /* the containers may have moved */
        return 0;
    }
    retire(doc, json_object_get(json_object_get(doc, "berth"), "scRegistries"), regs);
    record(doc, conf, resources, regs);
    *redeploy = true;
    return 0;
}
