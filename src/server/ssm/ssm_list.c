/* ssm_list.c - parameters by the page: GetParametersByPath and
 * DescribeParameters, with their filters (Filters, ParameterFilters:
 * Name, Type, KeyId, Path, Label, Tier, DataType, tag:KEY). */
#include "server/ssm/ssm.h"

#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/paging.h"
#include "server/store/store_ssm.h"
#include "server/store/store_tags.h"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

int ssm_page_begin(json_t *in, const char *action, int max, struct page *ret_page, struct error *err)
{
    if (page_begin_as(in, action, "MaxResults", "NextToken", max, max, ret_page, err) == 0)
        return 0;
    if (json_object_get(in, "NextToken") && strstr(err->msg, "NextToken"))
        return error_set(err, SSM_ERR_INVALID_NEXT_TOKEN, "The specified token isn't valid.");
    return -1;
}

/* Whether name lies under path ("/a/b"): directly, or at any depth. */
static bool under_path(const char *name, const char *path, bool recursive)
{
    size_t plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    if (strncmp(name, path, plen) != 0 || name[plen] != '/')
        return false;
    return recursive || !strchr(name + plen + 1, '/');
}

static bool any_equal(json_t *values, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        if (s && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

static bool name_matches(const char *name, const char *option, json_t *values)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        const char *want = json_string_value(v);
        if (strcmp(option, "BeginsWith") == 0 ? strncmp(name, want, strlen(want)) == 0
            : strcmp(option, "Contains") == 0 ? strstr(name, want) != NULL
                                              : strcmp(name, want) == 0)
            return true;
    }
    return false;
}

/* Whether the parameter's tags have key (with one of values, if any). */
static int tag_matches(struct op_ctx *ctx, const char *name, const char *key, json_t *values, struct error *err)
{
    char arn[SSM_NAME_MAX + 128];
    ssm_arn(ctx->region, ctx->account, name, arn, sizeof(arn));
    _cleanup_json_ json_t *tags = json_array();
    if (!tags || store_tags_get(ctx->tx, arn, tags, err) < 0)
        return tags ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        if (strcmp(str(t, "key"), key) == 0)
            return json_array_size(values) == 0 || any_equal(values, str(t, "value"));
    }
    return 0;
}

/* Whether the parameter (name, newest doc) passes filter f: 1, 0, -1. */
static int filter_matches(struct op_ctx *ctx, const char *name, json_t *doc, json_t *f, struct error *err)
{
    const char *key = str(f, "Key"), *option = str(f, "Option") ? str(f, "Option") : "Equals";
    json_t *values = json_object_get(f, "Values");
    if (strncmp(key, "tag:", 4) == 0)
        return tag_matches(ctx, name, key + 4, values, err);
    if (strcmp(key, "Name") == 0)
        return name_matches(name, option, values);
    if (strcmp(key, "Path") == 0) {
        size_t i;
        json_t *v;
        json_array_foreach(values, i, v) {
            if (under_path(name, json_string_value(v), strcmp(option, "Recursive") == 0))
                return 1;
        }
        return 0;
    }
    if (strcmp(key, "Label") == 0) {
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(doc, "Labels"), i, l) {
            if (any_equal(values, json_string_value(l)))
                return 1;
        }
        return 0;
    }
    /* Type, KeyId, Tier, DataType: the document's member of that name
     * (Type also BeginsWith: check_filter allows what each key takes). */
    const char *have = str(doc, key);
    return have && name_matches(have, option, values);
}

/* The filter keys and the options each takes. */
static const struct {
    const char *key;
    const char *options; /* "|"-separated */
    bool by_path;        /* GetParametersByPath takes it */
} filter_keys[] = {
    {"DataType", "|Equals|", true},
    {"KeyId", "|Equals|", true},
    {"Label", "|Equals|", true},
    {"Name", "|Equals|BeginsWith|Contains|", false},
    {"Path", "|OneLevel|Recursive|", false},
    {"Tier", "|Equals|", true},
    {"Type", "|Equals|BeginsWith|", true},
};

static int check_filter(json_t *f, bool by_path, struct error *err)
{
    const char *key = str(f, "Key"), *option = str(f, "Option");
    if (strncmp(key, "tag:", 4) == 0 && strlen(key) > 4)
        return 0;
    for (size_t i = 0; i < ELEMENTSOF(filter_keys); i++) {
        if (strcmp(filter_keys[i].key, key) != 0)
            continue;
        if (by_path && !filter_keys[i].by_path)
            return error_set(err, SSM_ERR_INVALID_FILTER_KEY, "The following filter key is not valid: %.132s", key);
        /* Without an Option, Path is OneLevel and the others Equals. */
        if (!option)
            option = strcmp(key, "Path") == 0 ? "OneLevel" : "Equals";
        char want[40];
        snprintf(want, sizeof(want), "|%.30s|", option);
        if (!strstr(filter_keys[i].options, want))
            return error_set(err, SSM_ERR_INVALID_FILTER_OPTION,
                             "The following filter option is not valid: %.30s. Valid options include: [%s].", option,
                             filter_keys[i].options);
        if (json_array_size(json_object_get(f, "Values")) == 0)
            return error_set(err, SSM_ERR_INVALID_FILTER_VALUE, "The following filter values are missing : %.132s",
                             key);
        return 0;
    }
    return error_set(err, SSM_ERR_INVALID_FILTER_KEY, "The following filter key is not valid: %.132s", key);
}

