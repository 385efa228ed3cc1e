/* sd_instances.c - Cloud Map instances: RegisterInstance and
 * DeregisterInstance (operations), GetInstance, ListInstances,
 * DiscoverInstances (QueryParameters, OptionalParameters, health filter),
 * GetInstancesHealthStatus, UpdateInstanceCustomHealthStatus.  An instance
 * of a service without a health check is UNKNOWN and counts as healthy;
 * with HealthCheckCustomConfig it starts HEALTHY until its status is
 * updated. */
#include "server/servicediscovery/sd.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_sd.h"

/* Whether svc has a DNS record of type. */
static bool has_record(json_t *svc, const char *type)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(json_object_get(svc, "DnsConfig"), "DnsRecords"), i, r) {
        if (strcmp(sd_str(r, "Type"), type) == 0)
            return true;
    }
    return false;
}

/* The attributes a service's records need, as Cloud Map checks them. */
static int attributes_check(json_t *svc, json_t *attrs, struct error *err)
{
    if (json_object_size(attrs) > SD_ATTRIBUTES_MAX)
        return error_set(err, ERR_INVALID, "An instance can have at most %d attributes.", SD_ATTRIBUTES_MAX);
    bool alias = json_object_get(attrs, "AWS_ALIAS_DNS_NAME") != NULL;
    if (has_record(svc, "A") && !alias && !json_object_get(attrs, "AWS_INSTANCE_IPV4"))
        return error_set(err, ERR_INVALID, "AWS_INSTANCE_IPV4 is required for a service with an A record.");
    if (has_record(svc, "AAAA") && !alias && !json_object_get(attrs, "AWS_INSTANCE_IPV6"))
        return error_set(err, ERR_INVALID, "AWS_INSTANCE_IPV6 is required for a service with an AAAA record.");
    if (has_record(svc, "SRV") && !json_object_get(attrs, "AWS_INSTANCE_PORT"))
        return error_set(err, ERR_INVALID, "AWS_INSTANCE_PORT is required for a service with an SRV record.");
    if (has_record(svc, "CNAME") && !json_object_get(attrs, "AWS_INSTANCE_CNAME"))
        return error_set(err, ERR_INVALID, "AWS_INSTANCE_CNAME is required for a service with a CNAME record.");
    return 0;
}

static int revision_bump(struct op_ctx *ctx, json_t *svc, struct error *err)
{
    json_int_t rev = json_integer_value(json_object_get(svc, "InstancesRevision"));
    json_object_set_new(svc, "InstancesRevision", json_integer(rev + 1));
    return sd_service_save(ctx, svc, err);
}

static json_t *op_targets(json_t *svc, const char *id)
{
    return json_pack("{s:s, s:s, s:s}", "NAMESPACE", sd_str(svc, "NamespaceId"), "SERVICE", sd_str(svc, "Id"),
                     "INSTANCE", id);
}

int sd_instance_put(struct op_ctx *ctx, json_t *svc, const char *id, const char *creator, json_t *attrs, char *ret_op,
                    size_t cap, struct error *err)
{
    if (attributes_check(svc, attrs, err) < 0)
        return -1;
    _cleanup_json_ json_t *old = NULL;
    int r = store_sd_get(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), id, &old, err);
    if (r < 0)
        return -1;
    const char *health = old ? sd_str(old, "HealthStatus") : NULL;
    if (!health)
        health = json_object_get(svc, "HealthCheckCustomConfig") ? "HEALTHY" : "UNKNOWN";
    _cleanup_json_ json_t *inst =
        json_pack("{s:s, s:O, s:s, s:s, s:s}", "Id", id, "Attributes", attrs, "CreatedByAccount", ctx->account,
                  "ServiceId", sd_str(svc, "Id"), "HealthStatus", health);
    if (!inst)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (creator)
        json_object_set_new(inst, "CreatorRequestId", json_string(creator));
    if (store_sd_put(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), id, "", inst, err) < 0 ||
        revision_bump(ctx, svc, err) < 0)
        return -1;
    return sd_operation_record(ctx, "REGISTER_INSTANCE", op_targets(svc, id), ret_op, cap, err);
}

int sd_instance_attributes(struct op_ctx *ctx, json_t *svc, const char *id, json_t **ret_attrs, struct error *err)
{
    _cleanup_json_ json_t *old = NULL;
    int r = store_sd_get(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), id, &old, err);
    if (r > 0)
        *ret_attrs = json_incref(json_object_get(old, "Attributes"));
    return r;
}

int sd_instance_remove(struct op_ctx *ctx, json_t *svc, const char *id, char *ret_op, size_t cap, struct error *err)
{
    _cleanup_json_ json_t *old = NULL;
    int r = store_sd_get(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), id, &old, err);
    if (r <= 0)
        return r;
    if (store_sd_delete(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), id, NULL, err) < 0 ||
        revision_bump(ctx, svc, err) < 0 ||
        sd_operation_record(ctx, "DEREGISTER_INSTANCE", op_targets(svc, id), ret_op, cap, err) < 0)
        return -1;
    return 1;
}

API_ACTION(sd_register_instance)
{
    _cleanup_json_ json_t *svc = NULL;
    if (sd_service_find(ctx, sd_str(in, "ServiceId"), &svc, err) < 0)
        return -1;
    char op[48];
    if (sd_instance_put(ctx, svc, sd_str(in, "InstanceId"), sd_str(in, "CreatorRequestId"),
                        json_object_get(in, "Attributes"), op, sizeof(op), err) < 0)
        return -1;
    json_object_set_new(out, "OperationId", json_string(op));
    return 0;
}

