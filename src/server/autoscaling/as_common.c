/* as_common.c - what Application Auto Scaling's actions share: the one
 * kind of scalable target berth has (an ECS service's desired count),
 * store ids, pages and scaling activities. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/autoscaling/autoscaling.h"
#include "server/store/store_docs.h"

#define AS_TOKEN_PREFIX "aas1-"

int as_check_resource(json_t *in, char *ret_cluster, char *ret_service, struct error *err)
{
    const char *ns = json_string_value(json_object_get(in, "ServiceNamespace"));
    const char *dim = json_string_value(json_object_get(in, "ScalableDimension"));
    const char *id = json_string_value(json_object_get(in, "ResourceId"));
    if (ns && strcmp(ns, AS_NAMESPACE) != 0)
        return error_set(err, AS_ERR_VALIDATION,
                         "berth scales only ECS services: ServiceNamespace %.64s is not supported.", ns);
    if (dim && strcmp(dim, AS_DIMENSION) != 0)
        return error_set(err, AS_ERR_VALIDATION,
                         "Unsupported scalable dimension '%.100s' for service namespace 'ecs': use "
                         "ecs:service:DesiredCount.",
                         dim);
    if (!id)
        return 0;
    const char *cluster = strncmp(id, "service/", 8) == 0 ? id + 8 : NULL;
    const char *slash = cluster ? strchr(cluster, '/') : NULL;
    if (!slash || slash == cluster || !slash[1] || strchr(slash + 1, '/') || slash - cluster > 255 ||
        strlen(slash + 1) > 255)
        return error_set(err, AS_ERR_VALIDATION,
                         "Unsupported resource ID '%.200s': an ECS service is service/<cluster>/<service>.", id);
    snprintf(ret_cluster, 256, "%.*s", (int)(slash - cluster), cluster);
    snprintf(ret_service, 256, "%s", slash + 1);
    return 0;
}

void as_doc_id(json_t *in, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s|%s%s%s", json_string_value(json_object_get(in, "ResourceId")),
             json_string_value(json_object_get(in, "ScalableDimension")), name ? "|" : "", name ? name : "");
}

int as_page(json_t *in, json_t *all, int def, const char *key, json_t *out, struct error *err)
{
    const char *token = json_string_value(json_object_get(in, "NextToken"));
    int64_t skip = 0, max = def;
    if (json_object_get(in, "MaxResults"))
        max = json_integer_value(json_object_get(in, "MaxResults"));
    if (token) {
        char *end;
        long long n = strncmp(token, AS_TOKEN_PREFIX, strlen(AS_TOKEN_PREFIX)) == 0
                          ? strtoll(token + strlen(AS_TOKEN_PREFIX), &end, 10)
                          : -1;
        if (n < 0 || *end)
            return error_set(err, AS_ERR_INVALID_NEXT_TOKEN, "Invalid token.");
        skip = n;
    }
    json_t *page = json_array();
    if (!page || json_object_set_new(out, key, page) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t n = json_array_size(all);
    for (size_t i = (size_t)skip; i < n && (int64_t)json_array_size(page) < max; i++)
        json_array_append(page, json_array_get(all, i));
    if ((int64_t)n > skip + max) {
        char next[48];
        snprintf(next, sizeof(next), AS_TOKEN_PREFIX "%" PRId64, skip + max);
        json_object_set_new(out, "NextToken", json_string(next));
    }
    return 0;
}

int as_activity(struct store_tx *tx, const char *region, const char *resource, usec_t now, const char *description,
                const char *cause, const char *status, const char *message, struct error *err)
{
    char id[37];
    if (ids_uuid(id) < 0)
        return error_set(err, ERR_SYSTEM, "no random bytes for an activity id");
    double at = time_to_epoch_seconds(now);
    _cleanup_json_ json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s}", "ActivityId", id, "ServiceNamespace",
                  AS_NAMESPACE, "ResourceId", resource, "ScalableDimension", AS_DIMENSION, "Description", description,
                  "Cause", cause, "StartTime", at, "EndTime", at, "StatusCode", status, "StatusMessage", message);
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_doc_event_add(tx, AS_ACTIVITY, region, resource, (int64_t)(now / 1000), doc, AS_ACTIVITY_KEEP, err);
}

bool as_match_named(json_t *in, json_t *doc, const void *keys)
{
    const char *const *k = keys;
    json_t *names = json_object_get(in, k[0]);
    const char *resource = json_string_value(json_object_get(in, "ResourceId"));
    if (resource && strcmp(resource, json_string_value(json_object_get(doc, "ResourceId")) ?: "") != 0)
        return false;
    if (!names)
        return true;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        if (json_equal(n, json_object_get(doc, k[1])))
            return true;
    }
    return false;
}

struct listing {
    json_t *in, *all;
    as_match_fn match;
    const void *ud;
};

static int list_one(const char *region, json_t *doc, void *ud, struct error *err)
{
    (void)region;
    struct listing *l = ud;
    if (!l->match(l->in, doc, l->ud))
        return 0;
    json_t *copy = json_deep_copy(doc);
    if (!copy || json_array_append_new(l->all, copy) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_del(copy, "berth");
    return 0;
}

int as_describe(struct op_ctx *ctx, json_t *in, const char *kind, as_match_fn match, const void *ud, int page,
                const char *list_key, json_t *out, struct error *err)
{
    char cluster[256], service[256];
    if (as_check_resource(in, cluster, service, err) < 0)
        return -1;
    _cleanup_json_ json_t *all = json_array();
    if (!all)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct listing l = {in, all, match, ud};
    if (store_doc_each(ctx->tx, kind, ctx->region, NULL, NULL, list_one, &l, err) < 0)
        return -1;
    return as_page(in, all, page, list_key, out, err);
}
