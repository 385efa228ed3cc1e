/* tags.c - TagResource, UntagResource, ListTagsForResource and the rules
 * every taggable resource shares.  Which ARN types can be tagged, and how to
 * tell that one exists, is the table `targets` below. */
#include "server/ecs/tags.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "server/ecs/arn.h"
#include "server/ecs/clusters.h"
#include "common/cleanup.h"
#include "server/ecs/instances.h"
#include "server/server_limits.h"
#include "common/utf8.h"
#include "server/ecs/services.h"
#include "server/store/store_tags.h"
#include "server/ecs/taskdefs.h"
#include "server/ecs/tasks.h"

struct tag_target {
    const char *type;
    /* 0 when the resource named by the ARN exists, else -1 and err. */
    int (*exists)(struct op_ctx *ctx, const struct arn *arn, struct error *err);
};

static const struct tag_target targets[] = {
    {"cluster", clusters_arn_exists}, {"container-instance", instances_arn_exists}, {"service", services_arn_exists},
    {"task", tasks_arn_exists},       {"task-definition", taskdefs_arn_exists},
};

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

static int resolve_target(struct op_ctx *ctx, json_t *in, const char **ret_arn, struct error *err)
{
    const char *s = json_string_value(json_object_get(in, "resourceArn"));
    struct arn arn;
    if (!arn_parse(s, &arn))
        return error_set(err, ERR_INVALID, "The ARN provided is invalid.");
    for (size_t i = 0; i < ELEMENTSOF(targets); i++) {
        if (strcmp(targets[i].type, arn.type) == 0) {
            if (targets[i].exists(ctx, &arn, err) < 0)
                return -1;
            *ret_arn = s;
            return 0;
        }
    }
    return error_set(err, ERR_INVALID, "Tagging is not supported for resource type '%s'.", arn.type);
}

int action_tag_resource(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *arn = NULL;
    json_t *tags = json_object_get(in, "tags");
    if (resolve_target(ctx, in, &arn, err) < 0 || tags_validate(tags, err) < 0)
        return -1;
    if (store_tags_put(ctx->tx, arn, tags, err) < 0)
        return -1;
    int n = 0;
    if (store_tags_count(ctx->tx, arn, &n, err) < 0)
        return -1;
    if (n > LIMIT_TAGS)
        return error_set(err, ERR_INVALID, "A resource can have a maximum of %d tags.", LIMIT_TAGS);
    return 0;
}

int action_untag_resource(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *arn = NULL;
    if (resolve_target(ctx, in, &arn, err) < 0)
        return -1;
    return store_tags_remove(ctx->tx, arn, json_object_get(in, "tagKeys"), err);
}

int action_list_tags_for_resource(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *arn = NULL;
    if (resolve_target(ctx, in, &arn, err) < 0)
        return -1;
    json_t *list = tags_list(ctx, arn, err);
    if (!list)
        return -1;
    json_object_set_new(out, "tags", list);
    return 0;
}
