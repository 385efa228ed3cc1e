/* sd_discover.c - DiscoverInstances: a service's instances by namespace
 * and service name, those matching every QueryParameter, narrowed by the
 * OptionalParameters when any instance matches them, and by health
 * (HEALTHY by default; HEALTHY_OR_ELSE_ALL falls back to all when none is
 * healthy).  An instance without a health check is UNKNOWN and healthy. */
#include "server/servicediscovery/sd.h"

#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_sd.h"

#define SD_DISCOVER_DEFAULT 100

/* Whether attrs has every key of params with the same value. */
static bool attributes_match(json_t *attrs, json_t *params)
{
    const char *k;
    json_t *v;
    json_object_foreach(params, k, v) {
        const char *have = json_string_value(json_object_get(attrs, k));
        if (!have || strcmp(have, json_string_value(v)) != 0)
            return false;
    }
    return true;
}

static int collect(json_t *inst, void *ud, struct error *err)
{
    (void)err;
    return json_array_append(ud, inst);
}

/* Keep the instances of list (in place) that pass keep with arg. */
static void narrow(json_t *list, bool (*keep)(json_t *inst, json_t *arg), json_t *arg, bool only_if_any)
{
    size_t kept = 0, i;
    json_t *inst;
    json_array_foreach(list, i, inst)
        kept += keep(inst, arg);
    if (only_if_any && kept == 0)
        return;
    for (i = json_array_size(list); i-- > 0;)
        if (!keep(json_array_get(list, i), arg))
            json_array_remove(list, i);
}

static bool keep_params(json_t *inst, json_t *params)
{
    return attributes_match(json_object_get(inst, "Attributes"), params);
}

static bool keep_health(json_t *inst, json_t *want)
{
    bool healthy = strcmp(sd_str(inst, "HealthStatus"), "UNHEALTHY") != 0;
    return strcmp(json_string_value(want), "HEALTHY") == 0 ? healthy : !healthy;
}

API_ACTION(sd_discover_instances)
{
    _cleanup_json_ json_t *ns = NULL, *svc = NULL, *list = json_array();
    const char *ns_name = sd_str(in, "NamespaceName"), *svc_name = sd_str(in, "ServiceName");
    if (!list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int r = store_sd_find_name(ctx->tx, STORE_SD_NAMESPACE, ctx->region, "", ns_name, &ns, err);
    if (r <= 0)
        return r < 0 ? -1 : error_set(err, SD_ERR_NAMESPACE_NOT_FOUND, "Namespace not found: %.200s", ns_name);
    r = store_sd_find_name(ctx->tx, STORE_SD_SERVICE, ctx->region, sd_str(ns, "Id"), svc_name, &svc, err);
    if (r <= 0)
        return r < 0 ? -1 : error_set(err, SD_ERR_SERVICE_NOT_FOUND, "Service not found: %.127s", svc_name);
    if (store_sd_each(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), NULL, collect, list, err) < 0)
        return -1;
    narrow(list, keep_params, json_object_get(in, "QueryParameters"), false);
    narrow(list, keep_params, json_object_get(in, "OptionalParameters"), true);
    const char *health = sd_str(in, "HealthStatus") ? sd_str(in, "HealthStatus") : "HEALTHY";
    _cleanup_json_ json_t *want = json_string(strcmp(health, "UNHEALTHY") == 0 ? "UNHEALTHY" : "HEALTHY");
    if (strcmp(health, "HEALTHY") == 0 || strcmp(health, "UNHEALTHY") == 0)
        narrow(list, keep_health, want, false);
    else if (strcmp(health, "HEALTHY_OR_ELSE_ALL") == 0)
        narrow(list, keep_health, want, true);
    json_int_t max =
        json_object_get(in, "MaxResults") ? json_integer_value(json_object_get(in, "MaxResults")) : SD_DISCOVER_DEFAULT;
    json_t *shown = json_array();
    json_object_set_new(out, "Instances", shown);
    size_t i;
    json_t *inst;
    json_array_foreach(list, i, inst) {
        if ((json_int_t)i >= max)
            break;
        json_array_append_new(shown, json_pack("{s:O, s:s, s:s, s:O, s:O}", "InstanceId", json_object_get(inst, "Id"),
                                               "NamespaceName", ns_name, "ServiceName", svc_name, "HealthStatus",
                                               json_object_get(inst, "HealthStatus"), "Attributes",
                                               json_object_get(inst, "Attributes")));
    }
    json_object_set(out, "InstancesRevision", json_object_get(svc, "InstancesRevision"));
    return 0;
}
