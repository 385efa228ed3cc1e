/* tags.c - the tag rules every taggable resource shares (ECS's, which the
 * other services' are a subset of): validation, attaching a new resource's
 * tags, listing them.  Which resources exist and can be tagged is each
 * service's business (ecs/tag_actions.c). */
#include "server/http/tags.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/utf8.h"
#include "server/http/http_limits.h"
#include "server/store/store_tags.h"

/* ECS allows Unicode letters, numbers and spaces plus _ . : / = + - @.  We
 * accept any non-ASCII character as a letter. */
static bool tag_chars_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x80 || isalnum(c) || c == ' ' || strchr("_.:/=+-@", c))
            continue;
        return false;
    }
    return true;
}

int tags_validate(json_t *tags, struct error *err)
{
    if (!tags)
        return 0;
    if (json_array_size(tags) > LIMIT_TAGS)
        return error_set(err, ERR_INVALID, "Tags can have a maximum of %d items.", LIMIT_TAGS);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *key = json_string_value(json_object_get(t, "key"));
        const char *value = json_string_value(json_object_get(t, "value"));
        if (!key || utf8_length(key) < 1 || utf8_length(key) > LIMIT_TAG_KEY)
            return error_set(err, ERR_INVALID, "Tag keys must be between 1 and %d characters.", LIMIT_TAG_KEY);
        if (value && utf8_length(value) > LIMIT_TAG_VALUE)
            return error_set(err, ERR_INVALID, "Tag values must be at most %d characters.", LIMIT_TAG_VALUE);
        if (!tag_chars_ok(key) || (value && !tag_chars_ok(value)))
            return error_set(err, ERR_INVALID,
                             "Tag keys and values may contain only letters, numbers, spaces and _.:/=+-@ "
                             "(tag '%.128s').",
                             key);
        if (strncasecmp(key, "aws:", 4) == 0)
            return error_set(err, ERR_INVALID, "Tag keys beginning with 'aws:' are reserved for AWS use.");
        for (size_t j = 0; j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(tags, j), "key"));
            if (other && strcmp(other, key) == 0)
                return error_set(err, ERR_INVALID, "Duplicate tag key '%.128s'.", key);
        }
    }
    return 0;
}

int tags_attach(struct op_ctx *ctx, const char *arn, json_t *tags, struct error *err)
{
    if (!tags || json_array_size(tags) == 0)
        return 0;
    return store_tags_put(ctx->tx, arn, tags, err);
}

json_t *tags_list(struct op_ctx *ctx, const char *arn, struct error *err)
{
    json_t *list = json_array();
    if (!list) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (store_tags_get(ctx->tx, arn, list, err) < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

/* A copy of tags with each element's members renamed from `from` to `to`. */
static json_t *rename_tags(json_t *tags, const char *const from[2], const char *const to[2])
{
    json_t *list = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        json_t *o = json_object();
        for (int k = 0; o && k < 2; k++) {
            json_t *v = json_object_get(t, from[k]);
            if (v)
                json_object_set(o, to[k], v);
        }
        if (!o || !list || json_array_append_new(list, o) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static const char *const keyed[2] = {"Key", "Value"}, *const lower[2] = {"key", "value"};

json_t *tags_from_keyed(json_t *tags) { return rename_tags(tags, keyed, lower); }

json_t *tags_to_keyed(json_t *tags) { return rename_tags(tags, lower, keyed); }

int tags_check_keyed(json_t *tags, struct error *err)
{
    if (!tags)
        return 0;
    json_t *plain = tags_from_keyed(tags);
    if (!plain)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int r = tags_validate(plain, err);
    json_decref(plain);
    return r;
}

int tags_put_keyed(struct op_ctx *ctx, const char *arn, json_t *given, int *ret_count, struct error *err)
{
    if (tags_check_keyed(given, err) < 0)
        return -1;
    json_t *tags = tags_from_keyed(given);
    if (!tags)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int r = store_tags_put(ctx->tx, arn, tags, err);
    json_decref(tags);
    if (r < 0)
        return -1;
    *ret_count = 0;
    return store_tags_count(ctx->tx, arn, ret_count, err);
}
