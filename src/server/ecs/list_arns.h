/* list_arns.h - the answer of the List* actions that list a cluster's
 * resources (and clusters): the ARNs of one page of names and the token to
 * the next page.  Reading the page from the store stays with the action. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "server/http/api.h"

/* The ARN of the resource `name` of `cluster` into buf (task_arn,
 * service_arn, instance_arn have this shape). */
typedef void list_arn_fn(const struct op_ctx *ctx, const char *cluster, const char *name, char *buf, size_t cap);

/* out[member] = the ARN of each of names; when the store has more, the
 * nextToken (for the action token_key) resumes after the last name. */
void list_arns_answer(const struct op_ctx *ctx, const char *cluster, json_t *names, bool more, list_arn_fn *arn_of,
                      const char *member, const char *token_key, json_t *out);
