/* sd_namespaces.c - Cloud Map namespaces: CreateHttpNamespace,
 * CreatePrivateDnsNamespace, CreatePublicDnsNamespace (each an operation),
 * GetNamespace, ListNamespaces (filters, pages), DeleteNamespace (refused
 * while it holds services).  Public and private DNS namespaces are served
 * as HTTP ones are: berth keeps no hosted zone. */
#include "server/servicediscovery/sd.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/tags.h"
#include "server/store/store_sd.h"
#include "server/store/store_tags.h"

/* A namespace as GetNamespace shows it: the stored document less berth's
 * private members, with its ServiceCount. */
static json_t *namespace_show(struct op_ctx *ctx, json_t *ns, struct error *err)
{
    int64_t count = 0;
    if (store_sd_count(ctx->tx, STORE_SD_SERVICE, ctx->region, sd_str(ns, "Id"), &count, err) < 0)
        return NULL;
    json_t *d = json_deep_copy(ns);
    if (!d) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_object_del(d, "CreateOperationId");
    json_object_set_new(d, "ServiceCount", json_integer(count));
    return d;
}

/* A namespace's Properties for its type. */
static json_t *namespace_properties(const char *type, const char *name, json_t *in)
{
    json_t *p = json_pack("{s:{s:s}}", "HttpProperties", "HttpName", name);
    if (p && strcmp(type, "HTTP") != 0) {
        json_t *soa = json_object_get(json_object_get(json_object_get(in, "Properties"), "DnsProperties"), "SOA");
        json_t *dns = soa ? json_pack("{s:O}", "SOA", soa) : json_object();
        json_object_set_new(p, "DnsProperties", dns);
    }
    return p;
}

/* An existing namespace of that name: DuplicateRequest when the same
 * CreatorRequestId made it, else NamespaceAlreadyExists. */
static int namespace_name_free(struct op_ctx *ctx, const char *name, const char *creator, struct error *err)
{
    _cleanup_json_ json_t *old = NULL;
    int r = store_sd_find_name(ctx->tx, STORE_SD_NAMESPACE, ctx->region, "", name, &old, err);
    if (r <= 0)
        return r;
    const char *was = sd_str(old, "CreatorRequestId");
    if (creator && was && strcmp(creator, was) == 0)
        return error_set(err, SD_ERR_DUPLICATE_REQUEST, "Operation %s is already in progress for this request.",
                         sd_str(old, "CreateOperationId"));
    return error_set(err, SD_ERR_NAMESPACE_ALREADY_EXISTS, "Namespace with name %.200s already exists: %s", name,
                     sd_str(old, "Id"));
}

static int namespace_create(struct op_ctx *ctx, json_t *in, json_t *out, const char *type, struct error *err)
{
    const char *name = sd_str(in, "Name"), *creator = sd_str(in, "CreatorRequestId");
    json_t *tags_in = json_object_get(in, "Tags");
    if (namespace_name_free(ctx, name, creator, err) < 0)
        return -1;
    if (tags_in && tags_check_keyed(tags_in, err) < 0)
        return -1;
    if (json_array_size(tags_in) > SD_TAGS_MAX)
        return error_set(err, SD_ERR_TOO_MANY_TAGS, "A resource can have at most %d tags.", SD_TAGS_MAX);
    char id[SD_ID_MAX], arn[SD_ARN_MAX], op[48];
    if (sd_new_id("ns-", id, sizeof(id), err) < 0)
        return -1;
    sd_arn(ctx, "namespace", id, arn, sizeof(arn));
    if (sd_operation_record(ctx, "CREATE_NAMESPACE", json_pack("{s:s}", "NAMESPACE", id), op, sizeof(op), err) < 0)
        return -1;
    _cleanup_json_ json_t *ns =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:f, s:s}", "Id", id, "Arn", arn, "ResourceOwner", ctx->account,
                  "Name", name, "Type", type, "Properties", namespace_properties(type, name, in), "CreateDate",
                  time_to_epoch_seconds(ctx->now), "CreateOperationId", op);
    if (!ns)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (sd_str(in, "Description"))
        json_object_set(ns, "Description", json_object_get(in, "Description"));
    if (creator)
        json_object_set(ns, "CreatorRequestId", json_object_get(in, "CreatorRequestId"));
    if (store_sd_put(ctx->tx, STORE_SD_NAMESPACE, ctx->region, "", id, name, ns, err) < 0)
        return -1;
    if (tags_in) {
        _cleanup_json_ json_t *tags = tags_from_keyed(tags_in);
        if (!tags || store_tags_put(ctx->tx, arn, tags, err) < 0)
            return tags ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    }
    json_object_set_new(out, "OperationId", json_string(op));
    return 0;
}

API_ACTION(sd_create_http_namespace) { return namespace_create(ctx, in, out, "HTTP", err); }
API_ACTION(sd_create_private_dns_namespace) { return namespace_create(ctx, in, out, "DNS_PRIVATE", err); }
API_ACTION(sd_create_public_dns_namespace) { return namespace_create(ctx, in, out, "DNS_PUBLIC", err); }

API_ACTION(sd_get_namespace)
{
    _cleanup_json_ json_t *ns = NULL;
    if (sd_namespace_find(ctx, sd_str(in, "Id"), &ns, err) < 0)
        return -1;
    json_t *d = namespace_show(ctx, ns, err);
    if (!d)
        return -1;
    json_object_set_new(out, "Namespace", d);
    return 0;
}

static int namespace_keep(struct op_ctx *ctx, json_t *ns, json_t *in, struct error *err)
{
    (void)ctx, (void)err;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(in, "Filters"), i, f) {
        const char *name = sd_str(f, "Name"), *value = "", *first;
        if (strcmp(name, "TYPE") == 0)
            value = sd_str(ns, "Type");
        else if (strcmp(name, "NAME") == 0 || strcmp(name, "HTTP_NAME") == 0)
            value = sd_str(ns, "Name");
        else if (strcmp(name, "RESOURCE_OWNER") == 0 &&
                 (first = json_string_value(json_array_get(json_object_get(f, "Values"), 0))) != NULL)
            value = strcmp(first, "SELF") == 0 ? "SELF" : sd_str(ns, "ResourceOwner");
        if (!sd_filter_match(f, value))
            return 0;
    }
    return 1;
}

API_ACTION(sd_list_namespaces)
{
    return sd_list(ctx, in, out, STORE_SD_NAMESPACE, "", "Namespaces", namespace_keep, namespace_show, err);
}

API_ACTION(sd_delete_namespace)
{
    _cleanup_json_ json_t *ns = NULL;
    if (sd_namespace_find(ctx, sd_str(in, "Id"), &ns, err) < 0)
        return -1;
    int64_t count = 0;
    if (store_sd_count(ctx->tx, STORE_SD_SERVICE, ctx->region, sd_str(ns, "Id"), &count, err) < 0)
        return -1;
    if (count > 0)
        return error_set(err, SD_ERR_RESOURCE_IN_USE, "The namespace %s has %lld associated services.",
                         sd_str(ns, "Id"), (long long)count);
    char op[48];
    if (sd_operation_record(ctx, "DELETE_NAMESPACE", json_pack("{s:s}", "NAMESPACE", sd_str(ns, "Id")), op, sizeof(op),
                            err) < 0 ||
        store_sd_delete(ctx->tx, STORE_SD_NAMESPACE, ctx->region, "", sd_str(ns, "Id"), sd_str(ns, "Arn"), err) < 0)
        return -1;
    json_object_set_new(out, "OperationId", json_string(op));
    return 0;
}
