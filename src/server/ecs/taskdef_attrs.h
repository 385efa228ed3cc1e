/* taskdef_attrs.h - the container instance attributes a task definition
 * requires (ECS's `requiresAttributes`), derived from what it uses. */
#pragma once

#include <jansson.h>

/* The attributes a normalised task definition needs, as a new list of
 * {"name": ...} objects in a fixed order, without duplicates (empty list
 * when none apply).  NULL only when out of memory. */
json_t *taskdef_required_attributes(const json_t *doc);
