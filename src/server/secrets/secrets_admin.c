/* secrets_admin.c - secrets as resources: DescribeSecret, ListSecrets
 * (filters, pages), DeleteSecret with its recovery window, RestoreSecret,
 * TagResource and UntagResource.  The maintenance pass purges secrets
 * whose window has ended (store_secret_purge). */
#include "server/secrets/secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/timeutil.h"
#include "server/http/paging.h"
#include "server/http/tags.h"
#include "server/store/store_secrets.h"
#include "server/store/store_tags.h"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

static json_t *date(json_t *doc, const char *key)
{
    return json_real(time_to_epoch_seconds((usec_t)json_integer_value(json_object_get(doc, key))));
}

/* What DescribeSecret and ListSecrets show of a secret. */
static json_t *describe(struct op_ctx *ctx, json_t *secret, const char *stages_member, struct error *err)
{
    _cleanup_json_ json_t *versions = secrets_versions(ctx, secret, err);
    _cleanup_json_ json_t *tags = versions ? tags_list(ctx, str(secret, "ARN"), err) : NULL;
    if (!tags)
        return NULL;
    json_t *d = json_pack("{s:O, s:O, s:b, s:o, s:o, s:o, s:o}", "ARN", json_object_get(secret, "ARN"), "Name",
                          json_object_get(secret, "Name"), "RotationEnabled", 0, "CreatedDate",
                          date(secret, "CreatedDate"), "LastChangedDate", date(secret, "LastChangedDate"), "Tags",
                          tags_to_keyed(tags), stages_member, secrets_version_stages(versions));
    if (!d) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    static const char *const optional[] = {"Description", "KmsKeyId"};
    for (size_t i = 0; i < ELEMENTSOF(optional); i++)
        if (json_object_get(secret, optional[i]))
            json_object_set(d, optional[i], json_object_get(secret, optional[i]));
    if (json_object_get(secret, "DeletedDate"))
        json_object_set_new(d, "DeletedDate", date(secret, "DeletedDate"));
    return d;
}

API_ACTION(secrets_describe_secret)
{
    _cleanup_json_ json_t *secret = NULL;
    if (secrets_find(ctx, in, true, &secret, err) < 0)
        return -1;
    json_t *d = describe(ctx, secret, "VersionIdsToStages", err);
    if (!d)
        return -1;
    json_object_update(out, d);
    json_decref(d);
    return 0;
}

/* ---- ListSecrets ---- */

/* Whether s matches a filter value: a prefix, or with "!" not a prefix. */
static bool value_matches(const char *s, const char *want)
{
    bool negate = want[0] == '!';
    if (negate)
        want++;
    return s && (strncmp(s, want, strlen(want)) == 0) != negate;
}

/* Whether a secret passes one filter (any of its values). */
static int filter_matches(struct op_ctx *ctx, json_t *secret, json_t *f, struct error *err)
{
    const char *key = str(f, "Key");
    _cleanup_json_ json_t *tags = NULL;
    if (!key) /* optional in the model, but a filter means nothing without it */
        return error_set(err, ERR_INVALID, "Every filter needs a Key.");
    if (strncmp(key, "tag-", 4) == 0 || strcmp(key, "all") == 0) {
        tags = tags_list(ctx, str(secret, "ARN"), err);
        if (!tags)
            return -1;
    }
    size_t i, j;
    json_t *v, *t;
    json_array_foreach(json_object_get(f, "Values"), i, v) {
        const char *want = json_string_value(v);
        bool all = strcmp(key, "all") == 0;
        if ((all || strcmp(key, "name") == 0) && value_matches(str(secret, "Name"), want))
            return 1;
        if ((all || strcmp(key, "description") == 0) && value_matches(str(secret, "Description"), want))
            return 1;
        json_array_foreach(tags, j, t) {
            if ((all || strcmp(key, "tag-key") == 0) && value_matches(str(t, "key"), want))
                return 1;
            if ((all || strcmp(key, "tag-value") == 0) && value_matches(str(t, "value"), want))
                return 1;
        }
    }
    return 0;
}

struct listing {
    struct op_ctx *ctx;
    json_t *filters;
    bool include_deleted;
    json_t *matched; /* the secrets' documents that pass */
};

static int collect_one(json_t *secret, void *ud, struct error *err)
{
    struct listing *l = ud;
    if (json_object_get(secret, "DeletedDate") && !l->include_deleted)
        return 0;
    size_t i;
    json_t *f;
    json_array_foreach(l->filters, i, f) {
        int r = filter_matches(l->ctx, secret, f, err);
        if (r <= 0)
            return r;
    }
    return json_array_append(l->matched, secret) < 0 ? error_set(err, ERR_INTERNAL, "out of memory") : 0;
}

/* ListSecrets' order: SortBy's member (CreatedDate when not given, as
 * AWS lists), then the name; SortOrder desc reverses it. */
struct sort_order {
    const char *member; /* NULL: by name alone */
    int sign;
};

static int sort_cmp(const void *a, const void *b, void *arg)
{
    const struct sort_order *o = arg;
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = 0;
    if (o->member) {
        json_int_t u = json_integer_value(json_object_get(x, o->member));
        json_int_t v = json_integer_value(json_object_get(y, o->member));
        c = (u > v) - (u < v);
    }
    if (!c)
        c = strcmp(str(x, "Name"), str(y, "Name"));
    return o->sign * c;
}

