/* cw_list.c - ListMetrics: metrics by namespace, name and dimension
 * filters (a name, or a name and value), RecentlyActive (PT3H), 500 a
 * page; NextToken carries the last metric id given. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/cloudwatch/cloudwatch.h"
#include "server/store/store_metrics.h"

#define TOKEN_PREFIX "cwlist1-"
#define RECENT_MS (3LL * 3600 * 1000)

struct listing {
    json_t *filters; /* DimensionFilters, borrowed */
    json_t *metrics; /* the page */
    int64_t last_id;
    bool more;
};

/* Whether the canonical dimensions [[name, value]...] pass every filter. */
static bool dims_match(json_t *dims, json_t *filters)
{
    size_t i, j;
    json_t *f, *d;
    json_array_foreach(filters, i, f) {
        const char *name = json_string_value(json_object_get(f, "Name"));
        const char *value = json_string_value(json_object_get(f, "Value"));
        bool found = false;
        json_array_foreach(dims, j, d) {
            if (strcmp(json_string_value(json_array_get(d, 0)), name) == 0 &&
                (!value || strcmp(json_string_value(json_array_get(d, 1)), value) == 0))
                found = true;
        }
        if (!found)
            return false;
    }
    return true;
}

static int list_one(int64_t id, const char *ns, const char *name, const char *dims_text, void *ud, struct error *err)
{
    struct listing *l = ud;
    _cleanup_json_ json_t *dims = json_loads(dims_text, 0, NULL);
    if (!json_is_array(dims))
        return error_set(err, ERR_INTERNAL, "metric %" PRId64 " has unreadable dimensions", id);
    if (!dims_match(dims, l->filters))
        return 0;
    if (json_array_size(l->metrics) == CW_LIST_PAGE) {
        l->more = true;
        return 1;
    }
    json_t *list = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(dims, i, d) {
        json_array_append_new(list,
                              json_pack("{s:O, s:O}", "Name", json_array_get(d, 0), "Value", json_array_get(d, 1)));
    }
    if (json_array_append_new(
            l->metrics, json_pack("{s:s, s:s, s:o}", "Namespace", ns, "MetricName", name, "Dimensions", list)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    l->last_id = id;
    return 0;
}

API_ACTION(cw_list_metrics)
{
    int64_t after = 0;
    const char *token = json_string_value(json_object_get(in, "NextToken"));
    if (token) {
        char *end;
        long long n = strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) == 0
                          ? strtoll(token + strlen(TOKEN_PREFIX), &end, 10)
                          : -1;
        if (n < 0 || *end)
            return error_set(err, CW_ERR_INVALID_NEXT_TOKEN, "The NextToken is not valid.");
        after = n;
    }
    const char *recent = json_string_value(json_object_get(in, "RecentlyActive"));
    int64_t since = recent ? (int64_t)(ctx->now / 1000) - RECENT_MS : 0;
    struct listing l = {.filters = json_object_get(in, "Dimensions"), .metrics = json_array()};
    if (!l.metrics || json_object_set_new(out, "Metrics", l.metrics) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* One account, no linked ones: another account owns nothing here, and
     * with IncludeLinkedAccounts each metric's owner is this account. */
    const char *owner = json_string_value(json_object_get(in, "OwningAccount"));
    bool linked = json_is_true(json_object_get(in, "IncludeLinkedAccounts"));
    if (owner && strcmp(owner, ctx->account) != 0)
        return linked ? (json_object_set_new(out, "OwningAccounts", json_array()), 0) : 0;
    if (store_metrics_each(ctx->tx, ctx->region, json_string_value(json_object_get(in, "Namespace")),
                           json_string_value(json_object_get(in, "MetricName")), after, since, list_one, &l, err) < 0)
        return -1;
    if (linked) {
        json_t *owners = json_array();
        for (size_t i = 0; owners && i < json_array_size(l.metrics); i++)
            json_array_append_new(owners, json_string(ctx->account));
        if (!owners || json_object_set_new(out, "OwningAccounts", owners) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
    }
    if (l.more) {
        char next[48];
        snprintf(next, sizeof(next), TOKEN_PREFIX "%" PRId64, l.last_id);
        json_object_set_new(out, "NextToken", json_string(next));
    }
    return 0;
}
