/* taskdefs.h - ECS task definitions: registration with ECS's validation,
 * revisions, describe/list/deregister/delete. */
#pragma once

#include <jansson.h>

#include "api.h"

struct arn;
/* For tagging: 0 if the ARN names a task definition that exists. */
int taskdefs_arn_exists(struct api_ctx *ctx, const struct arn *arn, struct error *err);
