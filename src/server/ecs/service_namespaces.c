/* service_namespaces.c - ListServicesByNamespace: the ECS services of this
 * region associated with a Cloud Map namespace.  berth has no Service
 * Connect (CreateService refuses it: service_registries.c), so a service is
 * associated with a namespace through its serviceRegistries: a registry
 * that is a Cloud Map service of that namespace.  Sorted by ARN; pages of
 * up to 100 (default 10, as ECS). */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/services.h"
#include "server/http/paging.h"
#include "server/servicediscovery/sd_registry.h"
#include "server/store/store_services.h"

#define BY_NAMESPACE_DEFAULT 10
#define BY_NAMESPACE_MAX 100

/* Whether one of the service's registries lies in namespace ns_id. */
static bool in_namespace(struct op_ctx *ctx, json_t *doc, const char *ns_id)
{
    /* Service Connect's namespace, kept as its ARN. */
    json_t *sc = json_object_get(doc, "serviceConnectConfiguration");
    const char *sc_ns = json_string_value(json_object_get(sc, "namespace"));
    const char *slash = sc_ns ? strrchr(sc_ns, '/') : NULL;
    if (json_is_true(json_object_get(sc, "enabled")) && slash && strcmp(slash + 1, ns_id) == 0)
        return true;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "serviceRegistries"), i, r) {
        _cleanup_json_ json_t *svc = NULL;
        struct error lookup;
        const char *arn = json_string_value(json_object_get(r, "registryArn"));
        if (!arn || sd_service_find(ctx, arn, &svc, &lookup) < 0)
            continue;
        const char *have = json_string_value(json_object_get(svc, "NamespaceId"));
        if (have && strcmp(have, ns_id) == 0)
            return true;
    }
    return false;
}

static int cmp_strings(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The ARNs of the region's live services in the namespace, sorted. */
static int namespace_services(struct op_ctx *ctx, const char *ns_id, json_t *ret_arns, struct error *err)
{
    _cleanup_json_ json_t *ids = json_array();
    if (!ids)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_service_live_ids(ctx->tx, ids, err) < 0)
        return -1;
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
        _cleanup_(service_row_clear) struct service_row row = {0};
        if (store_service_get_by_id(ctx->tx, json_integer_value(id), &row, err) < 0)
            return -1;
        if (!row.doc || strcmp(row.region, ctx->region) != 0 || !in_namespace(ctx, row.doc, ns_id))
            continue;
        json_array_append(ret_arns, json_object_get(row.doc, "serviceArn"));
    }
    size_t n = json_array_size(ret_arns);
    if (n < 2)
        return 0;
    json_t **items = calloc(n, sizeof(*items));
    if (!items)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(ret_arns, i));
    qsort(items, n, sizeof(*items), cmp_strings);
    json_array_clear(ret_arns);
    for (i = 0; i < n; i++)
        json_array_append_new(ret_arns, items[i]);
    free(items);
    return 0;
}

int action_list_services_by_namespace(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_json_ json_t *ns = NULL, *arns = json_array();
    if (!arns)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct error lookup;
    const char *ref = json_string_value(json_object_get(in, "namespace"));
    if (sd_namespace_resolve(ctx, ref, &ns, &lookup) < 0)
        return error_set(err, ECS_ERR_NAMESPACE_NOT_FOUND, "The namespace %.300s was not found.", ref ? ref : "");
    struct page page;
    if (page_begin(in, "ListServicesByNamespace", BY_NAMESPACE_DEFAULT, BY_NAMESPACE_MAX, &page, err) < 0)
        return -1;
    int r = namespace_services(ctx, json_string_value(json_object_get(ns, "Id")), arns, err);
    json_t *shown = json_array();
    json_object_set_new(out, "serviceArns", shown);
    size_t i;
    json_t *arn;
    json_array_foreach(arns, i, arn) {
        if (r < 0)
            break;
        if (page.after && strcmp(json_string_value(arn), page.after) <= 0)
            continue;
        if ((int)json_array_size(shown) == page.limit) {
            page_set_next(out, "ListServicesByNamespace", json_string_value(json_array_get(shown, page.limit - 1)));
            break;
        }
        json_array_append(shown, arn);
    }
    page_free(&page);
    return r;
}
