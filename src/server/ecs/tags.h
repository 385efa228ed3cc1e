/* tags.h - ECS resource tags: validation and the tagging actions. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

/* Check a `tags` list against ECS's rules: at most 50, key 1-128 and value
 * 0-256 characters of letters, numbers, spaces and _.:/=+-@, no key that
 * starts with "aws:" (reserved), no duplicate keys. */
int tags_validate(json_t *tags, struct error *err);
/* Store the request's tags (if any) for a newly created resource. */
int tags_attach(struct op_ctx *ctx, const char *arn, json_t *tags, struct error *err);
/* A JSON list of arn's tags (new reference; empty list when none). */
json_t *tags_list(struct op_ctx *ctx, const char *arn, struct error *err);

int action_tag_resource(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_untag_resource(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_list_tags_for_resource(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