API_ACTION(secrets_list_secrets)
{
    const char *by = str(in, "SortBy"), *order = str(in, "SortOrder");
    if (by && strcmp(by, "last-accessed-date") == 0)
        return error_set(err, ERR_INVALID,
                         "berth does not record LastAccessedDate: SortBy last-accessed-date is "
                         "not supported (created-date, last-changed-date and name are).");
    struct page page;
    if (page_begin_as(in, "ListSecrets", "MaxResults", "NextToken", 100, 100, &page, err) < 0)
        return json_object_get(in, "NextToken") && strstr(err->msg, "NextToken")
                   ? error_set(err, SECRETS_ERR_INVALID_NEXT_TOKEN, "The NextToken value isn't valid.")
                   : -1;
    /* The token is the offset of the page in this order ("#N"). */
    long offset = 0;
    if (page.after) {
        char *end = NULL;
        offset = page.after[0] == '#' ? strtol(page.after + 1, &end, 10) : -1;
        if (offset < 0 || !end || *end) {
            page_free(&page);
            return error_set(err, SECRETS_ERR_INVALID_NEXT_TOKEN, "The NextToken value isn't valid.");
        }
    }
    int limit = page.limit;
    page_free(&page);
    _cleanup_json_ json_t *matched = json_array();
    struct listing l = {.ctx = ctx,
                        .filters = json_object_get(in, "Filters"),
                        .include_deleted = json_is_true(json_object_get(in, "IncludePlannedDeletion")),
                        .matched = matched};
    if (!matched || store_secret_each(ctx->tx, ctx->region, "", collect_one, &l, err) < 0)
        return matched ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    size_t n = json_array_size(matched);
    _cleanup_free_ json_t **docs = calloc(n ? n : 1, sizeof(*docs));
    if (!docs)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        docs[i] = json_array_get(matched, i);
    struct sort_order o = {.member = !by || strcmp(by, "created-date") == 0 ? "CreatedDate"
                                     : strcmp(by, "last-changed-date") == 0 ? "LastChangedDate"
                                                                            : NULL,
                           .sign = order && strcmp(order, "desc") == 0 ? -1 : 1};
    qsort_r(docs, n, sizeof(*docs), sort_cmp, &o);
    json_t *list = json_array();
    if (!list || json_object_set_new(out, "SecretList", list) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t i = (size_t)offset;
    for (; i < n && json_array_size(list) < (size_t)limit; i++) {
        json_t *d = describe(ctx, docs[i], "SecretVersionsToStages", err);
        if (!d)
            return -1;
        json_array_append_new(list, d);
    }
    if (i < n) {
        char next[32];
        snprintf(next, sizeof(next), "#%zu", i);
        if (page_set_next_as(out, "ListSecrets", "NextToken", next) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
    }
    return 0;
}

/* ---- DeleteSecret, RestoreSecret ---- */

API_ACTION(secrets_delete_secret)
{
    json_t *window = json_object_get(in, "RecoveryWindowInDays");
    bool force = json_is_true(json_object_get(in, "ForceDeleteWithoutRecovery"));
    if (window && force)
        return error_set(err, ERR_INVALID,
                         "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    json_int_t days = window ? json_integer_value(window) : SECRETS_WINDOW_DEFAULT_DAYS;
    if (days < SECRETS_WINDOW_MIN_DAYS || days > SECRETS_WINDOW_MAX_DAYS)
        return error_set(err, ERR_INVALID, "The RecoveryWindowInDays value must be between %d and %d days.",
                         SECRETS_WINDOW_MIN_DAYS, SECRETS_WINDOW_MAX_DAYS);
    _cleanup_json_ json_t *secret = NULL;
    if (secrets_find(ctx, in, false, &secret, err) < 0)
        return -1;
    json_object_set(out, "ARN", json_object_get(secret, "ARN"));
    json_object_set(out, "Name", json_object_get(secret, "Name"));
    if (force) {
        json_object_set_new(out, "DeletionDate", json_real(time_to_epoch_seconds(ctx->now)));
        return store_secret_delete(ctx->tx, str(secret, "ARN"), err);
    }
    usec_t purge_at = ctx->now + (usec_t)days * 24 * 3600 * USEC_PER_SEC;
    json_object_set_new(secret, "DeletedDate", json_integer(ctx->now));
    json_object_set_new(secret, "PurgeAt", json_integer(purge_at));
    json_object_set_new(out, "DeletionDate", json_real(time_to_epoch_seconds(purge_at)));
    return secrets_save(ctx, secret, err);
}

API_ACTION(secrets_restore_secret)
{
    _cleanup_json_ json_t *secret = NULL;
    if (secrets_find(ctx, in, true, &secret, err) < 0)
        return -1;
    json_object_del(secret, "DeletedDate");
    json_object_del(secret, "PurgeAt");
    json_object_set(out, "ARN", json_object_get(secret, "ARN"));
    json_object_set(out, "Name", json_object_get(secret, "Name"));
    return secrets_save(ctx, secret, err);
}

/* ---- tags ---- */

API_ACTION(secrets_tag_resource)
{
    (void)out;
    _cleanup_json_ json_t *secret = NULL;
    int count;
    if (secrets_find(ctx, in, false, &secret, err) < 0 ||
        tags_put_keyed(ctx, str(secret, "ARN"), json_object_get(in, "Tags"), &count, err) < 0)
        return -1;
    if (count > SECRETS_TAGS_MAX)
        return error_set(err, API_ERR_LIMIT_EXCEEDED, "A secret can have at most %d tags.", SECRETS_TAGS_MAX);
    return 0;
}

API_ACTION(secrets_untag_resource)
{
    (void)out;
    _cleanup_json_ json_t *secret = NULL;
    if (secrets_find(ctx, in, false, &secret, err) < 0)
        return -1;
    return store_tags_remove(ctx->tx, str(secret, "ARN"), json_object_get(in, "TagKeys"), err);
}
