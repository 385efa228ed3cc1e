/* tag_actions.c - ECS's TagResource, UntagResource and ListTagsForResource.
 * Which ARN types can be tagged, and how to tell that one exists, is the
 * table `targets` below; the tag rules themselves are http/tags.c's. */
#include "server/ecs/tag_actions.h"

#include <string.h>

#include "server/ecs/arn.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/clusters.h"
#include "server/ecs/daemon_taskdefs.h"
#include "common/cleanup.h"
#include "server/ecs/instances.h"
#include "server/http/http_limits.h"
#include "server/ecs/services.h"
#include "server/http/tags.h"
#include "server/store/store_tags.h"
#include "server/ecs/taskdefs.h"
#include "server/ecs/tasks.h"

struct tag_target {
    const char *type;
    /* 0 when the resource named by the ARN exists, else -1 and err. */
    int (*exists)(struct op_ctx *ctx, const struct arn *arn, struct error *err);
};

static const struct tag_target targets[] = {
    {"cluster", clusters_arn_exists},
    {"container-instance", instances_arn_exists},
    {"service", services_arn_exists},
    {"task", tasks_arn_exists},
    {"task-definition", taskdefs_arn_exists},
    {"daemon-task-definition", daemon_taskdefs_arn_exists},
    {"capacity-provider", capacity_providers_arn_exists},
};

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
