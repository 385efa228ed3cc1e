/* taskdefs.c - task definitions (being written; see issue 2). */
#include "taskdefs.h"

int taskdefs_arn_exists(struct api_ctx *ctx, const struct arn *arn, struct error *err)
{
    return error_set(err, API_ERR_CLIENT, "Unable to describe task definition.");
}

int taskdef_resolve(struct api_ctx *ctx, const char *ref, bool active_only, json_t **ret_taskdef,
                    struct error *err)
{
    return error_set(err, API_ERR_CLIENT, "Unable to describe task definition.");
}
