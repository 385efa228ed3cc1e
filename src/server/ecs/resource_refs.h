/* resource_refs.h - how requests name resources: a full ARN or a bare 32-hex id,
 * `include` lists, and the MISSING failures Describe* actions answer with. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* The id a reference carries: the last '/'-separated part of an ARN, or the
 * reference itself. */
const char *resource_refs_id(const char *ref);
/* Whether s is a 32-character hex id (tasks, container instances). */
bool resource_refs_is_id32(const char *s);
/* Whether s (NULL is not) has 1 to max characters, each a letter, a digit
 * or one of punct: the names ECS allows clusters, services, containers
 * and attributes. */
bool resource_refs_name_ok(const char *s, size_t max, const char *punct);
/* Whether the request's `include` list has `what` ("TAGS"). */
bool resource_refs_include(json_t *in, const char *what);
/* Append {arn, reason: MISSING} for ref: the ARN as given, or arn_if_bare
 * for a bare id or name. */
void resource_refs_add_missing(json_t *failures, const char *ref, const char *arn_if_bare);
/* Set obj.tags to tags (taking the reference) when it holds any; ECS
 * leaves `tags` out of a resource that has none.  NULL tags is ignored. */
void resource_refs_set_tags(json_t *obj, json_t *tags);