/* One listing: which parameters, how many, and what each becomes. */
struct listing {
    struct op_ctx *ctx;
    json_t *filters; /* ParameterFilters form */
    const char *path;
    bool recursive;
    bool decrypt;
    bool metadata; /* DescribeParameters' ParameterMetadata, else Parameter */
    int limit;
    json_t *list;
    char last[SSM_NAME_MAX + 2];
    bool more;
};

static json_t *metadata_json(struct op_ctx *ctx, const char *name, json_t *doc)
{
    char arn[SSM_NAME_MAX + 128];
    ssm_arn(ctx->region, ctx->account, name, arn, sizeof(arn));
    json_t *m = json_pack("{s:s, s:s, s:O, s:o, s:O, s:O, s:O, s:[], s:O}", "Name", name, "ARN", arn, "Type",
                          json_object_get(doc, "Type"), "LastModifiedDate", ssm_date(doc), "LastModifiedUser",
                          json_object_get(doc, "LastModifiedUser"), "Version", json_object_get(doc, "Version"), "Tier",
                          json_object_get(doc, "Tier"), "Policies", "DataType", json_object_get(doc, "DataType"));
    if (m && json_object_get(doc, "Policies"))
        json_object_set(m, "Policies", json_object_get(doc, "Policies"));
    static const char *const optional[] = {"Description", "KeyId", "AllowedPattern"};
    for (size_t i = 0; m && i < ELEMENTSOF(optional); i++)
        if (json_object_get(doc, optional[i]))
            json_object_set(m, optional[i], json_object_get(doc, optional[i]));
    return m;
}

static int list_one(const char *name, json_t *doc, void *ud, struct error *err)
{
    struct listing *l = ud;
    if (l->path && !under_path(name, l->path, l->recursive))
        return 0;
    if (ssm_expired(l->ctx, doc))
        return 0; /* gone (ssm_policies.c) */
    size_t i;
    json_t *f;
    json_array_foreach(l->filters, i, f) {
        int r = filter_matches(l->ctx, name, doc, f, err);
        if (r <= 0)
            return r;
    }
    if ((int)json_array_size(l->list) == l->limit) {
        l->more = true;
        return 1;
    }
    json_t *item =
        l->metadata ? metadata_json(l->ctx, name, doc) : ssm_parameter_json(l->ctx, doc, l->decrypt, NULL, err);
    if (!item)
        return l->metadata ? error_set(err, ERR_INTERNAL, "out of memory") : -1;
    json_array_append_new(l->list, item);
    snprintf(l->last, sizeof(l->last), "%s", name);
    return 0;
}

static int run_listing(struct listing *l, json_t *in, const char *action, int max, json_t *out, struct error *err)
{
    struct page page;
    if (ssm_page_begin(in, action, max, &page, err) < 0)
        return -1;
    l->limit = page.limit;
    l->list = json_array();
    json_object_set_new(out, "Parameters", l->list);
    const char *prefix = l->path ? l->path : "";
    int r = store_ssm_each(l->ctx->tx, l->ctx->region, prefix, page.after ? page.after : "", list_one, l, err);
    page_free(&page);
    if (r < 0)
        return -1;
    if (l->more && page_set_next_as(out, action, "NextToken", l->last) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

API_ACTION(ssm_get_parameters_by_path)
{
    const char *path = str(in, "Path");
    if (path[0] != '/')
        return error_set(err, ERR_INVALID,
                         "The parameter doesn't meet the parameter name requirements. The "
                         "parameter name must begin with a forward slash \"/\".");
    json_t *filters = json_object_get(in, "ParameterFilters");
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        if (check_filter(f, true, err) < 0)
            return -1;
    }
    struct listing l = {.ctx = ctx,
                        .filters = filters,
                        .path = path,
                        .recursive = json_is_true(json_object_get(in, "Recursive")),
                        .decrypt = json_is_true(json_object_get(in, "WithDecryption"))};
    return run_listing(&l, in, "GetParametersByPath", 10, out, err);
}

/* The old Filters ({Key: Name|Type|KeyId, Values}) in ParameterFilters'
 * form, appended to list. */
static int add_old_filters(json_t *old, json_t *list, struct error *err)
{
    size_t i;
    json_t *f;
    json_array_foreach(old, i, f) {
        json_t *copy = json_pack("{s:O, s:s, s:O}", "Key", json_object_get(f, "Key"), "Option",
                                 strcmp(str(f, "Key"), "Name") == 0 ? "BeginsWith" : "Equals", "Values",
                                 json_object_get(f, "Values"));
        if (!copy || json_array_append_new(list, copy) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
    }
    return 0;
}

API_ACTION(ssm_describe_parameters)
{
    json_t *old = json_object_get(in, "Filters"), *given = json_object_get(in, "ParameterFilters");
    if (old && given)
        return error_set(err, ERR_INVALID, "You can use either Filters or ParameterFilters in a single request.");
    _cleanup_json_ json_t *filters = given ? json_incref(given) : json_array();
    if (!filters || add_old_filters(old, filters, err) < 0)
        return filters ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        if (check_filter(f, false, err) < 0)
            return -1;
    }
    struct listing l = {.ctx = ctx, .filters = filters, .metadata = true};
    if (json_is_true(json_object_get(in, "Shared"))) {
        /* Only parameters other accounts share with this one: berth has
         * no resource shares, so there are none. */
        json_object_set_new(out, "Parameters", json_array());
        return 0;
    }
    return run_listing(&l, in, "DescribeParameters", 50, out, err);
}
