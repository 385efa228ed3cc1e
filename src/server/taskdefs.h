/* taskdefs.h - ECS task definitions: registration with ECS's validation,
 * revisions, describe/list/deregister/delete. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "api.h"

struct arn;
/* For tagging: 0 if the ARN names a task definition that exists. */
int taskdefs_arn_exists(struct api_ctx *ctx, const struct arn *arn, struct error *err);

/* Resolve a task definition reference (family, family:revision or ARN) to
 * the TaskDefinition shape (a new reference).  A bare family means its latest
 * ACTIVE revision; with active_only an INACTIVE revision is refused. */
int taskdef_resolve(struct api_ctx *ctx, const char *ref, bool active_only, json_t **ret_taskdef,
                    struct error *err);
