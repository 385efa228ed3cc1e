/* ssm_tags.c - tags on parameters: AddTagsToResource, ListTagsForResource,
 * RemoveTagsFromResource with ResourceType "Parameter".  SSM's other
 * taggable resources (documents, maintenance windows...) are not served. */
#include "server/ssm/ssm.h"

#include <string.h>

#include "common/cleanup.h"
#include "server/http/tags.h"
#include "server/store/store_ssm.h"
#include "server/store/store_tags.h"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The ARN of the parameter the request's ResourceId names; -1 with
 * InvalidResourceType / InvalidResourceId. */
static int resource_arn(struct op_ctx *ctx, json_t *in, char *arn, size_t cap, struct error *err)
{
    if (strcmp(str(in, "ResourceType"), "Parameter") != 0)
        return error_set(err, SSM_ERR_INVALID_RESOURCE_TYPE,
                         "berth tags only parameters (ResourceType Parameter), not %.40s.", str(in, "ResourceType"));
    struct ssm_selector sel;
    if (ssm_selector_parse(str(in, "ResourceId"), &sel, err) < 0 || sel.selector)
        return error_set(err, SSM_ERR_INVALID_RESOURCE_ID,
                         "The resource ID is not valid. Verify the ID and try again.");
    const char *tries[2] = {sel.name, sel.alt};
    for (size_t i = 0; i < 2 && tries[i][0]; i++) {
        int64_t latest;
        int r = store_ssm_latest(ctx->tx, ctx->region, tries[i], &latest, err);
        if (r < 0)
            return -1;
        _cleanup_json_ json_t *newest = NULL;
        if (r > 0 && store_ssm_version_get(ctx->tx, ctx->region, tries[i], latest, &newest, err) < 0)
            return -1;
        if (r > 0 && !ssm_expired(ctx, newest)) {
            ssm_arn(ctx->region, ctx->account, tries[i], arn, cap);
            return 0;
        }
    }
    return error_set(err, SSM_ERR_INVALID_RESOURCE_ID, "The resource ID is not valid. Verify the ID and try again.");
}

API_ACTION(ssm_add_tags_to_resource)
{
    (void)out;
    char arn[SSM_NAME_MAX + 128];
    int count;
    if (resource_arn(ctx, in, arn, sizeof(arn), err) < 0 ||
        tags_put_keyed(ctx, arn, json_object_get(in, "Tags"), &count, err) < 0)
        return -1;
    if (count > SSM_TAGS_MAX)
        return error_set(err, SSM_ERR_TOO_MANY_TAGS, "A parameter can have at most %d tags.", SSM_TAGS_MAX);
    return 0;
}

API_ACTION(ssm_list_tags_for_resource)
{
    char arn[SSM_NAME_MAX + 128];
    if (resource_arn(ctx, in, arn, sizeof(arn), err) < 0)
        return -1;
    _cleanup_json_ json_t *tags = tags_list(ctx, arn, err);
    if (!tags)
        return -1;
    json_t *keyed = tags_to_keyed(tags);
    if (!keyed)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(out, "TagList", keyed);
    return 0;
}

API_ACTION(ssm_remove_tags_from_resource)
{
    (void)out;
    char arn[SSM_NAME_MAX + 128];
    if (resource_arn(ctx, in, arn, sizeof(arn), err) < 0)
        return -1;
    return store_tags_remove(ctx->tx, arn, json_object_get(in, "TagKeys"), err);
}
