/* sd_tags.c - TagResource, UntagResource and ListTagsForResource on
 * namespaces and services, by ARN. */
#include "server/servicediscovery/sd.h"

#include <string.h>

#include "common/cleanup.h"
#include "server/http/tags.h"
#include "server/store/store_sd.h"
#include "server/store/store_tags.h"

/* The namespace or service ResourceARN names must exist. */
static int resource_check(struct op_ctx *ctx, json_t *in, const char **ret_arn, struct error *err)
{
    const char *arn = sd_str(in, "ResourceARN");
    char prefix[SD_ARN_MAX];
    snprintf(prefix, sizeof(prefix), "arn:aws:servicediscovery:%s:%s:", ctx->region, ctx->account);
    const char *rest = strncmp(arn, prefix, strlen(prefix)) == 0 ? arn + strlen(prefix) : "";
    const char *kind = strncmp(rest, "namespace/", 10) == 0 ? STORE_SD_NAMESPACE
                       : strncmp(rest, "service/", 8) == 0  ? STORE_SD_SERVICE
                                                            : NULL;
    _cleanup_json_ json_t *doc = NULL;
    int r = kind ? store_sd_get(ctx->tx, kind, ctx->region, NULL, sd_id_of(arn), &doc, err) : 0;
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, SD_ERR_RESOURCE_NOT_FOUND, "Resource not found: %.300s", arn);
    *ret_arn = arn;
    return 0;
}

API_ACTION(sd_tag_resource)
{
    (void)out;
    const char *arn;
    int count;
    if (resource_check(ctx, in, &arn, err) < 0 ||
        tags_put_keyed(ctx, arn, json_object_get(in, "Tags"), &count, err) < 0)
        return -1;
    if (count > SD_TAGS_MAX)
        return error_set(err, SD_ERR_TOO_MANY_TAGS, "A resource can have at most %d tags.", SD_TAGS_MAX);
    return 0;
}

API_ACTION(sd_untag_resource)
{
    (void)out;
    const char *arn;
    if (resource_check(ctx, in, &arn, err) < 0)
        return -1;
    return store_tags_remove(ctx->tx, arn, json_object_get(in, "TagKeys"), err);
}

API_ACTION(sd_list_tags_for_resource)
{
    const char *arn;
    if (resource_check(ctx, in, &arn, err) < 0)
        return -1;
    _cleanup_json_ json_t *tags = tags_list(ctx, arn, err);
    if (!tags)
        return -1;
    json_t *keyed = tags_to_keyed(tags);
    if (!keyed)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(out, "Tags", keyed);
    return 0;
}
