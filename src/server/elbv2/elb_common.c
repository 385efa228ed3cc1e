/* elb_common.c - ELB's ids, ARNs, names, lookups, tags on create and the
 * Marker/PageSize pages of the Describe* actions. */
#include "server/elbv2/elb.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/http/paging.h"
#include "server/http/tags.h"
#include "server/store/store_elb.h"

int elb_new_id(char *out, size_t cap, struct error *err)
{
    char hex[17];
    if (ids_random_hex(hex, 8) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for an id");
    snprintf(out, cap, "%s", hex);
    return 0;
}

void elb_arn(const struct op_ctx *ctx, const char *resource, char *out, size_t cap)
{
    snprintf(out, cap, "arn:aws:elasticloadbalancing:%s:%s:%s", ctx->region, ctx->account, resource);
}

int elb_check_name(const char *name, const char *what, struct error *err)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n >= 1 && n <= ELB_NAME_MAX && name[0] != '-' && name[n - 1] != '-';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '-';
    if (!ok)
        return error_set(err, ERR_INVALID,
                         "The %s name '%.64s' is not valid: it must have 1 to 32 letters, digits and hyphens, and "
                         "must not begin or end with a hyphen.",
                         what, name ? name : "");
    return 0;
}

static const struct {
    const char *kind;
    int error;
    const char *what;
} not_found[] = {
    {STORE_ELB_LB, ELB_ERR_LB_NOT_FOUND, "Load balancer"},
    {STORE_ELB_TG, ELB_ERR_TG_NOT_FOUND, "Target group"},
    {STORE_ELB_LISTENER, ELB_ERR_LISTENER_NOT_FOUND, "Listener"},
    {STORE_ELB_RULE, ELB_ERR_RULE_NOT_FOUND, "Rule"},
};

int elb_find(struct op_ctx *ctx, const char *kind, const char *arn, json_t **ret_doc, struct error *err)
{
    int r = arn ? store_elb_get(ctx->tx, kind, ctx->region, arn, ret_doc, err) : 0;
    if (r < 0)
        return -1;
    if (r > 0)
        return 0;
    for (size_t i = 0; i < ELEMENTSOF(not_found); i++)
        if (strcmp(not_found[i].kind, kind) == 0)
            return error_set(err, not_found[i].error, "%s '%.300s' not found", not_found[i].what, arn ? arn : "");
    return error_set(err, ERR_NOT_FOUND, "'%.300s' not found", arn ? arn : "");
}

static const char *arn_member(const char *kind)
{
    return strcmp(kind, STORE_ELB_LB) == 0         ? "LoadBalancerArn"
           : strcmp(kind, STORE_ELB_TG) == 0       ? "TargetGroupArn"
           : strcmp(kind, STORE_ELB_LISTENER) == 0 ? "ListenerArn"
                                                   : "RuleArn";
}

int elb_save(struct op_ctx *ctx, const char *kind, json_t *doc, struct error *err)
{
    const char *parent = strcmp(kind, STORE_ELB_LISTENER) == 0 ? elb_str(doc, "LoadBalancerArn")
                         : strcmp(kind, STORE_ELB_RULE) == 0   ? elb_str(doc, "berthListenerArn")
                                                               : "";
    const char *name = strcmp(kind, STORE_ELB_LB) == 0   ? elb_str(doc, "LoadBalancerName")
                       : strcmp(kind, STORE_ELB_TG) == 0 ? elb_str(doc, "TargetGroupName")
                                                         : "";
    return store_elb_put(ctx->tx, kind, ctx->region, elb_str(doc, arn_member(kind)), parent ? parent : "",
                         name ? name : "", doc, err);
}

int elb_tags_attach(struct op_ctx *ctx, const char *arn, json_t *tags, struct error *err)
{
    if (!tags)
        return 0;
    if (json_array_size(tags) > ELB_TAGS_MAX)
        return error_set(err, ELB_ERR_TOO_MANY_TAGS, "A resource can have at most %d tags.", ELB_TAGS_MAX);
    for (size_t i = 0; i < json_array_size(tags); i++)
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_object_get(json_array_get(tags, i), "Key"),
                           json_object_get(json_array_get(tags, j), "Key")))
                return error_set(err, ELB_ERR_DUPLICATE_TAG_KEYS, "Tag key '%.128s' is given twice.",
                                 elb_str(json_array_get(tags, i), "Key"));
    if (tags_check_keyed(tags, err) < 0)
        return -1;
    _cleanup_json_ json_t *plain = tags_from_keyed(tags);
    if (!plain)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return tags_attach(ctx, arn, plain, err);
}

json_t *elb_public(json_t *doc)
{
    json_t *copy = json_deep_copy(doc);
    if (!copy)
        return NULL;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(copy, tmp, k, v) {
        if (strncmp(k, "berth", 5) == 0)
            json_object_del(copy, k);
    }
    return copy;
}

bool elb_list_has(json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (s && json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

static int collect_row(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    return json_array_append(ud, doc) < 0 ? -1 : 0;
}

int elb_page(struct op_ctx *ctx, json_t *in, json_t *out, const char *kind, const char *parent, const char *member,
             elb_keep_fn keep, void *ud, elb_show_fn show, struct error *err)
{
    _cleanup_(page_free) struct page page = {0};
    if (page_begin_as(in, ctx->action, "PageSize", "Marker", ELB_PAGE_MAX, ELB_PAGE_MAX, &page, err) < 0)
        return -1;
    /* Read first, then show: keep and show query the store too, and a
     * statement must not run again while it is being stepped through. */
    _cleanup_json_ json_t *docs = json_array(), *items = json_array();
    if (!docs || !items)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_elb_each(ctx->tx, kind, ctx->region, parent, page.after, collect_row, docs, err) < 0)
        return -1;
    const char *arn_key = arn_member(kind), *last = NULL;
    bool more = false;
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc) {
        bool kept = true;
        if (keep && keep(ctx, doc, ud, &kept, err) < 0)
            return -1;
        if (!kept)
            continue;
        if ((int)json_array_size(items) >= page.limit) {
            more = true;
            break;
        }
        json_t *shown = show ? show(ctx, doc, err) : elb_public(doc);
        if (!shown)
            return show ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
        json_array_append_new(items, shown);
        last = elb_str(doc, arn_key);
    }
    if (more && last && page_set_next_as(out, ctx->action, "NextMarker", last) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(out, member, TAKE_PTR(items));
    return 0;
}
