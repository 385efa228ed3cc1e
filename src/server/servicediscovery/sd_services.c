/* sd_services.c - Cloud Map services: CreateService (DnsConfig with A,
 * AAAA, SRV and CNAME records, MULTIVALUE or WEIGHTED routing,
 * HealthCheckCustomConfig), GetService, UpdateService (an operation),
 * ListServices, DeleteService (refused while instances are registered).
 * Route 53 health checks (HealthCheckConfig) are refused: berth runs
 * none. */
#include "server/servicediscovery/sd.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/tags.h"
#include "server/store/store_sd.h"
#include "server/store/store_tags.h"

static json_t *service_show(struct op_ctx *ctx, json_t *svc, struct error *err)
{
    int64_t count = 0;
    if (store_sd_count(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), &count, err) < 0)
        return NULL;
    json_t *d = json_deep_copy(svc);
    if (!d) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_object_del(d, "InstancesRevision");
    json_object_set_new(d, "InstanceCount", json_integer(count));
    return d;
}

/* DnsConfig's records: each type once; CNAME alone and only with
 * WEIGHTED routing, as Cloud Map requires. */
static int dns_records_check(json_t *records, const char *routing, struct error *err)
{
    size_t i, j;
    json_t *r, *s;
    if (json_array_size(records) == 0)
        return error_set(err, ERR_INVALID, "DnsRecords must have at least one record.");
    json_array_foreach(records, i, r) {
        const char *type = sd_str(r, "Type");
        if (strcmp(type, "CNAME") == 0 && (json_array_size(records) > 1 || strcmp(routing, "WEIGHTED") != 0))
            return error_set(err, ERR_INVALID, "A CNAME record must be the only record and use WEIGHTED routing.");
        json_array_foreach(records, j, s) {
            if (j < i && strcmp(sd_str(s, "Type"), type) == 0)
                return error_set(err, ERR_INVALID, "DnsRecords has two records of type %s.", type);
        }
    }
    return 0;
}

/* The service's Type and DnsConfig (new reference or NULL) from the
 * request and its namespace. */
static int service_shape(json_t *in, json_t *ns, const char **ret_type, json_t **ret_dns, struct error *err)
{
    json_t *dns = json_object_get(in, "DnsConfig");
    const char *ns_type = sd_str(ns, "Type");
    if (json_object_get(in, "HealthCheckConfig"))
        return error_set(err, ERR_INVALID, "berth runs no Route 53 health checks: use HealthCheckCustomConfig.");
    if (sd_str(in, "Type") || !dns) {
        if (dns)
            return error_set(err, ERR_INVALID, "A service of Type HTTP cannot have a DnsConfig.");
        if (!sd_str(in, "Type") && strcmp(ns_type, "HTTP") != 0)
            return error_set(err, ERR_INVALID, "A service in a DNS namespace needs DnsConfig or Type HTTP.");
        *ret_type = "HTTP";
        *ret_dns = NULL;
        return 0;
    }
    if (strcmp(ns_type, "HTTP") == 0)
        return error_set(err, ERR_INVALID, "A service in an HTTP namespace cannot have a DnsConfig.");
    const char *routing = sd_str(dns, "RoutingPolicy") ? sd_str(dns, "RoutingPolicy") : "MULTIVALUE";
    if (dns_records_check(json_object_get(dns, "DnsRecords"), routing, err) < 0)
        return -1;
    *ret_dns = json_pack("{s:s, s:O}", "RoutingPolicy", routing, "DnsRecords", json_object_get(dns, "DnsRecords"));
    *ret_type = "DNS_HTTP";
    return *ret_dns ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

static int service_tags(struct op_ctx *ctx, const char *arn, json_t *tags_in, struct error *err)
{
    if (!tags_in)
        return 0;
    if (tags_check_keyed(tags_in, err) < 0)
        return -1;
    if (json_array_size(tags_in) > SD_TAGS_MAX)
        return error_set(err, SD_ERR_TOO_MANY_TAGS, "A resource can have at most %d tags.", SD_TAGS_MAX);
    _cleanup_json_ json_t *tags = tags_from_keyed(tags_in);
    if (!tags)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_tags_put(ctx->tx, arn, tags, err);
}

API_ACTION(sd_create_service)
{
    const char *ns_id = sd_str(in, "NamespaceId");
    if (!ns_id)
        ns_id = sd_str(json_object_get(in, "DnsConfig"), "NamespaceId");
    if (!ns_id)
        return error_set(err, ERR_INVALID, "NamespaceId is required.");
    _cleanup_json_ json_t *ns = NULL, *old = NULL, *dns = NULL;
    if (sd_namespace_find(ctx, ns_id, &ns, err) < 0)
        return -1;
    const char *name = sd_str(in, "Name"), *type = NULL;
    int r = store_sd_find_name(ctx->tx, STORE_SD_SERVICE, ctx->region, sd_str(ns, "Id"), name, &old, err);
    if (r < 0)
        return -1;
    if (r > 0)
        return error_set(err, SD_ERR_SERVICE_ALREADY_EXISTS, "Service with name %.127s already exists: %s", name,
                         sd_str(old, "Id"));
    if (service_shape(in, ns, &type, &dns, err) < 0)
        return -1;
    char id[SD_ID_MAX], arn[SD_ARN_MAX];
    if (sd_new_id("srv-", id, sizeof(id), err) < 0)
        return -1;
    sd_arn(ctx, "service", id, arn, sizeof(arn));
    _cleanup_json_ json_t *svc =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:i}", "Id", id, "Arn", arn, "ResourceOwner", ctx->account,
                  "Name", name, "NamespaceId", sd_str(ns, "Id"), "Type", type, "CreateDate",
                  time_to_epoch_seconds(ctx->now), "CreatedByAccount", ctx->account, "InstancesRevision", 1);
    if (!svc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (dns)
        json_object_set(svc, "DnsConfig", dns);
    static const char *const copied[] = {"Description", "CreatorRequestId", "HealthCheckCustomConfig"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++)
        if (json_object_get(in, copied[i]))
            json_object_set(svc, copied[i], json_object_get(in, copied[i]));
    if (sd_service_save(ctx, svc, err) < 0 || service_tags(ctx, arn, json_object_get(in, "Tags"), err) < 0)
        return -1;
    json_t *d = service_show(ctx, svc, err);
    if (!d)
        return -1;
    json_object_set_new(out, "Service", d);
    return 0;
}