API_ACTION(sd_deregister_instance)
{
    _cleanup_json_ json_t *svc = NULL;
    if (sd_service_find(ctx, sd_str(in, "ServiceId"), &svc, err) < 0)
        return -1;
    char op[48];
    int r = sd_instance_remove(ctx, svc, sd_str(in, "InstanceId"), op, sizeof(op), err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, SD_ERR_INSTANCE_NOT_FOUND, "Instance not found: %.64s", sd_str(in, "InstanceId"));
    json_object_set_new(out, "OperationId", json_string(op));
    return 0;
}

/* An instance as GetInstance and ListInstances show it. */
static json_t *instance_show(struct op_ctx *ctx, json_t *inst, struct error *err)
{
    (void)ctx;
    json_t *d =
        json_pack("{s:O, s:O, s:O}", "Id", json_object_get(inst, "Id"), "Attributes",
                  json_object_get(inst, "Attributes"), "CreatedByAccount", json_object_get(inst, "CreatedByAccount"));
    if (d && json_object_get(inst, "CreatorRequestId"))
        json_object_set(d, "CreatorRequestId", json_object_get(inst, "CreatorRequestId"));
    if (!d)
        error_set(err, ERR_INTERNAL, "out of memory");
    return d;
}

static int instance_find(struct op_ctx *ctx, json_t *svc, const char *id, json_t **ret, struct error *err)
{
    int r = store_sd_get(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), id, ret, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, SD_ERR_INSTANCE_NOT_FOUND, "Instance not found: %.64s", id);
    return 0;
}

API_ACTION(sd_get_instance)
{
    _cleanup_json_ json_t *svc = NULL, *inst = NULL;
    if (sd_service_find(ctx, sd_str(in, "ServiceId"), &svc, err) < 0 ||
        instance_find(ctx, svc, sd_str(in, "InstanceId"), &inst, err) < 0)
        return -1;
    json_t *d = instance_show(ctx, inst, err);
    if (!d)
        return -1;
    json_object_set_new(out, "Instance", d);
    json_object_set_new(out, "ResourceOwner", json_string(ctx->account));
    return 0;
}

API_ACTION(sd_list_instances)
{
    _cleanup_json_ json_t *svc = NULL;
    if (sd_service_find(ctx, sd_str(in, "ServiceId"), &svc, err) < 0)
        return -1;
    json_object_set_new(out, "ResourceOwner", json_string(ctx->account));
    return sd_list(ctx, in, out, STORE_SD_INSTANCE, sd_str(svc, "Id"), "Instances", NULL, instance_show, err);
}

API_ACTION(sd_update_instance_custom_health_status)
{
    (void)out;
    _cleanup_json_ json_t *svc = NULL, *inst = NULL;
    if (sd_service_find(ctx, sd_str(in, "ServiceId"), &svc, err) < 0 ||
        instance_find(ctx, svc, sd_str(in, "InstanceId"), &inst, err) < 0)
        return -1;
    if (!json_object_get(svc, "HealthCheckCustomConfig"))
        return error_set(err, SD_ERR_CUSTOM_HEALTH_NOT_FOUND, "The service %s has no custom health check.",
                         sd_str(svc, "Id"));
    if (strcmp(sd_str(inst, "HealthStatus"), sd_str(in, "Status")) == 0)
        return 0;
    json_object_set(inst, "HealthStatus", json_object_get(in, "Status"));
    if (store_sd_put(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), sd_str(inst, "Id"), "", inst, err) < 0)
        return -1;
    return revision_bump(ctx, svc, err);
}

static int health_keep(struct op_ctx *ctx, json_t *inst, json_t *in, struct error *err)
{
    (void)ctx, (void)err;
    json_t *want = json_object_get(in, "Instances");
    if (!want)
        return 1;
    size_t i;
    json_t *v;
    json_array_foreach(want, i, v) {
        if (strcmp(json_string_value(v), sd_str(inst, "Id")) == 0)
            return 1;
    }
    return 0;
}

static json_t *health_show(struct op_ctx *ctx, json_t *inst, struct error *err)
{
    (void)ctx;
    json_t *d = json_pack("[O, O]", json_object_get(inst, "Id"), json_object_get(inst, "HealthStatus"));
    if (!d)
        error_set(err, ERR_INTERNAL, "out of memory");
    return d;
}

API_ACTION(sd_get_instances_health_status)
{
    _cleanup_json_ json_t *svc = NULL;
    if (sd_service_find(ctx, sd_str(in, "ServiceId"), &svc, err) < 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "Instances"), i, v) {
        _cleanup_json_ json_t *inst = NULL;
        if (instance_find(ctx, svc, json_string_value(v), &inst, err) < 0)
            return -1;
    }
    if (sd_list(ctx, in, out, STORE_SD_INSTANCE, sd_str(svc, "Id"), "Pairs", health_keep, health_show, err) < 0)
        return -1;
    json_t *status = json_object();
    json_t *pair;
    json_array_foreach(json_object_get(out, "Pairs"), i, pair)
        json_object_set(status, json_string_value(json_array_get(pair, 0)), json_array_get(pair, 1));
    json_object_del(out, "Pairs");
    json_object_set_new(out, "Status", status);
    return 0;
}
