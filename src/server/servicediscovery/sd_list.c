/* sd_list.c - Cloud Map's paged listings (MaxResults up to 100,
 * NextToken) and its filters' conditions. */
#include "server/servicediscovery/sd.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/paging.h"
#include "server/store/store_sd.h"

bool sd_filter_match(json_t *filter, const char *value)
{
    const char *cond = sd_str(filter, "Condition");
    json_t *values = json_object_get(filter, "Values");
    size_t i;
    json_t *v;
    if (cond && strcmp(cond, "BETWEEN") == 0) {
        const char *lo = json_string_value(json_array_get(values, 0)),
                   *hi = json_string_value(json_array_get(values, 1));
        return lo && hi && strcmp(value, lo) >= 0 && strcmp(value, hi) <= 0;
    }
    json_array_foreach(values, i, v) {
        const char *want = json_string_value(v);
        if (!want)
            continue;
        if (cond && strcmp(cond, "BEGINS_WITH") == 0 ? strncmp(value, want, strlen(want)) == 0
                                                     : strcmp(value, want) == 0)
            return true;
    }
    return false;
}

struct listing {
    struct op_ctx *ctx;
    json_t *in;
    sd_keep_fn keep;
    sd_show_fn show;
    int limit;
    json_t *list;
    char last[SD_ID_MAX + 1];
    bool more;
};

static int list_one(json_t *doc, void *ud, struct error *err)
{
    struct listing *l = ud;
    if (l->keep) {
        int r = l->keep(l->ctx, doc, l->in, err);
        if (r <= 0)
            return r;
    }
    if ((int)json_array_size(l->list) == l->limit) {
        l->more = true;
        return 1;
    }
    json_t *s = l->show(l->ctx, doc, err);
    if (!s || json_array_append_new(l->list, s) < 0)
        return s ? error_set(err, ERR_INTERNAL, "out of memory") : -1;
    snprintf(l->last, sizeof(l->last), "%s", sd_str(doc, "Id"));
    return 0;
}

int sd_list(struct op_ctx *ctx, json_t *in, json_t *out, const char *kind, const char *parent, const char *member,
            sd_keep_fn keep, sd_show_fn show, struct error *err)
{
    struct page page;
    if (page_begin_as(in, ctx->action, "MaxResults", "NextToken", 100, 100, &page, err) < 0)
        return -1;
    struct listing l = {.ctx = ctx, .in = in, .keep = keep, .show = show, .limit = page.limit, .list = json_array()};
    if (!l.list) {
        page_free(&page);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    json_object_set_new(out, member, l.list);
    int r = store_sd_each(ctx->tx, kind, ctx->region, parent, page.after, list_one, &l, err);
    page_free(&page);
    if (r < 0)
        return -1;
    if (l.more && page_set_next_as(out, ctx->action, "NextToken", l.last) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}