API_ACTION(sd_get_service)
{
    _cleanup_json_ json_t *svc = NULL;
    if (sd_service_find(ctx, sd_str(in, "Id"), &svc, err) < 0)
        return -1;
    json_t *d = service_show(ctx, svc, err);
    if (!d)
        return -1;
    json_object_set_new(out, "Service", d);
    return 0;
}

API_ACTION(sd_update_service)
{
    _cleanup_json_ json_t *svc = NULL;
    if (sd_service_find(ctx, sd_str(in, "Id"), &svc, err) < 0)
        return -1;
    json_t *change = json_object_get(in, "Service");
    if (json_object_get(change, "HealthCheckConfig"))
        return error_set(err, ERR_INVALID, "berth runs no Route 53 health checks: use HealthCheckCustomConfig.");
    if (json_object_get(change, "Description"))
        json_object_set(svc, "Description", json_object_get(change, "Description"));
    json_t *records = json_object_get(json_object_get(change, "DnsConfig"), "DnsRecords");
    if (records) {
        json_t *dns = json_object_get(svc, "DnsConfig");
        if (!dns)
            return error_set(err, ERR_INVALID, "The service has no DnsConfig to update.");
        if (dns_records_check(records, sd_str(dns, "RoutingPolicy"), err) < 0)
            return -1;
        json_object_set(dns, "DnsRecords", records);
    }
    char op[48];
    if (sd_operation_record(ctx, "UPDATE_SERVICE", json_pack("{s:s}", "SERVICE", sd_str(svc, "Id")), op, sizeof(op),
                            err) < 0 ||
        sd_service_save(ctx, svc, err) < 0)
        return -1;
    json_object_set_new(out, "OperationId", json_string(op));
    return 0;
}

static int service_keep(struct op_ctx *ctx, json_t *svc, json_t *in, struct error *err)
{
    (void)ctx, (void)err;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(in, "Filters"), i, f) {
        const char *name = sd_str(f, "Name");
        const char *value = strcmp(name, "NAMESPACE_ID") == 0 ? sd_str(svc, "NamespaceId") : "SELF";
        if (!sd_filter_match(f, value))
            return 0;
    }
    return 1;
}

API_ACTION(sd_list_services)
{
    return sd_list(ctx, in, out, STORE_SD_SERVICE, NULL, "Services", service_keep, service_show, err);
}

API_ACTION(sd_delete_service)
{
    (void)out;
    _cleanup_json_ json_t *svc = NULL;
    if (sd_service_find(ctx, sd_str(in, "Id"), &svc, err) < 0)
        return -1;
    int64_t count = 0;
    if (store_sd_count(ctx->tx, STORE_SD_INSTANCE, ctx->region, sd_str(svc, "Id"), &count, err) < 0)
        return -1;
    if (count > 0)
        return error_set(err, SD_ERR_RESOURCE_IN_USE, "The service %s has %lld registered instances.",
                         sd_str(svc, "Id"), (long long)count);
    return store_sd_delete(ctx->tx, STORE_SD_SERVICE, ctx->region, sd_str(svc, "NamespaceId"), sd_str(svc, "Id"),
                           sd_str(svc, "Arn"), err);
}
