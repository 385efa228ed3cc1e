/* tags.h - resource tags as AWS services share them: validation and the
 * store of a resource's tags, by ARN. */
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
/* Tags as most AWS services spell them, [{Key, Value}]: converted to and
 * from the {key, value} form above (new references; NULL: out of memory),
 * and checked by the same rules. */
json_t *tags_from_keyed(json_t *tags);
json_t *tags_to_keyed(json_t *tags);
int tags_check_keyed(json_t *tags, struct error *err);
/* TagResource for services whose tags are {Key, Value}: check them, add
 * them to arn's and give the count the resource then holds (the caller
 * compares it with its own limit and error, and the transaction rolls
 * back if it refuses). */
int tags_put_keyed(struct op_ctx *ctx, const char *arn, json_t *given, int *ret_count, struct error *err);
